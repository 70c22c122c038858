import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/ticket-status.ts';
import { ESCALATION_ACTIONS, ESCALATION_TRIGGERS } from './sla.model.ts';
import { MAX_HOLIDAYS, MAX_TARGET_MINUTES, WEEKDAYS } from './sla.schema.ts';

/*
 * The REST shapes of calendars and policies. These check structure and types only; the
 * meaning (overlapping hours, unknown time zones, a policy without a target) is checked by
 * `parseBusinessCalendar`/`parseSlaPolicy` in the service, which name every problem.
 */

const clock = z.string().max(5);
const intervalSchema = z.object({ start: clock, end: clock }).strict();
const dayHours = z.array(intervalSchema).max(48);
const weeklyHoursSchema = z
  .object(
    Object.fromEntries(WEEKDAYS.map((day) => [day, dayHours.optional()])) as Record<
      (typeof WEEKDAYS)[number],
      z.ZodOptional<typeof dayHours>
    >,
  )
  .strict();

/** POST/PUT /api/v1/sla/calendars body. `hours` is `"24/7"` or intervals per named weekday. */
export const slaCalendarBodySchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    timeZone: z.string().trim().min(1).max(64),
    hours: z.union([z.literal('24/7'), weeklyHoursSchema]),
    holidays: z
      .array(z.object({ date: z.string().max(10), name: z.string().trim().max(120).optional(), hours: dayHours.optional() }).strict())
      .max(MAX_HOLIDAYS)
      .default([]),
  })
  .strict();
/** Calendar body. */
export type SlaCalendarBody = z.infer<typeof slaCalendarBodySchema>;

const fullDay = z.array(z.object({ start: z.string(), end: z.string() }));

/** A calendar as the API shows it (every weekday listed, intervals sorted). */
export const slaCalendarDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  timeZone: z.string(),
  hours: z.object(Object.fromEntries(WEEKDAYS.map((day) => [day, fullDay])) as Record<(typeof WEEKDAYS)[number], typeof fullDay>),
  holidays: z.array(z.object({ date: z.string(), name: z.string().optional(), hours: fullDay.optional() })),
  updatedAt: z.string(),
});
/** Calendar DTO. */
export type SlaCalendarDto = z.infer<typeof slaCalendarDtoSchema>;

const target = z.number().int().min(1).max(MAX_TARGET_MINUTES);

/** One escalation rule: on `warning` or `breach`, do `action` (`assign_team` names its team). */
export const escalationRuleSchema = z
  .object({ on: z.enum(ESCALATION_TRIGGERS), action: z.enum(ESCALATION_ACTIONS), teamId: objectIdSchema.nullable().default(null) })
  .strict();

/** POST/PUT /api/v1/sla/policies body. `calendarId` null: the helpdesk's own business hours and time zone. */
export const slaPolicyBodySchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    order: z.number().int().min(0).max(100_000),
    active: z.boolean().default(true),
    conditions: z
      .object({
        priorities: z.array(z.enum(TICKET_PRIORITIES)).max(4).default([]),
        channels: z.array(z.enum(TICKET_CHANNELS)).max(4).default([]),
        organisationIds: z.array(objectIdSchema).max(200).default([]),
        categoryIds: z.array(objectIdSchema).max(200).default([]),
      })
      .strict()
      .default({ priorities: [], channels: [], organisationIds: [], categoryIds: [] }),
    targetMinutes: z.object({ firstResponse: target.optional(), nextResponse: target.optional(), resolution: target.optional() }).strict(),
    warningThresholdPercent: z.number().int().min(1).max(99).default(75),
    pauseStatuses: z.array(z.enum(TICKET_STATUSES)).max(6).default(['pending', 'on_hold']),
    calendarId: objectIdSchema.nullable().default(null),
    escalations: z.array(escalationRuleSchema).max(12).default([]),
  })
  .strict();
/** Policy body. */
export type SlaPolicyBody = z.infer<typeof slaPolicyBodySchema>;

/** A policy as the API shows it. */
export const slaPolicyDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  order: z.number(),
  active: z.boolean(),
  conditions: z.object({
    priorities: z.array(z.enum(TICKET_PRIORITIES)),
    channels: z.array(z.enum(TICKET_CHANNELS)),
    organisationIds: z.array(z.string()),
    categoryIds: z.array(z.string()),
  }),
  targetMinutes: z.object({ firstResponse: z.number().nullable(), nextResponse: z.number().nullable(), resolution: z.number().nullable() }),
  warningThresholdPercent: z.number(),
  pauseStatuses: z.array(z.enum(TICKET_STATUSES)),
  calendarId: z.string().nullable(),
  escalations: z.array(z.object({ on: z.enum(ESCALATION_TRIGGERS), action: z.enum(ESCALATION_ACTIONS), teamId: z.string().nullable() })),
  updatedAt: z.string(),
});
/** Policy DTO. */
export type SlaPolicyDto = z.infer<typeof slaPolicyDtoSchema>;

/** GET /api/v1/sla/report query: the last `days` local days (the console offers 7 and 30), optionally one team. */
export const slaReportQuerySchema = z
  .object({ days: z.coerce.number().int().min(1).max(90).default(7), teamId: objectIdSchema.optional() })
  .strict();

const attainment = z.object({ met: z.number(), breached: z.number(), attainment: z.number().nullable() });

/** Manager report: daily history, attainment per team and per agent. */
export const slaReportDtoSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  days: z.array(
    attainment.extend({
      day: z.string(),
      created: z.number(),
      solved: z.number(),
      firstResponses: z.number(),
      firstResponseMedianMinutes: z.number().nullable(),
    }),
  ),
  totals: attainment.extend({ created: z.number(), solved: z.number(), firstResponseMedianMinutes: z.number().nullable() }),
  byMetric: z.array(attainment.extend({ metric: z.string() })),
  byTeam: z.array(attainment.extend({ teamId: z.string().nullable(), name: z.string() })),
  byAgent: z.array(attainment.extend({ agentId: z.string().nullable(), name: z.string() })),
});
/** Report DTO. */
export type SlaReportDto = z.infer<typeof slaReportDtoSchema>;
