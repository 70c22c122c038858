import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A satisfaction survey of one solved ticket, answered by its requester (by mail link or in the widget). */
export interface CsatSurvey {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  requesterId: Types.ObjectId;
  /** Who solved it, for the per-agent figures. */
  assigneeId: Types.ObjectId | null;
  teamId: Types.ObjectId | null;
  /** SHA-256 of the one-click token (the token itself only travels in the mail). */
  tokenHash: string;
  /** 1 (very unhappy) … 5 (very happy). */
  score: number | null;
  comment: string | null;
  respondedAt: Date | null;
  via: 'email' | 'widget' | null;
  createdAt: Date;
}

const csatSchema = new Schema<CsatSurvey>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    requesterId: { type: Schema.Types.ObjectId, required: true },
    assigneeId: { type: Schema.Types.ObjectId, default: null },
    teamId: { type: Schema.Types.ObjectId, default: null },
    tokenHash: { type: String, required: true },
    score: { type: Number, default: null, min: 1, max: 5 },
    comment: { type: String, default: null },
    respondedAt: { type: Date, default: null },
    via: { type: String, enum: ['email', 'widget', null], default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
csatSchema.plugin(tenantScoped);
csatSchema.index({ tenantId: 1, ticketId: 1 }, { unique: true });
csatSchema.index({ tenantId: 1, respondedAt: 1 });
csatSchema.index({ tenantId: 1, createdAt: 1 });
// The one-click link finds its survey by the token alone.
csatSchema.index({ tokenHash: 1 }, { unique: true });

/** Registers the model on a connection. */
export function csatModel(connection: Connection): Model<CsatSurvey> {
  return connection.model<CsatSurvey>('CsatSurvey', csatSchema, 'csat_surveys');
}
