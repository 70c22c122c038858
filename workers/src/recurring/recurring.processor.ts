import type { Domain } from '@switchboard/api/domain';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import type { QueueRegistry } from '../queues/registry.ts';
import { recurringOpenJob, recurringSweepJob } from './recurring.jobs.ts';

/** Occurrences of one schedule handed out per sweep (a long outage catches up over a few sweeps). */
const MAX_PER_SWEEP = 10;
/** Schedules looked at per sweep. */
const SCHEDULES_PER_SWEEP = 200;

/** What the recurring-ticket processors need. */
export interface RecurringDeps {
  domain: Domain;
  registry: QueueRegistry;
  logger: Logger;
  /** How often the sweep runs. */
  sweepEveryMs: number;
}

/**
 * One sweep: every due occurrence becomes a `recurring-open` job with a deterministic id,
 * then the schedule's next occurrence moves on. Running it twice, or in two workers at
 * once, is harmless: the job id and the occurrence's unique index keep each occurrence to
 * one ticket.
 */
export async function sweepRecurring(
  domain: Domain,
  registry: QueueRegistry,
  now = new Date(),
): Promise<{ schedules: number; occurrences: number }> {
  let occurrences = 0;
  const due = await domain.recurring.due(now, SCHEDULES_PER_SWEEP);
  for (const schedule of due) {
    const plan = domain.recurring.plan(schedule, now, MAX_PER_SWEEP);
    for (const at of plan.occurrences) {
      await registry.enqueue(
        recurringOpenJob,
        { tenantId: schedule.tenantId.toHexString(), scheduleId: schedule._id.toHexString(), at: at.getTime() },
        { jobId: `recurring:${schedule._id.toHexString()}:${at.getTime()}` },
      );
      occurrences++;
    }
    await domain.recurring.advance(schedule, plan.next);
  }
  return { schedules: due.length, occurrences };
}

/** Registers the sweep (repeating) and the processor that opens each occurrence's ticket. */
export async function registerRecurringProcessors(deps: RecurringDeps): Promise<void> {
  const { domain, registry, logger } = deps;
  registry.process(recurringSweepJob, async () => sweepRecurring(domain, registry));
  registry.process(recurringOpenJob, async ({ tenantId, scheduleId, at }) => {
    const result = await domain.recurring.open(oid(tenantId), oid(scheduleId), new Date(at));
    if (result?.created)
      logger.info({ tenantId, scheduleId, at: new Date(at).toISOString(), ticketId: result.ticketId }, 'recurring ticket opened');
    return result ?? { skipped: 'schedule removed or turned off' };
  });
  await registry.repeat(recurringSweepJob, deps.sweepEveryMs);
}
