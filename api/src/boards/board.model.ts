import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A wall board: a kiosk display with a revocable read-only token. */
export interface Board {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  /** SHA-256 of the board token (the token itself is shown once). */
  tokenHash: string;
  /** Limits the board to some teams (empty = whole tenant). */
  teamIds: Types.ObjectId[];
  revokedAt?: Date | null;
  createdAt: Date;
}

const boardSchema = new Schema<Board>(
  {
    name: { type: String, required: true, trim: true },
    tokenHash: { type: String, required: true },
    teamIds: { type: [Schema.Types.ObjectId], default: [] },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
boardSchema.plugin(tenantScoped);
boardSchema.index({ tokenHash: 1 }, { unique: true });
boardSchema.index({ tenantId: 1, createdAt: -1 });

/** Registers the model on a connection. */
export function boardModel(connection: Connection): Model<Board> {
  return connection.model<Board>('Board', boardSchema, 'boards');
}
