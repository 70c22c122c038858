import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A stored variant of a file (the thumbnail of an image). */
export interface BlobRef {
  blobKey: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
}

/**
 * A file attached to a ticket's conversation. The bytes live in the blob store under
 * `blobKey`; this document is the only way to reach them, and it carries the tenant.
 * `entryId` is null while an upload is in flight (such files are never served); mail
 * attachments of a new ticket get their `ticketId` with it.
 */
export interface Attachment {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId | null;
  entryId: Types.ObjectId | null;
  filename: string;
  /** Sniffed from the bytes (never the client's claim). */
  contentType: string;
  size: number;
  blobKey: string;
  /** Images: dimensions after re-encoding. */
  image: { width: number; height: number } | null;
  thumbnail: BlobRef | null;
  source: 'upload' | 'email';
  uploadedBy: Types.ObjectId | null;
  createdAt: Date;
}

const imageSchema = new Schema<{ width: number; height: number }>({ width: Number, height: Number }, { _id: false });
const blobRefSchema = new Schema<BlobRef>(
  { blobKey: String, contentType: String, size: Number, width: Number, height: Number },
  { _id: false },
);

const attachmentSchema = new Schema<Attachment>(
  {
    ticketId: { type: Schema.Types.ObjectId, default: null },
    entryId: { type: Schema.Types.ObjectId, default: null },
    filename: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    blobKey: { type: String, required: true },
    image: { type: imageSchema, default: null },
    thumbnail: { type: blobRefSchema, default: null },
    source: { type: String, enum: ['upload', 'email'], required: true },
    uploadedBy: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
attachmentSchema.plugin(tenantScoped);
attachmentSchema.index({ tenantId: 1, ticketId: 1 });
attachmentSchema.index({ tenantId: 1, entryId: 1 });

/** Registers the model on a connection. */
export function attachmentModel(connection: Connection): Model<Attachment> {
  return connection.model<Attachment>('Attachment', attachmentSchema, 'attachments');
}
