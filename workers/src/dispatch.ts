import { toWire } from '@switchboard/api/events/event-log';
import type { StoredEvent } from '@switchboard/api/events/event.model';
import type { DispatchJournal, EventListener, PublishedBatch } from '@switchboard/api/events/publisher';
import type { Models } from '@switchboard/api/db/models';
import type { Logger } from '@switchboard/api/lib/logger';
import { Types } from 'mongoose';
import { jobListener } from './listeners.ts';
import { dispatchSweepJob } from './dispatch.jobs.ts';
import type { QueueRegistry } from './queues/registry.ts';

/** Batches one sweep replays at most (the next sweep takes the rest). */
export const DISPATCH_SWEEP_LIMIT = 200;

/** How long an in-flight record may stay before the sweep takes its writer for dead. */
export const IN_FLIGHT_GRACE_MS = 30_000;

/** The two halves of {@link durableDispatch}, wired into a process's publisher. */
export interface DurableDispatch {
  /** For `publisher.useJournal`: writes the owed seqs down before their events are stored. */
  journal: DispatchJournal;
  /** For `publisher.subscribe`: queues the batch's jobs, then settles what the journal wrote. */
  listener: EventListener;
}

/**
 * {@link jobListener}, made durable against both ways jobs were lost.
 *
 * - The process dies between storing events and queueing their jobs: the journal wrote an
 *   in-flight `UndispatchedBatch` before the events were stored, and nobody settles it, so
 *   the sweep queues its jobs once it is older than {@link IN_FLIGHT_GRACE_MS}.
 * - Redis is away: Bull's commands would wait in the Redis client's offline queue (and die
 *   with the process), so while Redis is known to be down, or when queueing has not finished
 *   within `pendingMs`, the record is kept with the reason and the write goes on; the sweep
 *   queues it on its next pass.
 *
 * Once the jobs are queued the record is deleted. A queueing that finishes after all, or a
 * replay of a batch that was queued, is harmless: job ids are deterministic and processors
 * idempotent. Only when MongoDB refuses too is a batch lost, and that is logged as an error.
 */
export function durableDispatch(
  registry: QueueRegistry,
  models: Pick<Models, 'UndispatchedBatch'>,
  logger: Logger,
  pendingMs = 2000,
): DurableDispatch {
  const listener = jobListener(registry);
  const journal: DispatchJournal = {
    async intend(tenantId, seqs) {
      await models.UndispatchedBatch.create([{ tenantId, seqs, inFlight: true, reason: 'in flight' }]);
    },
  };
  const ofBatch = (batch: PublishedBatch) => ({
    tenantId: new Types.ObjectId(batch.tenantId),
    seqs: { $in: batch.events.map((e) => e.seq) },
  });
  const settle = (batch: PublishedBatch) => {
    models.UndispatchedBatch.deleteMany({ ...ofBatch(batch), inFlight: true }).catch((error: unknown) =>
      // The sweep will queue these once more (harmlessly) and forget them.
      logger.warn({ err: error, tenantId: batch.tenantId }, 'could not settle the dispatch journal'),
    );
  };
  const keep = async (batch: PublishedBatch, reason: string, error?: unknown) => {
    const seqs = batch.events.map((e) => e.seq);
    try {
      const journalled = await models.UndispatchedBatch.updateMany(ofBatch(batch), {
        $set: { inFlight: false, reason: reason.slice(0, 500) },
      });
      // Published without a journal entry (a process without the journal wired): write one now.
      if (journalled.matchedCount === 0)
        await models.UndispatchedBatch.create([{ tenantId: batch.tenantId, seqs, inFlight: false, reason: reason.slice(0, 500) }]);
      logger.warn({ err: error, tenantId: batch.tenantId, seqs, reason }, 'jobs of these events are kept for the dispatch sweep');
    } catch (storeError) {
      logger.error(
        { err: storeError, cause: error, tenantId: batch.tenantId, seqs },
        'jobs of these events may be lost: neither Redis nor MongoDB took them',
      );
    }
  };
  const durable: EventListener = async (batch) => {
    if (!registry.connected()) return keep(batch, 'Redis was disconnected');
    let timer: NodeJS.Timeout | undefined;
    const queued = Promise.resolve(listener(batch)).then(
      () => 'queued' as const,
      (error: unknown) => ({ error }),
    );
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), pendingMs)));
    const outcome = await Promise.race([queued, late]);
    clearTimeout(timer);
    if (outcome === 'queued') return settle(batch);
    if (outcome === 'late') return keep(batch, `queueing took longer than ${pendingMs} ms`);
    return keep(batch, String((outcome.error as Error)?.message ?? outcome.error), outcome.error);
  };
  return { journal, listener: durable };
}

/**
 * Queues the jobs of undispatched batches, oldest first, and forgets each batch once its
 * jobs are queued: every kept batch, and every in-flight one older than `graceMs` (its
 * writer died; a younger one may still be settled by its live writer). Job ids are
 * deterministic and processors idempotent, so a batch whose jobs were partly or wholly
 * queued is harmless to replay; seqs whose events were never stored (the writer died
 * before storing them) queue nothing. Stops at the first failure (Redis still away) and
 * leaves the rest for the next sweep.
 */
export async function replayUndispatched(
  deps: { models: Pick<Models, 'UndispatchedBatch' | 'Event'>; registry: QueueRegistry },
  options: { limit?: number; graceMs?: number; now?: number } = {},
): Promise<{ replayed: number; events: number }> {
  const { models, registry } = deps;
  const { limit = DISPATCH_SWEEP_LIMIT, graceMs = IN_FLIGHT_GRACE_MS, now = Date.now() } = options;
  const listener = jobListener(registry);
  const batches = await models.UndispatchedBatch.find({
    $or: [{ inFlight: { $ne: true } }, { createdAt: { $lt: new Date(now - graceMs) } }],
  })
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
    if (result.replayed > 0) logger.info(result, 'queued the jobs of events whose dispatch was cut short (Redis away, or a process died)');
    return result;
  });
  await registry.repeat(dispatchSweepJob, deps.sweepEveryMs);
}
