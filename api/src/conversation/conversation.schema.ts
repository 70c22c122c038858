import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { ENTRY_KINDS } from './entry.model.ts';

/** POST /api/v1/tickets/:id/entries body. Customers may only send `message`. */
export const entryCreateSchema = z
  .object({
    kind: z.enum(['message', 'reply', 'note']),
    body: z.string().min(1).max(100_000),
    format: z.enum(['html', 'text']).default('html'),
    mentions: z.array(objectIdSchema).max(20).optional(),
    clientKey: z.string().min(8).max(100).optional(),
    /**
     * Stale-reply guard: the ticket version the author's draft was based on. When the
     * ticket changed since in a way that matters (new customer message, status or
     * assignee), the reply is refused with `conflict` and the changes, unless `force`.
     */
    basedOnVersion: z.number().int().positive().optional(),
    force: z.boolean().optional(),
  })
  .strict();
/** Entry input. */
export type EntryCreate = z.infer<typeof entryCreateSchema>;

/** An attachment as listed on an entry. */
export const attachmentDtoSchema = z.object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number() });

/** A conversation entry as the API shows it. */
export const entryDtoSchema = z.object({
  id: z.string(),
  ticketId: z.string(),
  kind: z.enum(ENTRY_KINDS),
  authorId: z.string().nullable(),
  authorName: z.string(),
  bodyHtml: z.string(),
  bodyText: z.string(),
  mentions: z.array(z.string()),
  attachments: z.array(attachmentDtoSchema),
  createdAt: z.string(),
});
/** Entry DTO. */
export type EntryDto = z.infer<typeof entryDtoSchema>;
