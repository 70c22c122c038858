import type { DomainEvent } from '@switchboard/api/events/event-types';
import type { PublishedBatch } from '@switchboard/api/events/publisher';
import type { QueueRegistry } from '../queues/registry.ts';
import { slaRefreshJob, slaReplanJob } from './sla.jobs.ts';

/** Whether an event can move a ticket's SLA clocks or change which policy applies. */
export function movesSla(event: DomainEvent): boolean {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'ticket.created':
    case 'ticket.status_changed':
    case 'ticket.merged':
      return true;
    case 'entry.added': {
      const kind = (data.entry as { kind?: string } | undefined)?.kind;
      return kind === 'message' || kind === 'reply';
    }
    case 'ticket.updated': {
      const changes = (data.changes ?? {}) as Record<string, unknown>;
      return 'priority' in changes || 'categoryId' in changes;
    }
    case 'ticket.categorized':
      return typeof data.categoryId === 'string';
    default:
      return false;
  }
}

/**
 * Enqueues SLA work for a batch: one refresh per ticket whose clocks the batch may move (a
 * new ticket's `ticket.created` and first message are one refresh), a re-plan per
 * configuration change. Job ids carry the event's `seq`, so a replayed batch queues nothing.
 */
export async function enqueueSlaJobs(registry: QueueRegistry, batch: PublishedBatch): Promise<void> {
  const { tenantId } = batch;
  const lastSeqOf = new Map<string, number>();
  for (const event of batch.events) {
    if (event.type === 'sla_policy.changed') {
      await registry.enqueue(slaReplanJob, { tenantId }, { jobId: `sla-replan:${tenantId}:${event.seq}` });
    } else if (event.ticketId && movesSla(event)) {
      lastSeqOf.set(event.ticketId, Math.max(event.seq, lastSeqOf.get(event.ticketId) ?? 0));
    }
  }
  for (const [ticketId, seq] of lastSeqOf) {
    await registry.enqueue(slaRefreshJob, { tenantId, ticketId }, { jobId: `sla-refresh:${tenantId}:${seq}` });
  }
}
