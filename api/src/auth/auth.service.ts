import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Types } from 'mongoose';
import type { AuditService } from '../audit/audit.service.ts';
import { actorUserId, type Ctx, type Role } from '../context.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { User } from '../users/user.model.ts';
import type { ApiTokenDoc } from './auth.model.ts';
import type { LoginInput } from './auth.schema.ts';
import type { AppLucia } from './lucia.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';

/** Who is calling, as established from a session cookie or an API token. */
export interface Principal {
  ctx: Ctx;
  user: { id: string; role: Role; name: string; email: string; organisationId: string | null };
  via: 'session' | 'token';
  sessionId?: string;
  /** Session exists but the TOTP step is still due: only MFA routes are allowed. */
  mfaPending: boolean;
  /** Token scopes (sessions have both). */
  scopes: Array<'read' | 'write'>;
  /** A fresh cookie to send back when lucia extended the session. */
  refreshedCookie?: string;
}

/** Request facts recorded with security events. */
export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
}

const TOKEN_PREFIX = 'sbp_';
const RESET_TTL_MS = 60 * 60 * 1000;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function totpFor(secret: string, label: string): TOTP {
  return new TOTP({ issuer: 'Switchboard', label, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
}

/** Sign-in, sessions, MFA, password resets and API tokens. */
export class AuthService {
  constructor(
    private readonly models: Models,
    private readonly lucia: AppLucia,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
  ) {}

  private async tenantBySlug(slug: string): Promise<Tenant | null> {
    return this.models.Tenant.findOne({ slug }).lean<Tenant>();
  }

  /**
   * Email + password sign-in into one tenant. The same generic error for unknown tenant,
   * unknown email, wrong password or inactive account (no account enumeration); failures
   * count toward the per-account throttle and are audited.
   */
  async login(input: LoginInput, meta: RequestMeta): Promise<{ cookie: string; mfaRequired: boolean; user: User }> {
    const invalid = new AppError('unauthenticated', 'Email or password is incorrect.');
    const tenant = await this.tenantBySlug(input.tenant);
    if (!tenant) {
      await verifyPassword(await decoyHash(), input.password);
      throw invalid;
    }
    const tenantKey = tenant._id.toHexString();
    const wait = await this.throttle.blockedFor(tenantKey, input.email);
    if (wait > 0)
      throw new AppError('rate_limited', `Too many failed sign-ins for this account. Try again in ${Math.ceil(wait / 60)} minute(s).`, {
        retryAfterSeconds: wait,
      });
    const user = await this.models.User.findOne({ tenantId: tenant._id, email: input.email.toLowerCase() }).lean<User>();
    const ok = user?.passwordHash
      ? await verifyPassword(user.passwordHash, input.password)
      : await verifyPassword(await decoyHash(), input.password).then(() => false);
    if (!user || !ok || !user.active) {
      await this.throttle.fail(tenantKey, input.email);
      await this.audit.record(
        tenant._id,
        'auth.login_failed',
        { id: user?._id ?? null, name: input.email },
        { ip: meta.ip, data: { reason: !user ? 'unknown_email' : !ok ? 'bad_password' : 'inactive' } },
      );
      throw invalid;
    }
    await this.throttle.succeed(tenantKey, input.email);
    const mfaRequired = user.mfa?.enabled === true;
    const session = await this.lucia.createSession(user._id.toHexString(), {
      tenantId: tenantKey,
      mfaVerified: !mfaRequired,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent ?? null,
    });
    if (!mfaRequired) await this.completeLogin(user, meta);
    return { cookie: this.lucia.createSessionCookie(session.id).serialize(), mfaRequired, user };
  }

  private async completeLogin(user: User, meta: RequestMeta): Promise<void> {
    await this.models.User.updateOne({ tenantId: user.tenantId, _id: user._id }, { $set: { lastLoginAt: new Date() } });
    await this.audit.record(user.tenantId, 'auth.login_succeeded', { id: user._id, name: user.name }, { ip: meta.ip });
  }

  /**
   * Second step: a valid TOTP code turns an MFA-pending session into a full one. The
   * session id is rotated (no fixation) and a code is accepted once (no replay).
   */
  async verifyMfa(principal: Principal, code: string, meta: RequestMeta): Promise<string> {
    if (!principal.sessionId || !principal.mfaPending) throw new AppError('bad_request', 'No sign-in is waiting for a code.');
    const user = await this.models.User.findOne({ tenantId: principal.ctx.tenantId, _id: oid(principal.user.id) }).lean<User>();
    if (!user?.mfa?.enabled || !user.mfa.secret) throw new AppError('bad_request', 'Two-factor authentication is not enabled.');
    const step = this.acceptCode(user.mfa.secret, user.email, code, user.mfa.lastUsedStep ?? null);
    // Claiming the step is conditional, so two requests racing with one code cannot both pass.
    const claimed =
      step !== null &&
      (
        await this.models.User.updateOne(
          { tenantId: user.tenantId, _id: user._id, $or: [{ 'mfa.lastUsedStep': null }, { 'mfa.lastUsedStep': { $lt: step } }] },
          { $set: { 'mfa.lastUsedStep': step } },
        )
      ).modifiedCount === 1;
    if (!claimed) {
      await this.audit.record(
        user.tenantId,
        'auth.login_failed',
        { id: user._id, name: user.name },
        { ip: meta.ip, data: { reason: 'bad_totp' } },
      );
      throw new AppError('unauthenticated', 'That code is not valid. Use the current code from your authenticator app.');
    }
    await this.lucia.invalidateSession(principal.sessionId);
    const session = await this.lucia.createSession(user._id.toHexString(), {
      tenantId: user.tenantId.toHexString(),
      mfaVerified: true,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent ?? null,
    });
    await this.completeLogin(user, meta);
    return this.lucia.createSessionCookie(session.id).serialize();
  }

  /** Returns the accepted time step, or null (wrong, or already used). */
  private acceptCode(secret: string, label: string, code: string, lastUsedStep: number | null): number | null {
    const delta = totpFor(secret, label).validate({ token: code, window: 1 });
    if (delta === null) return null;
    const step = Math.floor(Date.now() / 30_000) + delta;
    return lastUsedStep !== null && step <= lastUsedStep ? null : step;
  }

  /** Starts MFA enrolment (staff): a new secret and its otpauth:// URI for a QR code. */
  async beginMfaSetup(ctx: Ctx): Promise<{ secret: string; uri: string }> {
    const user = await this.requireSelf(ctx);
    if (user.role === 'customer') throw new AppError('forbidden', 'Two-factor authentication is for staff accounts.');
    const secret = new Secret({ size: 20 }).base32;
    await this.models.User.updateOne({ tenantId: ctx.tenantId, _id: user._id }, { $set: { 'mfa.pendingSecret': secret } });
    return { secret, uri: totpFor(secret, user.email).toString() };
  }

  /** Confirms enrolment with a first valid code. */
  async confirmMfaSetup(ctx: Ctx, code: string, meta: RequestMeta): Promise<void> {
    const user = await this.requireSelf(ctx);
    const pending = user.mfa?.pendingSecret;
    if (!pending) throw new AppError('bad_request', 'Start two-factor setup first.');
    const step = this.acceptCode(pending, user.email, code, null);
    if (step === null) throw new AppError('validation_failed', 'That code is not valid.', [{ path: '/code', message: 'does not match' }]);
    await this.models.User.updateOne(
      { tenantId: ctx.tenantId, _id: user._id },
      { $set: { 'mfa.enabled': true, 'mfa.secret': pending, 'mfa.pendingSecret': null, 'mfa.lastUsedStep': step } },
    );
    await this.audit.record(ctx.tenantId, 'auth.mfa_enabled', { id: user._id, name: user.name }, { ip: meta.ip });
  }

  /** Turns MFA off; needs a current code so a stolen session alone cannot do it. */
  async disableMfa(ctx: Ctx, code: string, meta: RequestMeta): Promise<void> {
    const user = await this.requireSelf(ctx);
    if (!user.mfa?.enabled || !user.mfa.secret) throw new AppError('bad_request', 'Two-factor authentication is not enabled.');
    if (this.acceptCode(user.mfa.secret, user.email, code, user.mfa.lastUsedStep ?? null) === null)
      throw new AppError('validation_failed', 'That code is not valid.', [{ path: '/code', message: 'does not match' }]);
    await this.models.User.updateOne(
      { tenantId: ctx.tenantId, _id: user._id },
      { $set: { 'mfa.enabled': false, 'mfa.secret': null, 'mfa.lastUsedStep': null } },
    );
    await this.audit.record(ctx.tenantId, 'auth.mfa_disabled', { id: user._id, name: user.name }, { ip: meta.ip });
  }

  /** Ends this session. */
  async logout(principal: Principal, meta: RequestMeta): Promise<string> {
    if (principal.sessionId) await this.lucia.invalidateSession(principal.sessionId);
    await this.audit.record(
      principal.ctx.tenantId,
      'auth.logout',
      { id: oid(principal.user.id), name: principal.user.name },
      { ip: meta.ip },
    );
    return this.lucia.createBlankSessionCookie().serialize();
  }

  /**
   * Creates a reset token for an existing, active account and returns it for the mailer;
   * returns null otherwise. Callers answer the same either way (no enumeration).
   */
  async requestPasswordReset(tenantSlug: string, email: string, meta: RequestMeta): Promise<{ token: string; user: User } | null> {
    const tenant = await this.tenantBySlug(tenantSlug);
    if (!tenant) return null;
    const user = await this.models.User.findOne({ tenantId: tenant._id, email: email.toLowerCase() }).lean<User>();
    if (!user || !user.active) return null;
    const token = randomBytes(32).toString('base64url');
    await this.models.PasswordReset.create({
      tenantId: tenant._id,
      userId: user._id,
      hash: sha256(token),
      expiresAt: new Date(Date.now() + RESET_TTL_MS),
    });
    await this.audit.record(tenant._id, 'auth.password_reset_requested', { id: user._id, name: user.name }, { ip: meta.ip });
    return { token, user };
  }

  /** Sets a new password with a reset token (single use), ending every session of the user. */
  async completePasswordReset(tenantSlug: string, token: string, password: string, meta: RequestMeta): Promise<void> {
    const tenant = await this.tenantBySlug(tenantSlug);
    const invalid = new AppError('bad_request', 'This reset link is invalid or has expired.');
    if (!tenant) throw invalid;
    const reset = await this.models.PasswordReset.findOneAndUpdate(
      { tenantId: tenant._id, hash: sha256(token), usedAt: null, expiresAt: { $gt: new Date() } },
      { $set: { usedAt: new Date() } },
    ).lean();
    if (!reset) throw invalid;
    await this.models.User.updateOne({ tenantId: tenant._id, _id: reset.userId }, { $set: { passwordHash: await hashPassword(password) } });
    await this.lucia.invalidateUserSessions(reset.userId.toHexString());
    await this.audit.record(
      tenant._id,
      'auth.password_changed',
      { id: reset.userId, name: 'password reset' },
      { targetId: reset.userId, ip: meta.ip },
    );
  }

  /** Changes one's own password (current password required); other sessions end. */
  async changePassword(principal: Principal, current: string, next: string, meta: RequestMeta): Promise<void> {
    const user = await this.requireSelf(principal.ctx);
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current)))
      throw new AppError('validation_failed', 'Current password is incorrect.', [{ path: '/currentPassword', message: 'incorrect' }]);
    await this.models.User.updateOne({ tenantId: user.tenantId, _id: user._id }, { $set: { passwordHash: await hashPassword(next) } });
    const sessions = await this.lucia.getUserSessions(user._id.toHexString());
    await Promise.all(sessions.filter((s) => s.id !== principal.sessionId).map((s) => this.lucia.invalidateSession(s.id)));
    await this.audit.record(user.tenantId, 'auth.password_changed', { id: user._id, name: user.name }, { targetId: user._id, ip: meta.ip });
  }

  /** Issues a personal API token; the plaintext is returned once and only its hash is kept. */
  async createApiToken(
    ctx: Ctx,
    input: { name: string; scopes: Array<'read' | 'write'>; expiresInDays?: number },
  ): Promise<{ token: string; record: ApiTokenDoc }> {
    const user = await this.requireSelf(ctx);
    if (user.role === 'customer') throw new AppError('forbidden', 'API tokens are for staff accounts.');
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const [record] = await this.models.ApiToken.create([
      {
        tenantId: ctx.tenantId,
        userId: user._id,
        name: input.name,
        hash: sha256(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        scopes: input.scopes,
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      },
    ]);
    await this.audit.record(
      ctx.tenantId,
      'api_token.created',
      { id: user._id, name: user.name },
      { targetId: record!._id, data: { name: input.name, scopes: input.scopes } },
    );
    return { token, record: record!.toObject<ApiTokenDoc>() };
  }

  /** The caller's tokens that are not revoked. */
  async listApiTokens(ctx: Ctx): Promise<ApiTokenDoc[]> {
    const me = actorUserId(ctx.actor);
    return this.models.ApiToken.find({ tenantId: ctx.tenantId, userId: me, revokedAt: null }).sort({ createdAt: -1 }).lean<ApiTokenDoc[]>();
  }

  /** Revokes one of the caller's tokens. */
  async revokeApiToken(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    const me = actorUserId(ctx.actor);
    const result = await this.models.ApiToken.updateOne(
      { tenantId: ctx.tenantId, _id: id, userId: me, revokedAt: null },
      { $set: { revokedAt: new Date() } },
    );
    if (result.matchedCount === 0) throw new AppError('not_found', 'No such token.');
    await this.audit.record(ctx.tenantId, 'api_token.revoked', { id: me ?? null, name: ctx.actor.name }, { targetId: id });
  }

  /**
   * Resolves a request's credentials. Tenant and role come only from the server-side
   * session or token record, never from anything the client sends.
   */
  async authenticate(credentials: { sessionId?: string | null; bearer?: string | null }): Promise<Principal | null> {
    if (credentials.bearer?.startsWith(TOKEN_PREFIX)) return this.authenticateToken(credentials.bearer);
    if (!credentials.sessionId) return null;
    const { session, user } = await this.lucia.validateSession(credentials.sessionId);
    if (!session || !user || !user.active) return null;
    const tenantId = oid(session.tenantId);
    return {
      ctx: {
        tenantId,
        actor: {
          kind: 'user',
          userId: oid(user.id),
          role: user.role,
          name: user.name,
          organisationId: user.organisationId ? oid(user.organisationId) : null,
        },
      },
      user: { id: user.id, role: user.role, name: user.name, email: user.email, organisationId: user.organisationId },
      via: 'session',
      sessionId: session.id,
      mfaPending: !session.mfaVerified,
      scopes: ['read', 'write'],
      refreshedCookie: session.fresh ? this.lucia.createSessionCookie(session.id).serialize() : undefined,
    };
  }

  private async authenticateToken(token: string): Promise<Principal | null> {
    const record = await this.models.ApiToken.findOne({ hash: sha256(token) })
      .setOptions({ crossTenant: true })
      .lean<ApiTokenDoc>();
    if (!record || record.revokedAt || (record.expiresAt && record.expiresAt <= new Date())) return null;
    const user = await this.models.User.findOne({ tenantId: record.tenantId, _id: record.userId }).lean<User>();
    if (!user || !user.active) return null;
    void this.models.ApiToken.updateOne({ tenantId: record.tenantId, _id: record._id }, { $set: { lastUsedAt: new Date() } })
      .exec()
      .catch(() => undefined);
    return {
      ctx: {
        tenantId: record.tenantId,
        actor: { kind: 'user', userId: user._id, role: user.role, name: user.name, organisationId: user.organisationId ?? null },
      },
      user: {
        id: user._id.toHexString(),
        role: user.role,
        name: user.name,
        email: user.email,
        organisationId: user.organisationId ? user.organisationId.toHexString() : null,
      },
      via: 'token',
      mfaPending: false,
      scopes: record.scopes,
    };
  }

  private async requireSelf(ctx: Ctx): Promise<User> {
    const me = actorUserId(ctx.actor);
    const user = me ? await this.models.User.findOne({ tenantId: ctx.tenantId, _id: me }).lean<User>() : null;
    if (!user) throw new AppError('unauthenticated', 'Sign in first.');
    return user;
  }
}
