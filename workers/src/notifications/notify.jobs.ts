import { z } from 'zod';
import { defineJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/** Work out who is told about one event (reply, assignment, mention, SLA escalation). Job id `notify:<tenant>:<seq>`. */
export const notifyEventJob = defineJob({
  name: 'notify-event',
  version: 1,
  payload: z.object({ tenantId: id, seq: z.number().int().positive() }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 2_000 },
  concurrency: 4,
  keepCompleted: 500,
});

/**
 * Mail what waits for one person about one ticket, as one mail (a digest when several
 * arrived in the window). Delayed by the digest window; job id `notify-flush:<pendingId>`,
 * so each held notification schedules one flush and later flushes find nothing left.
 */
export const notifyFlushJob = defineJob({
  name: 'notify-flush',
  version: 1,
  payload: z.object({ tenantId: id, userId: id, ticketId: id }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 5_000 },
  concurrency: 4,
  keepCompleted: 500,
});

/** Send the satisfaction survey of a solved ticket. Job id `csat:<tenant>:<seq>` (the solve event). */
export const csatSurveyJob = defineJob({
  name: 'csat-survey',
  version: 1,
  payload: z.object({ tenantId: id, ticketId: id, seq: z.number().int().positive() }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 5_000 },
  concurrency: 2,
  keepCompleted: 500,
});
