/**
 * Portal sign-up against a real API: an account is usable only after the set-password link
 * mailed to the address is used, the answer never tells whether an address or helpdesk
 * exists, and a registration never takes over an existing account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oid } from '../lib/ids.ts';
import { ApiHarness, expectError, randomIp, type TenantFixture } from '../testing/api-harness.ts';

let h: ApiHarness;
let tenant: TenantFixture;

beforeAll(async () => {
  h = await ApiHarness.start({ label: 'portal' });
  tenant = await h.signUpTenant();
});
afterAll(() => h?.close());

function signUp(body: Record<string, unknown>) {
  return h.request({ ip: randomIp() }, { method: 'POST', url: '/portal/signup', body });
}

describe('POST /portal/signup', () => {
  it('creates a customer without a password and mails a link; the link sets the password and sign-in works', async () => {
    const email = 'Walker@Example.test';
    const response = await signUp({ tenant: tenant.slug, name: 'Wanda Walker', email });
    expect(response.statusCode).toBe(202);
    const user = await h.domain.models.User.findOne({ tenantId: oid(tenant.id), email: 'walker@example.test' }).lean();
    expect(user).toMatchObject({ role: 'customer', name: 'Wanda Walker', passwordHash: null });
    // Without the link nobody can sign in as this customer.
    expectError(
      await h.request(
        { ip: randomIp() },
        { method: 'POST', url: '/auth/login', body: { tenant: tenant.slug, email, password: 'anything-at-all' } },
      ),
      401,
      'unauthenticated',
    );
    const mail = h.notifier.lastFor(email)!;
    expect(mail.url).toContain(`/reset-password?tenant=${tenant.slug}&token=`);
    await h.ok({ ip: randomIp() }, 'POST', '/auth/password-reset/complete', {
      tenant: tenant.slug,
      token: mail.token,
      password: 'a-new-password-1',
    });
    await h.login(tenant.slug, email, 'a-new-password-1');
  });

  it('answers the same for a known address, a staff address and an unknown helpdesk, and never renames or recreates anyone', async () => {
    const agent = await h.createPerson(tenant, 'agent', { signIn: false });
    const before = await h.domain.models.User.countDocuments({ tenantId: oid(tenant.id) });
    for (const body of [
      { tenant: tenant.slug, name: 'Impostor', email: agent.email },
      { tenant: 'no-such-helpdesk', name: 'Someone', email: 'someone@example.test' },
    ]) {
      const response = await signUp(body);
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ ok: true });
    }
    expect(await h.domain.models.User.countDocuments({ tenantId: oid(tenant.id) })).toBe(before);
    const unchanged = await h.domain.models.User.findOne({ tenantId: oid(tenant.id), email: agent.email }).lean();
    expect(unchanged).toMatchObject({ name: agent.name, role: 'agent' });
  });

  it('validates its input', async () => {
    expectError(await signUp({ tenant: tenant.slug, name: '', email: 'x@example.test' }), 400, 'validation_failed');
    expectError(await signUp({ tenant: tenant.slug, name: 'X', email: 'not-an-email' }), 400, 'validation_failed');
    expectError(await signUp({ tenant: tenant.slug, name: 'X', email: 'x@example.test', role: 'admin' }), 400, 'validation_failed');
  });
});
