import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/**
 * Kinds of conversation entries: `message` (from the requester/customer), `reply`
 * (public answer by staff), `note` (internal, never shown to customers), `system`
 * (status changes, merges, automatic actions).
 */
export const ENTRY_KINDS = ['message', 'reply', 'note', 'system'] as const;
/** One of {@link ENTRY_KINDS}. */
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** Metadata of a file attached to an entry (the bytes live in the attachment store). */
export interface AttachmentMeta {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

/** One entry of a ticket's conversation. */
export interface Entry {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  kind: EntryKind;
  authorId?: Types.ObjectId | null;
  authorName: string;
  /** Sanitised HTML. */
  bodyHtml: string;
  /** Plain text (search, notifications, triage). */
  bodyText: string;
  mentions: Types.ObjectId[];
  attachments: AttachmentMeta[];
  /**
   * Idempotency key: the client's when it sent one (a widget retry never duplicates a
   * message), else a random one. Always set, because FerretDB has no partial indexes.
   */
  clientKey: string;
  channel?: string | null;
  createdAt: Date;
}

const entrySchema = new Schema<Entry>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: ENTRY_KINDS, required: true },
    authorId: { type: Schema.Types.ObjectId, default: null },
    authorName: { type: String, required: true },
    bodyHtml: { type: String, required: true },
    bodyText: { type: String, required: true },
    mentions: { type: [Schema.Types.ObjectId], default: [] },
    attachments: { type: [{ _id: false, id: String, filename: String, contentType: String, size: Number }], default: [] },
    clientKey: { type: String, required: true, default: () => randomUUID() },
    channel: { type: String, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
entrySchema.plugin(tenantScoped);
entrySchema.index({ tenantId: 1, ticketId: 1, createdAt: 1 });
entrySchema.index({ tenantId: 1, ticketId: 1, clientKey: 1 }, { unique: true });

/** Registers the model on a connection. */
export function entryModel(connection: Connection): Model<Entry> {
  return connection.model<Entry>('Entry', entrySchema, 'entries');
}
