import { AppError } from '../lib/errors.ts';
import type { TicketStatus } from '../tickets/ticket-status.ts';
import { addBusinessMs, businessMsBetween, MINUTE_MS } from './business-calendar.ts';
import {
  DONE_STATUSES,
  type BusinessCalendar,
  type SlaEvent,
  type SlaPolicy,
  type SlaTicketAttributes,
  type SlaTimeline,
} from './sla.schema.ts';

/** The measured SLA metrics, named like the keys of a policy's `targetMinutes`. */
export const SLA_METRICS = ['firstResponse', 'nextResponse', 'resolution'] as const;
/** One of {@link SLA_METRICS}. */
export type SlaMetric = (typeof SLA_METRICS)[number];

/**
 * Where a metric stands. `breached` and `achieved` are outcomes and stay once reached
 * (a breached metric that is later met keeps `breached` and gains `achievedAt`);
 * `paused` is an open metric whose clock is stopped; `warning` an open running one past
 * the policy's warning threshold; `active` any other open running one.
 */
export type SlaMetricStatus = 'active' | 'warning' | 'paused' | 'achieved' | 'breached';

/** The state of one metric (for next response: of one cycle) at `now`. */
export interface SlaMetricState {
  metric: SlaMetric;
  status: SlaMetricStatus;
  /** When this metric's clock started: creation, or the customer message opening a next-response cycle. */
  startedAt: Date;
  /** Target in business minutes: the policy's in force now, frozen once the metric is achieved or breached. */
  targetMinutes: number;
  /** Business minutes counted so far (paused time excluded), to the millisecond. */
  elapsedMinutes: number;
  /** `targetMinutes - elapsedMinutes`; negative once overdue. */
  remainingMinutes: number;
  /** When the warning threshold was (or, running, will be) reached; null if it was not and cannot be foreseen. */
  warningAt: Date | null;
  /**
   * When the target falls due: projected from now while running, the breach instant once
   * breached, the projection at the moment of achievement once achieved; null while paused.
   */
  dueAt: Date | null;
  breachedAt: Date | null;
  achievedAt: Date | null;
}

/** The SLA state of a ticket at `now`. A metric is null when no target applies to it (or no next-response cycle has started). */
export interface SlaState {
  now: Date;
  /** The policy in force at `now`. */
  policyId: string;
  ticketStatus: TicketStatus;
  metrics: Record<SlaMetric, SlaMetricState | null>;
  /** Every next-response cycle with a target, oldest first; the last one is `metrics.nextResponse`. */
  nextResponseCycles: SlaMetricState[];
}

/** A policy in force from `from` until the next entry's `from`, with the calendar its `calendarId` names. */
export interface SlaPolicyPeriod {
  from: Date;
  policy: SlaPolicy;
  calendar: BusinessCalendar;
}

/** Everything the state is computed from; `now` is always passed in, never read from a clock. */
export interface SlaStateInput {
  timeline: SlaTimeline;
  /** At least one entry. The earliest entry in force at creation also covers any time before its `from`. */
  policies: readonly SlaPolicyPeriod[];
  now: Date;
}

/** A future instant at which a metric will reach its warning threshold or breach, unless something changes first. */
export interface SlaTimer {
  metric: SlaMetric;
  kind: 'warning' | 'breach';
  at: Date;
  /** Start of the metric's cycle, to tell next-response cycles apart in job ids. */
  startedAt: Date;
}

interface Cycle {
  metric: SlaMetric;
  startedAt: number;
  elapsedMs: number;
  open: boolean;
  /** The target in force while open and not breached; frozen afterwards; undefined when the policy sets none. */
  targetMs: number | undefined;
  warningAt: number | null;
  breachedAt: number | null;
  achievedAt: number | null;
  /** Due instant recorded when the cycle was closed. */
  closedDueAt: number | null;
}

interface Clock {
  status: TicketStatus;
  period: SlaPolicyPeriod;
  firstResponse: Cycle;
  resolution: Cycle;
  nextResponse: Cycle[];
}

function conditionMatches<T>(allowed: readonly T[], value: T | null | undefined): boolean {
  return allowed.length === 0 || (value !== null && value !== undefined && allowed.includes(value));
}

/**
 * The policy that applies to a ticket: the first, by ascending `order` then `id`, whose
 * conditions all match (an empty condition list matches anything). Null when none matches.
 */
export function matchSlaPolicy<P extends SlaPolicy>(policies: readonly P[], ticket: SlaTicketAttributes): P | null {
  const ordered = [...policies].sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (
    ordered.find(
      ({ conditions }) =>
        conditionMatches(conditions.priorities, ticket.priority) &&
        conditionMatches(conditions.channels, ticket.channel) &&
        conditionMatches(conditions.organisationIds, ticket.organisationId) &&
        conditionMatches(conditions.categoryIds, ticket.categoryId),
    ) ?? null
  );
}

function instant(value: Date, name: string): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new AppError('validation_failed', `${name} is not a valid date`);
  return ms;
}

function targetOf(policy: SlaPolicy, metric: SlaMetric): number | undefined {
  const minutes = policy.targetMinutes[metric];
  return minutes === undefined ? undefined : minutes * MINUTE_MS;
}

function warningOf(policy: SlaPolicy, targetMs: number): number {
  return Math.round((targetMs * policy.warningThresholdPercent) / 100);
}

function openCycle(policy: SlaPolicy, metric: SlaMetric, at: number): Cycle {
  return {
    metric,
    startedAt: at,
    elapsedMs: 0,
    open: true,
    targetMs: targetOf(policy, metric),
    warningAt: null,
    breachedAt: null,
    achievedAt: null,
    closedDueAt: null,
  };
}

function cyclesOf(clock: Clock): Cycle[] {
  return [clock.firstResponse, clock.resolution, ...clock.nextResponse];
}

function isDone(status: TicketStatus): boolean {
  return DONE_STATUSES.includes(status);
}

function isRunning(clock: Clock, cycle: Cycle): boolean {
  return cycle.open && !isDone(clock.status) && !clock.period.policy.pauseStatuses.includes(clock.status);
}

/** Counts business time in [from, to) for running cycles, recording warning and breach instants strictly inside it. */
function advance(clock: Clock, from: number, to: number): void {
  if (to <= from) return;
  const { calendar, policy } = clock.period;
  let span: number | undefined;
  for (const cycle of cyclesOf(clock)) {
    if (!isRunning(clock, cycle)) continue;
    span ??= businessMsBetween(calendar, from, to);
    if (cycle.targetMs !== undefined && cycle.breachedAt === null) {
      const thresholds: Array<['warningAt' | 'breachedAt', number]> = [
        ['warningAt', warningOf(policy, cycle.targetMs)],
        ['breachedAt', cycle.targetMs],
      ];
      for (const [field, threshold] of thresholds) {
        if (cycle[field] !== null || cycle.elapsedMs >= threshold || cycle.elapsedMs + span < threshold) continue;
        const crossedAt = addBusinessMs(calendar, from, threshold - cycle.elapsedMs);
        // A crossing exactly at `to` is judged after the events at `to` (a reply on the due instant is in time).
        if (crossedAt < to) cycle[field] = crossedAt;
      }
    }
    cycle.elapsedMs += span;
  }
}

/** Judges open cycles at instant `at`, after the events at `at` were applied. */
function judge(clock: Clock, at: number): void {
  for (const cycle of cyclesOf(clock)) {
    if (!cycle.open || cycle.targetMs === undefined || cycle.breachedAt !== null) continue;
    if (cycle.elapsedMs >= cycle.targetMs) {
      cycle.breachedAt = at;
      cycle.warningAt ??= at;
      continue;
    }
    const reachedWarning = cycle.elapsedMs >= warningOf(clock.period.policy, cycle.targetMs);
    if (reachedWarning) cycle.warningAt ??= at;
    // A new policy with a longer target can take a cycle back out of its warning.
    else cycle.warningAt = null;
  }
}

function close(clock: Clock, cycle: Cycle, at: number): void {
  if (!cycle.open) return;
  cycle.open = false;
  cycle.achievedAt = at;
  if (cycle.targetMs === undefined) return;
  // Met when the elapsed time at the response is within the target, the due instant included.
  if (cycle.breachedAt === null && cycle.elapsedMs > cycle.targetMs) cycle.breachedAt = at;
  cycle.closedDueAt = cycle.breachedAt ?? addBusinessMs(clock.period.calendar, at, cycle.targetMs - cycle.elapsedMs);
}

function applyPolicy(clock: Clock, period: SlaPolicyPeriod): void {
  clock.period = period;
  for (const cycle of cyclesOf(clock)) {
    if (cycle.open && cycle.breachedAt === null) cycle.targetMs = targetOf(period.policy, cycle.metric);
  }
}

function applyEvent(clock: Clock, event: SlaEvent, at: number): void {
  const lastNext = clock.nextResponse.at(-1);
  switch (event.type) {
    case 'status_changed': {
      const wasDone = isDone(clock.status);
      clock.status = event.status;
      if (!wasDone && isDone(event.status)) {
        for (const cycle of cyclesOf(clock)) close(clock, cycle, at);
      } else if (wasDone && !isDone(event.status)) {
        const { resolution } = clock;
        resolution.open = true;
        resolution.achievedAt = null;
        resolution.closedDueAt = null;
        if (resolution.breachedAt === null) resolution.targetMs = targetOf(clock.period.policy, 'resolution');
      }
      return;
    }
    case 'agent_replied':
      close(clock, clock.firstResponse, at);
      if (lastNext) close(clock, lastNext, at);
      return;
    case 'customer_messaged':
      // Closed is terminal: a follow-up becomes a new ticket with its own SLA.
      if (clock.status === 'closed' || clock.firstResponse.open || lastNext?.open) return;
      clock.nextResponse.push(openCycle(clock.period.policy, 'nextResponse', at));
      return;
  }
}

function statusOf(cycle: Cycle, running: boolean): SlaMetricStatus {
  if (cycle.breachedAt !== null) return 'breached';
  if (!cycle.open) return 'achieved';
  if (!running) return 'paused';
  return cycle.warningAt === null ? 'active' : 'warning';
}

function report(clock: Clock, cycle: Cycle, now: number): SlaMetricState | null {
  if (cycle.targetMs === undefined) return null;
  const running = isRunning(clock, cycle);
  const { calendar, policy } = clock.period;
  let dueAt: number | null;
  let warningAt = cycle.warningAt;
  if (!cycle.open) dueAt = cycle.closedDueAt;
  else if (cycle.breachedAt !== null) dueAt = cycle.breachedAt;
  else if (running) {
    dueAt = addBusinessMs(calendar, now, cycle.targetMs - cycle.elapsedMs);
    warningAt ??= addBusinessMs(calendar, now, warningOf(policy, cycle.targetMs) - cycle.elapsedMs);
  } else dueAt = null;
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    metric: cycle.metric,
    status: statusOf(cycle, running),
    startedAt: new Date(cycle.startedAt),
    targetMinutes: cycle.targetMs / MINUTE_MS,
    elapsedMinutes: cycle.elapsedMs / MINUTE_MS,
    remainingMinutes: (cycle.targetMs - cycle.elapsedMs) / MINUTE_MS,
    warningAt: date(warningAt),
    dueAt: date(dueAt),
    breachedAt: date(cycle.breachedAt),
    achievedAt: date(cycle.achievedAt),
  };
}

type Step = { at: number; rank: 0; period: SlaPolicyPeriod } | { at: number; rank: 1; event: SlaEvent };

/**
 * The SLA state of a ticket at `now`, replayed from its timeline. Every figure derives
 * from timestamps, so the result is the same whenever it is computed. In short (README.md
 * has the full rules): clocks run in business time while the ticket is not in a pause
 * status nor solved/closed; first response is met by the first public agent reply;
 * a next-response cycle opens on a customer message once no response is awaited and
 * is met by the next public agent reply; resolution is met by solving, and a reopen
 * resumes it with its elapsed time. Solving also meets any awaited response. A policy
 * change applies from its instant: elapsed time is kept, the new targets and pause
 * statuses apply to open metrics, and time counts in the new calendar.
 * Events after `now` are ignored; events before creation count as at creation.
 */
export function computeSlaState(input: SlaStateInput): SlaState {
  const created = instant(input.timeline.createdAt, 'createdAt');
  const now = instant(input.now, 'now');
  if (now < created)
    throw new AppError('validation_failed', 'now is before the ticket was created', {
      createdAt: input.timeline.createdAt,
      now: input.now,
    });
  if (input.policies.length === 0) throw new AppError('validation_failed', 'an SLA state needs the policy in force (policies is empty)');

  const periods = input.policies
    .map((period, index) => ({ period, at: instant(period.from, `policies[${index}].from`) }))
    .sort((a, b) => a.at - b.at);
  const initial = periods.filter(({ at }) => at <= created).at(-1) ?? (periods[0] as (typeof periods)[number]);
  const steps: Step[] = [
    ...periods
      .filter((entry) => entry !== initial && entry.at > created && entry.at <= now)
      .map(({ period, at }) => ({ at, rank: 0 as const, period })),
    ...input.timeline.events
      .map((event, index) => ({ at: Math.max(created, instant(event.at, `events[${index}].at`)), rank: 1 as const, event }))
      .filter(({ at }) => at <= now),
  ].sort((a, b) => a.at - b.at || a.rank - b.rank);

  const { policy } = initial.period;
  const clock: Clock = {
    status: 'new',
    period: initial.period,
    firstResponse: openCycle(policy, 'firstResponse', created),
    resolution: openCycle(policy, 'resolution', created),
    nextResponse: [],
  };
  applyEvent(clock, { type: 'status_changed', at: input.timeline.createdAt, status: input.timeline.initialStatus ?? 'new' }, created);

  let cursor = created;
  let index = 0;
  while (index < steps.length) {
    const at = (steps[index] as Step).at;
    advance(clock, cursor, at);
    cursor = at;
    for (; index < steps.length && (steps[index] as Step).at === at; index += 1) {
      const step = steps[index] as Step;
      if (step.rank === 0) applyPolicy(clock, step.period);
      else applyEvent(clock, step.event, at);
    }
    judge(clock, at);
  }
  advance(clock, cursor, now);
  judge(clock, now);

  const nextResponseCycles = clock.nextResponse.map((cycle) => report(clock, cycle, now)).filter((state) => state !== null);
  return {
    now: new Date(now),
    policyId: clock.period.policy.id,
    ticketStatus: clock.status,
    metrics: {
      firstResponse: report(clock, clock.firstResponse, now),
      nextResponse: nextResponseCycles.at(-1) ?? null,
      resolution: report(clock, clock.resolution, now),
    },
    nextResponseCycles,
  };
}

/**
 * The coming instants (after `state.now`) at which a running metric reaches its warning
 * threshold or breaches, earliest first. The timer layer schedules one delayed job per
 * entry and, when a job fires, recomputes the state from the timeline: the job's own
 * run time never enters a figure. Paused and finished metrics have no timers; a change
 * to the ticket means computing the state and the timers again.
 */
export function nextTimers(state: SlaState): SlaTimer[] {
  const now = state.now.getTime();
  const timers: SlaTimer[] = [];
  const metrics = [state.metrics.firstResponse, state.metrics.resolution, ...state.nextResponseCycles];
  for (const metric of metrics) {
    if (!metric || (metric.status !== 'active' && metric.status !== 'warning')) continue;
    if (metric.status === 'active' && metric.warningAt && metric.warningAt.getTime() > now) {
      timers.push({ metric: metric.metric, kind: 'warning', at: metric.warningAt, startedAt: metric.startedAt });
    }
    if (metric.dueAt && metric.dueAt.getTime() > now) {
      timers.push({ metric: metric.metric, kind: 'breach', at: metric.dueAt, startedAt: metric.startedAt });
    }
  }
  return timers.sort((a, b) => a.at.getTime() - b.at.getTime() || SLA_METRICS.indexOf(a.metric) - SLA_METRICS.indexOf(b.metric));
}
