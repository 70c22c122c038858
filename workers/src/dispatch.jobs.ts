import { z } from 'zod';
import { defineJob } from './queues/definition.ts';

/** Periodic: queue the jobs of events whose publication could not reach Redis. */
export const dispatchSweepJob = defineJob({
  name: 'dispatch-sweep',
  version: 1,
  payload: z.object({}).strict(),
  attempts: 1,
  backoff: { type: 'fixed', delayMs: 1000 },
  concurrency: 1,
  keepCompleted: 10,
});
