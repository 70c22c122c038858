import { describe, expect, it } from 'vitest';
import { isWithinBusinessHours, localClock, nextOpening, type WeeklyHours } from './business-hours.ts';

const weekdays9to17: WeeklyHours = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, intervals: [{ start: '09:00', end: '17:00' }] }));

describe('business hours', () => {
  it('reads the local weekday and clock in the tenant zone', () => {
    // 2026-03-02 is a Monday; 23:30 UTC is already Tuesday 08:30 in Tokyo.
    expect(localClock(new Date('2026-03-02T23:30:00Z'), 'UTC')).toEqual({ weekday: 1, minute: 23 * 60 + 30 });
    expect(localClock(new Date('2026-03-02T23:30:00Z'), 'Asia/Tokyo')).toEqual({ weekday: 2, minute: 8 * 60 + 30 });
  });

  it('is open inside an interval, closed at its end, at night and on weekends', () => {
    expect(isWithinBusinessHours(weekdays9to17, 'Europe/Berlin', new Date('2026-03-02T08:00:00Z'))).toBe(true); // 09:00 local
    expect(isWithinBusinessHours(weekdays9to17, 'Europe/Berlin', new Date('2026-03-02T07:59:00Z'))).toBe(false);
    expect(isWithinBusinessHours(weekdays9to17, 'Europe/Berlin', new Date('2026-03-02T16:00:00Z'))).toBe(false); // 17:00 local
    expect(isWithinBusinessHours(weekdays9to17, 'Europe/Berlin', new Date('2026-03-07T12:00:00Z'))).toBe(false); // Saturday
  });

  it('treats an end of 24:00 as the end of the day and an empty schedule as always open', () => {
    const allDay: WeeklyHours = [{ weekday: 1, intervals: [{ start: '00:00', end: '24:00' }] }];
    expect(isWithinBusinessHours(allDay, 'UTC', new Date('2026-03-02T23:59:00Z'))).toBe(true);
    expect(isWithinBusinessHours(allDay, 'UTC', new Date('2026-03-03T00:00:00Z'))).toBe(false);
    expect(isWithinBusinessHours([], 'UTC', new Date('2026-03-07T03:00:00Z'))).toBe(true);
    expect(nextOpening([], 'UTC', new Date('2026-03-07T03:00:00Z'))).toBeNull();
  });

  it('finds the next opening to the minute, across a weekend', () => {
    const friday = new Date('2026-03-06T18:10:00Z');
    expect(nextOpening(weekdays9to17, 'UTC', friday)?.toISOString()).toBe('2026-03-09T09:00:00.000Z');
    expect(nextOpening(weekdays9to17, 'UTC', new Date('2026-03-09T10:00:00Z'))).toBeNull();
    const halfPast: WeeklyHours = [{ weekday: 1, intervals: [{ start: '09:07', end: '10:00' }] }];
    expect(nextOpening(halfPast, 'UTC', new Date('2026-03-02T08:00:00Z'))?.toISOString()).toBe('2026-03-02T09:07:00.000Z');
    const oneMinute: WeeklyHours = [{ weekday: 4, intervals: [{ start: '10:00', end: '10:01' }] }];
    expect(nextOpening(oneMinute, 'UTC', new Date('2026-03-02T04:13:27Z'))?.toISOString()).toBe('2026-03-05T10:00:00.000Z');
    // Berlin springs forward on 2026-03-29 (02:00 → 03:00): a 02:30 start that day does not exist.
    const night: WeeklyHours = [{ weekday: 7, intervals: [{ start: '02:30', end: '04:00' }] }];
    expect(nextOpening(night, 'Europe/Berlin', new Date('2026-03-28T12:00:00Z'))?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });
});
