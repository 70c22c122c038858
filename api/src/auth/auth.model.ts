import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/**
 * A login session (lucia). Looked up by its id before the tenant is known, so the
 * collection is global; the session carries its tenant and every query below it is scoped.
 */
export interface SessionDoc {
  _id: string;
  userId: string;
  tenantId: Types.ObjectId;
  expiresAt: Date;
  /** False until the TOTP step passes for users with MFA. */
  mfaVerified: boolean;
  ip?: string | null;
  userAgent?: string | null;
}

const sessionSchema = new Schema<SessionDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true, index: true },
    tenantId: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
    mfaVerified: { type: Boolean, default: false },
    ip: { type: String, default: null },
    userAgent: { type: String, default: null },
  },
  { versionKey: false },
);
sessionSchema.index({ expiresAt: 1 });

/** A personal API token; only its SHA-256 is stored. */
export interface ApiTokenDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  userId: Types.ObjectId;
  name: string;
  /** hex SHA-256 of the token */
  hash: string;
  /** First characters, to recognise a token in lists. */
  prefix: string;
  scopes: Array<'read' | 'write'>;
  lastUsedAt?: Date | null;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
  createdAt: Date;
}

const apiTokenSchema = new Schema<ApiTokenDoc>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    hash: { type: String, required: true },
    prefix: { type: String, required: true },
    scopes: { type: [String], enum: ['read', 'write'], default: ['read', 'write'] },
    lastUsedAt: { type: Date, default: null },
    expiresAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
apiTokenSchema.plugin(tenantScoped);
apiTokenSchema.index({ tenantId: 1, userId: 1 });
apiTokenSchema.index({ hash: 1 }, { unique: true });

/** A password reset token; only its SHA-256 is stored. */
export interface PasswordResetDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  userId: Types.ObjectId;
  hash: string;
  expiresAt: Date;
  usedAt?: Date | null;
}

const passwordResetSchema = new Schema<PasswordResetDoc>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    hash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
passwordResetSchema.plugin(tenantScoped);
passwordResetSchema.index({ tenantId: 1, hash: 1 }, { unique: true });

/** Registers the auth models on a connection. */
export function authModels(connection: Connection): {
  Session: Model<SessionDoc>;
  ApiToken: Model<ApiTokenDoc>;
  PasswordReset: Model<PasswordResetDoc>;
} {
  return {
    Session: connection.model<SessionDoc>('Session', sessionSchema, 'sessions'),
    ApiToken: connection.model<ApiTokenDoc>('ApiToken', apiTokenSchema, 'api_tokens'),
    PasswordReset: connection.model<PasswordResetDoc>('PasswordReset', passwordResetSchema, 'password_resets'),
  };
}
