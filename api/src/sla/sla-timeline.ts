import type { TicketStatus } from '../tickets/ticket-status.ts';
import { SLA_METRICS, type SlaMetric, type SlaMetricState, type SlaState, type SlaTimer } from './sla-clock.ts';
import type { SlaEvent, SlaTimeline } from './sla.schema.ts';

/** The stored events a timeline is built from (the subset of `StoredEvent` it reads). */
export interface TimelineEvent {
  type: string;
  at: Date;
  data: Record<string, unknown>;
}

/** Event types that move SLA clocks; the SLA engine recomputes a ticket after any of them. */
export const SLA_TIMELINE_EVENT_TYPES = ['ticket.created', 'ticket.status_changed', 'ticket.merged', 'entry.added'] as const;

function entryAt(data: Record<string, unknown>, fallback: Date): Date {
  const created = (data.entry as { createdAt?: unknown } | undefined)?.createdAt;
  const at = typeof created === 'string' ? new Date(created) : fallback;
  return Number.isFinite(at.getTime()) ? at : fallback;
}

/**
 * A ticket's SLA timeline from its stored events, in log order: status changes (a merge
 * closes), public agent replies and customer messages. Internal notes and system entries
 * never move a clock. The first status is the one the ticket was created with.
 */
export function timelineFromEvents(createdAt: Date, events: readonly TimelineEvent[]): SlaTimeline {
  let initialStatus: TicketStatus | undefined;
  const timeline: SlaEvent[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'ticket.created':
        initialStatus = (event.data.ticket as { status?: TicketStatus } | undefined)?.status ?? initialStatus;
        break;
      case 'ticket.status_changed':
        timeline.push({ type: 'status_changed', at: event.at, status: event.data.to as TicketStatus });
        break;
      case 'ticket.merged':
        timeline.push({ type: 'status_changed', at: event.at, status: 'closed' });
        break;
      case 'entry.added': {
        const kind = (event.data.entry as { kind?: string } | undefined)?.kind;
        if (kind === 'reply') timeline.push({ type: 'agent_replied', at: entryAt(event.data, event.at) });
        if (kind === 'message') timeline.push({ type: 'customer_messaged', at: entryAt(event.data, event.at) });
        break;
      }
      default:
        break;
    }
  }
  return { createdAt, ...(initialStatus ? { initialStatus } : {}), events: timeline };
}

/** The SLA summary kept on a ticket for queues and boards. */
export interface SlaSummary {
  state: 'ok' | 'warning' | 'breached' | 'paused' | null;
  firstResponseDueAt: Date | null;
  nextResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  /** The latest breach of any metric (a breach "today" counts on boards). */
  breachedAt: Date | null;
}

/** A summary with nothing running (no policy applies). */
export const NO_SLA: SlaSummary = {
  state: null,
  firstResponseDueAt: null,
  nextResponseDueAt: null,
  resolutionDueAt: null,
  breachedAt: null,
};

function isOpen(metric: SlaMetricState | null): metric is SlaMetricState {
  return !!metric && metric.achievedAt === null;
}

/**
 * The ticket summary of a state: due instants of the metrics still awaited (null while
 * paused or met), and one word for the whole ticket, the worst of its open metrics.
 */
export function summarize(state: SlaState): SlaSummary {
  const all = [state.metrics.firstResponse, state.metrics.resolution, ...state.nextResponseCycles];
  const open = [state.metrics.firstResponse, state.metrics.nextResponse, state.metrics.resolution].filter(isOpen);
  const rank = (status: SlaMetricState['status']) => ({ breached: 4, warning: 3, active: 2, paused: 1, achieved: 0 })[status];
  const worst = open.reduce<SlaMetricState | null>((top, metric) => (!top || rank(metric.status) > rank(top.status) ? metric : top), null);
  const word: Record<SlaMetricState['status'], SlaSummary['state']> = {
    breached: 'breached',
    warning: 'warning',
    active: 'ok',
    paused: 'paused',
    achieved: null,
  };
  const breaches = all.flatMap((metric) => (metric?.breachedAt ? [metric.breachedAt.getTime()] : []));
  const due = (metric: SlaMetricState | null) => (isOpen(metric) ? metric.dueAt : null);
  return {
    state: worst ? word[worst.status] : null,
    firstResponseDueAt: due(state.metrics.firstResponse),
    nextResponseDueAt: due(state.metrics.nextResponse),
    resolutionDueAt: due(state.metrics.resolution),
    breachedAt: breaches.length > 0 ? new Date(Math.max(...breaches)) : null,
  };
}

/** True when two summaries say the same. */
export function sameSummary(a: SlaSummary, b: SlaSummary): boolean {
  const ms = (date: Date | null) => (date ? date.getTime() : null);
  return (
    a.state === b.state &&
    ms(a.firstResponseDueAt) === ms(b.firstResponseDueAt) &&
    ms(a.nextResponseDueAt) === ms(b.nextResponseDueAt) &&
    ms(a.resolutionDueAt) === ms(b.resolutionDueAt) &&
    ms(a.breachedAt) === ms(b.breachedAt)
  );
}

/** The nearest due instant among open metrics (boards count down to it), with its metric. */
export function nearestDue(summary: SlaSummary): { at: Date; metric: SlaMetric } | null {
  const candidates: Array<[SlaMetric, Date | null]> = [
    ['firstResponse', summary.firstResponseDueAt],
    ['nextResponse', summary.nextResponseDueAt],
    ['resolution', summary.resolutionDueAt],
  ];
  let best: { at: Date; metric: SlaMetric } | null = null;
  for (const [metric, at] of candidates) if (at && (!best || at < best.at)) best = { at, metric };
  return best;
}

/** An escalation a state calls for now: a running metric past its warning threshold, or an open metric past due. */
export interface DueEscalation {
  key: string;
  metric: SlaMetric;
  kind: 'warning' | 'breach';
  cycle: Date;
  dueAt: Date | null;
}

/** Key of one escalation of one metric cycle. */
export function escalationKey(kind: 'warning' | 'breach', metric: SlaMetric, cycle: Date): string {
  return `${kind}:${metric}:${cycle.getTime()}`;
}

/**
 * What must be escalated at `state.now`. A warning only while the metric is still running
 * in its warning zone (a warning missed while the system was down and since overtaken by a
 * breach or an answer is not raised late); a breach while the metric is still awaited.
 */
export function dueEscalations(state: SlaState): DueEscalation[] {
  const metrics = [state.metrics.firstResponse, state.metrics.resolution, ...state.nextResponseCycles].filter(isOpen);
  const due: DueEscalation[] = [];
  for (const metric of metrics) {
    const kind = metric.status === 'warning' ? 'warning' : metric.status === 'breached' ? 'breach' : null;
    if (kind)
      due.push({
        key: escalationKey(kind, metric.metric, metric.startedAt),
        metric: metric.metric,
        kind,
        cycle: metric.startedAt,
        dueAt: metric.dueAt,
      });
  }
  return due.sort((a, b) => SLA_METRICS.indexOf(a.metric) - SLA_METRICS.indexOf(b.metric));
}

/** A finished metric cycle: met in time, or breached (a breach stays a breach when answered late). */
export interface MetricOutcome {
  key: string;
  metric: SlaMetric;
  outcome: 'met' | 'breached';
  at: Date;
}

/** Outcomes of every metric cycle that has one at `state.now`. */
export function outcomes(state: SlaState): MetricOutcome[] {
  const metrics = [state.metrics.firstResponse, state.metrics.resolution, ...state.nextResponseCycles].filter(
    (m): m is SlaMetricState => !!m,
  );
  const done: MetricOutcome[] = [];
  for (const metric of metrics) {
    const key = `${metric.metric}:${metric.startedAt.getTime()}`;
    if (metric.breachedAt) done.push({ key, metric: metric.metric, outcome: 'breached', at: metric.breachedAt });
    else if (metric.achievedAt) done.push({ key, metric: metric.metric, outcome: 'met', at: metric.achievedAt });
  }
  return done;
}

/** Job id of a timer: the same timer always gets the same id, so planning twice schedules once. */
export function timerJobId(ticketId: string, timer: Pick<SlaTimer, 'metric' | 'kind' | 'startedAt' | 'at'>): string {
  return `sla:${ticketId}:${timer.metric}:${timer.startedAt.getTime()}:${timer.kind}:${timer.at.getTime()}`;
}
