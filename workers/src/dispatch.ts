import { toWire } from '@switchboard/api/events/event-log';
import type { StoredEvent } from '@switchboard/api/events/event.model';
import type { EventListener, PublishedBatch } from '@switchboard/api/events/publisher';
import type { Models } from '@switchboard/api/db/models';
import type { Logger } from '@switchboard/api/lib/logger';
import { jobListener } from './listeners.ts';
import { dispatchSweepJob } from './dispatch.jobs.ts';
import type { QueueRegistry } from './queues/registry.ts';

/** Batches one sweep replays at most (the next sweep takes the rest). */
export const DISPATCH_SWEEP_LIMIT = 200;

/**
 * {@link jobListener}, made durable. Bull's commands wait in the Redis client's offline
 * queue during an outage, so a write would wait for Redis (and its jobs would die with the
 * process). Instead, while Redis is known to be down, or when queueing has not finished
 * within `pendingMs`, the batch's seqs are written to MongoDB (`UndispatchedBatch`) — the
 * store that just took the events — and the write goes on; {@link replayUndispatched}
 * queues them later (a queueing that finishes after all is harmless: job ids are
 * deterministic, processors idempotent). Only when MongoDB refuses too is the batch lost,
 * and that is logged as an error.
 */
export function durableJobListener(
  registry: QueueRegistry,
  models: Pick<Models, 'UndispatchedBatch'>,
  logger: Logger,
  pendingMs = 2000,
): EventListener {
  const listener = jobListener(registry);
  const keep = async (batch: PublishedBatch, reason: string, error?: unknown) => {
    const seqs = batch.events.map((e) => e.seq);
    try {
      await models.UndispatchedBatch.create([{ tenantId: batch.tenantId, seqs, reason: reason.slice(0, 500) }]);
      logger.warn({ err: error, tenantId: batch.tenantId, seqs, reason }, 'jobs of these events are kept for the dispatch sweep');
    } catch (storeError) {
      logger.error(
        { err: storeError, cause: error, tenantId: batch.tenantId, seqs },
        'jobs of these events were lost: neither Redis nor MongoDB took them',
      );
    }
  };
  return async (batch) => {
    if (!registry.connected()) return keep(batch, 'Redis was disconnected');
    let timer: NodeJS.Timeout | undefined;
    const queued = Promise.resolve(listener(batch)).then(
      () => 'queued' as const,
      (error: unknown) => ({ error }),
    );
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), pendingMs)));
    const outcome = await Promise.race([queued, late]);
    clearTimeout(timer);
    if (outcome === 'queued') return;
    if (outcome === 'late') return keep(batch, `queueing took longer than ${pendingMs} ms`);
    return keep(batch, String((outcome.error as Error)?.message ?? outcome.error), outcome.error);
  };
}

/**
 * Queues the jobs of undispatched batches, oldest first, and forgets each batch once its
 * jobs are queued. Job ids are deterministic and processors idempotent, so a batch whose
 * jobs were partly queued before the failure is harmless to replay. Stops at the first
 * failure (Redis still away) and leaves the rest for the next sweep.
 */
export async function replayUndispatched(
  deps: { models: Pick<Models, 'UndispatchedBatch' | 'Event'>; registry: QueueRegistry },
  limit = DISPATCH_SWEEP_LIMIT,
): Promise<{ replayed: number; events: number }> {
  const { models, registry } = deps;
  const listener = jobListener(registry);
  const batches = await models.UndispatchedBatch.find({})
    .sort({ createdAt: 1, _id: 1 })
    .limit(limit)
    .setOptions({ crossTenant: true })
    .lean();
  let events = 0;
  for (const batch of batches) {
    const stored = await models.Event.find({ tenantId: batch.tenantId, seq: { $in: batch.seqs } })
      .sort({ seq: 1 })
      .lean<StoredEvent[]>();
    if (stored.length > 0) await listener({ tenantId: batch.tenantId.toHexString(), events: stored.map(toWire) });
    await models.UndispatchedBatch.deleteOne({ tenantId: batch.tenantId, _id: batch._id });
    events += stored.length;
  }
  return { replayed: batches.length, events };
}

/** Registers the sweep that replays undispatched batches, every `sweepEveryMs`. */
export async function startDispatchSweep(deps: {
  models: Pick<Models, 'UndispatchedBatch' | 'Event'>;
  registry: QueueRegistry;
  logger: Logger;
  sweepEveryMs: number;
}): Promise<void> {
  const { registry, logger } = deps;
  registry.process(dispatchSweepJob, async () => {
    const result = await replayUndispatched(deps);
    if (result.replayed > 0) logger.info(result, 'queued the jobs of events published while Redis was away');
    return result;
  });
  await registry.repeat(dispatchSweepJob, deps.sweepEveryMs);
}
