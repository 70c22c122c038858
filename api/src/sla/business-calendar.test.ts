import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.ts';
import { addBusinessMinutes, businessIntervalsOn, businessMinutesBetween, isBusinessTime } from './business-calendar.ts';
import { parseBusinessCalendar, type BusinessCalendarInput, type DayHours } from './sla.schema.ts';

const nineToFive: DayHours = [{ start: '09:00', end: '17:00' }];
const weekdays = (hours: DayHours) => ({ monday: hours, tuesday: hours, wednesday: hours, thursday: hours, friday: hours });
const calendar = (input: BusinessCalendarInput) => parseBusinessCalendar(input);

// Berlin is UTC+1 (CET) until 2026-03-29 02:00, then UTC+2 (CEST) until 2026-10-25 03:00.
// Good Friday 2026-04-03 and Easter Monday 2026-04-06 are holidays; 24 December is a short day.
const berlin = calendar({
  name: 'Berlin office',
  timeZone: 'Europe/Berlin',
  hours: weekdays(nineToFive),
  holidays: [
    { date: '2026-04-03', name: 'Good Friday' },
    { date: '2026-04-06', name: 'Easter Monday' },
    { date: '2026-12-24', name: 'Christmas Eve', hours: [{ start: '09:00', end: '13:00' }] },
    { date: '2026-12-25', name: 'Christmas Day' },
  ],
});
// Only the Monday is a holiday here, to see a Monday holiday right after a weekend on its own.
const berlinWhitMonday = calendar({ timeZone: 'Europe/Berlin', hours: weekdays(nineToFive), holidays: [{ date: '2026-05-25' }] });
const berlinLunch = calendar({
  timeZone: 'Europe/Berlin',
  hours: weekdays([
    { start: '13:00', end: '17:00' },
    { start: '09:00', end: '12:00' },
  ]),
});
// Sunday night shifts whose hours contain, end inside or touch the hour the clocks change.
const berlinSundayNight = calendar({ timeZone: 'Europe/Berlin', hours: { sunday: [{ start: '01:00', end: '05:00' }] } });
const berlinSundayEndsInGap = calendar({ timeZone: 'Europe/Berlin', hours: { sunday: [{ start: '00:30', end: '02:30' }] } });
const berlinSundayTouching = calendar({
  timeZone: 'Europe/Berlin',
  hours: {
    sunday: [
      { start: '00:00', end: '02:00' },
      { start: '03:00', end: '06:00' },
    ],
  },
});
const berlinSundayInsideGap = calendar({
  timeZone: 'Europe/Berlin',
  hours: {
    sunday: [
      { start: '02:00', end: '02:30' },
      { start: '03:00', end: '04:00' },
    ],
  },
});
const berlin247 = calendar({ timeZone: 'Europe/Berlin', hours: '24/7' });
// St John's went back from 00:01 NDT (UTC-2:30) to 23:01 NST (UTC-3:30) on 2010-11-07: the new date showed for one
// minute (02:30Z–02:31Z), then the clock read the previous evening again.
const stJohnsSundayNight = calendar({ timeZone: 'America/St_Johns', hours: { sunday: [{ start: '00:00', end: '06:00' }] } });
// New York is UTC-5 (EST) until 2026-03-08 02:00, UTC-4 (EDT) until 2026-11-01 02:00, then UTC-5 again.
const newYork = calendar({
  timeZone: 'America/New_York',
  hours: weekdays(nineToFive),
  holidays: [{ date: '2026-11-26', name: 'Thanksgiving' }],
});
const newYorkSundayNight = calendar({ timeZone: 'America/New_York', hours: { sunday: [{ start: '00:00', end: '04:00' }] } });
const newYork247 = calendar({ timeZone: 'America/New_York', hours: '24/7' });
// Kolkata is UTC+5:30 all year.
const kolkata = calendar({ timeZone: 'Asia/Kolkata', hours: weekdays([{ start: '09:30', end: '18:00' }]) });
// Auckland is UTC+13 (NZDT) until 2026-04-05 03:00, then UTC+12 (NZST).
const auckland = calendar({ timeZone: 'Pacific/Auckland', hours: weekdays(nineToFive) });

describe('addBusinessMinutes', () => {
  const cases: Array<{ name: string; calendar: typeof berlin; start: string; minutes: number; due: string }> = [
    // Tue 2026-01-13 10:00 CET + 1 h, all inside the day.
    { name: 'inside one business day', calendar: berlin, start: '2026-01-13T09:00:00Z', minutes: 60, due: '2026-01-13T10:00:00Z' },
    // Tue 16:30 CET: 30 min to closing, 30 min from Wed 09:00 CET.
    { name: 'across a night', calendar: berlin, start: '2026-01-13T15:30:00Z', minutes: 60, due: '2026-01-14T08:30:00Z' },
    // Fri 16:00 CET: 60 min Friday, weekend closed, 60 min Monday → Mon 10:00 CET.
    { name: 'across a weekend', calendar: berlin, start: '2026-01-16T15:00:00Z', minutes: 120, due: '2026-01-19T09:00:00Z' },
    // Fri 16:00 CET + 60 min is due at Friday's closing instant, not Monday's opening.
    { name: 'due exactly at closing', calendar: berlin, start: '2026-01-16T15:00:00Z', minutes: 60, due: '2026-01-16T16:00:00Z' },
    // Tue 07:00 CET: the clock starts at 09:00 CET.
    { name: 'start before opening', calendar: berlin, start: '2026-01-13T06:00:00Z', minutes: 30, due: '2026-01-13T08:30:00Z' },
    // Tue 19:00 CET: nothing until Wed 09:00 CET.
    { name: 'start after closing', calendar: berlin, start: '2026-01-13T18:00:00Z', minutes: 30, due: '2026-01-14T08:30:00Z' },
    // Sat 2026-01-17 12:00 CET: nothing until Mon 09:00 CET.
    { name: 'start on a weekend', calendar: berlin, start: '2026-01-17T11:00:00Z', minutes: 30, due: '2026-01-19T08:30:00Z' },
    // Christmas Day (Fri) 10:00 CET: holiday, weekend, then Mon 28th 09:00 CET + 60.
    { name: 'start on a holiday', calendar: berlin, start: '2026-12-25T09:00:00Z', minutes: 60, due: '2026-12-28T09:00:00Z' },
    // Thu 24 Dec 12:00 CET: 60 min until the short day closes at 13:00, Fri holiday, weekend, Mon 09:00 + 60.
    { name: 'short day (partial holiday)', calendar: berlin, start: '2026-12-24T11:00:00Z', minutes: 120, due: '2026-12-28T09:00:00Z' },
    // Thu 2 Apr 16:00 CEST: 60 min; Good Friday, weekend, Easter Monday closed; Tue 7 Apr 09:00 CEST + 60.
    {
      name: 'Easter: holidays around a weekend',
      calendar: berlin,
      start: '2026-04-02T14:00:00Z',
      minutes: 120,
      due: '2026-04-07T08:00:00Z',
    },
    // Fri 22 May 16:00 CEST: 60 min; weekend; Whit Monday closed; Tue 26 May 10:00 CEST.
    {
      name: 'holiday on the Monday after a weekend',
      calendar: berlinWhitMonday,
      start: '2026-05-22T14:00:00Z',
      minutes: 120,
      due: '2026-05-26T08:00:00Z',
    },
    // Fri 27 Mar 16:00 CET; clocks spring forward Sunday; Mon 30 Mar 10:00 is CEST (08:00Z), not 09:00Z.
    {
      name: 'Berlin spring-forward weekend keeps wall-clock hours',
      calendar: berlin,
      start: '2026-03-27T15:00:00Z',
      minutes: 120,
      due: '2026-03-30T08:00:00Z',
    },
    // Fri 23 Oct 16:00 CEST; clocks fall back Sunday; Mon 26 Oct 10:00 is CET (09:00Z).
    {
      name: 'Berlin fall-back weekend keeps wall-clock hours',
      calendar: berlin,
      start: '2026-10-23T14:00:00Z',
      minutes: 120,
      due: '2026-10-26T09:00:00Z',
    },
    // Sun 29 Mar 01:00 CET (00:00Z): 01:00–02:00 CET then 03:00–05:00 CEST are 180 real minutes, closing 03:00Z.
    {
      name: 'Berlin hours containing the skipped hour',
      calendar: berlinSundayNight,
      start: '2026-03-29T00:00:00Z',
      minutes: 180,
      due: '2026-03-29T03:00:00Z',
    },
    // One more minute than that short night: the next Sunday, 5 Apr 01:01 CEST (23:01Z on the 4th).
    {
      name: 'Berlin short night overflows to next week',
      calendar: berlinSundayNight,
      start: '2026-03-29T00:00:00Z',
      minutes: 181,
      due: '2026-04-04T23:01:00Z',
    },
    // Sun 25 Oct 01:00 CEST (23:00Z Sat): the night lasts until 05:00 CET (04:00Z), 300 min; +270 → 03:30Z.
    {
      name: 'Berlin hours containing the repeated hour',
      calendar: berlinSundayNight,
      start: '2026-10-24T23:00:00Z',
      minutes: 270,
      due: '2026-10-25T03:30:00Z',
    },
    // Sun 8 Mar 00:00 EST (05:00Z): the night ends 04:00 EDT (08:00Z), 180 real minutes.
    {
      name: 'New York hours containing the skipped hour',
      calendar: newYorkSundayNight,
      start: '2026-03-08T05:00:00Z',
      minutes: 180,
      due: '2026-03-08T08:00:00Z',
    },
    // Sun 1 Nov 00:00 EDT (04:00Z): 240 real minutes later is 08:00Z (03:00 EST), inside a 300-minute night.
    {
      name: 'New York hours containing the repeated hour',
      calendar: newYorkSundayNight,
      start: '2026-11-01T04:00:00Z',
      minutes: 240,
      due: '2026-11-01T08:00:00Z',
    },
    // Fri 6 Mar 16:00 EST (21:00Z): 60 min; DST starts Sunday; Mon 9 Mar 10:00 EDT (14:00Z).
    {
      name: 'New York spring-forward weekend',
      calendar: newYork,
      start: '2026-03-06T21:00:00Z',
      minutes: 120,
      due: '2026-03-09T14:00:00Z',
    },
    // Fri 30 Oct 16:00 EDT (20:00Z): 60 min; DST ends Sunday; Mon 2 Nov 10:00 EST (15:00Z).
    { name: 'New York fall-back weekend', calendar: newYork, start: '2026-10-30T20:00:00Z', minutes: 120, due: '2026-11-02T15:00:00Z' },
    // Wed 25 Nov 16:00 EST (21:00Z): 60 min; Thanksgiving closed; Fri 27 Nov 10:00 EST.
    { name: 'New York holiday mid-week', calendar: newYork, start: '2026-11-25T21:00:00Z', minutes: 120, due: '2026-11-27T15:00:00Z' },
    // Sat 28 Mar 12:00 CET (11:00Z) + 24 h round the clock: the 23-hour Sunday makes it 13:00 CEST, still 11:00Z.
    {
      name: '24/7 across spring-forward counts real minutes',
      calendar: berlin247,
      start: '2026-03-28T11:00:00Z',
      minutes: 1440,
      due: '2026-03-29T11:00:00Z',
    },
    // Sat 31 Oct 12:00 EDT (16:00Z) + 24 h: the 25-hour Sunday makes it 11:00 EST, still 16:00Z.
    {
      name: '24/7 across fall-back counts real minutes',
      calendar: newYork247,
      start: '2026-10-31T16:00:00Z',
      minutes: 1440,
      due: '2026-11-01T16:00:00Z',
    },
    // Round the clock, New Year's Eve 23:30 CET + 60 crosses into the new year without a gap.
    {
      name: '24/7 across midnight and a year',
      calendar: berlin247,
      start: '2026-12-31T22:30:00Z',
      minutes: 60,
      due: '2026-12-31T23:30:00Z',
    },
    // Fri 16 Jan 17:00 IST (11:30Z): 60 min to 18:00; Mon 19 Jan 09:30 + 30 = 10:00 IST (04:30Z).
    { name: 'Kolkata +05:30 across a weekend', calendar: kolkata, start: '2026-01-16T11:30:00Z', minutes: 90, due: '2026-01-19T04:30:00Z' },
    // Mon 19 Jan 02:00Z is 07:30 IST, before opening: 09:30 + 60 = 10:30 IST (05:00Z).
    { name: 'Kolkata start before opening', calendar: kolkata, start: '2026-01-19T02:00:00Z', minutes: 60, due: '2026-01-19T05:00:00Z' },
    // Sun 18 Jan 22:00Z is already Mon 19 Jan 11:00 NZDT: open, so due 12:00 NZDT (23:00Z Sunday).
    {
      name: 'Auckland: a UTC Sunday that is a local Monday',
      calendar: auckland,
      start: '2026-01-18T22:00:00Z',
      minutes: 60,
      due: '2026-01-18T23:00:00Z',
    },
    // Fri 23 Jan 16:00 NZDT (03:00Z): 60 min; Mon 26 Jan 10:00 NZDT is Sun 25 Jan 21:00Z.
    {
      name: 'Auckland across a weekend and the date line',
      calendar: auckland,
      start: '2026-01-23T03:00:00Z',
      minutes: 120,
      due: '2026-01-25T21:00:00Z',
    },
    // Fri 3 Apr 16:00 NZDT (03:00Z): 60 min; DST ends Sunday; Mon 6 Apr 10:00 NZST (UTC+12) is Sun 5 Apr 22:00Z.
    {
      name: 'Auckland DST end over a weekend',
      calendar: auckland,
      start: '2026-04-03T03:00:00Z',
      minutes: 120,
      due: '2026-04-05T22:00:00Z',
    },
    // Mon 19 Jan 11:30 CET: 30 min to lunch, 30 min from 13:00 → 13:30 CET.
    {
      name: 'split day across the lunch break',
      calendar: berlinLunch,
      start: '2026-01-19T10:30:00Z',
      minutes: 60,
      due: '2026-01-19T12:30:00Z',
    },
    // Mon 19 Jan 12:15 CET is lunch: the clock starts at 13:00 CET.
    {
      name: 'split day starting during lunch',
      calendar: berlinLunch,
      start: '2026-01-19T11:15:00Z',
      minutes: 30,
      due: '2026-01-19T12:30:00Z',
    },
    // Mon 11:00 CET + 60 is due at 12:00 CET, the start of lunch.
    {
      name: 'split day due at the start of lunch',
      calendar: berlinLunch,
      start: '2026-01-19T10:00:00Z',
      minutes: 60,
      due: '2026-01-19T11:00:00Z',
    },
    // Mon 5 Jan 09:00 CET + five 8-hour days = Fri 9 Jan 17:00 CET.
    { name: 'a whole business week', calendar: berlin, start: '2026-01-05T08:00:00Z', minutes: 2400, due: '2026-01-09T16:00:00Z' },
    // Zero minutes is due at the start itself, even outside business hours (Sat 17 Jan).
    { name: 'zero minutes on a weekend', calendar: berlin, start: '2026-01-17T11:00:00Z', minutes: 0, due: '2026-01-17T11:00:00Z' },
    // Half a minute from opening: 09:00:30 CET.
    { name: 'fractional minutes', calendar: berlin, start: '2026-01-13T08:00:00Z', minutes: 0.5, due: '2026-01-13T08:00:30Z' },
  ];

  it.each(cases)('$name', ({ calendar: cal, start, minutes, due }) => {
    expect(addBusinessMinutes(new Date(start), minutes, cal).toISOString()).toBe(new Date(due).toISOString());
  });

  it('refuses negative or non-finite minutes and invalid dates', () => {
    expect(() => addBusinessMinutes(new Date('2026-01-13T09:00:00Z'), -1, berlin)).toThrow(AppError);
    expect(() => addBusinessMinutes(new Date('2026-01-13T09:00:00Z'), Number.NaN, berlin)).toThrow(/zero or more/);
    expect(() => addBusinessMinutes(new Date('not a date'), 10, berlin)).toThrow(/start is not a valid instant/);
  });
});

describe('businessMinutesBetween', () => {
  const cases: Array<{ name: string; calendar: typeof berlin; from: string; to: string; minutes: number }> = [
    // Fri 16:00 CET → Mon 10:00 CET: 60 + 60.
    { name: 'over a weekend', calendar: berlin, from: '2026-01-16T15:00:00Z', to: '2026-01-19T09:00:00Z', minutes: 120 },
    { name: 'the same instant', calendar: berlin, from: '2026-01-13T10:00:00Z', to: '2026-01-13T10:00:00Z', minutes: 0 },
    // Reversed bounds give the negative of the forward figure.
    { name: 'reversed bounds', calendar: berlin, from: '2026-01-19T09:00:00Z', to: '2026-01-16T15:00:00Z', minutes: -120 },
    // Mon 5 Jan 00:00 CET → Mon 12 Jan 00:00 CET: five days of 480.
    { name: 'a plain week', calendar: berlin, from: '2026-01-04T23:00:00Z', to: '2026-01-11T23:00:00Z', minutes: 2400 },
    // Mon 23 Mar 00:00 CET → Mon 30 Mar 00:00 CEST is a 167-hour week; business time is still 5 × 480.
    { name: 'the spring-forward week', calendar: berlin, from: '2026-03-22T23:00:00Z', to: '2026-03-29T22:00:00Z', minutes: 2400 },
    // Mon 21 Dec → Mon 28 Dec: Mon–Wed 3 × 480, Thu short day 240, Fri Christmas 0.
    { name: 'the Christmas week', calendar: berlin, from: '2026-12-20T23:00:00Z', to: '2026-12-27T23:00:00Z', minutes: 1680 },
    // Sun 29 Mar in Berlin has 23 hours: 00:00 CET (28th 23:00Z) → Mon 00:00 CEST (29th 22:00Z).
    { name: '24/7 on the 23-hour day', calendar: berlin247, from: '2026-03-28T23:00:00Z', to: '2026-03-29T22:00:00Z', minutes: 1380 },
    // Sun 25 Oct in Berlin has 25 hours: 00:00 CEST (24th 22:00Z) → Mon 00:00 CET (25th 23:00Z).
    { name: '24/7 on the 25-hour day', calendar: berlin247, from: '2026-10-24T22:00:00Z', to: '2026-10-25T23:00:00Z', minutes: 1500 },
    // 00:30–02:30 on the spring-forward Sunday: the clock jumps from 02:00 to 03:00, so only 00:30–02:00 CET exists.
    {
      name: 'hours ending inside the skipped hour',
      calendar: berlinSundayEndsInGap,
      from: '2026-03-28T12:00:00Z',
      to: '2026-03-29T12:00:00Z',
      minutes: 90,
    },
    // 00:00–02:00 and 03:00–06:00 only touch the skipped hour: 120 + 180 as on any Sunday.
    {
      name: 'hours touching the skipped hour',
      calendar: berlinSundayTouching,
      from: '2026-03-28T12:00:00Z',
      to: '2026-03-29T12:00:00Z',
      minutes: 300,
    },
    // 00:30–02:30 on the fall-back Sunday ends at the first 02:30 (CEST): 00:30–02:30 CEST, 120 min.
    {
      name: 'hours ending inside the repeated hour',
      calendar: berlinSundayEndsInGap,
      from: '2026-10-24T12:00:00Z',
      to: '2026-10-25T12:00:00Z',
      minutes: 120,
    },
    // 01:00–05:00 on the fall-back Sunday runs 01:00 CEST → 05:00 CET: 300 real minutes.
    {
      name: 'hours containing the repeated hour',
      calendar: berlinSundayNight,
      from: '2026-10-24T12:00:00Z',
      to: '2026-10-25T12:00:00Z',
      minutes: 300,
    },
    // 02:00–02:30 never shows on the spring-forward Sunday; only 03:00–04:00 CEST counts.
    {
      name: 'hours entirely inside the skipped hour',
      calendar: berlinSundayInsideGap,
      from: '2026-03-28T12:00:00Z',
      to: '2026-03-29T12:00:00Z',
      minutes: 60,
    },
    // Sunday opened at 00:00 NDT (02:30Z); at 03:00Z the clock reads Saturday 23:31 NST, yet 30 Sunday minutes have passed.
    {
      name: "clocks back across midnight (St John's 2010)",
      calendar: stJohnsSundayNight,
      from: '2010-11-07T02:00:00Z',
      to: '2010-11-07T03:00:00Z',
      minutes: 30,
    },
    // Thu 18:00Z is Fri 07:00 NZDT, before opening; Fri 09:00–17:00 NZDT = 20:00Z Thu → 04:00Z Fri.
    { name: 'Auckland day seen from UTC', calendar: auckland, from: '2026-01-22T18:00:00Z', to: '2026-01-23T18:00:00Z', minutes: 480 },
  ];

  it.each(cases)('$name', ({ calendar: cal, from, to, minutes }) => {
    expect(businessMinutesBetween(new Date(from), new Date(to), cal)).toBe(minutes);
  });
});

describe('businessIntervalsOn and isBusinessTime', () => {
  it('resolves hours that straddle the skipped hour to the instants the wall clock really shows', () => {
    // 01:00 CET is 00:00Z; the clock shows 05:00 CEST at 03:00Z.
    expect(businessIntervalsOn('2026-03-29', berlinSundayNight)).toEqual([
      { start: new Date('2026-03-29T00:00:00Z'), end: new Date('2026-03-29T03:00:00Z') },
    ]);
  });

  it('starts a day with hours inside the repeated hour at its first occurrence', () => {
    // 00:30 CEST is 22:30Z on the 24th; the first 02:30 is CEST, 00:30Z.
    expect(businessIntervalsOn('2026-10-25', berlinSundayEndsInGap)).toEqual([
      { start: new Date('2026-10-24T22:30:00Z'), end: new Date('2026-10-25T00:30:00Z') },
    ]);
  });

  it('drops hours that fall entirely inside the skipped hour', () => {
    // 03:00–04:00 CEST is 01:00Z–02:00Z; 02:00–02:30 does not exist that day.
    expect(businessIntervalsOn('2026-03-29', berlinSundayInsideGap)).toEqual([
      { start: new Date('2026-03-29T01:00:00Z'), end: new Date('2026-03-29T02:00:00Z') },
    ]);
  });

  it('gives a holiday no hours and a short day its own hours', () => {
    expect(businessIntervalsOn('2026-12-25', berlin)).toEqual([]);
    expect(businessIntervalsOn('2026-12-24', berlin)).toEqual([
      { start: new Date('2026-12-24T08:00:00Z'), end: new Date('2026-12-24T12:00:00Z') },
    ]);
  });

  it('refuses a date that does not exist', () => {
    expect(() => businessIntervalsOn('2026-02-30', berlin)).toThrow(/not a local date/);
  });

  it('tells business time with opening included and closing excluded', () => {
    expect(isBusinessTime(new Date('2026-01-13T08:00:00Z'), berlin)).toBe(true);
    expect(isBusinessTime(new Date('2026-01-13T16:00:00Z'), berlin)).toBe(false);
    expect(isBusinessTime(new Date('2026-01-13T15:59:59.999Z'), berlin)).toBe(true);
    expect(isBusinessTime(new Date('2026-01-17T12:00:00Z'), berlin)).toBe(false);
  });
});
