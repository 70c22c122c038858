import type { Domain } from '@switchboard/api/domain';
import type { PublishedBatch } from '@switchboard/api/events/publisher';
import type { Logger } from '@switchboard/api/lib/logger';
import type { Redis } from 'ioredis';
import type { WorkersEnv } from './env.ts';
import { startInboundServer, type InboundServer } from './mail/inbound-server.ts';
import { registerMailProcessors } from './mail/mail.processor.ts';
import { Mailer } from './mail/mailer.ts';
import { csatSurveyJob, notifyEventJob } from './notifications/notify.jobs.ts';
import { notifies, registerNotificationProcessors } from './notifications/notify.processor.ts';
import type { QueueRegistry } from './queues/registry.ts';
import { registerRecurringProcessors } from './recurring/recurring.processor.ts';
import { webhookDispatchJob } from './webhooks/webhook.jobs.ts';
import { registerWebhookProcessors } from './webhooks/webhook.processor.ts';

/** The settings the channels read (WorkersEnv; tests pass their own). */
export type ChannelsConfig = Pick<
  WorkersEnv,
  | 'SMTP_URL'
  | 'MAIL_FROM'
  | 'SMTP_INBOUND_HOST'
  | 'SMTP_INBOUND_PORT'
  | 'MAIL_MAX_BYTES'
  | 'MAIL_DIGEST_WINDOW_MS'
  | 'WEBHOOK_ALLOW_PRIVATE'
  | 'WEBHOOK_TIMEOUT_MS'
  | 'WEBHOOK_MAX_ATTEMPTS'
  | 'WEBHOOK_RETRY_BASE_MS'
  | 'WEBHOOK_DISABLE_AFTER'
  | 'RECURRING_SWEEP_MS'
>;

/** What {@link startChannels} needs. */
export interface ChannelsDeps {
  domain: Domain;
  registry: QueueRegistry;
  redis: Redis;
  logger: Logger;
  config: ChannelsConfig;
}

/** The running channels of a workers process. */
export interface Channels {
  /** Port of the inbound SMTP server (null when SMTP_INBOUND_PORT=off). */
  inboundPort: number | null;
  mailer: Mailer;
  close(): Promise<void>;
}

/**
 * Turns domain events into channel jobs, in whatever process produced them: one webhook
 * dispatch per batch, a notification job per event that may notify someone, a survey per
 * solve. Job ids derive from the event's seq, so a replayed batch queues nothing twice.
 */
export async function enqueueChannelJobs(registry: QueueRegistry, batch: PublishedBatch): Promise<void> {
  const { tenantId } = batch;
  const seqs = batch.events.filter((e) => e.type !== 'log.gap_filled').map((e) => e.seq);
  if (seqs.length > 0) await registry.enqueue(webhookDispatchJob, { tenantId, seqs }, { jobId: `webhooks:${tenantId}:${seqs[0]}` });
  for (const event of batch.events) {
    if (notifies(event)) await registry.enqueue(notifyEventJob, { tenantId, seq: event.seq }, { jobId: `notify:${tenantId}:${event.seq}` });
    if (event.type === 'ticket.status_changed' && event.ticketId && (event.data as { to?: string }).to === 'solved') {
      await registry.enqueue(
        csatSurveyJob,
        { tenantId, ticketId: event.ticketId, seq: event.seq },
        { jobId: `csat:${tenantId}:${event.seq}` },
      );
    }
  }
}

/**
 * Starts the channels in a workers process: mail out (outbox → SMTP) and in (the SMTP
 * endpoint, parsing, threading), notifications with digests, CSAT surveys, webhooks and
 * recurring tickets. Without SMTP_URL outgoing mail waits in the outbox, and says so.
 */
export async function startChannels(deps: ChannelsDeps): Promise<Channels> {
  const { domain, registry, redis, logger, config } = deps;
  const mailer = new Mailer(config.SMTP_URL, config.MAIL_FROM ?? `switchboard@${domain.mail.domain}`);
  if (!mailer.configured) {
    logger.warn(
      'SMTP_URL is not set: outgoing mail waits in the outbox and its jobs fail in the dead-letter view (/api/v1/admin/queues) until it is set',
    );
  }
  registerMailProcessors({ domain, registry, redis, mailer, logger });
  registerNotificationProcessors({ domain, registry, redis, logger, digestWindowMs: config.MAIL_DIGEST_WINDOW_MS });
  registerWebhookProcessors({
    domain,
    registry,
    logger,
    policy: {
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
      disableAfter: config.WEBHOOK_DISABLE_AFTER,
    },
  });
  await registerRecurringProcessors({ domain, registry, logger, sweepEveryMs: config.RECURRING_SWEEP_MS });
  let inbound: InboundServer | null = null;
  if (config.SMTP_INBOUND_PORT !== null) {
    try {
      inbound = await startInboundServer({
        host: config.SMTP_INBOUND_HOST,
        port: config.SMTP_INBOUND_PORT,
        maxBytes: config.MAIL_MAX_BYTES,
        domain,
        registry,
        logger,
      });
    } catch (error) {
      // Several workers on one host share one SMTP port: whoever binds it receives for all.
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
      logger.warn(
        { port: config.SMTP_INBOUND_PORT },
        `inbound SMTP port ${config.SMTP_INBOUND_HOST}:${config.SMTP_INBOUND_PORT} is taken (another worker on this host?): this process receives no mail`,
      );
    }
  }
  return {
    inboundPort: inbound?.port ?? null,
    mailer,
    close: async () => {
      await inbound?.close();
      mailer.close();
    },
  };
}
