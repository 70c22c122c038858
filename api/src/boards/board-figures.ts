import { DateTime } from 'luxon';
import { median } from '../lib/stats.ts';
import { ACTIVE_STATUSES } from '../tickets/ticket-status.ts';
import type { BoardRow } from './board-rows.ts';
import type { BoardFigures } from './board.schema.ts';

/** What the figures are computed for. */
export interface FiguresInput {
  rows: Iterable<readonly [string, BoardRow]>;
  /** Only tickets of these teams; null: the whole helpdesk. */
  teamIds: ReadonlySet<string> | null;
  /** Staff shown with their load (already limited to the board's teams). */
  agents: ReadonlyArray<{ id: string; name: string }>;
  timeZone: string;
  now: number;
  /** How many at-risk tickets are listed (all are counted). */
  atRiskLimit?: number;
}

/**
 * A board's figures from its rows, in one pass: open tickets by status, waiting for a first
 * response, at risk (an SLA metric in its warning zone, nearest due first), breached today,
 * agents' load (their open tickets, whatever team), created and solved per local hour of
 * today, and the median first-response time of today's first responses.
 */
export function boardFigures(input: FiguresInput): BoardFigures {
  const { timeZone, now } = input;
  const today = DateTime.fromMillis(now, { zone: timeZone }).startOf('day');
  const start = today.toMillis();
  const currentHour = DateTime.fromMillis(now, { zone: timeZone }).hour;
  // Local hour starts of today (23 or 25 hours on a DST day are handled by the zone): bucketing is a search, not a date parse per ticket.
  const hourStarts = Array.from({ length: currentHour + 1 }, (_, hour) => today.set({ hour }).toMillis());
  const hourOf = (at: number) => {
    let hour = currentHour;
    while (hour > 0 && hourStarts[hour]! > at) hour -= 1;
    return hour;
  };
  const hourly = Array.from({ length: currentHour + 1 }, (_, hour) => ({ hour, created: 0, solved: 0 }));
  const open = { total: 0, new: 0, open: 0, pending: 0, on_hold: 0 };
  const load = new Map<string, number>();
  const atRisk: Array<{ id: string; row: BoardRow }> = [];
  const responses: number[] = [];
  let waiting = 0;
  let oldestWaiting: number | null = null;
  let breached = 0;

  for (const [id, row] of input.rows) {
    const active = ACTIVE_STATUSES.includes(row.s);
    if (active && row.a) load.set(row.a, (load.get(row.a) ?? 0) + 1);
    if (input.teamIds && !(row.tm && input.teamIds.has(row.tm))) continue;
    if (active) {
      open.total += 1;
      open[row.s as keyof typeof open] += 1;
      if (row.fr === null) {
        waiting += 1;
        oldestWaiting = oldestWaiting === null ? row.c : Math.min(oldestWaiting, row.c);
      }
      if (row.sl === 'warning') atRisk.push({ id, row });
    }
    if (row.br !== null && row.br >= start && row.br <= now) breached += 1;
    if (row.c >= start && row.c <= now) hourly[hourOf(row.c)]!.created += 1;
    if (row.so !== null && row.so >= start && row.so <= now) hourly[hourOf(row.so)]!.solved += 1;
    if (row.fr !== null && row.fr >= start && row.fr <= now) responses.push((row.fr - row.c) / 60_000);
  }

  atRisk.sort((a, b) => (a.row.due ?? Number.MAX_SAFE_INTEGER) - (b.row.due ?? Number.MAX_SAFE_INTEGER) || a.row.n - b.row.n);
  return {
    timeZone,
    todayStart: new Date(start).toISOString(),
    open,
    waitingFirstResponse: { count: waiting, oldestCreatedAt: oldestWaiting === null ? null : new Date(oldestWaiting).toISOString() },
    atRisk: {
      count: atRisk.length,
      tickets: atRisk.slice(0, input.atRiskLimit ?? 8).map(({ id, row }) => ({
        id,
        number: row.n,
        subject: row.sj,
        priority: row.p,
        metric: row.dm,
        dueAt: row.due === null ? null : new Date(row.due).toISOString(),
      })),
    },
    breachedToday: { count: breached },
    agents: input.agents
      .map((agent) => ({ id: agent.id, name: agent.name, load: load.get(agent.id) ?? 0 }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    hourly,
    firstResponse: { count: responses.length, medianMinutes: median(responses) },
  };
}
