import { z } from 'zod';
import { textQuery } from '../lib/text-query.ts';
import { objectIdSchema } from '../lib/ids.ts';
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from './ticket-status.ts';

/** A tag: lowercase, short, no spaces. */
export const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_:-]{0,39}$/, 'lowercase letters, digits, -, _ and :');

/** Custom field values: scalars only, keys like `contract_id`. */
export const customFieldsSchema = z
  .record(
    z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lowercase key'),
    z.union([z.string().max(1000), z.number().finite(), z.boolean(), z.null()]),
  )
  .refine((fields) => Object.keys(fields).length <= 50, 'at most 50 custom fields');

/** Rich text from the client: HTML (sanitised on the server) or plain text. */
export const bodySchema = z.object({ body: z.string().min(1).max(100_000), format: z.enum(['html', 'text']).default('html') });

/** POST /api/v1/tickets body. Customers may not set staff-only fields (the service refuses). */
export const ticketCreateSchema = z
  .object({
    subject: z.string().trim().min(1).max(250),
    body: z.string().min(1).max(100_000),
    format: z.enum(['html', 'text']).default('html'),
    priority: z.enum(TICKET_PRIORITIES).optional(),
    requesterId: objectIdSchema.optional(),
    requester: z
      .object({ email: z.email().max(254), name: z.string().trim().min(1).max(120).optional() })
      .strict()
      .optional(),
    teamId: objectIdSchema.optional(),
    assigneeId: objectIdSchema.optional(),
    categoryId: objectIdSchema.optional(),
    tags: z.array(tagSchema).max(30).optional(),
    customFields: customFieldsSchema.optional(),
    channel: z.enum(TICKET_CHANNELS).optional(),
    clientKey: z.string().min(8).max(100).optional(),
  })
  .strict();
/** Create input. */
export type TicketCreate = z.infer<typeof ticketCreateSchema>;

/** PATCH /api/v1/tickets/:id body. Status and assignment have their own routes. */
export const ticketPatchSchema = z
  .object({
    subject: z.string().trim().min(1).max(250),
    priority: z.enum(TICKET_PRIORITIES),
    categoryId: objectIdSchema.nullable(),
    tags: z.array(tagSchema).max(30),
    customFields: customFieldsSchema,
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
/** Patch input. */
export type TicketPatch = z.infer<typeof ticketPatchSchema>;

/** POST /api/v1/tickets/:id/status body. */
export const ticketStatusSchema = z.object({ status: z.enum(TICKET_STATUSES) }).strict();

/** POST /api/v1/tickets/:id/assign body (null clears). At least one of the two. */
export const ticketAssignSchema = z
  .object({ assigneeId: objectIdSchema.nullable().optional(), teamId: objectIdSchema.nullable().optional() })
  .strict()
  .refine((v) => v.assigneeId !== undefined || v.teamId !== undefined, 'give assigneeId and/or teamId');

/** POST /api/v1/tickets/:id/merge body. */
export const ticketMergeSchema = z.object({ intoId: objectIdSchema }).strict();

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (typeof value === 'string' ? value.split(',').filter(Boolean) : value), z.array(item).max(20));

/** Ticket filters shared by the list and the count. */
export const ticketFilterSchema = z
  .object({
    status: csv(z.enum(TICKET_STATUSES)).optional(),
    priority: csv(z.enum(TICKET_PRIORITIES)).optional(),
    assigneeId: z.union([objectIdSchema, z.enum(['me', 'none'])]).optional(),
    teamId: z.union([objectIdSchema, z.enum(['mine', 'none'])]).optional(),
    categoryId: objectIdSchema.optional(),
    requesterId: objectIdSchema.optional(),
    organisationId: objectIdSchema.optional(),
    tag: tagSchema.optional(),
    slaState: z.enum(['ok', 'warning', 'breached', 'paused']).optional(),
    /** Only tickets updated at or after this instant (e.g. "solved recently"). */
    updatedSince: z.iso.datetime().optional(),
    q: textQuery(100).min(1).optional(),
  })
  .strict();
/** Filter input. */
export type TicketFilter = z.infer<typeof ticketFilterSchema>;

/** GET /api/v1/tickets query: filters, sort and cursor. */
export const ticketListQuerySchema = ticketFilterSchema
  .extend({
    sort: z.enum(['updated_desc', 'updated_asc', 'created_desc', 'created_asc']).default('updated_desc'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
/** List query. */
export type TicketListQuery = z.infer<typeof ticketListQuerySchema>;

/** A person as embedded in a ticket. */
export const personRefSchema = z.object({ id: z.string(), name: z.string(), email: z.string() });

/** A ticket as the API shows it. */
export const ticketDtoSchema = z.object({
  id: z.string(),
  number: z.number(),
  subject: z.string(),
  status: z.enum(TICKET_STATUSES),
  priority: z.enum(TICKET_PRIORITIES),
  channel: z.enum(TICKET_CHANNELS),
  requester: personRefSchema.nullable(),
  organisationId: z.string().nullable(),
  assigneeId: z.string().nullable(),
  teamId: z.string().nullable(),
  categoryId: z.string().nullable(),
  tags: z.array(z.string()),
  customFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  sla: z.object({
    state: z.string().nullable(),
    firstResponseDueAt: z.string().nullable(),
    nextResponseDueAt: z.string().nullable(),
    resolutionDueAt: z.string().nullable(),
    breachedAt: z.string().nullable(),
  }),
  ai: z
    .object({
      categoryId: z.string().nullable(),
      score: z.number().nullable(),
      applied: z.boolean(),
      language: z.string().nullable(),
      priorityHint: z.string().nullable(),
      duplicateOfId: z.string().nullable(),
    })
    .nullable(),
  mergedIntoId: z.string().nullable(),
  version: z.number(),
  entryCount: z.number(),
  firstResponseAt: z.string().nullable(),
  lastCustomerMessageAt: z.string().nullable(),
  lastAgentReplyAt: z.string().nullable(),
  solvedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** Ticket DTO. */
export type TicketDto = z.infer<typeof ticketDtoSchema>;
