import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';
import { EVENT_TYPES, type Audience, type EventType } from './event-types.ts';

/** A stored event. Appended once, never rewritten (a reader may only fill a dead hole). */
export interface StoredEvent {
  tenantId: Types.ObjectId;
  seq: number;
  type: EventType;
  ticketId: Types.ObjectId | null;
  audience: Audience;
  actor: { id: Types.ObjectId | null; name: string; kind: 'user' | 'system' };
  data: Record<string, unknown>;
  /** When the sequence number was reserved (gap detection compares against this). */
  at: Date;
}

const eventSchema = new Schema<StoredEvent>(
  {
    seq: { type: Number, required: true },
    type: { type: String, enum: EVENT_TYPES, required: true },
    ticketId: { type: Schema.Types.ObjectId, default: null },
    audience: { type: String, enum: ['staff', 'public'], required: true },
    actor: {
      id: { type: Schema.Types.ObjectId, default: null },
      name: { type: String, required: true },
      kind: { type: String, enum: ['user', 'system'], required: true },
    },
    data: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
eventSchema.plugin(tenantScoped);
eventSchema.index({ tenantId: 1, seq: 1 }, { unique: true });
eventSchema.index({ tenantId: 1, ticketId: 1, seq: 1 });

/** Registers the model on a connection. */
export function eventModel(connection: Connection): Model<StoredEvent> {
  return connection.model<StoredEvent>('Event', eventSchema, 'events');
}

/**
 * Events whose jobs are owed. Written before the events are stored (`inFlight`) and deleted
 * once their jobs are queued; a record that stays behind is either a batch Redis refused
 * (kept, `inFlight: false`, with the reason) or one whose process died before queueing
 * (still `inFlight` long after). A worker's sweep queues the jobs of both.
 */
export interface UndispatchedBatch {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  seqs: number[];
  /** Written ahead of the events and not yet settled by the process that wrote it. */
  inFlight: boolean;
  /** Why queueing failed, for whoever looks at the collection. */
  reason: string;
  createdAt: Date;
}

const undispatchedSchema = new Schema<UndispatchedBatch>(
  {
    seqs: { type: [Number], required: true },
    inFlight: { type: Boolean, default: false },
    reason: { type: String, required: true, maxlength: 500 },
  },
  { versionKey: false, timestamps: { createdAt: true, updatedAt: false } },
);
undispatchedSchema.plugin(tenantScoped);
undispatchedSchema.index({ createdAt: 1 });
undispatchedSchema.index({ tenantId: 1, seqs: 1 });

/** Registers the model on a connection. */
export function undispatchedModel(connection: Connection): Model<UndispatchedBatch> {
  return connection.model<UndispatchedBatch>('UndispatchedBatch', undispatchedSchema, 'undispatched_batches');
}
