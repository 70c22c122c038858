import { IANAZone } from 'luxon';
import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES, type TicketStatus } from '../tickets/ticket-status.ts';

/** Largest target a policy may set: one year of round-the-clock minutes. */
export const MAX_TARGET_MINUTES = 525_600;

/** Largest number of holidays one calendar may list (a few decades of public holidays). */
export const MAX_HOLIDAYS = 1000;

/** Statuses that stop every clock for good (until a reopen); they cannot be pause statuses. */
export const DONE_STATUSES: readonly TicketStatus[] = ['solved', 'closed'];

/** Weekday keys of a calendar, Monday first. */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
/** One of {@link WEEKDAYS}. */
export type Weekday = (typeof WEEKDAYS)[number];

const CLOCK_PATTERN = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** Minutes after local midnight of an `HH:MM` clock time; `24:00` is 1440 (the next midnight). */
export function clockMinutes(clock: string): number {
  const [hours = '0', minutes = '0'] = clock.split(':');
  return Number(hours) * 60 + Number(minutes);
}

/** The opening time of an interval: `00:00` to `23:59`. */
export const openingClockSchema = z.string().regex(CLOCK_PATTERN, 'must be a 24-hour clock time HH:MM, e.g. "09:00"');

/** The closing time of an interval: `00:01` to `24:00` (`24:00` is the next midnight). */
export const closingClockSchema = z
  .string()
  .refine((value) => CLOCK_PATTERN.test(value) || value === '24:00', 'must be a 24-hour clock time HH:MM, e.g. "17:30", or "24:00"');

/** One stretch of business time inside a local day, `start` included, `end` excluded. */
export const businessIntervalSchema = z
  .strictObject({ start: openingClockSchema, end: closingClockSchema })
  .superRefine((interval, ctx) => {
    if (clockMinutes(interval.end) <= clockMinutes(interval.start)) {
      ctx.addIssue({
        code: 'custom',
        path: ['end'],
        message: `interval ${interval.start}–${interval.end} ends before it starts; split hours past midnight over two days (e.g. 22:00–24:00 and 00:00–06:00)`,
      });
    }
  });
/** One business interval, e.g. `{ start: '09:00', end: '12:30' }`. */
export type BusinessInterval = z.infer<typeof businessIntervalSchema>;

/** The business intervals of one day: any order, no overlaps (touching is fine), sorted on output. */
export const dayHoursSchema = z
  .array(businessIntervalSchema)
  .max(48)
  .superRefine((intervals, ctx) => {
    const ordered = [...intervals.entries()].sort(([, a], [, b]) => clockMinutes(a.start) - clockMinutes(b.start));
    for (let i = 1; i < ordered.length; i += 1) {
      const [, previous] = ordered[i - 1] as [number, BusinessInterval];
      const [index, current] = ordered[i] as [number, BusinessInterval];
      if (clockMinutes(current.start) < clockMinutes(previous.end)) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `intervals ${previous.start}–${previous.end} and ${current.start}–${current.end} overlap`,
        });
      }
    }
  })
  .transform((intervals) => [...intervals].sort((a, b) => clockMinutes(a.start) - clockMinutes(b.start)));
/** The sorted business intervals of one day; empty means closed. */
export type DayHours = z.infer<typeof dayHoursSchema>;

/** Business hours of a week; a day left out is closed. Unknown keys (typos) are refused. */
export const weeklyHoursSchema = z.strictObject(
  {
    monday: dayHoursSchema.default([]),
    tuesday: dayHoursSchema.default([]),
    wednesday: dayHoursSchema.default([]),
    thursday: dayHoursSchema.default([]),
    friday: dayHoursSchema.default([]),
    saturday: dayHoursSchema.default([]),
    sunday: dayHoursSchema.default([]),
  },
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? 'must be "24/7" or an object of weekday intervals, e.g. { "monday": [{ "start": "09:00", "end": "17:00" }] }'
        : undefined,
  },
);
/** Business hours of every weekday. */
export type WeeklyHours = z.infer<typeof weeklyHoursSchema>;

const ALL_DAY: DayHours = [{ start: '00:00', end: '24:00' }];

/** Round-the-clock hours, what `hours: '24/7'` stands for. */
export const ALWAYS_OPEN: WeeklyHours = Object.fromEntries(WEEKDAYS.map((day) => [day, ALL_DAY])) as WeeklyHours;

/** Weekly hours, or the shorthand `'24/7'` for every day 00:00–24:00. */
export const businessHoursSchema = z.preprocess((value) => (value === '24/7' ? ALWAYS_OPEN : value), weeklyHoursSchema);

/** A time zone the runtime's tz database knows, refused with a clear message otherwise, returned in canonical spelling. */
export const timeZoneSchema = z
  .string()
  .trim()
  .superRefine((zone, ctx) => {
    if (!IANAZone.isValidZone(zone)) {
      ctx.addIssue({ code: 'custom', message: `unknown time zone "${zone}"; use an IANA name such as "Europe/Berlin" or "UTC"` });
    }
  })
  .transform((zone) => new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone);

/** A local calendar date `YYYY-MM-DD` that exists (no 30 February). */
export const localDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD, e.g. "2026-12-25"')
  .refine((value) => {
    const [year, month, day] = value.split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(year, month - 1, day));
    return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  }, 'is not a date of the calendar');

/**
 * A holiday: a local date on which the weekday's hours do not apply. Without `hours` the
 * whole day is closed; with `hours` those intervals replace the day's hours (a short day,
 * e.g. 24 December 09:00–13:00).
 */
export const holidaySchema = z.strictObject({
  date: localDateSchema,
  name: z.string().trim().min(1).max(120).optional(),
  hours: dayHoursSchema.optional(),
});
/** One holiday or short day. */
export type Holiday = z.infer<typeof holidaySchema>;

/**
 * A business calendar: when SLA clocks may run. Hours are local wall-clock times in
 * `timeZone`; holidays are local dates in the same zone.
 */
export const businessCalendarSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    timeZone: timeZoneSchema,
    hours: businessHoursSchema,
    holidays: z
      .array(holidaySchema)
      .max(MAX_HOLIDAYS)
      .default([])
      .superRefine((holidays, ctx) => {
        const seen = new Set<string>();
        holidays.forEach((holiday, index) => {
          if (seen.has(holiday.date)) ctx.addIssue({ code: 'custom', path: [index, 'date'], message: `${holiday.date} is listed twice` });
          seen.add(holiday.date);
        });
      }),
  })
  .superRefine((calendar, ctx) => {
    if (WEEKDAYS.every((day) => calendar.hours[day].length === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['hours'],
        message: 'the calendar has no business hours on any weekday, so no target could ever fall due; use "24/7" for round-the-clock',
      });
    }
  });
/** A validated business calendar (intervals sorted, zone canonical, `'24/7'` expanded). */
export type BusinessCalendar = z.infer<typeof businessCalendarSchema>;
/** What a caller may pass in: `hours` may be the shorthand `'24/7'`, omitted days and holidays default to none. */
export type BusinessCalendarInput = Omit<z.input<typeof businessCalendarSchema>, 'hours'> & {
  hours: '24/7' | z.input<typeof weeklyHoursSchema>;
};

/** A target in business minutes: a whole number from 1 to {@link MAX_TARGET_MINUTES}. */
export const targetMinutesSchema = z.number().int('must be a whole number of minutes').min(1).max(MAX_TARGET_MINUTES);

/** The three SLA targets in business minutes; at least one is required. */
export const slaTargetsSchema = z
  .strictObject({
    firstResponse: targetMinutesSchema.optional(),
    nextResponse: targetMinutesSchema.optional(),
    resolution: targetMinutesSchema.optional(),
  })
  .refine(
    (targets) => targets.firstResponse !== undefined || targets.nextResponse !== undefined || targets.resolution !== undefined,
    'a policy needs at least one target: firstResponse, nextResponse or resolution (business minutes)',
  );
/** SLA targets in business minutes. */
export type SlaTargets = z.infer<typeof slaTargetsSchema>;

function uniqueList<T extends z.ZodType<string>>(item: T) {
  return z
    .array(item)
    .max(200)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [index], message: `"${value}" is listed twice` });
        seen.add(value);
      });
    });
}

const referenceIdSchema = z.string().trim().min(1).max(64);

/** When a policy applies. Every list is "one of"; an empty list matches any value. All lists must match. */
export const slaConditionsSchema = z.strictObject({
  priorities: uniqueList(z.enum(TICKET_PRIORITIES)).default([]),
  channels: uniqueList(z.enum(TICKET_CHANNELS)).default([]),
  organisationIds: uniqueList(referenceIdSchema).default([]),
  categoryIds: uniqueList(referenceIdSchema).default([]),
});
/** Matching conditions of a policy. */
export type SlaConditions = z.infer<typeof slaConditionsSchema>;

/** Statuses that pause every running clock; `solved` and `closed` stop clocks instead and are refused. */
export const pauseStatusesSchema = uniqueList(z.enum(TICKET_STATUSES)).superRefine((statuses, ctx) => {
  statuses.forEach((status, index) => {
    if (DONE_STATUSES.includes(status)) {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: `"${status}" stops the clocks (the targets are met); it cannot be a pause status`,
      });
    }
  });
});

/**
 * An SLA policy. Policies are tried by ascending `order` (ties by `id`); the first whose
 * conditions all match applies. Targets are in business minutes of the calendar `calendarId`.
 */
export const slaPolicySchema = z.strictObject({
  id: referenceIdSchema,
  name: z.string().trim().min(1).max(120),
  order: z.number().int().min(0),
  conditions: slaConditionsSchema.default({ priorities: [], channels: [], organisationIds: [], categoryIds: [] }),
  targetMinutes: slaTargetsSchema,
  warningThresholdPercent: z.number().int('must be a whole percentage').min(1).max(99).default(75),
  pauseStatuses: pauseStatusesSchema.default(['pending', 'on_hold']),
  calendarId: referenceIdSchema,
});
/** A validated SLA policy with defaults applied. */
export type SlaPolicy = z.infer<typeof slaPolicySchema>;
/** What a caller may pass in (defaults optional). */
export type SlaPolicyInput = z.input<typeof slaPolicySchema>;

/** The ticket attributes policies match on; ids are strings (hex for ObjectIds). */
export const slaTicketAttributesSchema = z.object({
  priority: z.enum(TICKET_PRIORITIES),
  channel: z.enum(TICKET_CHANNELS),
  organisationId: z.string().nullish(),
  categoryId: z.string().nullish(),
});
/** Attributes of a ticket for policy matching. */
export type SlaTicketAttributes = z.infer<typeof slaTicketAttributesSchema>;

/**
 * One fact of a ticket's history that moves SLA clocks. `agent_replied` is a public agent
 * reply only (internal notes never count); `customer_messaged` is any message from the requester.
 */
export const slaEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status_changed'), at: z.date(), status: z.enum(TICKET_STATUSES) }),
  z.object({ type: z.literal('agent_replied'), at: z.date() }),
  z.object({ type: z.literal('customer_messaged'), at: z.date() }),
]);
/** A timeline event. */
export type SlaEvent = z.infer<typeof slaEventSchema>;

/**
 * What the SLA state is computed from: creation, the status the ticket started in
 * (`new` when omitted) and the events in any order (sorted by `at`, ties keep their order).
 */
export const slaTimelineSchema = z.object({
  createdAt: z.date(),
  initialStatus: z.enum(TICKET_STATUSES).optional(),
  events: z.array(slaEventSchema),
});
/** A ticket's SLA-relevant history. */
export type SlaTimeline = z.infer<typeof slaTimelineSchema>;

function refuse(what: string, error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  return new AppError('validation_failed', `Invalid ${what}: ${summary}`, { issues });
}

/** Validates a calendar, or throws `AppError('validation_failed')` naming every problem with its path. */
export function parseBusinessCalendar(input: unknown): BusinessCalendar {
  const result = businessCalendarSchema.safeParse(input);
  if (!result.success) throw refuse('business calendar', result.error);
  return result.data;
}

/** Validates a policy, or throws `AppError('validation_failed')` naming every problem with its path. */
export function parseSlaPolicy(input: unknown): SlaPolicy {
  const result = slaPolicySchema.safeParse(input);
  if (!result.success) throw refuse('SLA policy', result.error);
  return result.data;
}
