import { setTimeout as sleep } from 'node:timers/promises';
import type { Domain } from '@switchboard/api/domain';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import type { SlaTimerRecord } from '@switchboard/api/sla/sla.model';
import type { SlaRefreshResult } from '@switchboard/api/sla/sla.service';
import { timerJobId } from '@switchboard/api/sla/sla-timeline';
import type { QueueRegistry } from '../queues/registry.ts';
import { slaRefreshJob, slaReplanJob, slaSweepJob, slaTimerJob } from './sla.jobs.ts';

/** What the SLA processors need. */
export interface SlaDeps {
  domain: Domain;
  registry: QueueRegistry;
  logger: Logger;
  /** How often the sweeper runs. */
  sweepEveryMs?: number;
  /** A timer this much overdue without a refresh counts as lost. */
  graceMs?: number;
}

/** What a sweep repaired. */
export interface SweepResult {
  refreshed: number;
  timersRestored: number;
}

const jobIdOf = (ticketId: string, timer: SlaTimerRecord) =>
  timerJobId(ticketId, { metric: timer.metric, kind: timer.kind, startedAt: timer.cycle, at: timer.at });

/**
 * Schedules the timers a refresh asked for (one delayed job each, deterministic id) and
 * removes the delayed jobs of timers it no longer wants. A removal that fails is harmless:
 * the stale timer fires, recomputes and finds nothing to do.
 */
export async function planTimers(registry: QueueRegistry, result: SlaRefreshResult): Promise<void> {
  const wanted = new Set<string>();
  for (const timer of result.timers) {
    const jobId = jobIdOf(result.ticketId, timer);
    wanted.add(jobId);
    await registry.enqueue(
      slaTimerJob,
      { tenantId: result.tenantId, ticketId: result.ticketId, dueAt: timer.at.getTime() },
      { jobId, delayMs: Math.max(0, timer.at.getTime() - Date.now()) },
    );
  }
  const queue = registry.queue(slaTimerJob);
  for (const old of result.previousTimers) {
    const jobId = jobIdOf(result.ticketId, old);
    if (wanted.has(jobId)) continue;
    const job = await queue.getJob(jobId);
    if (job && (await job.isDelayed())) await job.remove().catch(() => undefined);
  }
}

/**
 * Repairs what a crash can lose: refreshes tickets whose SLA state is behind the ticket or
 * whose earliest timer is overdue, and puts back timers missing from the queue.
 */
export async function sweepSla(deps: Pick<SlaDeps, 'domain' | 'registry' | 'graceMs'>): Promise<SweepResult> {
  const { domain, registry } = deps;
  const now = new Date();
  const minute = Math.floor(now.getTime() / 60_000);
  const candidates = await domain.sla.sweepCandidates(now, deps.graceMs ?? 30_000);
  for (const { tenantId, ticketId } of candidates) {
    await registry.enqueue(
      slaRefreshJob,
      { tenantId: tenantId.toHexString(), ticketId: ticketId.toHexString() },
      { jobId: `sla-sweep:${ticketId.toHexString()}:${minute}` },
    );
  }
  const queue = registry.queue(slaTimerJob);
  let restored = 0;
  const scheduled = await domain.sla.scheduledTimers();
  for (let index = 0; index < scheduled.length; index += 50) {
    await Promise.all(
      scheduled.slice(index, index + 50).flatMap(({ tenantId, ticketId, timers }) =>
        timers.map(async (timer) => {
          const jobId = jobIdOf(ticketId.toHexString(), timer);
          if (await queue.getJob(jobId)) return;
          restored += 1;
          await registry.enqueue(
            slaTimerJob,
            { tenantId: tenantId.toHexString(), ticketId: ticketId.toHexString(), dueAt: timer.at.getTime() },
            { jobId, delayMs: Math.max(0, timer.at.getTime() - Date.now()) },
          );
        }),
      ),
    );
  }
  return { refreshed: candidates.length, timersRestored: restored };
}

/**
 * Registers the SLA processors and the repeatable sweeper. Every handler recomputes from
 * timestamps: a timer that fires late, twice, or for a state that changed meanwhile only
 * leads to the state the events say; escalations are recorded so they happen once.
 */
export async function startSla(deps: SlaDeps): Promise<void> {
  const { domain, registry, logger } = deps;

  registry.process(slaRefreshJob, async ({ tenantId, ticketId }) => {
    const result = await domain.sla.refresh(oid(tenantId), oid(ticketId));
    if (!result) return { skipped: 'ticket gone' };
    await planTimers(registry, result);
    return { state: result.summary.state, timers: result.timers.length, escalated: result.escalated };
  });

  registry.process(slaTimerJob, async ({ tenantId, ticketId, dueAt }) => {
    const startedAt = Date.now();
    // A timer is never judged before its instant, even if the queue hands it over a moment early.
    if (startedAt < dueAt) await sleep(dueAt - startedAt);
    const result = await domain.sla.refresh(oid(tenantId), oid(ticketId), new Date(Math.max(Date.now(), dueAt)));
    if (result) await planTimers(registry, result);
    return { lateMs: startedAt - dueAt, state: result?.summary.state ?? null, escalated: result?.escalated ?? [] };
  });

  registry.process(slaReplanJob, async ({ tenantId }) => {
    const ids = await domain.sla.openTicketIds(oid(tenantId));
    const stamp = Date.now();
    await registry.queue(slaRefreshJob).addBulk(
      ids.map((ticketId) => ({
        data: { v: slaRefreshJob.version, data: { tenantId, ticketId: ticketId.toHexString() } },
        opts: { jobId: `sla-replan:${ticketId.toHexString()}:${stamp}` },
      })),
    );
    return { tickets: ids.length };
  });

  registry.process(slaSweepJob, async () => {
    const result = await sweepSla(deps);
    if (result.refreshed > 0 || result.timersRestored > 0) logger.info(result, 'SLA sweep repaired state');
    return result;
  });

  await registry.repeat(slaSweepJob, deps.sweepEveryMs ?? 60_000);
}
