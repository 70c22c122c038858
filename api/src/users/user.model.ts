import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { ROLES, type Role } from '../context.ts';
import { tenantScoped } from '../db/tenant-scope.ts';

/** Agent availability; routing only assigns to `online` agents. */
export const AGENT_STATUSES = ['online', 'away', 'offline'] as const;
/** One of {@link AGENT_STATUSES}. */
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** A person inside one tenant: staff (admin, manager, agent) or a customer (contact). */
export interface User {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  email: string;
  name: string;
  role: Role;
  /** argon2id hash; absent for customers who only use the widget. */
  passwordHash?: string | null;
  /** Customers: the organisation (client company) they belong to. */
  organisationId?: Types.ObjectId | null;
  teamIds: Types.ObjectId[];
  skills: string[];
  /** Open tickets an agent may hold before routing skips them. */
  capacity: number;
  agentStatus: AgentStatus;
  phone?: string | null;
  title?: string | null;
  locale: string;
  mfa: { enabled: boolean; secret?: string | null; pendingSecret?: string | null; lastUsedStep?: number | null };
  active: boolean;
  lastLoginAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<User>(
  {
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true, trim: true },
    role: { type: String, enum: ROLES, required: true },
    passwordHash: { type: String, default: null },
    organisationId: { type: Schema.Types.ObjectId, default: null },
    teamIds: { type: [Schema.Types.ObjectId], default: [] },
    skills: { type: [String], default: [] },
    capacity: { type: Number, default: 10 },
    agentStatus: { type: String, enum: AGENT_STATUSES, default: 'offline' },
    phone: { type: String, default: null },
    title: { type: String, default: null },
    locale: { type: String, default: 'en' },
    mfa: {
      enabled: { type: Boolean, default: false },
      secret: { type: String, default: null },
      pendingSecret: { type: String, default: null },
      lastUsedStep: { type: Number, default: null },
    },
    active: { type: Boolean, default: true },
    lastLoginAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);
userSchema.plugin(tenantScoped);
userSchema.index({ tenantId: 1, email: 1 }, { unique: true });
userSchema.index({ tenantId: 1, role: 1 });
userSchema.index({ tenantId: 1, organisationId: 1 });

/** Registers the model on a connection. */
export function userModel(connection: Connection): Model<User> {
  return connection.model<User>('User', userSchema, 'users');
}
