import { z } from 'zod';
import { defineJob, defineSweepJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/** Recompute one ticket's SLA state after a change (deterministic id per event, so a replay is harmless). */
export const slaRefreshJob = defineJob({
  name: 'sla-refresh',
  version: 1,
  payload: z.object({ tenantId: id, ticketId: id }).strict(),
  attempts: 6,
  backoff: { type: 'exponential', delayMs: 1000 },
  concurrency: 4,
  keepCompleted: 200,
});

/**
 * A delayed job due when a metric reaches its warning threshold or breaches. Its id names
 * the ticket, metric, cycle, kind and due instant, so planning the same timer twice
 * schedules it once. Completed ones are kept a while so a late re-plan cannot add them again.
 */
export const slaTimerJob = defineJob({
  name: 'sla-timer',
  version: 1,
  payload: z.object({ tenantId: id, ticketId: id, dueAt: z.number().int().positive() }).strict(),
  attempts: 6,
  backoff: { type: 'exponential', delayMs: 500 },
  // More in parallel slowed each refresh down on the test server (one tenant's event counter and leases are shared).
  concurrency: 8,
  keepCompleted: 5000,
});

/** A policy or calendar of a tenant changed: every open ticket is measured again. */
export const slaReplanJob = defineJob({
  name: 'sla-replan',
  version: 1,
  payload: z.object({ tenantId: id }).strict(),
  attempts: 3,
  backoff: { type: 'fixed', delayMs: 2000 },
  concurrency: 1,
  keepCompleted: 50,
});

/** Periodic: repair timers a crash lost and refresh tickets whose trigger was lost. */
export const slaSweepJob = defineSweepJob('sla-sweep');
