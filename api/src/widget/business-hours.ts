/**
 * Whether a tenant is inside its weekly business hours, from the tenant's `businessHours`
 * (weekday 1 = Monday … 7 = Sunday, "HH:MM"–"HH:MM" local intervals, end "24:00" allowed)
 * and IANA time zone. Pure and dependency-free: the widget bundle runs the same code in
 * the visitor's browser (Intl does the zone arithmetic), so both sides always agree.
 */

/** Weekly hours as the tenant stores them. */
export type WeeklyHours = ReadonlyArray<{ weekday: number; intervals: ReadonlyArray<{ start: string; end: string }> }>;

const WEEKDAY_NUMBER: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function minutesOf(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/** Local weekday (1-7) and minute of the day of `instant` in `timeZone`. */
export function localClock(instant: Date, timeZone: string): { weekday: number; minute: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return { weekday: WEEKDAY_NUMBER[parts.weekday ?? 'Mon'] ?? 1, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/**
 * True when `instant` falls inside one of the intervals of its local weekday. A schedule
 * without any interval means the tenant never set hours: always open (no offline mode).
 */
export function isWithinBusinessHours(hours: WeeklyHours, timeZone: string, instant: Date = new Date()): boolean {
  if (!hours.some((day) => day.intervals.length > 0)) return true;
  const { weekday, minute } = localClock(instant, timeZone);
  return hours.some(
    (day) =>
      day.weekday === weekday && day.intervals.some((interval) => minute >= minutesOf(interval.start) && minute < minutesOf(interval.end)),
  );
}

/**
 * The next instant (to the minute) at which business hours begin; null when already open
 * or when no interval exists. Jumps straight to the nearest interval start by local
 * weekday and clock, then checks it (a daylight-saving jump can move or skip a start).
 */
export function nextOpening(hours: WeeklyHours, timeZone: string, instant: Date = new Date()): Date | null {
  if (isWithinBusinessHours(hours, timeZone, instant) || !hours.some((day) => day.intervals.length > 0)) return null;
  const start = Math.ceil(instant.getTime() / 60_000) * 60_000;
  let probe = start;
  for (let attempt = 0; attempt < 16; attempt++) {
    const { weekday, minute } = localClock(new Date(probe), timeZone);
    let best = Infinity;
    for (const day of hours) {
      for (const interval of day.intervals) {
        let delta = ((day.weekday - weekday + 7) % 7) * 1440 + minutesOf(interval.start) - minute;
        if (delta <= 0) delta += 7 * 1440;
        if (minutesOf(interval.end) > minutesOf(interval.start)) best = Math.min(best, delta);
      }
    }
    if (best === Infinity) return null;
    const candidate = probe + best * 60_000;
    if (isWithinBusinessHours(hours, timeZone, new Date(candidate))) {
      let open = candidate;
      while (open - 60_000 >= start && candidate - open < 3_600_000 && isWithinBusinessHours(hours, timeZone, new Date(open - 60_000)))
        open -= 60_000;
      return new Date(open);
    }
    probe = candidate + 60_000;
  }
  return null;
}
