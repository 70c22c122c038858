import { z } from 'zod';
import { defineJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/**
 * Deliver one mail of the outbox to the SMTP server. Job id `mail:<mailId>`; a mail marked
 * sent is never sent again. Long backoff: SMTP servers recover in minutes, not seconds.
 */
export const mailSendJob = defineJob({
  name: 'mail-send',
  version: 1,
  payload: z.object({ tenantId: id, mailId: id }).strict(),
  attempts: 8,
  backoff: { type: 'exponential', delayMs: 30_000 },
  concurrency: 4,
  keepCompleted: 500,
});

/** Turn one received mail (kept raw in the blob store) into a ticket or entry. Job id `inbound:<inboundId>`. */
export const mailInboundJob = defineJob({
  name: 'mail-inbound',
  version: 1,
  payload: z.object({ tenantId: id, inboundId: id }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 5_000 },
  concurrency: 2,
  keepCompleted: 500,
});
