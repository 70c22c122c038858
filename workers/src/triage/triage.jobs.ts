import { z } from 'zod';
import { defineJob, defineSweepJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/** Classify a new ticket (category, language, urgency, duplicates). Deterministic id per ticket. */
export const classifyJob = defineJob({
  name: 'classify',
  version: 1,
  payload: z.object({ tenantId: id, ticketId: id }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 2000 },
  concurrency: 1,
});

/** Assign waiting tickets of a tenant to agents with room (drain the team queues). */
export const routeJob = defineJob({
  name: 'route',
  version: 1,
  payload: z.object({ tenantId: id }).strict(),
  attempts: 3,
  backoff: { type: 'fixed', delayMs: 1000 },
  concurrency: 2,
  keepCompleted: 100,
});

/**
 * Periodic: find tenants with waiting tickets (agents came online, a crash lost a trigger),
 * and queue classification again for tickets whose classify job was lost.
 */
export const routeSweepJob = defineSweepJob('route-sweep');

/** An agent set a category (a labelled example), or a ticket was closed. */
export const triageFeedbackJob = defineJob({
  name: 'triage-feedback',
  version: 1,
  payload: z.object({ tenantId: id, ticketId: id, categoryId: id.nullable().optional(), closed: z.boolean().optional() }).strict(),
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 1000 },
  concurrency: 2,
});
