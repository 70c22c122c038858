import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/**
 * A ticket's embedding, stored once so retraining never re-embeds old tickets. When an
 * agent confirms or corrects the category it becomes a labelled example.
 */
export interface TicketVector {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  requesterId: Types.ObjectId;
  modelId: string;
  vector: number[];
  /** Whether the ticket is still open (duplicate detection compares against open ones). */
  open: boolean;
  /** The category triage predicted, if any. */
  predictedCategoryId?: Types.ObjectId | null;
  /** The category an agent confirmed (a labelled example). */
  labelCategoryId?: Types.ObjectId | null;
  labelledAt?: Date | null;
  createdAt: Date;
}

const ticketVectorSchema = new Schema<TicketVector>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    requesterId: { type: Schema.Types.ObjectId, required: true },
    modelId: { type: String, required: true },
    vector: { type: [Number], required: true },
    open: { type: Boolean, default: true },
    predictedCategoryId: { type: Schema.Types.ObjectId, default: null },
    labelCategoryId: { type: Schema.Types.ObjectId, default: null },
    labelledAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
ticketVectorSchema.plugin(tenantScoped);
ticketVectorSchema.index({ tenantId: 1, ticketId: 1, modelId: 1 }, { unique: true });
ticketVectorSchema.index({ tenantId: 1, modelId: 1, labelCategoryId: 1 });
ticketVectorSchema.index({ tenantId: 1, requesterId: 1, open: 1 });

/** A category's description embedding, cached per text and model. */
export interface CategoryVector {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  categoryId: Types.ObjectId;
  modelId: string;
  /** SHA-256 of the embedded text: a changed description is embedded again. */
  textHash: string;
  vector: number[];
}

const categoryVectorSchema = new Schema<CategoryVector>(
  {
    categoryId: { type: Schema.Types.ObjectId, required: true },
    modelId: { type: String, required: true },
    textHash: { type: String, required: true },
    vector: { type: [Number], required: true },
  },
  { versionKey: false },
);
categoryVectorSchema.plugin(tenantScoped);
categoryVectorSchema.index({ tenantId: 1, categoryId: 1, modelId: 1, textHash: 1 }, { unique: true });

/** Per-tenant, per-day triage accuracy counters (kept incrementally; no aggregation needed). */
export interface TriageStat {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Tickets triage classified. */
  classified: number;
  /** Classifications applied automatically. */
  applied: number;
  /** Predictions later confirmed or corrected by an agent. */
  reviewed: number;
  /** Of the reviewed, those the agent kept. */
  correct: number;
}

const triageStatSchema = new Schema<TriageStat>(
  {
    day: { type: String, required: true },
    classified: { type: Number, default: 0 },
    applied: { type: Number, default: 0 },
    reviewed: { type: Number, default: 0 },
    correct: { type: Number, default: 0 },
  },
  { versionKey: false },
);
triageStatSchema.plugin(tenantScoped);
triageStatSchema.index({ tenantId: 1, day: 1 }, { unique: true });

/** Registers the triage models on a connection. */
export function triageModels(connection: Connection): {
  TicketVector: Model<TicketVector>;
  CategoryVector: Model<CategoryVector>;
  TriageStat: Model<TriageStat>;
} {
  return {
    TicketVector: connection.model<TicketVector>('TicketVector', ticketVectorSchema, 'ticket_vectors'),
    CategoryVector: connection.model<CategoryVector>('CategoryVector', categoryVectorSchema, 'category_vectors'),
    TriageStat: connection.model<TriageStat>('TriageStat', triageStatSchema, 'triage_stats'),
  };
}
