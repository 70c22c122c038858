import { z } from 'zod';
import { defineJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/** Find the webhooks an event batch goes to and open one delivery each. Job id `webhooks:<tenant>:<first seq>`. */
export const webhookDispatchJob = defineJob({
  name: 'webhook-dispatch',
  version: 1,
  payload: z.object({ tenantId: id, seqs: z.array(z.number().int().positive()).min(1).max(500) }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 2_000 },
  concurrency: 2,
  keepCompleted: 500,
});

/**
 * POST one delivery, signed. Job id `webhook:<deliveryId>`. Attempts and backoff come from
 * WEBHOOK_MAX_ATTEMPTS / WEBHOOK_RETRY_BASE_MS when enqueued; these are the defaults.
 */
export const webhookDeliverJob = defineJob({
  name: 'webhook-deliver',
  version: 1,
  payload: z.object({ tenantId: id, deliveryId: id }).strict(),
  attempts: 8,
  backoff: { type: 'exponential', delayMs: 30_000 },
  concurrency: 8,
  keepCompleted: 1000,
});
