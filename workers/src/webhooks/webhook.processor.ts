import type { Domain } from '@switchboard/api/domain';
import { toWire } from '@switchboard/api/events/event-log';
import type { StoredEvent } from '@switchboard/api/events/event.model';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import { isLastAttempt } from '../mail/mail.processor.ts';
import type { QueueRegistry } from '../queues/registry.ts';
import { BlockedAddressError, postSafely } from './safe-http.ts';
import { SIGNATURE_HEADER, signPayload } from './signature.ts';
import { webhookDeliverJob, webhookDispatchJob } from './webhook.jobs.ts';

/** Delivery policy (WEBHOOK_* settings). */
export interface WebhookPolicy {
  allowPrivate: boolean;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  disableAfter: number;
}

/** What the webhook processors need. */
export interface WebhookDeps {
  domain: Domain;
  registry: QueueRegistry;
  logger: Logger;
  policy: WebhookPolicy;
}

/**
 * Registers the webhook processors. Dispatch opens one delivery per event and subscribed
 * webhook (unique per pair, so a replay opens none twice) and queues it. Delivery POSTs the
 * event as JSON, signed `t=<unix>,v1=<HMAC-SHA256("<t>.<body>")>` with the webhook's
 * secret, to a public address only, without following redirects, within the timeout; every
 * attempt is logged; failures retry with exponential backoff; a webhook failing too often
 * in a row is disabled, and its pending deliveries end as skipped.
 */
export function registerWebhookProcessors(deps: WebhookDeps): void {
  const { domain, registry, logger, policy } = deps;

  registry.process(webhookDispatchJob, async ({ tenantId, seqs }) => {
    const tenant = oid(tenantId);
    if ((await domain.models.Webhook.countDocuments({ tenantId: tenant, active: true })) === 0) return { deliveries: 0 };
    const events = await domain.models.Event.find({ tenantId: tenant, seq: { $in: seqs } })
      .sort({ seq: 1 })
      .lean<StoredEvent[]>();
    let queued = 0;
    for (const stored of events) {
      for (const webhook of await domain.webhooks.subscribers(tenant, stored.type)) {
        const delivery = await domain.webhooks.openDelivery(tenant, webhook, toWire(stored));
        if (delivery.status !== 'pending' && delivery.status !== 'retrying') continue;
        const deliveryId = delivery._id.toHexString();
        await registry.enqueue(
          webhookDeliverJob,
          { tenantId, deliveryId },
          { jobId: `webhook:${deliveryId}`, attempts: policy.maxAttempts, backoffMs: policy.retryBaseMs },
        );
        queued++;
      }
    }
    return { deliveries: queued };
  });

  registry.process(webhookDeliverJob, async ({ tenantId, deliveryId }, job) => {
    const tenant = oid(tenantId);
    const found = await domain.webhooks.delivery(tenant, oid(deliveryId));
    if (!found) return { skipped: 'delivery gone' };
    const { delivery, webhook } = found;
    if (delivery.status === 'succeeded' || delivery.status === 'failed' || delivery.status === 'skipped')
      return { skipped: delivery.status };
    if (!webhook || !webhook.active) {
      await domain.webhooks.skip(tenant, delivery._id);
      return { skipped: 'webhook removed or disabled' };
    }
    const stored = await domain.models.Event.findOne({ tenantId: tenant, seq: delivery.eventSeq }).lean<StoredEvent>();
    if (!stored) {
      await domain.webhooks.skip(tenant, delivery._id);
      return { skipped: 'event gone' };
    }
    const event = toWire(stored);
    const body = JSON.stringify({ id: deliveryId, type: event.type, tenantId, createdAt: event.at, event });
    const at = new Date();
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    let blocked = false;
    try {
      const response = await postSafely(
        webhook.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': 'Switchboard-Webhooks/1',
          'switchboard-event': event.type,
          'switchboard-delivery': deliveryId,
          [SIGNATURE_HEADER]: signPayload(webhook.secret, body, Math.floor(at.getTime() / 1000)),
        },
        { timeoutMs: policy.timeoutMs, allowPrivate: policy.allowPrivate },
      );
      status = response.status;
      if (status >= 300 && status < 400) error = `redirects are not followed (${status} to ${response.location ?? 'nowhere'})`;
      else if (status < 200 || status >= 300)
        error = `endpoint answered ${status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`;
    } catch (failure) {
      blocked = failure instanceof BlockedAddressError;
      error = (failure as Error).message;
    }
    const attempt = { at, responseStatus: status, error, durationMs: Math.round(performance.now() - started) };
    if (!error) {
      await domain.webhooks.recordAttempt(tenant, delivery, attempt, 'succeeded', policy.disableAfter);
      return { status };
    }
    // A blocked address stays blocked however often we try.
    const final = blocked || isLastAttempt(job);
    const { disabled } = await domain.webhooks.recordAttempt(tenant, delivery, attempt, final ? 'failed' : 'retrying', policy.disableAfter);
    if (disabled)
      logger.warn({ tenantId, webhookId: webhook._id.toHexString(), url: webhook.url }, 'webhook disabled after repeated failures');
    if (blocked || disabled) await job.discard();
    throw new Error(`webhook delivery ${deliveryId} to ${webhook.url} failed: ${error}`);
  });
}
