import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';
import * as rrulePackage from 'rrule';

// rrule ships a UMD bundle for Node (exports under `default`) and ESM for bundlers (named).
const { RRule } = (
  'RRule' in rrulePackage ? rrulePackage : (rrulePackage as unknown as { default: typeof rrulePackage }).default
) as typeof rrulePackage;

/** How a schedule's rule is written. */
export const RULE_KINDS = ['rrule', 'cron'] as const;
/** One of {@link RULE_KINDS}. */
export type RuleKind = (typeof RULE_KINDS)[number];

/** A recurrence: an RFC 5545 RRULE or a cron expression, read in a time zone from a start instant on. */
export interface Recurrence {
  kind: RuleKind;
  /** `FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0` (no DTSTART: `startAt` is it) or `0 9 1 * *`. */
  rule: string;
  /** IANA zone the rule's wall-clock times are in. */
  timezone: string;
  startAt: Date;
}

/** Closest two occurrences may be: a schedule opens maintenance tickets, not a flood. */
export const MIN_INTERVAL_MS = 60 * 60 * 1000;

/** A rule that cannot be used, with a message for the person who wrote it. */
export class RecurrenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecurrenceError';
  }
}

/** Local wall-clock time of `instant` in `zone`, as a Date whose UTC fields carry it (rrule's "floating" time). */
function toFloating(instant: Date, zone: string): Date {
  const local = DateTime.fromJSDate(instant, { zone });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
}

/** The instant a floating wall-clock time names in `zone` (a time skipped by DST moves forward). */
function fromFloating(floating: Date, zone: string): Date {
  return DateTime.fromObject(
    {
      year: floating.getUTCFullYear(),
      month: floating.getUTCMonth() + 1,
      day: floating.getUTCDate(),
      hour: floating.getUTCHours(),
      minute: floating.getUTCMinutes(),
      second: floating.getUTCSeconds(),
    },
    { zone },
  ).toJSDate();
}

/** Rules work in whole seconds. */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function rruleOf(recurrence: Recurrence): InstanceType<typeof RRule> {
  const text = recurrence.rule.trim().replace(/^RRULE:/i, '');
  if (/DTSTART|TZID|\n/i.test(text)) throw new RecurrenceError('give the RRULE part only; the start and time zone are separate fields');
  let options: ReturnType<typeof RRule.parseString>;
  try {
    options = RRule.parseString(text);
  } catch (error) {
    throw new RecurrenceError(`not a valid RRULE: ${(error as Error).message}`);
  }
  if (options.freq === undefined) throw new RecurrenceError('an RRULE needs FREQ');
  return new RRule({ ...options, dtstart: toFloating(wholeSeconds(recurrence.startAt), recurrence.timezone), tzid: null });
}

/**
 * Up to `limit` occurrences strictly after `after` (and not after `until`), in order.
 * Schedules store `startAt` and read every wall-clock time in their own zone, so "every
 * Monday 09:00" stays 09:00 local across daylight-saving changes.
 */
export function occurrencesAfter(recurrence: Recurrence, after: Date, limit: number, until?: Date): Date[] {
  const start = wholeSeconds(recurrence.startAt);
  const from = after < start ? new Date(start.getTime() - 1000) : after;
  const out: Date[] = [];
  if (recurrence.kind === 'rrule') {
    const rule = rruleOf(recurrence);
    let cursor = toFloating(from, recurrence.timezone);
    // Bounded: each pass yields one occurrence or ends; DST folds can repeat a floating time once.
    for (let guard = 0; out.length < limit && guard < limit * 3 + 3; guard++) {
      const next = rule.after(cursor, false);
      if (!next) break;
      cursor = next;
      const instant = fromFloating(next, recurrence.timezone);
      if (until && instant > until) break;
      if (instant > after && (out.length === 0 || instant > out[out.length - 1]!)) out.push(instant);
    }
    return out;
  }
  let interval: ReturnType<typeof CronExpressionParser.parse>;
  try {
    interval = CronExpressionParser.parse(recurrence.rule.trim(), { currentDate: from, tz: recurrence.timezone, strict: false });
  } catch (error) {
    throw new RecurrenceError(`not a valid cron expression: ${(error as Error).message}`);
  }
  for (let guard = 0; out.length < limit && guard < limit * 3 + 3 && interval.hasNext(); guard++) {
    const instant = interval.next().toDate();
    if (until && instant > until) break;
    if (instant > after) out.push(instant);
  }
  return out;
}

/**
 * Checks a recurrence before it is saved: the zone exists, the rule parses, it has a
 * future occurrence, and occurrences are at least an hour apart.
 */
export function validateRecurrence(recurrence: Recurrence, now: Date): void {
  if (!IANAZone.isValidZone(recurrence.timezone)) throw new RecurrenceError(`unknown time zone ${recurrence.timezone}`);
  if (recurrence.kind === 'cron' && recurrence.rule.trim().split(/\s+/).length !== 5)
    throw new RecurrenceError('a cron expression has five fields: minute hour day-of-month month day-of-week');
  const sample = occurrencesAfter(recurrence, new Date(Math.max(now.getTime(), recurrence.startAt.getTime() - 1)), 25);
  if (sample.length === 0) throw new RecurrenceError('the rule has no occurrence after now');
  for (let i = 1; i < sample.length; i++) {
    if (sample[i]!.getTime() - sample[i - 1]!.getTime() < MIN_INTERVAL_MS)
      throw new RecurrenceError('occurrences must be at least an hour apart');
  }
}
