import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/**
 * What people are told by mail: `reply` (customers: an agent answered), `assignment` and
 * `mention` (agents), `slaEscalation` (managers: a ticket breached its SLA), `csat`
 * (customers: the satisfaction survey after a solve).
 */
export const NOTIFICATION_KINDS = ['reply', 'assignment', 'mention', 'slaEscalation', 'csat'] as const;
/** One of {@link NOTIFICATION_KINDS}. */
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A person's mail preferences (absent = everything on, bursts digested). */
export interface NotificationPreference {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  userId: Types.ObjectId;
  email: Record<NotificationKind, boolean>;
  /** Combine notifications about one ticket that arrive close together into one mail. */
  digest: boolean;
  updatedAt: Date;
}

/**
 * A notification waiting to be mailed. Notifications about one ticket for one person
 * collect here during the digest window and leave as one mail (`mailId` set then).
 */
export interface PendingNotification {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  userId: Types.ObjectId;
  ticketId: Types.ObjectId;
  kind: NotificationKind;
  /** What caused it (the event's seq, or a job's own key): the same cause notifies once. */
  cause: string;
  /** One line for the digest list, and the text itself. */
  title: string;
  text: string;
  actorName: string | null;
  mailId: Types.ObjectId | null;
  createdAt: Date;
}

const preferenceSchema = new Schema<NotificationPreference>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    email: {
      reply: { type: Boolean, default: true },
      assignment: { type: Boolean, default: true },
      mention: { type: Boolean, default: true },
      slaEscalation: { type: Boolean, default: true },
      csat: { type: Boolean, default: true },
    },
    digest: { type: Boolean, default: true },
  },
  { timestamps: { createdAt: false, updatedAt: true }, versionKey: false },
);
preferenceSchema.plugin(tenantScoped);
preferenceSchema.index({ tenantId: 1, userId: 1 }, { unique: true });

const pendingSchema = new Schema<PendingNotification>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: NOTIFICATION_KINDS, required: true },
    cause: { type: String, required: true },
    title: { type: String, required: true },
    text: { type: String, default: '' },
    actorName: { type: String, default: null },
    mailId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
pendingSchema.plugin(tenantScoped);
pendingSchema.index({ tenantId: 1, userId: 1, kind: 1, cause: 1 }, { unique: true });
pendingSchema.index({ tenantId: 1, userId: 1, ticketId: 1, mailId: 1 });

/** Registers the notification models on a connection. */
export function notificationModels(connection: Connection) {
  return {
    NotificationPreference: connection.model<NotificationPreference>(
      'NotificationPreference',
      preferenceSchema,
      'notification_preferences',
    ) as Model<NotificationPreference>,
    PendingNotification: connection.model<PendingNotification>(
      'PendingNotification',
      pendingSchema,
      'pending_notifications',
    ) as Model<PendingNotification>,
  };
}
