import { Lucia, TimeSpan, type Adapter, type DatabaseSession, type DatabaseUser } from 'lucia';
import { Types, type Model } from 'mongoose';
import type { Role } from '../context.ts';
import type { User } from '../users/user.model.ts';
import type { SessionDoc } from './auth.model.ts';

/** Attributes lucia keeps on a session row. */
interface SessionAttributes {
  tenantId: string;
  mfaVerified: boolean;
}

/** Attributes lucia exposes of a user. */
interface UserAttributes {
  tenantId: string;
  role: Role;
  name: string;
  email: string;
  organisationId: string | null;
  active: boolean;
  mfaEnabled: boolean;
}

/**
 * Lucia's storage on our mongoose models. Sessions are global rows (looked up by id
 * before the tenant is known); the user lookup is scoped by the session's tenant.
 */
export class MongooseSessionAdapter implements Adapter {
  constructor(
    private readonly sessions: Model<SessionDoc>,
    private readonly users: Model<User>,
  ) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const session = await this.sessions.findById(sessionId).lean<SessionDoc>();
    if (!session || !Types.ObjectId.isValid(session.userId)) return [null, null];
    const user = await this.users.findOne({ tenantId: session.tenantId, _id: new Types.ObjectId(session.userId) }).lean<User>();
    if (!user) return [null, null];
    return [toDatabaseSession(session), toDatabaseUser(user)];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.sessions.find({ userId }).lean<SessionDoc[]>();
    return rows.map(toDatabaseSession);
  }

  async setSession(session: DatabaseSession): Promise<void> {
    const attributes = session.attributes as unknown as SessionAttributes & { ip?: string | null; userAgent?: string | null };
    await this.sessions.create({
      _id: session.id,
      userId: session.userId,
      tenantId: new Types.ObjectId(attributes.tenantId),
      expiresAt: session.expiresAt,
      mfaVerified: attributes.mfaVerified,
      ip: attributes.ip ?? null,
      userAgent: attributes.userAgent ?? null,
    });
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    await this.sessions.updateOne({ _id: sessionId }, { $set: { expiresAt } });
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.sessions.deleteOne({ _id: sessionId });
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.sessions.deleteMany({ userId });
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.sessions.deleteMany({ expiresAt: { $lte: new Date() } });
  }
}

function toDatabaseSession(row: SessionDoc): DatabaseSession {
  return {
    id: row._id,
    userId: row.userId,
    expiresAt: row.expiresAt,
    attributes: { tenantId: row.tenantId.toHexString(), mfaVerified: row.mfaVerified } satisfies SessionAttributes,
  };
}

function toDatabaseUser(user: User): DatabaseUser {
  return {
    id: user._id.toHexString(),
    attributes: {
      tenantId: user.tenantId.toHexString(),
      role: user.role,
      name: user.name,
      email: user.email,
      organisationId: user.organisationId ? user.organisationId.toHexString() : null,
      active: user.active,
      mfaEnabled: user.mfa?.enabled ?? false,
    } satisfies UserAttributes,
  };
}

/** Session cookie name (HttpOnly, SameSite=Lax; Secure when PUBLIC_URL is https). */
export const SESSION_COOKIE = 'sb_session';

/** Builds the lucia instance: 30-day sessions, extended when half used. */
export function createLucia(adapter: Adapter, secure: boolean) {
  return new Lucia(adapter, {
    sessionExpiresIn: new TimeSpan(30, 'd'),
    sessionCookie: { name: SESSION_COOKIE, attributes: { secure, sameSite: 'lax', path: '/' } },
    getSessionAttributes: (attributes) => ({ tenantId: attributes.tenantId, mfaVerified: attributes.mfaVerified }),
    getUserAttributes: (attributes) => attributes,
  });
}

/** The configured lucia type. */
export type AppLucia = ReturnType<typeof createLucia>;

declare module 'lucia' {
  interface Register {
    Lucia: AppLucia;
    DatabaseSessionAttributes: SessionAttributes & { ip?: string | null; userAgent?: string | null };
    DatabaseUserAttributes: UserAttributes;
  }
}
