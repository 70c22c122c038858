import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { tagSchema } from '../tickets/ticket.schema.ts';
import { TICKET_PRIORITIES } from '../tickets/ticket-status.ts';
import { RULE_KINDS } from './recurrence.ts';

/** The ticket each occurrence opens. */
export const ticketTemplateSchema = z
  .object({
    subject: z.string().trim().min(1).max(200).describe('`{{date}}` becomes the occurrence date (YYYY-MM-DD, schedule time zone)'),
    body: z.string().min(1).max(10_000),
    priority: z.enum(TICKET_PRIORITIES).nullable().optional(),
    teamId: objectIdSchema.nullable().optional(),
    assigneeId: objectIdSchema.nullable().optional(),
    categoryId: objectIdSchema.nullable().optional(),
    tags: z.array(tagSchema).max(30).optional(),
  })
  .strict();

const scheduleFields = {
  name: z.string().trim().min(1).max(120),
  organisationId: objectIdSchema,
  requesterId: objectIdSchema.describe('A customer of the organisation'),
  kind: z.enum(RULE_KINDS).describe('`rrule` (RFC 5545, e.g. FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0) or `cron` (five fields)'),
  rule: z.string().trim().min(1).max(500),
  timezone: z.string().min(1).max(64).describe('IANA zone of the rule (default: the tenant’s)'),
  startAt: z.iso.datetime({ offset: true }).describe('First possible occurrence (RRULE DTSTART); default now'),
  template: ticketTemplateSchema,
  active: z.boolean(),
};

/** POST /api/v1/recurring-schedules body. */
export const scheduleCreateSchema = z
  .object({
    ...scheduleFields,
    timezone: scheduleFields.timezone.optional(),
    startAt: scheduleFields.startAt.optional(),
    active: scheduleFields.active.optional(),
  })
  .strict();
/** Schedule input. */
export type ScheduleCreate = z.infer<typeof scheduleCreateSchema>;

/** PATCH /api/v1/recurring-schedules/:id body (a given template replaces the old one). */
export const schedulePatchSchema = z
  .object(scheduleFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
/** Schedule patch. */
export type SchedulePatch = z.infer<typeof schedulePatchSchema>;

/** A schedule as the API shows it. */
export const scheduleDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  organisationId: z.string(),
  requesterId: z.string(),
  kind: z.enum(RULE_KINDS),
  rule: z.string(),
  timezone: z.string(),
  startAt: z.string(),
  template: z.object({
    subject: z.string(),
    body: z.string(),
    priority: z.enum(TICKET_PRIORITIES).nullable(),
    teamId: z.string().nullable(),
    assigneeId: z.string().nullable(),
    categoryId: z.string().nullable(),
    tags: z.array(z.string()),
  }),
  active: z.boolean(),
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastTicketId: z.string().nullable(),
  createdAt: z.string(),
});
/** Schedule DTO. */
export type ScheduleDto = z.infer<typeof scheduleDtoSchema>;
