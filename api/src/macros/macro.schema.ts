import { z } from 'zod';
import { tagSchema } from '../tickets/ticket.schema.ts';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/ticket-status.ts';

/** POST /api/v1/macros body. */
export const macroCreateSchema = z
  .object({
    title: z.string().trim().min(1).max(120),
    body: z.string().max(20_000).default(''),
    actions: z
      .object({ status: z.enum(TICKET_STATUSES).nullable().default(null), priority: z.enum(TICKET_PRIORITIES).nullable().default(null), addTags: z.array(tagSchema).max(10).default([]) })
      .strict()
      .default({ status: null, priority: null, addTags: [] }),
    visibility: z.enum(['shared', 'personal']).default('shared'),
  })
  .strict();
/** PATCH /api/v1/macros/:id body. */
export const macroPatchSchema = macroCreateSchema.partial().strict();
/** Macro as the API shows it. */
export const macroDtoSchema = z.object({
  id: z.string(),
  title: z.string(),
  bodyHtml: z.string(),
  actions: z.object({ status: z.enum(TICKET_STATUSES).nullable(), priority: z.enum(TICKET_PRIORITIES).nullable(), addTags: z.array(z.string()) }),
  visibility: z.enum(['shared', 'personal']),
  ownerId: z.string().nullable(),
});
/** Macro DTO. */
export type MacroDto = z.infer<typeof macroDtoSchema>;
