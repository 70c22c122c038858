import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** Assignment strategy inside a team. */
export const ASSIGNMENT_STRATEGIES = ['round_robin', 'least_loaded', 'manual'] as const;

/** A group of agents that owns tickets (Billing, Technical, …). */
export interface Team {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  description: string;
  assignment: (typeof ASSIGNMENT_STRATEGIES)[number];
  /** The agent who got the team's last round-robin assignment (routing's pointer). */
  lastAssignedId?: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

const teamSchema = new Schema<Team>(
  {
    name: { type: String, required: true, trim: true },
    description: { type: String, default: '' },
    assignment: { type: String, enum: ASSIGNMENT_STRATEGIES, default: 'least_loaded' },
    lastAssignedId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true, versionKey: false },
);
teamSchema.plugin(tenantScoped);
teamSchema.index({ tenantId: 1, name: 1 }, { unique: true });

/** Registers the model on a connection. */
export function teamModel(connection: Connection): Model<Team> {
  return connection.model<Team>('Team', teamSchema, 'teams');
}
