import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A tenant's mail channel settings (one document per tenant, created on first change). */
export interface MailSettings {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  /** Open helpdesk: mail from anyone opens a ticket. Closed: only people the tenant knows. */
  acceptUnknownSenders: boolean;
  /** An extra address that routes to this tenant (e.g. help@customer.example forwarded to us), lowercase. */
  inboundAddress: string | null;
  /** Display name on outgoing mail (default: the tenant's name). */
  fromName: string | null;
  updatedAt: Date;
}

/** One mail of a ticket's thread, in or out: how replies find their ticket by their headers. */
export interface MailMessage {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  /** Message-ID without angle brackets. */
  messageId: string;
  ticketId: Types.ObjectId;
  direction: 'in' | 'out';
  createdAt: Date;
}

/** What became of a received mail. */
export const INBOUND_STATUSES = ['queued', 'ticket_created', 'entry_added', 'dropped', 'failed'] as const;
/** One of {@link INBOUND_STATUSES}. */
export type InboundStatus = (typeof INBOUND_STATUSES)[number];

/** A received mail: the raw bytes in the blob store, and what became of it. Nothing received is lost. */
export interface InboundMail {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  blobKey: string;
  size: number;
  envelopeFrom: string | null;
  recipients: string[];
  remoteAddress: string | null;
  status: InboundStatus;
  /** Why it was dropped or failed. */
  reason: string | null;
  messageId: string | null;
  from: string | null;
  subject: string | null;
  ticketId: Types.ObjectId | null;
  entryId: Types.ObjectId | null;
  createdAt: Date;
  processedAt: Date | null;
}

/** Kinds of outgoing mail. */
export const OUTBOUND_KINDS = ['reply', 'assignment', 'mention', 'slaEscalation', 'csat', 'digest', 'account'] as const;
/** One of {@link OUTBOUND_KINDS}. */
export type OutboundKind = (typeof OUTBOUND_KINDS)[number];

/**
 * The outbox: every mail we send is rendered and stored here first, then a job delivers it.
 * With no SMTP server configured mails wait here (and their jobs fail loudly) instead of
 * vanishing. `key` makes queueing idempotent.
 */
export interface OutboundMail {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  key: string;
  kind: OutboundKind;
  fromName: string;
  fromAddress: string;
  replyTo: string | null;
  to: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  ticketId: Types.ObjectId | null;
  /** Bodies hold a secret (reset links): they are blanked once sent. */
  sensitive: boolean;
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
  createdAt: Date;
}

const settingsSchema = new Schema<MailSettings>(
  {
    acceptUnknownSenders: { type: Boolean, default: true },
    inboundAddress: { type: String, default: null, lowercase: true, trim: true },
    fromName: { type: String, default: null },
  },
  { timestamps: { createdAt: false, updatedAt: true }, versionKey: false },
);
settingsSchema.plugin(tenantScoped);
settingsSchema.index({ tenantId: 1 }, { unique: true });
// Routing looks an address up across tenants (the service keeps addresses unique).
settingsSchema.index({ inboundAddress: 1 });

const messageSchema = new Schema<MailMessage>(
  {
    messageId: { type: String, required: true },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    direction: { type: String, enum: ['in', 'out'], required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
messageSchema.plugin(tenantScoped);
messageSchema.index({ tenantId: 1, messageId: 1 }, { unique: true });
messageSchema.index({ tenantId: 1, ticketId: 1, createdAt: -1 });

const inboundSchema = new Schema<InboundMail>(
  {
    blobKey: { type: String, required: true },
    size: { type: Number, required: true },
    envelopeFrom: { type: String, default: null },
    recipients: { type: [String], default: [] },
    remoteAddress: { type: String, default: null },
    status: { type: String, enum: INBOUND_STATUSES, default: 'queued' },
    reason: { type: String, default: null },
    messageId: { type: String, default: null },
    from: { type: String, default: null },
    subject: { type: String, default: null },
    ticketId: { type: Schema.Types.ObjectId, default: null },
    entryId: { type: Schema.Types.ObjectId, default: null },
    processedAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
inboundSchema.plugin(tenantScoped);
inboundSchema.index({ tenantId: 1, createdAt: -1 });

const outboundSchema = new Schema<OutboundMail>(
  {
    key: { type: String, required: true },
    kind: { type: String, enum: OUTBOUND_KINDS, required: true },
    fromName: { type: String, required: true },
    fromAddress: { type: String, required: true },
    replyTo: { type: String, default: null },
    to: { type: String, required: true },
    subject: { type: String, required: true },
    html: { type: String, default: '' },
    text: { type: String, default: '' },
    messageId: { type: String, required: true },
    inReplyTo: { type: String, default: null },
    references: { type: [String], default: [] },
    ticketId: { type: Schema.Types.ObjectId, default: null },
    sensitive: { type: Boolean, default: false },
    status: { type: String, enum: ['queued', 'sent', 'failed'], default: 'queued' },
    attempts: { type: Number, default: 0 },
    lastError: { type: String, default: null },
    sentAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
outboundSchema.plugin(tenantScoped);
outboundSchema.index({ tenantId: 1, key: 1 }, { unique: true });
outboundSchema.index({ tenantId: 1, status: 1, createdAt: -1 });

/** Registers the mail models on a connection. */
export function mailModels(connection: Connection) {
  return {
    MailSettings: connection.model<MailSettings>('MailSettings', settingsSchema, 'mail_settings') as Model<MailSettings>,
    MailMessage: connection.model<MailMessage>('MailMessage', messageSchema, 'mail_messages') as Model<MailMessage>,
    InboundMail: connection.model<InboundMail>('InboundMail', inboundSchema, 'inbound_mails') as Model<InboundMail>,
    OutboundMail: connection.model<OutboundMail>('OutboundMail', outboundSchema, 'outbound_mails') as Model<OutboundMail>,
  };
}
