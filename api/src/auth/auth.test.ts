import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiHarness,
  expectError,
  randomIp,
  sessionCookieOf,
  totpCode,
  wrongTotpCode,
  uniqueSuffix,
  TEST_ALLOWED_HOST,
  type Credentials,
  type Person,
  type TenantFixture,
} from '../testing/api-harness.ts';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('authentication and account security', () => {
  let h: ApiHarness;
  let tenant: TenantFixture;
  let other: TenantFixture;
  let agent: Person;
  let customer: Person;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'auth' });
    [tenant, other] = await Promise.all([h.signUpTenant(), h.signUpTenant()]);
    [agent, customer] = await Promise.all([h.createPerson(tenant, 'agent'), h.createPerson(tenant, 'customer')]);
  });
  afterAll(async () => {
    await h.close();
  });

  const me = (auth: Credentials) => h.request(auth, { method: 'GET', url: '/me' });
  const login = (body: Record<string, unknown>, ip = randomIp()) => h.request({ ip }, { method: 'POST', url: '/auth/login', body });
  const audit = async (action: string, extra = '') =>
    (
      await h.ok<{
        items: Array<{
          action: string;
          actorId: string | null;
          targetId: string | null;
          ip: string | null;
          details: Record<string, unknown>;
        }>;
      }>(tenant.admin, 'GET', `/audit?action=${action}${extra}`)
    ).items;

  describe('sign-in', () => {
    it('signs in with the right password and sets an HttpOnly, SameSite=Lax session cookie for the whole site', async () => {
      const ip = randomIp();
      const response = await login({ tenant: tenant.slug, email: agent.email.toUpperCase(), password: agent.password }, ip);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { id: agent.id, role: 'agent' }, mfaRequired: false });
      const header = [response.headers['set-cookie']].flat().find((c) => c?.startsWith('sb_session='))!;
      const attributes = header.split(';').map((part) => part.trim());
      expect(attributes[0]).toMatch(/^sb_session=[a-z0-9]{20,}$/);
      expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
      expect(attributes.some((a) => a.startsWith('Max-Age='))).toBe(true);
      expect(attributes).not.toContain('Secure');
      const who = await me({ cookie: attributes[0]!, ip });
      expect(who.statusCode).toBe(200);
      expect(who.json()).toMatchObject({ user: { id: agent.id }, tenant: { id: tenant.id, slug: tenant.slug }, mfaPending: false });
      const [record] = await audit('auth.login_succeeded', `&actorId=${agent.id}`);
      expect(record).toMatchObject({ actorId: agent.id, ip });
    });

    it('answers an unknown tenant, an unknown email, a wrong password, another tenant and a deactivated account alike', async () => {
      const retired = await h.createPerson(tenant, 'agent');
      await h.ok(tenant.admin, 'PATCH', `/users/${retired.id}`, { active: false });
      const attempts = [
        { tenant: `nope-${uniqueSuffix()}`, email: agent.email, password: agent.password },
        { tenant: tenant.slug, email: `nobody-${uniqueSuffix()}@example.test`, password: agent.password },
        { tenant: tenant.slug, email: agent.email, password: 'wrong-password' },
        { tenant: other.slug, email: agent.email, password: agent.password },
        { tenant: tenant.slug, email: retired.email, password: retired.password },
      ];
      const messages = new Set<string>();
      for (const attempt of attempts) {
        const response = await login(attempt);
        messages.add(expectError(response, 401, 'unauthenticated').message);
        expect(sessionCookieOf(response)).toBeUndefined();
      }
      expect(messages.size).toBe(1);
      expectError(await me(retired.auth), 401, 'unauthenticated');
      const reasons = (await audit('auth.login_failed')).map((r) => r.details.reason);
      expect(reasons).toEqual(expect.arrayContaining(['unknown_email', 'bad_password', 'inactive']));
    });

    it('throttles an account after 10 failures, even with the right password and from fresh addresses', async () => {
      const victim = await h.createPerson(tenant, 'agent', { signIn: false });
      for (let i = 0; i < 10; i++)
        expectError(await login({ tenant: tenant.slug, email: victim.email, password: `guess-${i}-xxxx` }), 401, 'unauthenticated');
      const blocked = expectError(
        await login({ tenant: tenant.slug, email: victim.email, password: victim.password }),
        429,
        'rate_limited',
      );
      expect((blocked.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
      expect((await login({ tenant: tenant.slug, email: agent.email, password: agent.password })).statusCode).toBe(200);
      expect((await login({ tenant: other.slug, email: other.admin.email, password: other.admin.password })).statusCode).toBe(200);
    });

    it('limits sign-in attempts per address to 20 a minute, whatever session the caller carries', async () => {
      const ip = randomIp();
      const attempt = { tenant: `nope-${uniqueSuffix()}`, email: 'x@example.test', password: 'whatever-it-is' };
      for (let i = 0; i < 20; i++)
        expectError(await h.request({ cookie: tenant.admin.auth.cookie, ip }, { method: 'POST', url: '/auth/login', body: attempt }), 401);
      expectError(
        await h.request({ cookie: agent.auth.cookie, ip }, { method: 'POST', url: '/auth/login', body: attempt }),
        429,
        'rate_limited',
      );
      expectError(await login({ tenant: tenant.slug, email: agent.email, password: agent.password }, ip), 429, 'rate_limited');
      expect((await login({ tenant: tenant.slug, email: agent.email, password: agent.password })).statusCode).toBe(200);
    });

    it('signs out: the cookie is cleared and the session is gone, other sessions stay', async () => {
      const first = await h.login(tenant.slug, agent.email, agent.password);
      const second = await h.login(tenant.slug, agent.email, agent.password);
      const response = await h.request(first, { method: 'POST', url: '/auth/logout' });
      expect(response.statusCode).toBe(200);
      expect(sessionCookieOf(response)).toBe('sb_session=');
      expectError(await me(first), 401, 'unauthenticated');
      expect((await me(second)).statusCode).toBe(200);
      expectError(await me({ cookie: 'sb_session=forged-session-id', ip: randomIp() }), 401, 'unauthenticated');
    });
  });

  describe('TOTP two-factor authentication', () => {
    it('enrols, then requires the second step, rotates the session on success and refuses a used code', async () => {
      const staff = await h.createPerson(tenant, 'manager');
      const { secret, uri } = await h.ok<{ secret: string; uri: string }>(staff, 'POST', '/me/mfa/setup');
      expect(uri).toContain(`secret=${secret}`);
      expectError(
        await h.request(staff.auth, { method: 'POST', url: '/me/mfa/confirm', body: { code: wrongTotpCode(secret) } }),
        400,
        'validation_failed',
      );
      await h.ok(staff, 'POST', '/me/mfa/confirm', { code: totpCode(secret) });
      expect((await h.ok<{ user: { mfaEnabled: boolean } }>(staff, 'GET', '/me')).user.mfaEnabled).toBe(true);
      expect((await audit('auth.mfa_enabled', `&actorId=${staff.id}`)).length).toBe(1);

      const step1 = await login({ tenant: tenant.slug, email: staff.email, password: staff.password });
      expect(step1.json()).toMatchObject({ mfaRequired: true });
      const pending: Credentials = { cookie: sessionCookieOf(step1)!, ip: randomIp() };
      expectError(await h.request(pending, { method: 'GET', url: '/tickets' }), 401, 'mfa_required');
      expectError(await h.request(pending, { method: 'POST', url: '/tickets', body: { subject: 's', body: 'b' } }), 401, 'mfa_required');
      expect((await me(pending)).json()).toMatchObject({ mfaPending: true });
      expectError(
        await h.request(pending, { method: 'POST', url: '/auth/mfa/verify', body: { code: wrongTotpCode(secret) } }),
        401,
        'unauthenticated',
      );
      expectError(await h.request(pending, { method: 'GET', url: '/tickets' }), 401, 'mfa_required');

      const next = totpCode(secret, 1);
      const verified = await h.request(pending, { method: 'POST', url: '/auth/mfa/verify', body: { code: next } });
      expect(verified.statusCode).toBe(200);
      const full: Credentials = { cookie: sessionCookieOf(verified)!, ip: pending.ip };
      expect(full.cookie).not.toBe(pending.cookie);
      expectError(await me(pending), 401, 'unauthenticated');
      expect((await h.request(full, { method: 'GET', url: '/tickets' })).statusCode).toBe(200);

      const again = await login({ tenant: tenant.slug, email: staff.email, password: staff.password });
      const replay = await h.request(
        { cookie: sessionCookieOf(again)!, ip: randomIp() },
        { method: 'POST', url: '/auth/mfa/verify', body: { code: next } },
      );
      expectError(replay, 401, 'unauthenticated');
      expect((await audit('auth.login_failed', `&actorId=${staff.id}`)).map((r) => r.details.reason)).toContain('bad_totp');
    });

    it('turns off only with a valid fresh code', async () => {
      const staff = await h.createPerson(tenant, 'agent');
      const { secret } = await h.ok<{ secret: string }>(staff, 'POST', '/me/mfa/setup');
      const enrolment = totpCode(secret);
      await h.ok(staff, 'POST', '/me/mfa/confirm', { code: enrolment });
      expectError(
        await h.request(staff.auth, { method: 'POST', url: '/me/mfa/disable', body: { code: enrolment } }),
        400,
        'validation_failed',
      );
      await h.ok(staff, 'POST', '/me/mfa/disable', { code: totpCode(secret, 1) });
      expect((await login({ tenant: tenant.slug, email: staff.email, password: staff.password })).json()).toMatchObject({
        mfaRequired: false,
      });
      expect((await audit('auth.mfa_disabled', `&actorId=${staff.id}`)).length).toBe(1);
    });
  });

  describe('password reset', () => {
    it('mails a single-use token, sets the password with it and ends every old session', async () => {
      const person = await h.createPerson(tenant, 'customer');
      const ip = randomIp();
      const requested = await h.request(
        { ip },
        { method: 'POST', url: '/auth/password-reset', body: { tenant: tenant.slug, email: person.email } },
      );
      expect(requested.statusCode).toBe(202);
      const mail = h.notifier.lastFor(person.email)!;
      expect(mail.url).toMatch(/^http:\/\/desk\.switchboard\.test\/reset-password\?tenant=/);
      expect(mail.token.length).toBeGreaterThanOrEqual(40);
      const stored = await h.domain.models.PasswordReset.findOne({ tenantId: tenant.id, userId: person.id }).lean();
      expect(stored!.hash).toBe(sha256(mail.token));
      expect(JSON.stringify(stored)).not.toContain(mail.token);

      const password = `new-password-${uniqueSuffix()}`;
      const complete = { method: 'POST', url: '/auth/password-reset/complete', body: { tenant: tenant.slug, token: mail.token, password } };
      expect((await h.request({ ip }, complete)).statusCode).toBe(200);
      expectError(await me(person.auth), 401, 'unauthenticated');
      expectError(await login({ tenant: tenant.slug, email: person.email, password: person.password }), 401);
      expect((await login({ tenant: tenant.slug, email: person.email, password })).statusCode).toBe(200);
      expectError(
        await h.request({ ip }, { ...complete, body: { ...complete.body, password: 'yet-another-password' } }),
        400,
        'bad_request',
      );
      expect((await audit('auth.password_reset_requested')).some((r) => r.targetId === null && r.actorId === person.id)).toBe(true);
      expect((await audit('auth.password_changed')).some((r) => r.targetId === person.id)).toBe(true);
    });

    it('answers 202 for unknown people and tenants without mailing anyone', async () => {
      const before = h.notifier.resets.length;
      for (const body of [
        { tenant: tenant.slug, email: `nobody-${uniqueSuffix()}@example.test` },
        { tenant: `nope-${uniqueSuffix()}`, email: agent.email },
      ]) {
        expect((await h.request({ ip: randomIp() }, { method: 'POST', url: '/auth/password-reset', body })).statusCode).toBe(202);
      }
      expect(h.notifier.resets.length).toBe(before);
    });

    it('refuses an expired token and a token of another tenant', async () => {
      const person = await h.createPerson(tenant, 'customer', { signIn: false });
      const expired = await h.domain.auth.requestPasswordReset(tenant.slug, person.email, {});
      await h.domain.models.PasswordReset.updateOne(
        { tenantId: tenant.id, hash: sha256(expired!.token) },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
      const fresh = await h.domain.auth.requestPasswordReset(tenant.slug, person.email, {});
      for (const body of [
        { tenant: tenant.slug, token: expired!.token, password: 'long-enough-1' },
        { tenant: other.slug, token: fresh!.token, password: 'long-enough-1' },
        { tenant: tenant.slug, token: 'x'.repeat(43), password: 'long-enough-1' },
      ]) {
        expectError(
          await h.request({ ip: randomIp() }, { method: 'POST', url: '/auth/password-reset/complete', body }),
          400,
          'bad_request',
        );
      }
      expectError(await login({ tenant: tenant.slug, email: person.email, password: 'long-enough-1' }), 401);
    });
  });

  it('changes the password with the current one and ends the other sessions only', async () => {
    const person = await h.createPerson(tenant, 'agent');
    const elsewhere = await h.login(tenant.slug, person.email, person.password);
    expectError(
      await h.request(person.auth, {
        method: 'POST',
        url: '/me/password',
        body: { currentPassword: 'not-it-at-all', newPassword: 'brand-new-password' },
      }),
      400,
      'validation_failed',
    );
    expect((await me(elsewhere)).statusCode).toBe(200);
    await h.ok(person, 'POST', '/me/password', { currentPassword: person.password, newPassword: 'brand-new-password' });
    expect((await me(person.auth)).statusCode).toBe(200);
    expectError(await me(elsewhere), 401, 'unauthenticated');
    expect((await login({ tenant: tenant.slug, email: person.email, password: 'brand-new-password' })).statusCode).toBe(200);
  });

  describe('personal API tokens', () => {
    it('shows a token once, stores only its hash, and authenticates with it without an Origin', async () => {
      const created = await h.request(agent.auth, { method: 'POST', url: '/me/tokens', body: { name: 'deploy bot' } });
      expect(created.statusCode).toBe(201);
      const { token, id, prefix } = created.json() as { token: string; id: string; prefix: string };
      expect(token).toMatch(/^sbp_[A-Za-z0-9_-]{40,}$/);
      expect(token.startsWith(prefix)).toBe(true);
      const listed = await h.request(agent.auth, { method: 'GET', url: '/me/tokens' });
      expect(listed.body).not.toContain(token);
      expect((listed.json() as { items: Array<{ id: string; scopes: string[] }> }).items).toEqual([
        expect.objectContaining({ id, scopes: ['read', 'write'] }),
      ]);
      const stored = await h.domain.models.ApiToken.findOne({ tenantId: tenant.id, _id: id }).lean();
      expect(stored!.hash).toBe(sha256(token));
      expect(JSON.stringify(stored)).not.toContain(token);
      expect((await audit('api_token.created')).some((r) => r.targetId === id && r.actorId === agent.id)).toBe(true);

      const bearer: Credentials = { bearer: token, ip: randomIp() };
      expect((await me(bearer)).json()).toMatchObject({ user: { id: agent.id, role: 'agent' } });
      const opened = await h.request(bearer, {
        method: 'POST',
        url: '/tickets',
        body: { subject: 'From a script', body: 'x', requester: { email: 'bot@example.test' } },
        noOrigin: true,
      });
      expect(opened.statusCode).toBe(201);
      expect(opened.json()).toMatchObject({ ticket: { channel: 'api' } });
      const foreign = await h.ok<{ ticket: { id: string } }>(other.admin, 'POST', '/tickets', {
        subject: 'Elsewhere',
        body: 'x',
        requester: { email: 'x@example.test' },
      });
      expectError(await h.request(bearer, { method: 'GET', url: `/tickets/${foreign.ticket.id}` }), 404, 'not_found');
    });

    it('refuses writes with a read-only token', async () => {
      const { token } = await h.ok<{ token: string }>(agent, 'POST', '/me/tokens', { name: 'reader', scopes: ['read'] });
      const bearer: Credentials = { bearer: token, ip: randomIp() };
      expect((await h.request(bearer, { method: 'GET', url: '/tickets' })).statusCode).toBe(200);
      expectError(
        await h.request(bearer, {
          method: 'POST',
          url: '/tickets',
          body: { subject: 's', body: 'b', requester: { email: 'r@example.test' } },
        }),
        403,
        'forbidden',
      );
      expectError(await h.request(bearer, { method: 'PUT', url: '/me/status', body: { status: 'online' } }), 403, 'forbidden');
    });

    it('stops working once revoked, expired, or its owner is deactivated', async () => {
      const owner = await h.createPerson(tenant, 'agent');
      const make = async (name: string) => h.ok<{ token: string; id: string }>(owner, 'POST', '/me/tokens', { name });
      const [revoked, expired, last] = [await make('revoked'), await make('expired'), await make('last')];
      await h.ok(owner, 'DELETE', `/me/tokens/${revoked.id}`);
      expect((await audit('api_token.revoked')).some((r) => r.targetId === revoked.id)).toBe(true);
      await h.domain.models.ApiToken.updateOne(
        { tenantId: tenant.id, _id: expired.id },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
      for (const token of [revoked.token, expired.token, 'sbp_not-a-real-token', 'not-even-our-format'])
        expectError(await me({ bearer: token, ip: randomIp() }), 401, 'unauthenticated');
      expect((await me({ bearer: last.token, ip: randomIp() })).statusCode).toBe(200);
      await h.ok(tenant.admin, 'PATCH', `/users/${owner.id}`, { active: false });
      expectError(await me({ bearer: last.token, ip: randomIp() }), 401, 'unauthenticated');
      expectError(await me(owner.auth), 401, 'unauthenticated');
    });
  });

  describe('cross-site request forgery', () => {
    const newTicket = { method: 'POST', url: '/tickets', body: { subject: 'CSRF?', body: 'x', requester: { email: 'csrf@example.test' } } };

    it('refuses cookie-authenticated writes without an Origin or from another site, and writes nothing', async () => {
      const before = await h.snapshot(tenant.id);
      expectError(await h.request(agent.auth, { ...newTicket, noOrigin: true }), 403, 'forbidden');
      for (const origin of ['https://evil.example', 'null', 'http://desk.switchboard.test.evil.example', 'not a url']) {
        expectError(await h.request(agent.auth, { ...newTicket, headers: { origin } }), 403, 'forbidden');
      }
      expectError(
        await h.request(agent.auth, { ...newTicket, noOrigin: true, headers: { referer: 'https://evil.example/page' } }),
        403,
        'forbidden',
      );
      expect(await h.snapshot(tenant.id)).toBe(before);
    });

    it('accepts our own origin, a matching Referer and the configured public host; reads need no Origin', async () => {
      expect((await h.request(agent.auth, newTicket)).statusCode).toBe(201);
      expect(
        (await h.request(agent.auth, { ...newTicket, noOrigin: true, headers: { referer: 'http://desk.switchboard.test/tickets/new' } }))
          .statusCode,
      ).toBe(201);
      expect((await h.request(agent.auth, { ...newTicket, headers: { origin: `https://${TEST_ALLOWED_HOST}` } })).statusCode).toBe(201);
      expect((await h.request(agent.auth, { method: 'GET', url: '/tickets' })).statusCode).toBe(200);
    });
  });

  describe('audit log', () => {
    it('records role changes and settings changes, filters by action and actor, pages backwards, and is for admins only', async () => {
      const promoted = await h.createPerson(tenant, 'agent', { signIn: false });
      await h.ok(tenant.admin, 'PATCH', `/users/${promoted.id}`, { role: 'manager' });
      await h.ok(tenant.admin, 'PATCH', '/tenant', { timezone: 'Europe/Berlin', widgetRequireVerifiedIdentity: true });
      const [roleChange] = await audit('user.role_changed', `&actorId=${tenant.admin.id}`);
      expect(roleChange).toMatchObject({ targetId: promoted.id, details: { from: 'agent', to: 'manager' } });
      const [settings] = await audit('tenant.settings_changed');
      expect(settings!.details).toEqual({ keys: ['timezone', 'widgetRequireVerifiedIdentity'] });

      const all = await h.ok<{ items: Array<{ id: string; action: string; at: string }> }>(tenant.admin, 'GET', '/audit?limit=200');
      const actions = new Set(all.items.map((r) => r.action));
      for (const action of [
        'tenant.created',
        'user.created',
        'auth.login_succeeded',
        'auth.login_failed',
        'user.role_changed',
        'tenant.settings_changed',
        'api_token.created',
      ])
        expect(actions).toContain(action);
      const times = all.items.map((r) => r.at);
      expect(times).toEqual(times.slice().sort().reverse());
      const page = await h.ok<{ items: Array<{ at: string }> }>(
        tenant.admin,
        'GET',
        `/audit?limit=3&before=${encodeURIComponent(all.items[2]!.at)}`,
      );
      expect(page.items.every((r) => r.at < all.items[2]!.at)).toBe(true);
      const foreign = await h.ok<{ items: unknown[] }>(other.admin, 'GET', '/audit?limit=200');
      expect(JSON.stringify(foreign.items)).not.toContain(tenant.admin.id);
      for (const who of [agent, customer]) expectError(await h.request(who.auth, { method: 'GET', url: '/audit' }), 403, 'forbidden');
    });
  });
});

describe('tenant sign-up', () => {
  let h: ApiHarness;
  let closed: ApiHarness;

  beforeAll(async () => {
    [h, closed] = await Promise.all([
      ApiHarness.start({ label: 'signup' }),
      ApiHarness.start({ label: 'signupclosed', signupOpen: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([h.close(), closed.close()]);
  });

  const signUp = (harness: ApiHarness, slug: string, extra: Record<string, unknown> = {}) =>
    harness.request(
      { ip: randomIp() },
      {
        method: 'POST',
        url: '/tenants',
        body: { slug, name: 'Acme', admin: { name: 'Ada', email: 'ada@example.test', password: 'long-enough-1' }, ...extra },
      },
    );

  it('is open by default: creates the tenant with its first admin, who can sign in', async () => {
    const slug = `open-${uniqueSuffix()}`;
    const response = await signUp(h, slug, { timezone: 'Europe/Berlin' });
    expect(response.statusCode).toBe(201);
    const body = response.json() as { tenant: Record<string, unknown>; admin: { id: string; role: string } };
    expect(body.tenant).toMatchObject({ slug, timezone: 'Europe/Berlin', settings: { customersSeeOrganisationTickets: true } });
    expect(response.body).not.toContain('widgetSecret');
    expect(body.admin.role).toBe('admin');
    const session = await h.login(slug, 'ada@example.test', 'long-enough-1');
    const [created] = (await h.ok<{ items: Array<{ action: string; actorId: string }> }>(session, 'GET', '/audit?action=tenant.created'))
      .items;
    expect(created!.actorId).toBe(body.admin.id);
  });

  it('refuses a taken slug with 409 and malformed slugs with 400', async () => {
    const slug = `dup-${uniqueSuffix()}`;
    expect((await signUp(h, slug)).statusCode).toBe(201);
    const conflict = expectError(await signUp(h, slug), 409, 'conflict');
    expect(conflict.details).toEqual([{ path: '/slug', message: 'taken' }]);
    for (const bad of ['ab', 'Upper-case', '-edge', 'edge-', 'has space', 'dots.here', 'x'.repeat(41)])
      expectError(await signUp(h, bad), 400, 'validation_failed');
    expect(await h.domain.models.Tenant.countDocuments({ slug })).toBe(1);
  });

  it('is refused when the server closes sign-up, leaving nothing behind', async () => {
    const slug = `closed-${uniqueSuffix()}`;
    expectError(await signUp(closed, slug), 403, 'forbidden');
    expect(await closed.domain.models.Tenant.countDocuments({})).toBe(0);
  });

  it('leaves no tenant behind when its first admin cannot be created, so the slug stays free', async () => {
    const slug = `fail-${uniqueSuffix()}`;
    const spy = vi.spyOn(h.domain.models.User, 'create').mockRejectedValueOnce(new Error('disk full'));
    try {
      expectError(await signUp(h, slug), 500, 'internal');
    } finally {
      spy.mockRestore();
    }
    expect(await h.domain.models.Tenant.countDocuments({ slug })).toBe(0);
    expect((await signUp(h, slug)).statusCode).toBe(201);
  });
});
