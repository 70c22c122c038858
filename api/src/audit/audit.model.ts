import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** Security-relevant actions recorded in the audit log. */
export const AUDIT_ACTIONS = [
  'auth.login_succeeded',
  'auth.login_failed',
  'auth.logout',
  'auth.mfa_enabled',
  'auth.mfa_disabled',
  'auth.password_reset_requested',
  'auth.password_changed',
  'user.created',
  'user.role_changed',
  'user.deactivated',
  'api_token.created',
  'api_token.revoked',
  'tenant.created',
  'tenant.settings_changed',
  'tenant.widget_secret_rotated',
  'data.exported',
] as const;
/** One of {@link AUDIT_ACTIONS}. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One audit record. Append-only. */
export interface AuditRecord {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  action: AuditAction;
  actorId?: Types.ObjectId | null;
  actorName: string;
  targetId?: Types.ObjectId | null;
  ip?: string | null;
  details: Record<string, unknown>;
  at: Date;
}

const auditSchema = new Schema<AuditRecord>(
  {
    action: { type: String, enum: AUDIT_ACTIONS, required: true },
    actorId: { type: Schema.Types.ObjectId, default: null },
    actorName: { type: String, required: true },
    targetId: { type: Schema.Types.ObjectId, default: null },
    ip: { type: String, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
auditSchema.plugin(tenantScoped);
auditSchema.index({ tenantId: 1, at: -1 });
auditSchema.index({ tenantId: 1, action: 1, at: -1 });

/** Registers the model on a connection. */
export function auditModel(connection: Connection): Model<AuditRecord> {
  return connection.model<AuditRecord>('AuditRecord', auditSchema, 'audit_log');
}
