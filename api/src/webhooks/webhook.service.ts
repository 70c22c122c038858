import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { actorUserId, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { DeliveryAttempt, Webhook, WebhookDelivery } from './webhook.model.ts';
import type { WebhookCreate, WebhookDeliveryDto, WebhookDto, WebhookPatch } from './webhook.schema.ts';

/** Attempts kept per delivery in the log. */
const MAX_ATTEMPTS_LOGGED = 20;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** API form of a webhook. */
export function toWebhookDto(webhook: Webhook): WebhookDto {
  return {
    id: webhook._id.toHexString(),
    url: webhook.url,
    description: webhook.description,
    events: webhook.events,
    secret: webhook.secret,
    active: webhook.active,
    failureCount: webhook.failureCount,
    disabledAt: iso(webhook.disabledAt),
    disabledReason: webhook.disabledReason,
    lastDeliveryAt: iso(webhook.lastDeliveryAt),
    createdAt: webhook.createdAt.toISOString(),
  };
}

/** API form of a delivery. */
export function toDeliveryDto(delivery: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: delivery._id.toHexString(),
    webhookId: delivery.webhookId.toHexString(),
    eventSeq: delivery.eventSeq,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts.map((a) => ({
      at: a.at.toISOString(),
      responseStatus: a.responseStatus ?? null,
      error: a.error ?? null,
      durationMs: a.durationMs,
    })),
    createdAt: delivery.createdAt.toISOString(),
    completedAt: iso(delivery.completedAt),
  };
}

/** How an attempt ended. */
export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed';

/**
 * Webhooks: admins subscribe URLs to event types; each event becomes one delivery per
 * matching webhook, delivered (signed, retried) by workers/. The delivery log records
 * every attempt. A webhook whose endpoint keeps failing is disabled until an admin turns
 * it back on.
 */
export class WebhookService {
  constructor(private readonly models: Models) {}

  private assertAdmin(ctx: Ctx): void {
    authorize(hasRole(ctx.actor, 'admin'), 'Only admins manage webhooks.');
  }

  private async require(ctx: Ctx, id: Types.ObjectId): Promise<Webhook> {
    const webhook = await this.models.Webhook.findOne({ tenantId: ctx.tenantId, _id: id }).lean<Webhook>();
    if (!webhook) throw new AppError('not_found', 'No such webhook.');
    return webhook;
  }

  /** Every webhook of the tenant. */
  async list(ctx: Ctx): Promise<WebhookDto[]> {
    this.assertAdmin(ctx);
    return (await this.models.Webhook.find({ tenantId: ctx.tenantId }).sort({ createdAt: 1 }).limit(100).lean<Webhook[]>()).map(
      toWebhookDto,
    );
  }

  /** Subscribes a URL; the signing secret is generated here. */
  async create(ctx: Ctx, input: WebhookCreate): Promise<WebhookDto> {
    this.assertAdmin(ctx);
    if ((await this.models.Webhook.countDocuments({ tenantId: ctx.tenantId })) >= 20)
      throw new AppError('conflict', 'A helpdesk may have at most 20 webhooks.');
    const [doc] = await this.models.Webhook.create([
      {
        tenantId: ctx.tenantId,
        url: input.url,
        events: input.events,
        description: input.description ?? null,
        secret: newSecret(),
        createdBy: actorUserId(ctx.actor) ?? null,
      },
    ]);
    return toWebhookDto(doc!.toObject<Webhook>());
  }

  /** Changes a webhook; turning it on again clears its failure count. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: WebhookPatch): Promise<WebhookDto> {
    this.assertAdmin(ctx);
    await this.require(ctx, id);
    const set: Record<string, unknown> = {};
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.events !== undefined) set.events = patch.events;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.rotateSecret) set.secret = newSecret();
    if (patch.active === true) Object.assign(set, { active: true, failureCount: 0, disabledAt: null, disabledReason: null });
    if (patch.active === false) Object.assign(set, { active: false, disabledAt: new Date(), disabledReason: 'turned off by an admin' });
    const updated = await this.models.Webhook.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: id },
      { $set: set },
      { returnDocument: 'after' },
    ).lean<Webhook>();
    if (!updated) throw new AppError('not_found', 'No such webhook.');
    return toWebhookDto(updated);
  }

  /** Removes a webhook and its delivery log. */
  async remove(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    this.assertAdmin(ctx);
    await this.require(ctx, id);
    await this.models.Webhook.deleteOne({ tenantId: ctx.tenantId, _id: id });
    await this.models.WebhookDelivery.deleteMany({ tenantId: ctx.tenantId, webhookId: id });
  }

  /** The delivery log of a webhook, newest first. */
  async deliveries(
    ctx: Ctx,
    id: Types.ObjectId,
    query: { limit: number; before?: Types.ObjectId },
  ): Promise<{ items: WebhookDeliveryDto[]; nextCursor: string | null }> {
    this.assertAdmin(ctx);
    await this.require(ctx, id);
    const filter: Record<string, unknown> = { tenantId: ctx.tenantId, webhookId: id };
    if (query.before) filter._id = { $lt: query.before };
    const rows = await this.models.WebhookDelivery.find(filter)
      .sort({ _id: -1 })
      .limit(query.limit + 1)
      .lean<WebhookDelivery[]>();
    const page = rows.slice(0, query.limit);
    return { items: page.map(toDeliveryDto), nextCursor: rows.length > query.limit ? page[page.length - 1]!._id.toHexString() : null };
  }

  /** Active webhooks of a tenant subscribed to an event type. */
  async subscribers(tenantId: Types.ObjectId, eventType: string): Promise<Webhook[]> {
    const active = await this.models.Webhook.find({ tenantId, active: true }).lean<Webhook[]>();
    return active.filter((w) => w.events.includes('*') || w.events.includes(eventType));
  }

  /** The delivery of an event to a webhook, created on first call. */
  async openDelivery(tenantId: Types.ObjectId, webhook: Webhook, event: DomainEvent): Promise<WebhookDelivery> {
    const key = { tenantId, webhookId: webhook._id, eventSeq: event.seq };
    const existing = await this.models.WebhookDelivery.findOne(key).lean<WebhookDelivery>();
    if (existing) return existing;
    try {
      const [doc] = await this.models.WebhookDelivery.create([{ ...key, eventType: event.type }]);
      return doc!.toObject<WebhookDelivery>();
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      return (await this.models.WebhookDelivery.findOne(key).lean<WebhookDelivery>())!;
    }
  }

  /** A delivery with its webhook (null when the webhook is gone). */
  async delivery(tenantId: Types.ObjectId, id: Types.ObjectId): Promise<{ delivery: WebhookDelivery; webhook: Webhook | null } | null> {
    const delivery = await this.models.WebhookDelivery.findOne({ tenantId, _id: id }).lean<WebhookDelivery>();
    if (!delivery) return null;
    const webhook = await this.models.Webhook.findOne({ tenantId, _id: delivery.webhookId }).lean<Webhook>();
    return { delivery, webhook };
  }

  /**
   * Logs an attempt. A success resets the webhook's failure count; a failure raises it,
   * and at `disableAfter` failures in a row the webhook is disabled (the delivery then
   * fails for good). Returns whether this attempt disabled the webhook.
   */
  async recordAttempt(
    tenantId: Types.ObjectId,
    delivery: WebhookDelivery,
    attempt: DeliveryAttempt,
    outcome: AttemptOutcome,
    disableAfter: number,
  ): Promise<{ disabled: boolean }> {
    let disabled = false;
    let status: WebhookDelivery['status'] = outcome;
    if (outcome === 'succeeded') {
      await this.models.Webhook.updateOne({ tenantId, _id: delivery.webhookId }, { $set: { failureCount: 0, lastDeliveryAt: attempt.at } });
    } else {
      const webhook = await this.models.Webhook.findOneAndUpdate(
        { tenantId, _id: delivery.webhookId },
        { $inc: { failureCount: 1 }, $set: { lastDeliveryAt: attempt.at } },
        { returnDocument: 'after' },
      ).lean<Webhook>();
      if (webhook && webhook.active && webhook.failureCount >= disableAfter) {
        await this.models.Webhook.updateOne(
          { tenantId, _id: webhook._id },
          {
            $set: {
              active: false,
              disabledAt: attempt.at,
              disabledReason: `disabled after ${webhook.failureCount} failed attempts in a row`,
            },
          },
        );
        disabled = true;
        status = 'failed';
      }
    }
    const attempts = [...delivery.attempts, attempt].slice(-MAX_ATTEMPTS_LOGGED);
    const done = status === 'succeeded' || status === 'failed';
    await this.models.WebhookDelivery.updateOne(
      { tenantId, _id: delivery._id },
      { $set: { status, attempts, ...(done ? { completedAt: attempt.at } : {}) } },
    );
    return { disabled };
  }

  /** Ends a delivery without sending (its webhook was removed or turned off meanwhile). */
  async skip(tenantId: Types.ObjectId, deliveryId: Types.ObjectId): Promise<void> {
    await this.models.WebhookDelivery.updateOne({ tenantId, _id: deliveryId }, { $set: { status: 'skipped', completedAt: new Date() } });
  }
}
