import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.ts';
import type { TicketStatus } from '../tickets/ticket-status.ts';
import { computeSlaState, matchSlaPolicy, nextTimers, type SlaMetricState, type SlaPolicyPeriod, type SlaState } from './sla-clock.ts';
import { parseBusinessCalendar, parseSlaPolicy, type SlaEvent, type SlaPolicyInput } from './sla.schema.ts';

// All tickets live in January 2026 in Berlin (CET, UTC+1), Mon–Fri 09:00–17:00, 1 January a holiday.
// Tue 13 Jan is the usual creation day; Fri 16, Sat 17, Mon 19, Tue 20 are the days around a weekend.
const cet = (local: string) => new Date(`${local.replace(' ', 'T')}:00+01:00`);
const nineToFive = [{ start: '09:00', end: '17:00' }];
const berlin = parseBusinessCalendar({
  timeZone: 'Europe/Berlin',
  hours: { monday: nineToFive, tuesday: nineToFive, wednesday: nineToFive, thursday: nineToFive, friday: nineToFive },
  holidays: [{ date: '2026-01-01', name: "New Year's Day" }],
});
const roundTheClock = parseBusinessCalendar({ timeZone: 'Europe/Berlin', hours: '24/7' });

const policy = (input: Partial<SlaPolicyInput> & Pick<SlaPolicyInput, 'id'>) =>
  parseSlaPolicy({
    name: input.id,
    order: 10,
    calendarId: 'berlin',
    targetMinutes: { firstResponse: 60, nextResponse: 120, resolution: 480 },
    ...input,
  });
const standard = policy({ id: 'standard' });
const urgent = policy({
  id: 'urgent',
  order: 0,
  conditions: { priorities: ['urgent'] },
  targetMinutes: { firstResponse: 15, nextResponse: 30, resolution: 180 },
});
const resolutionOnly = policy({ id: 'resolution-only', targetMinutes: { resolution: 480 } });
const neverPauses = policy({ id: 'never-pauses', pauseStatuses: [] });
const warnsAtHalf = policy({ id: 'warns-at-half', warningThresholdPercent: 50 });
const allDay = policy({ id: 'all-day', calendarId: 'round-the-clock', targetMinutes: { resolution: 480 } });

const reply = (at: string): SlaEvent => ({ type: 'agent_replied', at: cet(at) });
const customer = (at: string): SlaEvent => ({ type: 'customer_messaged', at: cet(at) });
const status = (value: TicketStatus, at: string): SlaEvent => ({ type: 'status_changed', at: cet(at), status: value });
const period = (from: string, p = standard, calendar = berlin): SlaPolicyPeriod => ({ from: cet(from), policy: p, calendar });

interface Scenario {
  name: string;
  created?: string;
  events?: SlaEvent[];
  policies?: SlaPolicyPeriod[];
  now: string;
  expected: Partial<Record<'firstResponse' | 'nextResponse' | 'resolution', Partial<SlaMetricState> | null>>;
  cycles?: Array<Partial<SlaMetricState>>;
  policyId?: string;
}

// Expected figures: "ET" = elapsed business minutes, derived from the 09:00–17:00 day by hand.
const scenarios: Scenario[] = [
  {
    // 30 min in; warning at 75 % (45 min) → 10:45; resolution 480: 390 left today + 60 Wed → Wed 10:00, warning at 360 → 16:00.
    name: 'fresh ticket, no reply yet',
    now: '2026-01-13 10:30',
    expected: {
      firstResponse: {
        status: 'active',
        elapsedMinutes: 30,
        remainingMinutes: 30,
        warningAt: cet('2026-01-13 10:45'),
        dueAt: cet('2026-01-13 11:00'),
      },
      nextResponse: null,
      resolution: { status: 'active', elapsedMinutes: 30, warningAt: cet('2026-01-13 16:00'), dueAt: cet('2026-01-14 10:00') },
    },
  },
  {
    name: 'warning threshold reached exactly now',
    now: '2026-01-13 10:45',
    expected: {
      firstResponse: { status: 'warning', elapsedMinutes: 45, warningAt: cet('2026-01-13 10:45'), dueAt: cet('2026-01-13 11:00') },
    },
  },
  {
    // No reply by 11:00 and now is 11:00: the breach happens on the due instant itself.
    name: 'breach exactly at the due instant',
    now: '2026-01-13 11:00',
    expected: {
      firstResponse: {
        status: 'breached',
        elapsedMinutes: 60,
        remainingMinutes: 0,
        breachedAt: cet('2026-01-13 11:00'),
        dueAt: cet('2026-01-13 11:00'),
      },
    },
  },
  {
    // A reply on the due instant is in time.
    name: 'reply exactly at the due instant is achieved',
    events: [reply('2026-01-13 11:00')],
    now: '2026-01-13 11:00',
    expected: {
      firstResponse: {
        status: 'achieved',
        elapsedMinutes: 60,
        achievedAt: cet('2026-01-13 11:00'),
        breachedAt: null,
        dueAt: cet('2026-01-13 11:00'),
      },
    },
  },
  {
    name: 'reply one millisecond late is breached at the due instant',
    events: [{ type: 'agent_replied', at: new Date(cet('2026-01-13 11:00').getTime() + 1) }],
    now: '2026-01-13 12:00',
    expected: {
      firstResponse: {
        status: 'breached',
        breachedAt: cet('2026-01-13 11:00'),
        achievedAt: new Date(cet('2026-01-13 11:00').getTime() + 1),
      },
    },
  },
  {
    // Achieved before the warning: no warning instant; due stays the projection at the reply (20 in, 40 left → 11:00).
    name: 'reply before the warning',
    events: [reply('2026-01-13 10:20')],
    now: '2026-01-13 15:00',
    expected: { firstResponse: { status: 'achieved', elapsedMinutes: 20, warningAt: null, dueAt: cet('2026-01-13 11:00') } },
  },
  {
    // Fri 16:30–17:00 = 30, Mon 09:00–09:20 = 20 → 50; warning at 45 → Mon 09:15; due Mon 09:30.
    name: 'created Friday afternoon, weekend skipped',
    created: '2026-01-16 16:30',
    now: '2026-01-19 09:20',
    expected: {
      firstResponse: { status: 'warning', elapsedMinutes: 50, warningAt: cet('2026-01-19 09:15'), dueAt: cet('2026-01-19 09:30') },
    },
  },
  {
    name: 'created on a Saturday: nothing counts until Monday 09:00',
    created: '2026-01-17 10:00',
    now: '2026-01-19 09:00',
    expected: {
      firstResponse: { status: 'active', elapsedMinutes: 0, warningAt: cet('2026-01-19 09:45'), dueAt: cet('2026-01-19 10:00') },
    },
  },
  {
    // 1 January is a holiday; Friday 2 January is the next business day.
    name: 'created on a holiday',
    created: '2026-01-01 10:00',
    now: '2026-01-01 18:00',
    expected: { firstResponse: { status: 'active', elapsedMinutes: 0, dueAt: cet('2026-01-02 10:00') } },
  },
  {
    name: 'created after closing',
    created: '2026-01-13 18:30',
    now: '2026-01-13 23:00',
    expected: { firstResponse: { status: 'active', elapsedMinutes: 0, dueAt: cet('2026-01-14 10:00') } },
  },
  {
    // Resolution: 10:00–10:30 = 30, paused until 15:00, 15:00–16:00 = 60 → 90; 390 left: 60 today + 330 Wed → Wed 14:30;
    // warning at 360 (270 more): 60 today + 210 → Wed 12:30. Next response opened by the 15:00 message: 60 in.
    name: 'pending, then back to open',
    events: [
      reply('2026-01-13 10:30'),
      status('pending', '2026-01-13 10:30'),
      customer('2026-01-13 15:00'),
      status('open', '2026-01-13 15:00'),
    ],
    now: '2026-01-13 16:00',
    expected: {
      firstResponse: { status: 'achieved', elapsedMinutes: 30, achievedAt: cet('2026-01-13 10:30'), dueAt: cet('2026-01-13 11:00') },
      nextResponse: {
        status: 'active',
        startedAt: cet('2026-01-13 15:00'),
        elapsedMinutes: 60,
        warningAt: cet('2026-01-13 16:30'),
        dueAt: cet('2026-01-13 17:00'),
      },
      resolution: {
        status: 'active',
        elapsedMinutes: 90,
        remainingMinutes: 390,
        warningAt: cet('2026-01-14 12:30'),
        dueAt: cet('2026-01-14 14:30'),
      },
    },
  },
  {
    // 10–11, 12–13, 16–17, Wed 09–10 count: 240; 240 left → Wed 14:00; warning at 360 → Wed 12:00.
    name: 'several pauses (on hold, pending)',
    events: [
      status('on_hold', '2026-01-13 11:00'),
      status('open', '2026-01-13 12:00'),
      status('pending', '2026-01-13 13:00'),
      status('open', '2026-01-13 16:00'),
    ],
    policies: [period('2026-01-13 10:00', resolutionOnly)],
    now: '2026-01-14 10:00',
    expected: {
      firstResponse: null,
      resolution: {
        status: 'active',
        elapsedMinutes: 240,
        remainingMinutes: 240,
        warningAt: cet('2026-01-14 12:00'),
        dueAt: cet('2026-01-14 14:00'),
      },
    },
  },
  {
    // Fri 10–15 = 300, paused over the weekend and all of Monday, Tue 11–12 = 60 → 360 = 75 % of 480, reached right now.
    name: 'pause spanning a weekend',
    created: '2026-01-16 10:00',
    events: [status('pending', '2026-01-16 15:00'), status('open', '2026-01-20 11:00')],
    policies: [period('2026-01-16 10:00', resolutionOnly)],
    now: '2026-01-20 12:00',
    expected: {
      resolution: { status: 'warning', elapsedMinutes: 360, warningAt: cet('2026-01-20 12:00'), dueAt: cet('2026-01-20 14:00') },
    },
  },
  {
    name: 'paused metrics have no due instant',
    events: [status('pending', '2026-01-13 10:30')],
    now: '2026-01-13 12:00',
    expected: {
      firstResponse: { status: 'paused', elapsedMinutes: 30, dueAt: null, warningAt: null },
      resolution: { status: 'paused', elapsedMinutes: 30, remainingMinutes: 450, dueAt: null, warningAt: null },
    },
  },
  {
    // Pending is not a pause status here, so 10:00–12:00 all counts.
    name: 'a policy that pauses on nothing',
    events: [reply('2026-01-13 10:10'), status('pending', '2026-01-13 10:30')],
    policies: [period('2026-01-13 10:00', neverPauses)],
    now: '2026-01-13 12:00',
    expected: { resolution: { status: 'active', elapsedMinutes: 120 } },
  },
  {
    // Standard until 12:00 (120 counted), urgent after: resolution target 180, 150 in at 12:30; urgent warns at 135 → 12:15.
    // First response breached at 11:00 under standard and keeps that outcome and target.
    name: 'policy change mid-ticket keeps elapsed time and applies the new target',
    policies: [period('2026-01-13 10:00'), period('2026-01-13 12:00', urgent)],
    now: '2026-01-13 12:30',
    policyId: 'urgent',
    expected: {
      firstResponse: { status: 'breached', targetMinutes: 60, breachedAt: cet('2026-01-13 11:00') },
      resolution: {
        status: 'warning',
        targetMinutes: 180,
        elapsedMinutes: 150,
        remainingMinutes: 30,
        warningAt: cet('2026-01-13 12:15'),
        dueAt: cet('2026-01-13 13:00'),
      },
    },
  },
  {
    // At 14:00 resolution already has 240 > 180: breached at the change itself. First response (50 min) stays achieved
    // although urgent's 15-minute target would have missed it.
    name: 'policy change to a shorter target breaches at the change',
    events: [reply('2026-01-13 10:50')],
    policies: [period('2026-01-13 10:00'), period('2026-01-13 14:00', urgent)],
    now: '2026-01-13 14:30',
    expected: {
      firstResponse: { status: 'achieved', targetMinutes: 60, elapsedMinutes: 50 },
      resolution: {
        status: 'breached',
        elapsedMinutes: 270,
        remainingMinutes: -90,
        breachedAt: cet('2026-01-13 14:00'),
        warningAt: cet('2026-01-13 14:00'),
        dueAt: cet('2026-01-13 14:00'),
      },
    },
  },
  {
    // Of the entries from before creation, the latest (standard, 09:30) is in force at creation.
    name: 'the latest policy from before creation applies',
    policies: [period('2026-01-13 09:00', urgent), period('2026-01-13 09:30')],
    now: '2026-01-13 10:30',
    policyId: 'standard',
    expected: { firstResponse: { status: 'active', targetMinutes: 60 } },
  },
  {
    // A policy change applies before the events of its instant: solved under urgent (180), 120 in → 60 left → 13:00.
    name: 'a policy change and a solve at the same instant',
    events: [reply('2026-01-13 10:10'), status('solved', '2026-01-13 12:00')],
    policies: [period('2026-01-13 10:00'), period('2026-01-13 12:00', urgent)],
    now: '2026-01-13 13:00',
    expected: { resolution: { status: 'achieved', targetMinutes: 180, elapsedMinutes: 120, dueAt: cet('2026-01-13 13:00') } },
  },
  {
    // Same, but 240 are in at 14:00, past urgent's 180: solved too late, breached at that very instant.
    name: 'a policy change and a solve at the same instant, past the new target',
    events: [reply('2026-01-13 10:10'), status('solved', '2026-01-13 14:00')],
    policies: [period('2026-01-13 10:00'), period('2026-01-13 14:00', urgent)],
    now: '2026-01-13 15:00',
    expected: {
      resolution: { status: 'breached', targetMinutes: 180, breachedAt: cet('2026-01-13 14:00'), achievedAt: cet('2026-01-13 14:00') },
    },
  },
  {
    // Urgent until 13:00: 180 in, in warning since 12:15 (135). Standard from 13:00: 210 at 13:30 is below its 360, so the
    // warning is lifted; 150 more → 16:00; 270 left: 210 today + 60 → Wed 10:00.
    name: 'policy change to a longer target lifts the warning',
    policies: [period('2026-01-13 10:00', urgent), period('2026-01-13 13:00')],
    events: [reply('2026-01-13 10:05')],
    now: '2026-01-13 13:30',
    expected: {
      resolution: {
        status: 'active',
        targetMinutes: 480,
        elapsedMinutes: 210,
        warningAt: cet('2026-01-13 16:00'),
        dueAt: cet('2026-01-14 10:00'),
      },
    },
  },
  {
    // 16:00–17:00 in business hours (60), then round the clock from 17:00: 420 more reach 480 at Wed 00:00.
    name: 'policy change to a 24/7 calendar counts in the new calendar from the change',
    created: '2026-01-13 16:00',
    policies: [period('2026-01-13 16:00', resolutionOnly), period('2026-01-13 17:00', allDay, roundTheClock)],
    now: '2026-01-14 01:00',
    expected: { resolution: { status: 'breached', elapsedMinutes: 540, remainingMinutes: -60, breachedAt: cet('2026-01-14 00:00') } },
  },
  {
    // The policy was matched five minutes after creation; it still counts from creation.
    name: 'first policy assigned after creation applies from creation',
    policies: [period('2026-01-13 10:05')],
    now: '2026-01-13 10:30',
    expected: { firstResponse: { status: 'active', elapsedMinutes: 30 } },
  },
  {
    // Solved 12:00 with 120 in; solved time (Tue 12:00–Wed 10:00) does not count; 180 at Wed 11:00; 300 left → Wed 16:00.
    name: 'reopen after solve resumes the resolution clock',
    events: [reply('2026-01-13 10:10'), status('solved', '2026-01-13 12:00'), status('open', '2026-01-14 10:00')],
    now: '2026-01-14 11:00',
    expected: {
      resolution: {
        status: 'active',
        elapsedMinutes: 180,
        achievedAt: null,
        warningAt: cet('2026-01-14 14:00'),
        dueAt: cet('2026-01-14 16:00'),
      },
    },
  },
  {
    // Solving meets resolution (120 in; projection 360 more → Wed 10:00) and the never-answered first response, which
    // had breached at 11:00.
    name: 'solved without a reply',
    events: [status('solved', '2026-01-13 12:00')],
    now: '2026-01-14 12:00',
    expected: {
      firstResponse: { status: 'breached', elapsedMinutes: 120, breachedAt: cet('2026-01-13 11:00'), achievedAt: cet('2026-01-13 12:00') },
      resolution: { status: 'achieved', elapsedMinutes: 120, achievedAt: cet('2026-01-13 12:00'), dueAt: cet('2026-01-14 10:00') },
    },
  },
  {
    // 360 in when solved at 16:00 (the warning instant itself, judged after the solve: no warning yet). Reopened Wed 09:00:
    // in warning at once; 480 reached at 11:00.
    name: 'reopen after solve, then breach',
    events: [reply('2026-01-13 10:05'), status('solved', '2026-01-13 16:00'), status('open', '2026-01-14 09:00')],
    now: '2026-01-14 11:30',
    expected: {
      resolution: { status: 'breached', elapsedMinutes: 510, warningAt: cet('2026-01-14 09:00'), breachedAt: cet('2026-01-14 11:00') },
    },
  },
  {
    // The 10:40 message opens a cycle; 110 in at 12:30; warning at 90 → 12:10; due 12:40.
    name: 'next response after a new customer message',
    events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40')],
    now: '2026-01-13 12:30',
    expected: {
      firstResponse: { status: 'achieved', elapsedMinutes: 10 },
      nextResponse: {
        status: 'warning',
        startedAt: cet('2026-01-13 10:40'),
        elapsedMinutes: 110,
        remainingMinutes: 10,
        warningAt: cet('2026-01-13 12:10'),
        dueAt: cet('2026-01-13 12:40'),
      },
    },
  },
  {
    // Cycle 1: 10:40–12:00 = 80, achieved (projected due 12:40). Cycle 2 from 16:00: 60 Tue + 30 Wed = 90 = 75 % → warning now.
    name: 'two next-response cycles',
    events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40'), reply('2026-01-13 12:00'), customer('2026-01-13 16:00')],
    now: '2026-01-14 09:30',
    cycles: [
      { status: 'achieved', elapsedMinutes: 80, achievedAt: cet('2026-01-13 12:00'), dueAt: cet('2026-01-13 12:40') },
      {
        status: 'warning',
        startedAt: cet('2026-01-13 16:00'),
        elapsedMinutes: 90,
        warningAt: cet('2026-01-14 09:30'),
        dueAt: cet('2026-01-14 10:00'),
      },
    ],
    expected: { nextResponse: { status: 'warning', startedAt: cet('2026-01-13 16:00') } },
  },
  {
    name: 'a customer message before any reply is part of the first response',
    events: [customer('2026-01-13 10:20')],
    now: '2026-01-13 10:30',
    cycles: [],
    expected: { nextResponse: null, firstResponse: { status: 'active', elapsedMinutes: 30 } },
  },
  {
    name: 'follow-up messages do not restart an open cycle',
    events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40'), customer('2026-01-13 11:30')],
    now: '2026-01-13 12:00',
    expected: { nextResponse: { startedAt: cet('2026-01-13 10:40'), elapsedMinutes: 80 } },
  },
  {
    name: 'next response breached exactly at its due instant',
    events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40')],
    now: '2026-01-13 12:40',
    expected: { nextResponse: { status: 'breached', elapsedMinutes: 120, breachedAt: cet('2026-01-13 12:40') } },
  },
  {
    // Reopened 13:30: the 13:00 message's cycle runs from then (30 in); resolution 120 + 30.
    name: 'a message while solved opens a cycle that runs from the reopen',
    events: [
      reply('2026-01-13 10:10'),
      status('solved', '2026-01-13 12:00'),
      customer('2026-01-13 13:00'),
      status('open', '2026-01-13 13:30'),
    ],
    now: '2026-01-13 14:00',
    expected: {
      nextResponse: { status: 'active', startedAt: cet('2026-01-13 13:00'), elapsedMinutes: 30 },
      resolution: { status: 'active', elapsedMinutes: 150 },
    },
  },
  {
    name: 'a message while solved and not reopened leaves the cycle paused',
    events: [reply('2026-01-13 10:10'), status('solved', '2026-01-13 12:00'), customer('2026-01-13 13:00')],
    now: '2026-01-13 14:00',
    expected: {
      nextResponse: { status: 'paused', elapsedMinutes: 0, dueAt: null },
      resolution: { status: 'achieved', elapsedMinutes: 120 },
    },
  },
  {
    name: 'a closed ticket starts no cycle',
    events: [
      reply('2026-01-13 10:10'),
      status('solved', '2026-01-13 12:00'),
      status('closed', '2026-01-13 12:30'),
      customer('2026-01-13 13:00'),
    ],
    now: '2026-01-13 14:00',
    cycles: [],
    expected: { nextResponse: null, resolution: { status: 'achieved' } },
  },
  {
    // Sat 11:00 is outside hours: 0 elapsed; the projection at the reply is Mon 10:00.
    name: 'reply outside business hours',
    created: '2026-01-17 10:00',
    events: [reply('2026-01-17 11:00')],
    now: '2026-01-17 12:00',
    expected: { firstResponse: { status: 'achieved', elapsedMinutes: 0, dueAt: cet('2026-01-19 10:00') } },
  },
  {
    name: 'now equals creation',
    now: '2026-01-13 10:00',
    expected: { firstResponse: { status: 'active', elapsedMinutes: 0, remainingMinutes: 60, dueAt: cet('2026-01-13 11:00') } },
  },
  {
    name: 'reply at the creation instant',
    events: [reply('2026-01-13 10:00')],
    now: '2026-01-13 10:00',
    expected: { firstResponse: { status: 'achieved', elapsedMinutes: 0, dueAt: cet('2026-01-13 11:00') } },
  },
  {
    name: 'a 50 % warning threshold',
    policies: [period('2026-01-13 10:00', warnsAtHalf)],
    now: '2026-01-13 10:30',
    expected: { firstResponse: { status: 'warning', warningAt: cet('2026-01-13 10:30') } },
  },
  {
    name: 'metrics without a target are not tracked',
    events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40')],
    policies: [period('2026-01-13 10:00', resolutionOnly)],
    now: '2026-01-13 11:00',
    cycles: [],
    expected: { firstResponse: null, nextResponse: null, resolution: { status: 'active', elapsedMinutes: 60 } },
  },
  {
    name: 'events after now are ignored',
    events: [reply('2026-01-13 11:30')],
    now: '2026-01-13 10:30',
    expected: { firstResponse: { status: 'active', achievedAt: null } },
  },
  {
    // Out of order on input: sorted by time, so pending (10:30) precedes open (11:00): 30 + 30.
    name: 'events are sorted by time',
    events: [status('open', '2026-01-13 11:00'), status('pending', '2026-01-13 10:30')],
    now: '2026-01-13 11:30',
    expected: { resolution: { status: 'active', elapsedMinutes: 60 } },
  },
];

function compute(scenario: Scenario, now = cet(scenario.now)): SlaState {
  const created = scenario.created ?? '2026-01-13 10:00';
  return computeSlaState({
    timeline: { createdAt: cet(created), events: scenario.events ?? [] },
    policies: scenario.policies ?? [period(created)],
    now,
  });
}

describe('computeSlaState', () => {
  it.each(scenarios)('$name', (scenario) => {
    const state = compute(scenario);
    for (const [metric, expected] of Object.entries(scenario.expected)) {
      if (expected === null) expect(state.metrics[metric as keyof SlaState['metrics']], metric).toBeNull();
      else expect(state.metrics[metric as keyof SlaState['metrics']], metric).toMatchObject(expected);
    }
    if (scenario.cycles) {
      expect(state.nextResponseCycles).toHaveLength(scenario.cycles.length);
      scenario.cycles.forEach((cycle, index) => expect(state.nextResponseCycles[index]).toMatchObject(cycle));
    }
    if (scenario.policyId) expect(state.policyId).toBe(scenario.policyId);
  });

  it('gives the same figures whenever it runs: a late timer job sees the breach at the due instant', () => {
    const scenario = { name: 'late', now: '2026-01-13 11:07', expected: {} };
    const onTime = compute(scenario, cet('2026-01-13 11:00'));
    const late = compute(scenario);
    expect(late.metrics.firstResponse?.breachedAt).toEqual(cet('2026-01-13 11:00'));
    expect(late.metrics.firstResponse?.breachedAt).toEqual(onTime.metrics.firstResponse?.breachedAt);
    expect(late.metrics.firstResponse?.elapsedMinutes).toBe(67);
  });

  it('reports the ticket status and the policy in force', () => {
    const state = compute({ name: 's', events: [status('on_hold', '2026-01-13 10:30')], now: '2026-01-13 11:00', expected: {} });
    expect(state.ticketStatus).toBe('on_hold');
    expect(state.policyId).toBe('standard');
    expect(state.now).toEqual(cet('2026-01-13 11:00'));
  });

  it('starts paused when the ticket is created in a pause status', () => {
    const state = computeSlaState({
      timeline: { createdAt: cet('2026-01-13 10:00'), initialStatus: 'on_hold', events: [] },
      policies: [period('2026-01-13 10:00')],
      now: cet('2026-01-13 12:00'),
    });
    expect(state.metrics.resolution).toMatchObject({ status: 'paused', elapsedMinutes: 0 });
  });

  it('refuses what it cannot compute', () => {
    const timeline = { createdAt: cet('2026-01-13 10:00'), events: [] };
    expect(() => computeSlaState({ timeline, policies: [], now: cet('2026-01-13 11:00') })).toThrow(AppError);
    expect(() => computeSlaState({ timeline, policies: [period('2026-01-13 10:00')], now: cet('2026-01-13 09:00') })).toThrow(
      /before the ticket was created/,
    );
    expect(() => computeSlaState({ timeline, policies: [period('2026-01-13 10:00')], now: new Date('nope') })).toThrow(
      /now is not a valid date/,
    );
    expect(() =>
      computeSlaState({
        timeline: { ...timeline, events: [{ type: 'agent_replied', at: new Date('nope') }] },
        policies: [period('2026-01-13 10:00')],
        now: cet('2026-01-13 11:00'),
      }),
    ).toThrow(/events\[0\]\.at is not a valid date/);
  });
});

describe('nextTimers', () => {
  const timersOf = (scenario: Omit<Scenario, 'name' | 'expected'>) =>
    nextTimers(compute({ name: 't', expected: {}, ...scenario })).map(({ metric, kind, at }) => ({ metric, kind, at }));

  it('lists warnings and breaches of running metrics, earliest first', () => {
    expect(timersOf({ now: '2026-01-13 10:30' })).toEqual([
      { metric: 'firstResponse', kind: 'warning', at: cet('2026-01-13 10:45') },
      { metric: 'firstResponse', kind: 'breach', at: cet('2026-01-13 11:00') },
      { metric: 'resolution', kind: 'warning', at: cet('2026-01-13 16:00') },
      { metric: 'resolution', kind: 'breach', at: cet('2026-01-14 10:00') },
    ]);
  });

  it('only the breach remains once a metric is in warning; breached and achieved metrics have none', () => {
    // First response achieved at 10:10; next response in warning since 12:10, due 12:40; resolution warns at 16:00.
    expect(timersOf({ events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40')], now: '2026-01-13 12:30' })).toEqual([
      { metric: 'nextResponse', kind: 'breach', at: cet('2026-01-13 12:40') },
      { metric: 'resolution', kind: 'warning', at: cet('2026-01-13 16:00') },
      { metric: 'resolution', kind: 'breach', at: cet('2026-01-14 10:00') },
    ]);
  });

  it('has nothing to schedule while paused or solved', () => {
    expect(timersOf({ events: [status('pending', '2026-01-13 10:30')], now: '2026-01-13 12:00' })).toEqual([]);
    expect(timersOf({ events: [reply('2026-01-13 10:10'), status('solved', '2026-01-13 12:00')], now: '2026-01-13 12:00' })).toEqual([]);
  });

  it('tells next-response cycles apart by their start', () => {
    const [timer] = nextTimers(
      compute({ name: 't', expected: {}, events: [reply('2026-01-13 10:10'), customer('2026-01-13 10:40')], now: '2026-01-13 10:50' }),
    );
    expect(timer).toEqual({ metric: 'nextResponse', kind: 'warning', at: cet('2026-01-13 12:10'), startedAt: cet('2026-01-13 10:40') });
  });
});

describe('matchSlaPolicy', () => {
  const vip = policy({ id: 'vip', order: 1, conditions: { organisationIds: ['org-vip'] } });
  const emailBilling = policy({ id: 'email-billing', order: 2, conditions: { channels: ['email'], categoryIds: ['cat-billing'] } });
  const fallback = policy({ id: 'fallback', order: 10 });
  const all = [fallback, emailBilling, vip, urgent];

  const cases = [
    {
      name: 'lowest order wins when several match',
      ticket: { priority: 'urgent', channel: 'email', organisationId: 'org-vip', categoryId: 'cat-billing' },
      expected: 'urgent',
    },
    { name: 'organisation condition', ticket: { priority: 'normal', channel: 'widget', organisationId: 'org-vip' }, expected: 'vip' },
    {
      name: 'channel and category both match',
      ticket: { priority: 'high', channel: 'email', categoryId: 'cat-billing' },
      expected: 'email-billing',
    },
    {
      name: 'channel matches but category does not',
      ticket: { priority: 'normal', channel: 'email', categoryId: 'cat-other' },
      expected: 'fallback',
    },
    {
      name: 'category matches but channel does not',
      ticket: { priority: 'normal', channel: 'widget', categoryId: 'cat-billing' },
      expected: 'fallback',
    },
    {
      name: 'a condition needs a value: no category',
      ticket: { priority: 'low', channel: 'email', categoryId: null },
      expected: 'fallback',
    },
  ] as const;

  it.each(cases)('$name', ({ ticket, expected }) => {
    expect(matchSlaPolicy(all, ticket)?.id).toBe(expected);
  });

  it('returns null when nothing matches', () => {
    expect(matchSlaPolicy([urgent, vip], { priority: 'low', channel: 'api' })).toBeNull();
  });

  it('breaks ties of order by id, whatever the input order', () => {
    const b = policy({ id: 'b', order: 5 });
    const a = policy({ id: 'a', order: 5 });
    expect(matchSlaPolicy([b, a], { priority: 'normal', channel: 'portal' })?.id).toBe('a');
    expect(matchSlaPolicy([a, b], { priority: 'normal', channel: 'portal' })?.id).toBe('a');
  });
});
