import { IANAZone } from 'luxon';
import { AppError } from '../lib/errors.ts';
import { clockMinutes, localDateSchema, WEEKDAYS, type BusinessCalendar, type DayHours } from './sla.schema.ts';

/** One minute in milliseconds. */
export const MINUTE_MS = 60_000;

const DAY_MS = 86_400_000;
// Offsets are sampled this far either side of a wall time; no zone changes offset twice within it.
const OFFSET_PROBE_MS = 36 * 3_600_000;
const DAY_CACHE_LIMIT = 4096;

/** Wall-clock minutes [open, close) of a local day. */
type WallIntervals = ReadonlyArray<readonly [number, number]>;

/** Business time as instants [start, end) in epoch milliseconds, sorted and disjoint. */
type InstantIntervals = ReadonlyArray<readonly [number, number]>;

interface CompiledCalendar {
  zone: IANAZone;
  /** Indexed like `Date#getUTCDay()`: 0 is Sunday. */
  weekly: WallIntervals[];
  /** Holiday hours by local day (epoch ms of the date at 00:00 UTC). */
  holidays: Map<number, WallIntervals>;
  days: Map<number, InstantIntervals>;
}

const compiled = new WeakMap<BusinessCalendar, CompiledCalendar>();

function wallIntervals(hours: DayHours): WallIntervals {
  return hours.map((interval) => [clockMinutes(interval.start), clockMinutes(interval.end)] as const);
}

function localDayOf(date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day);
}

// Calendars are values: the same object always means the same hours, so its compiled form is cached.
function compile(calendar: BusinessCalendar): CompiledCalendar {
  const cached = compiled.get(calendar);
  if (cached) return cached;
  const zone = IANAZone.create(calendar.timeZone);
  if (!zone.isValid) throw new AppError('validation_failed', `unknown time zone "${calendar.timeZone}"`, { timeZone: calendar.timeZone });
  const byMondayFirst = WEEKDAYS.map((day) => wallIntervals(calendar.hours[day]));
  if (byMondayFirst.every((intervals) => intervals.length === 0)) {
    throw new AppError('validation_failed', 'the calendar has no business hours on any weekday', { calendar: calendar.name ?? null });
  }
  const result: CompiledCalendar = {
    zone,
    weekly: [byMondayFirst[6] ?? [], ...byMondayFirst.slice(0, 6)],
    holidays: new Map(calendar.holidays.map((holiday) => [localDayOf(holiday.date), wallIntervals(holiday.hours ?? [])])),
    days: new Map(),
  };
  compiled.set(calendar, result);
  return result;
}

function offsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MINUTE_MS;
}

/**
 * The first instant at which the local clock shows `wall` or later (wall time as epoch ms of
 * the same fields in UTC). A time that occurs twice (clocks going back) resolves to its first
 * occurrence; a time that never occurs (clocks going forward) resolves to the instant of the jump.
 * This keeps the mapping monotonic, so intervals stay disjoint and a day lasts as long as it really does.
 */
function wallToInstant(zone: IANAZone, wall: number): number {
  const offsets = new Set([offsetMs(zone, wall - OFFSET_PROBE_MS), offsetMs(zone, wall + OFFSET_PROBE_MS)]);
  for (const offset of [...offsets]) offsets.add(offsetMs(zone, wall - offset));
  const valid = [...offsets].map((offset) => wall - offset).filter((instant) => offsetMs(zone, instant) === wall - instant);
  if (valid.length > 0) return Math.min(...valid);
  let low = wall - Math.max(...offsets);
  let high = wall - Math.min(...offsets);
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (middle + offsetMs(zone, middle) >= wall) high = middle;
    else low = middle + 1;
  }
  return low;
}

function localDayAt(zone: IANAZone, instant: number): number {
  const wall = instant + offsetMs(zone, instant);
  return Math.floor(wall / DAY_MS) * DAY_MS;
}

function intervalsOn(calendar: CompiledCalendar, day: number): InstantIntervals {
  const cached = calendar.days.get(day);
  if (cached) return cached;
  const wall = calendar.holidays.get(day) ?? calendar.weekly[new Date(day).getUTCDay()] ?? [];
  const instants: Array<readonly [number, number]> = [];
  for (const [open, close] of wall) {
    const start = wallToInstant(calendar.zone, day + open * MINUTE_MS);
    const end = wallToInstant(calendar.zone, day + close * MINUTE_MS);
    if (end > start) instants.push([start, end]);
  }
  if (calendar.days.size >= DAY_CACHE_LIMIT) calendar.days.clear();
  calendar.days.set(day, instants);
  return instants;
}

function checkInstant(value: number, name: string): void {
  if (!Number.isFinite(value)) throw new AppError('validation_failed', `${name} is not a valid instant`);
}

/**
 * The earliest instant at which `durationMs` of business time has passed since `start`
 * (epoch ms). Zero returns `start` itself, even outside business hours; otherwise the
 * result always lies inside business time or at the end of an interval.
 */
export function addBusinessMs(calendar: BusinessCalendar, start: number, durationMs: number): number {
  checkInstant(start, 'start');
  if (!Number.isFinite(durationMs) || durationMs < 0) {
    throw new AppError('validation_failed', `business time to add must be zero or more, got ${durationMs}`);
  }
  if (durationMs === 0) return start;
  const compiledCalendar = compile(calendar);
  let remaining = durationMs;
  // Days before the local date of `start` cannot help: their intervals end when that date begins.
  for (let day = localDayAt(compiledCalendar.zone, start); ; day += DAY_MS) {
    for (const [open, close] of intervalsOn(compiledCalendar, day)) {
      if (close <= start) continue;
      const from = Math.max(open, start);
      if (remaining <= close - from) return from + remaining;
      remaining -= close - from;
    }
  }
}

/** Business milliseconds in [from, to); negative when `to` is before `from`. */
export function businessMsBetween(calendar: BusinessCalendar, from: number, to: number): number {
  checkInstant(from, 'from');
  checkInstant(to, 'to');
  if (to < from) return -businessMsBetween(calendar, to, from);
  if (to === from) return 0;
  const compiledCalendar = compile(calendar);
  // The day after too: where clocks went back across midnight (St John's until 2010), `to` can show
  // the previous date after the next date's hours have begun.
  const lastDay = localDayAt(compiledCalendar.zone, to) + DAY_MS;
  let total = 0;
  for (let day = localDayAt(compiledCalendar.zone, from); day <= lastDay; day += DAY_MS) {
    for (const [open, close] of intervalsOn(compiledCalendar, day)) {
      const overlap = Math.min(close, to) - Math.max(open, from);
      if (overlap > 0) total += overlap;
    }
  }
  return total;
}

function toMs(value: Date, name: string): number {
  const ms = value.getTime();
  checkInstant(ms, name);
  return ms;
}

/**
 * The instant a target of `minutes` business minutes counted from `start` falls due:
 * the earliest instant by which that much business time has passed. Minutes count only
 * inside the calendar's hours, in its zone, skipping nights, weekends and holidays; a
 * 23- or 25-hour day lasts as long as it really does. Fractions of a minute are kept to the millisecond.
 */
export function addBusinessMinutes(start: Date, minutes: number, calendar: BusinessCalendar): Date {
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new AppError('validation_failed', `minutes to add must be zero or more, got ${minutes}`);
  }
  return new Date(addBusinessMs(calendar, toMs(start, 'start'), Math.round(minutes * MINUTE_MS)));
}

/** Business minutes between two instants (fractional to the millisecond); negative when `to` is before `from`. */
export function businessMinutesBetween(from: Date, to: Date, calendar: BusinessCalendar): number {
  return businessMsBetween(calendar, toMs(from, 'from'), toMs(to, 'to')) / MINUTE_MS;
}

/** Whether `instant` lies inside business hours (interval starts included, ends excluded). */
export function isBusinessTime(instant: Date, calendar: BusinessCalendar): boolean {
  const ms = toMs(instant, 'instant');
  return addBusinessMs(calendar, ms, 1) === ms + 1;
}

/**
 * The business intervals of a local date as instants, after holidays and clock changes:
 * what the calendar really means on that day. Useful for showing hours and for checks.
 */
export function businessIntervalsOn(date: string, calendar: BusinessCalendar): Array<{ start: Date; end: Date }> {
  if (!localDateSchema.safeParse(date).success) throw new AppError('validation_failed', `"${date}" is not a local date YYYY-MM-DD`);
  return intervalsOn(compile(calendar), localDayOf(date)).map(([start, end]) => ({ start: new Date(start), end: new Date(end) }));
}
