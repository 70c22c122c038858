import { z } from 'zod';
import { tagSchema } from '../tickets/ticket.schema.ts';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/ticket-status.ts';

const macroActionsSchema = z
  .object({
    status: z.enum(TICKET_STATUSES).nullable().default(null),
    priority: z.enum(TICKET_PRIORITIES).nullable().default(null),
    addTags: z.array(tagSchema).max(10).default([]),
  })
  .strict();

const macroFields = {
  title: z.string().trim().min(1).max(120),
  body: z.string().max(20_000),
  // Actions are replaced as a whole, so their own defaults apply in a patch too.
  actions: macroActionsSchema,
  visibility: z.enum(['shared', 'personal']),
};

/** POST /api/v1/macros body. */
export const macroCreateSchema = z
  .object({
    ...macroFields,
    body: macroFields.body.default(''),
    actions: macroFields.actions.default({ status: null, priority: null, addTags: [] }),
    visibility: macroFields.visibility.default('shared'),
  })
  .strict();
/** PATCH /api/v1/macros/:id body. Built from the fields without their defaults, so a patch changes only what it names. */
export const macroPatchSchema = z.object(macroFields).partial().strict();
/** Macro as the API shows it. */
export const macroDtoSchema = z.object({
  id: z.string(),
  title: z.string(),
  bodyHtml: z.string(),
  actions: z.object({
    status: z.enum(TICKET_STATUSES).nullable(),
    priority: z.enum(TICKET_PRIORITIES).nullable(),
    addTags: z.array(z.string()),
  }),
  visibility: z.enum(['shared', 'personal']),
  ownerId: z.string().nullable(),
});
/** Macro DTO. */
export type MacroDto = z.infer<typeof macroDtoSchema>;
