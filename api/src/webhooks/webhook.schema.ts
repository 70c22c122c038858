import { z } from 'zod';
import { EVENT_TYPES } from '../events/event-types.ts';
import { objectIdSchema } from '../lib/ids.ts';
import { DELIVERY_STATUSES } from './webhook.model.ts';

/** Event types a webhook may subscribe to (log housekeeping stays internal). */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES.filter((type) => type !== 'log.gap_filled');

const eventsSchema = z
  .array(z.enum([...WEBHOOK_EVENT_TYPES, '*']))
  .min(1)
  .max(20)
  .transform((events) => [...new Set(events)]);

/** A webhook URL: http(s), no credentials. Private and loopback targets are refused at delivery time. */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => {
    // Zod runs this check even when the URL check above failed (that one reports it).
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return !url.username && !url.password;
  }, 'no credentials in the URL; authenticate with the signature');

/** POST /api/v1/webhooks body. */
export const webhookCreateSchema = z
  .object({
    url: webhookUrlSchema,
    events: eventsSchema,
    description: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
/** Webhook input. */
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

/** PATCH /api/v1/webhooks/:id body. `active: true` re-enables a disabled webhook. */
export const webhookPatchSchema = z
  .object({
    url: webhookUrlSchema,
    events: eventsSchema,
    description: z.string().trim().min(1).max(200).nullable(),
    active: z.boolean(),
    rotateSecret: z.literal(true),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
/** Webhook patch. */
export type WebhookPatch = z.infer<typeof webhookPatchSchema>;

/** A webhook as admins see it (with the signing secret). */
export const webhookDtoSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  secret: z.string(),
  active: z.boolean(),
  failureCount: z.number(),
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
  lastDeliveryAt: z.string().nullable(),
  createdAt: z.string(),
});
/** Webhook DTO. */
export type WebhookDto = z.infer<typeof webhookDtoSchema>;

/** One entry of the delivery log. */
export const webhookDeliveryDtoSchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventSeq: z.number(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.array(
    z.object({ at: z.string(), responseStatus: z.number().nullable(), error: z.string().nullable(), durationMs: z.number() }),
  ),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
/** Delivery DTO. */
export type WebhookDeliveryDto = z.infer<typeof webhookDeliveryDtoSchema>;

/** GET /api/v1/webhooks/:id/deliveries query (newest first). */
export const deliveryListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: objectIdSchema.optional(),
  })
  .strict();
