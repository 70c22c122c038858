import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/**
 * An anonymous widget visitor (one per visitor id, i.e. per browser profile and site).
 * The customer `User` behind it is created with the visitor's first message only, so page
 * views alone never create people. Claims a visitor types (an email for offline replies)
 * are kept here, marked unverified, and never become the user's identity.
 */
export interface WidgetVisitor {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  visitorId: string;
  userId: Types.ObjectId | null;
  /** Email the visitor typed to be answered later (unverified; never used to sign anyone in). */
  contactEmail: string | null;
  lastSeenAt: Date;
  createdAt: Date;
}

const widgetVisitorSchema = new Schema<WidgetVisitor>(
  {
    visitorId: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, default: null },
    contactEmail: { type: String, default: null },
    lastSeenAt: { type: Date, required: true, default: () => new Date() },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
widgetVisitorSchema.plugin(tenantScoped);
widgetVisitorSchema.index({ tenantId: 1, visitorId: 1 }, { unique: true });
widgetVisitorSchema.index({ tenantId: 1, userId: 1 });

/** Whether a knowledge-base suggestion shown before the first message helped (ticket deflection). */
export interface KbFeedback {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  articleId: string;
  visitorId: string | null;
  userId: Types.ObjectId | null;
  /** What the visitor had typed when the suggestion was shown. */
  query: string;
  helped: boolean;
  createdAt: Date;
}

const kbFeedbackSchema = new Schema<KbFeedback>(
  {
    articleId: { type: String, required: true },
    visitorId: { type: String, default: null },
    userId: { type: Schema.Types.ObjectId, default: null },
    query: { type: String, required: true },
    helped: { type: Boolean, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
kbFeedbackSchema.plugin(tenantScoped);
kbFeedbackSchema.index({ tenantId: 1, articleId: 1, createdAt: -1 });

/** Registers the widget's models on a connection. */
export function widgetModels(connection: Connection): { WidgetVisitor: Model<WidgetVisitor>; KbFeedback: Model<KbFeedback> } {
  return {
    WidgetVisitor: connection.model<WidgetVisitor>('WidgetVisitor', widgetVisitorSchema, 'widget_visitors'),
    KbFeedback: connection.model<KbFeedback>('KbFeedback', kbFeedbackSchema, 'kb_feedback'),
  };
}
