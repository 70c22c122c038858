import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A tenant's subscription of a URL to domain events. */
export interface Webhook {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  url: string;
  description: string | null;
  /** Event types (`ticket.created`, …) or `*` for all. */
  events: string[];
  /** Signs every delivery (HMAC-SHA256); shown to admins. */
  secret: string;
  active: boolean;
  /** Failed attempts in a row; a success resets it, too many disable the webhook. */
  failureCount: number;
  disabledAt: Date | null;
  disabledReason: string | null;
  lastDeliveryAt: Date | null;
  createdBy: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One attempt to deliver an event. */
export interface DeliveryAttempt {
  at: Date;
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
}

/** The states of a delivery. */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed', 'skipped'] as const;
/** One of {@link DELIVERY_STATUSES}. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event on its way to one webhook: the delivery log admins read. */
export interface WebhookDelivery {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  webhookId: Types.ObjectId;
  eventSeq: number;
  eventType: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  createdAt: Date;
  completedAt: Date | null;
}

const webhookSchema = new Schema<Webhook>(
  {
    url: { type: String, required: true },
    description: { type: String, default: null },
    events: { type: [String], required: true },
    secret: { type: String, required: true },
    active: { type: Boolean, default: true },
    failureCount: { type: Number, default: 0 },
    disabledAt: { type: Date, default: null },
    disabledReason: { type: String, default: null },
    lastDeliveryAt: { type: Date, default: null },
    createdBy: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true, versionKey: false },
);
webhookSchema.plugin(tenantScoped);
webhookSchema.index({ tenantId: 1, active: 1 });

const attemptSchema = new Schema<DeliveryAttempt>(
  {
    at: { type: Date, required: true },
    responseStatus: { type: Number, default: null },
    error: { type: String, default: null },
    durationMs: { type: Number, default: 0 },
  },
  { _id: false },
);

const deliverySchema = new Schema<WebhookDelivery>(
  {
    webhookId: { type: Schema.Types.ObjectId, required: true },
    eventSeq: { type: Number, required: true },
    eventType: { type: String, required: true },
    status: { type: String, enum: DELIVERY_STATUSES, default: 'pending' },
    attempts: { type: [attemptSchema], default: [] },
    completedAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
deliverySchema.plugin(tenantScoped);
// One delivery per event and webhook: a replayed dispatch finds the delivery it made.
deliverySchema.index({ tenantId: 1, webhookId: 1, eventSeq: 1 }, { unique: true });

/** Registers the webhook models on a connection. */
export function webhookModels(connection: Connection) {
  return {
    Webhook: connection.model<Webhook>('Webhook', webhookSchema, 'webhooks') as Model<Webhook>,
    WebhookDelivery: connection.model<WebhookDelivery>('WebhookDelivery', deliverySchema, 'webhook_deliveries') as Model<WebhookDelivery>,
  };
}
