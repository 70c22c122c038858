import { z } from 'zod';
import { defineJob, defineSweepJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/** Periodic: hand due occurrences of every tenant's schedules to `recurring-open`. */
export const recurringSweepJob = defineSweepJob('recurring-sweep');

/** Open the ticket of one occurrence (exactly once). Job id `recurring:<scheduleId>:<occurrence ms>`. */
export const recurringOpenJob = defineJob({
  name: 'recurring-open',
  version: 1,
  payload: z.object({ tenantId: id, scheduleId: id, at: z.number().int().positive() }).strict(),
  attempts: 6,
  backoff: { type: 'exponential', delayMs: 5_000 },
  concurrency: 2,
  keepCompleted: 1000,
});
