import type { EventListener } from '@switchboard/api/events/publisher';
import type { QueueRegistry } from './queues/registry.ts';
import { enqueueRoute } from './triage/triage.processor.ts';
import { classifyJob, triageFeedbackJob } from './triage/triage.jobs.ts';
import { enqueueSlaJobs } from './sla/sla.listener.ts';
import { enqueueIndexJobs } from './search/index.listener.ts';
import { enqueueChannelJobs } from './channels.ts';

/**
 * Turns domain events into jobs, in whatever process produced them (api, hub, workers).
 * One listener per concern; deterministic job ids make a replayed event harmless.
 */
export function jobListener(registry: QueueRegistry): EventListener {
  return async (batch) => {
    await enqueueSlaJobs(registry, batch);
    await enqueueIndexJobs(registry, batch);
    await enqueueChannelJobs(registry, batch);
    const tenantId = batch.tenantId;
    for (const event of batch.events) {
      const ticketId = event.ticketId;
      if (!ticketId) continue;
      const data = event.data as Record<string, unknown>;
      switch (event.type) {
        case 'ticket.created':
          await registry.enqueue(classifyJob, { tenantId, ticketId }, { jobId: `classify:${ticketId}` });
          break;
        case 'ticket.categorized':
          await enqueueRoute(registry, tenantId);
          break;
        case 'ticket.assigned': {
          const to = data.to as { assigneeId: string | null; teamId: string | null };
          const from = data.from as { assigneeId: string | null; teamId: string | null };
          // Someone gave work back or moved it to another team: capacity or queues changed.
          if (to.assigneeId === null || to.teamId !== from.teamId || from.assigneeId !== null) await enqueueRoute(registry, tenantId);
          break;
        }
        case 'ticket.status_changed': {
          const to = data.to as string;
          if (to === 'solved' || to === 'closed') {
            await enqueueRoute(registry, tenantId);
            if (to === 'closed')
              await registry.enqueue(triageFeedbackJob, { tenantId, ticketId, closed: true }, { jobId: `closed:${ticketId}` });
          }
          break;
        }
        case 'ticket.merged':
          await registry.enqueue(triageFeedbackJob, { tenantId, ticketId, closed: true }, { jobId: `closed:${ticketId}` });
          break;
        case 'ticket.updated': {
          const change = (data.changes as Record<string, { to: unknown }> | undefined)?.categoryId;
          if (change && event.actor.kind === 'user') {
            await registry.enqueue(
              triageFeedbackJob,
              { tenantId, ticketId, categoryId: (change.to as string | null) ?? null },
              { jobId: `label:${ticketId}:${event.seq}` },
            );
          }
          break;
        }
        default:
          break;
      }
    }
  };
}
