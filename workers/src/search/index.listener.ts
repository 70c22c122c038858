import type { DomainEvent } from '@switchboard/api/events/event-types';
import type { PublishedBatch } from '@switchboard/api/events/publisher';
import type { QueueRegistry } from '../queues/registry.ts';
import { indexJob } from './index.jobs.ts';

/** How long changes of one tenant gather before their sync runs (one batch per burst). */
export const INDEX_DEBOUNCE_MS = 250;

/** Ticket events that change what the index holds (SLA and time events do not). */
const TICKET_EVENTS = new Set([
  'ticket.created',
  'ticket.updated',
  'ticket.status_changed',
  'ticket.assigned',
  'ticket.merged',
  'ticket.categorized',
  'entry.added',
]);

/** Redis hash of a tenant's pending documents: field `<kind>:<id>`, value a token of the latest change. */
export function pendingKey(registry: QueueRegistry, tenantId: string): string {
  return registry.queue(indexJob).toKey(`pending:${tenantId}`);
}

/** Redis counter that names a tenant's next sync job; a running sync moves it on. */
export function generationKey(registry: QueueRegistry, tenantId: string): string {
  return registry.queue(indexJob).toKey(`generation:${tenantId}`);
}

/** The documents (`ticket:<id>`, `article:<id>`) an event changes. */
export function documentsOf(event: DomainEvent): string[] {
  const data = event.data as Record<string, unknown>;
  if (TICKET_EVENTS.has(event.type) && event.ticketId) {
    // A merge changes the target's conversation too.
    return typeof data.into === 'string' ? [`ticket:${event.ticketId}`, `ticket:${data.into}`] : [`ticket:${event.ticketId}`];
  }
  if (event.type.startsWith('article.') && typeof data.articleId === 'string') return [`article:${data.articleId}`];
  return [];
}

/**
 * Marks documents of a tenant as pending and makes sure a sync job will pick them up.
 * The job id is the tenant's current generation: while a job of that generation waits,
 * further marks join it; once it has started (and moved the generation on), the next
 * mark creates the next job. The value of each field is a token of the latest change,
 * so a running sync only clears fields that did not change while it read MongoDB.
 */
export async function markPending(
  registry: QueueRegistry,
  tenantId: string,
  documents: ReadonlyMap<string, string>,
  delayMs = INDEX_DEBOUNCE_MS,
): Promise<void> {
  if (documents.size === 0) return;
  const redis = registry.queue(indexJob).client;
  await redis.hset(pendingKey(registry, tenantId), Object.fromEntries(documents));
  const generation = (await redis.get(generationKey(registry, tenantId))) ?? '0';
  await registry.enqueue(indexJob, { op: 'sync', tenantId }, { jobId: `index:${tenantId}:${generation}`, delayMs });
}

/** The search-indexing listener: every change of a ticket, its conversation or an article marks it pending. */
export async function enqueueIndexJobs(registry: QueueRegistry, batch: PublishedBatch): Promise<void> {
  const documents = new Map<string, string>();
  for (const event of batch.events) for (const document of documentsOf(event)) documents.set(document, String(event.seq));
  await markPending(registry, batch.tenantId, documents);
}
