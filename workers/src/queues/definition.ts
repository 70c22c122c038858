import { z } from 'zod';

/**
 * A job type, declared apart from its handler: its queue, payload schema and retry
 * policy. Payloads are validated when enqueued and again when processed (a job written
 * by an older deploy must not crash a newer worker).
 */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  /** Queue name in Redis (one queue per job type). */
  name: string;
  /** Bumped when the payload shape changes incompatibly. */
  version: number;
  payload: S;
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delayMs: number };
  /** Jobs processed in parallel per worker process. */
  concurrency: number;
  /** Completed jobs kept for inspection (the dashboard); failed ones are always kept. */
  keepCompleted?: number;
}

/** Payload type of a definition. */
export type PayloadOf<D> = D extends JobDefinition<infer S> ? z.output<S> : never;

/** Declares a job type (identity function that keeps the literal types). */
export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

/**
 * A periodic sweep: no payload, one attempt (the next run repeats the work), one at a time,
 * a few runs kept. Scheduled with `QueueRegistry.repeat`.
 */
export function defineSweepJob(name: string) {
  return defineJob({
    name,
    version: 1,
    payload: z.object({}).strict(),
    attempts: 1,
    backoff: { type: 'fixed', delayMs: 1000 },
    concurrency: 1,
    keepCompleted: 10,
  });
}
