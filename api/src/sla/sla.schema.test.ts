import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.ts';
import { businessCalendarSchema, parseBusinessCalendar, parseSlaPolicy, slaPolicySchema } from './sla.schema.ts';

const nineToFive = [{ start: '09:00', end: '17:00' }];
const validCalendar = { timeZone: 'Europe/Berlin', hours: { monday: nineToFive } };
const validPolicy = { id: 'p-default', name: 'Default', order: 10, calendarId: 'cal-1', targetMinutes: { firstResponse: 60 } };

function refusal(parse: () => unknown): AppError {
  try {
    parse();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('business calendar schema', () => {
  const refused: Array<{ name: string; input: unknown; path: string; message: RegExp }> = [
    {
      name: 'unknown time zone',
      input: { ...validCalendar, timeZone: 'Mars/Olympus' },
      path: 'timeZone',
      message: /unknown time zone "Mars\/Olympus"/,
    },
    { name: 'fixed offset instead of a zone', input: { ...validCalendar, timeZone: '+05:30' }, path: 'timeZone', message: /IANA name/ },
    { name: 'empty time zone', input: { ...validCalendar, timeZone: '' }, path: 'timeZone', message: /unknown time zone ""/ },
    {
      name: 'inverted interval',
      input: { ...validCalendar, hours: { monday: [{ start: '17:00', end: '09:00' }] } },
      path: 'hours.monday.0.end',
      message: /ends before it starts/,
    },
    {
      name: 'empty interval',
      input: { ...validCalendar, hours: { monday: [{ start: '09:00', end: '09:00' }] } },
      path: 'hours.monday.0.end',
      message: /ends before it starts/,
    },
    {
      name: 'overlapping intervals, listed out of order',
      input: {
        ...validCalendar,
        hours: {
          tuesday: [
            { start: '11:00', end: '13:00' },
            { start: '09:00', end: '12:00' },
          ],
        },
      },
      path: 'hours.tuesday.0',
      message: /09:00–12:00 and 11:00–13:00 overlap/,
    },
    {
      name: 'clock without leading zero',
      input: { ...validCalendar, hours: { monday: [{ start: '9:00', end: '17:00' }] } },
      path: 'hours.monday.0.start',
      message: /HH:MM/,
    },
    {
      name: 'hour 25',
      input: { ...validCalendar, hours: { monday: [{ start: '09:00', end: '25:00' }] } },
      path: 'hours.monday.0.end',
      message: /HH:MM/,
    },
    {
      name: 'minute 60',
      input: { ...validCalendar, hours: { monday: [{ start: '09:60', end: '17:00' }] } },
      path: 'hours.monday.0.start',
      message: /HH:MM/,
    },
    {
      name: 'opening at 24:00',
      input: { ...validCalendar, hours: { monday: [{ start: '24:00', end: '24:00' }] } },
      path: 'hours.monday.0.start',
      message: /HH:MM/,
    },
    { name: 'misspelt weekday', input: { ...validCalendar, hours: { tuesdy: nineToFive } }, path: 'hours', message: /tuesdy/ },
    {
      name: 'no business hours at all',
      input: { ...validCalendar, hours: {} },
      path: 'hours',
      message: /no business hours on any weekday/,
    },
    { name: 'unknown shorthand', input: { ...validCalendar, hours: '24/5' }, path: 'hours', message: /must be "24\/7" or an object/ },
    {
      name: 'holiday on 30 February',
      input: { ...validCalendar, holidays: [{ date: '2026-02-30' }] },
      path: 'holidays.0.date',
      message: /not a date of the calendar/,
    },
    {
      name: 'holiday date in another format',
      input: { ...validCalendar, holidays: [{ date: '25.12.2026' }] },
      path: 'holidays.0.date',
      message: /YYYY-MM-DD/,
    },
    {
      name: 'holiday listed twice',
      input: { ...validCalendar, holidays: [{ date: '2026-12-25' }, { date: '2026-12-25', name: 'again' }] },
      path: 'holidays.1.date',
      message: /listed twice/,
    },
    {
      name: 'short day with overlapping hours',
      input: {
        ...validCalendar,
        holidays: [
          {
            date: '2026-12-24',
            hours: [
              { start: '09:00', end: '13:00' },
              { start: '12:00', end: '14:00' },
            ],
          },
        ],
      },
      path: 'holidays.0.hours.1',
      message: /overlap/,
    },
  ];

  it.each(refused)('refuses $name with a path and a clear message', ({ input, path, message }) => {
    const error = refusal(() => parseBusinessCalendar(input));
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(message);
    expect((error.details as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path)).toContain(path);
  });

  it('expands 24/7 to every day from midnight to midnight', () => {
    const calendar = parseBusinessCalendar({ timeZone: 'UTC', hours: '24/7' });
    expect(Object.values(calendar.hours)).toEqual(Array.from({ length: 7 }, () => [{ start: '00:00', end: '24:00' }]));
  });

  it('sorts intervals, accepts touching ones and canonicalises the zone spelling', () => {
    const calendar = parseBusinessCalendar({
      timeZone: 'europe/berlin',
      hours: {
        friday: [
          { start: '13:00', end: '17:30' },
          { start: '09:00', end: '13:00' },
        ],
      },
    });
    expect(calendar.timeZone).toBe('Europe/Berlin');
    expect(calendar.hours.friday).toEqual([
      { start: '09:00', end: '13:00' },
      { start: '13:00', end: '17:30' },
    ]);
    expect(calendar.hours.saturday).toEqual([]);
    expect(calendar.holidays).toEqual([]);
  });

  it('reports every problem at once through plain zod too', () => {
    const result = businessCalendarSchema.safeParse({ timeZone: 'Nowhere/Land', hours: { monday: [{ start: '18:00', end: '08:00' }] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['timeZone', 'hours.monday.0.end']);
  });
});

describe('SLA policy schema', () => {
  const refused: Array<{ name: string; input: unknown; path: string; message: RegExp }> = [
    { name: 'no target at all', input: { ...validPolicy, targetMinutes: {} }, path: 'targetMinutes', message: /at least one target/ },
    {
      name: 'a zero target',
      input: { ...validPolicy, targetMinutes: { resolution: 0 } },
      path: 'targetMinutes.resolution',
      message: />=1/,
    },
    {
      name: 'a negative target',
      input: { ...validPolicy, targetMinutes: { firstResponse: -5 } },
      path: 'targetMinutes.firstResponse',
      message: />=1/,
    },
    {
      name: 'a fractional target',
      input: { ...validPolicy, targetMinutes: { firstResponse: 2.5 } },
      path: 'targetMinutes.firstResponse',
      message: /whole number/,
    },
    {
      name: 'a target over a year',
      input: { ...validPolicy, targetMinutes: { resolution: 525_601 } },
      path: 'targetMinutes.resolution',
      message: /<=525600/,
    },
    {
      name: 'a misspelt target',
      input: { ...validPolicy, targetMinutes: { firstReply: 30 } },
      path: 'targetMinutes',
      message: /firstReply/,
    },
    { name: 'warning threshold 0', input: { ...validPolicy, warningThresholdPercent: 0 }, path: 'warningThresholdPercent', message: />=1/ },
    {
      name: 'warning threshold 100',
      input: { ...validPolicy, warningThresholdPercent: 100 },
      path: 'warningThresholdPercent',
      message: /<=99/,
    },
    {
      name: 'solved as a pause status',
      input: { ...validPolicy, pauseStatuses: ['pending', 'solved'] },
      path: 'pauseStatuses.1',
      message: /"solved" stops the clocks/,
    },
    { name: 'an unknown status', input: { ...validPolicy, pauseStatuses: ['waiting'] }, path: 'pauseStatuses.0', message: /pending/ },
    {
      name: 'an unknown priority',
      input: { ...validPolicy, conditions: { priorities: ['critical'] } },
      path: 'conditions.priorities.0',
      message: /urgent/,
    },
    {
      name: 'a channel listed twice',
      input: { ...validPolicy, conditions: { channels: ['email', 'email'] } },
      path: 'conditions.channels.1',
      message: /"email" is listed twice/,
    },
    { name: 'no calendar', input: { ...validPolicy, calendarId: undefined }, path: 'calendarId', message: /string/ },
    { name: 'a negative order', input: { ...validPolicy, order: -1 }, path: 'order', message: />=0/ },
    { name: 'an unknown field', input: { ...validPolicy, paused: ['pending'] }, path: '', message: /paused/ },
  ];

  it.each(refused)('refuses $name with a path and a clear message', ({ input, path, message }) => {
    const error = refusal(() => parseSlaPolicy(input));
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/^Invalid SLA policy: /);
    expect(error.message).toMatch(message);
    expect((error.details as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path)).toContain(path);
  });

  it('applies the documented defaults', () => {
    expect(parseSlaPolicy(validPolicy)).toEqual({
      ...validPolicy,
      conditions: { priorities: [], channels: [], organisationIds: [], categoryIds: [] },
      warningThresholdPercent: 75,
      pauseStatuses: ['pending', 'on_hold'],
    });
  });

  it('accepts an empty pause list (nothing pauses) and full conditions', () => {
    const policy = slaPolicySchema.parse({
      ...validPolicy,
      pauseStatuses: [],
      conditions: { priorities: ['urgent', 'high'], channels: ['email'], organisationIds: ['org-1'], categoryIds: ['cat-1'] },
    });
    expect(policy.pauseStatuses).toEqual([]);
    expect(policy.conditions.priorities).toEqual(['urgent', 'high']);
  });
});
