import { hex } from '../lib/ids.ts';
import type { EntryDto } from './conversation.schema.ts';
import type { Entry } from './entry.model.ts';

/** API form of an entry. */
export function toEntryDto(entry: Entry): EntryDto {
  return {
    id: entry._id.toHexString(),
    ticketId: entry.ticketId.toHexString(),
    kind: entry.kind,
    authorId: hex(entry.authorId),
    authorName: entry.authorName,
    bodyHtml: entry.bodyHtml,
    bodyText: entry.bodyText,
    mentions: entry.mentions.map((m) => m.toHexString()),
    attachments: entry.attachments,
    createdAt: entry.createdAt.toISOString(),
  };
}
