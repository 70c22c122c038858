import { describe, expect, it } from 'vitest';
import { computeSlaState, type SlaPolicyPeriod } from './sla-clock.ts';
import { parseBusinessCalendar, parseSlaPolicy, type SlaEvent } from './sla.schema.ts';
import { dueEscalations, escalationKey, outcomes, summarize, timelineFromEvents, timerJobId } from './sla-timeline.ts';

const T0 = new Date('2026-03-02T08:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const policy: SlaPolicyPeriod = {
  from: T0,
  policy: parseSlaPolicy({
    id: 'p',
    name: 'P',
    order: 1,
    calendarId: 'c',
    targetMinutes: { firstResponse: 60, resolution: 240 },
    warningThresholdPercent: 50,
  }),
  calendar: parseBusinessCalendar({ timeZone: 'UTC', hours: '24/7' }),
};
const state = (events: SlaEvent[], now: number) =>
  computeSlaState({ timeline: { createdAt: T0, events }, policies: [policy], now: at(now) });

describe('timelineFromEvents', () => {
  it('keeps what moves clocks, in log order, and the status the ticket was created with', () => {
    const timeline = timelineFromEvents(T0, [
      { type: 'ticket.created', at: T0, data: { ticket: { status: 'open' } } },
      { type: 'entry.added', at: T0, data: { entry: { kind: 'message', createdAt: T0.toISOString() } } },
      { type: 'entry.added', at: at(5), data: { entry: { kind: 'note', createdAt: at(5).toISOString() } } },
      { type: 'ticket.updated', at: at(6), data: { changes: { subject: { to: 'x' } } } },
      { type: 'entry.added', at: at(11), data: { entry: { kind: 'reply', createdAt: at(10).toISOString() } } },
      { type: 'ticket.status_changed', at: at(20), data: { from: 'open', to: 'pending' } },
      { type: 'ticket.merged', at: at(30), data: { into: 'x' } },
    ]);
    expect(timeline).toEqual({
      createdAt: T0,
      initialStatus: 'open',
      events: [
        { type: 'customer_messaged', at: T0 },
        { type: 'agent_replied', at: at(10) },
        { type: 'status_changed', at: at(20), status: 'pending' },
        { type: 'status_changed', at: at(30), status: 'closed' },
      ],
    });
  });
});

describe('summary, escalations and outcomes of a state', () => {
  it.each([
    [
      'running, before the warning',
      [],
      10,
      { state: 'ok', firstResponseDueAt: at(60), resolutionDueAt: at(240), breachedAt: null },
      [],
      [],
    ],
    ['first response in its warning zone', [], 35, { state: 'warning', firstResponseDueAt: at(60) }, ['warning:firstResponse'], []],
    [
      'first response breached, still awaited',
      [],
      70,
      { state: 'breached', breachedAt: at(60) },
      ['breach:firstResponse'],
      ['firstResponse:breached'],
    ],
    [
      'answered late: the breach stays, nothing more to escalate for it',
      [{ type: 'agent_replied', at: at(70) }] as SlaEvent[],
      80,
      { state: 'ok', firstResponseDueAt: null, breachedAt: at(60) },
      [],
      ['firstResponse:breached'],
    ],
    [
      'paused while pending: no due instant',
      [{ type: 'status_changed', at: at(10), status: 'pending' }] as SlaEvent[],
      200,
      { state: 'paused', firstResponseDueAt: null, resolutionDueAt: null },
      [],
      [],
    ],
    [
      'solved in time: nothing runs',
      [
        { type: 'agent_replied', at: at(5) },
        { type: 'status_changed', at: at(50), status: 'solved' },
      ] as SlaEvent[],
      300,
      { state: null, firstResponseDueAt: null, resolutionDueAt: null, breachedAt: null },
      [],
      ['firstResponse:met', 'resolution:met'],
    ],
  ])('%s', (_name, events, now, summary, escalations, done) => {
    const computed = state(events, now);
    expect(summarize(computed)).toMatchObject(summary);
    expect(dueEscalations(computed).map((e) => `${e.kind}:${e.metric}`)).toEqual(escalations);
    expect(outcomes(computed).map((o) => `${o.metric}:${o.outcome}`)).toEqual(done);
  });

  it('names escalations and timer jobs by metric cycle and instant', () => {
    expect(escalationKey('breach', 'nextResponse', at(5))).toBe(`breach:nextResponse:${at(5).getTime()}`);
    expect(timerJobId('t1', { metric: 'resolution', kind: 'warning', startedAt: T0, at: at(120) })).toBe(
      `sla:t1:resolution:${T0.getTime()}:warning:${at(120).getTime()}`,
    );
  });
});
