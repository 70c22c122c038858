import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHarness, expectError, type TenantFixture } from '../testing/api-harness.ts';
import { isDuplicateKeyError } from './duplicate-key.ts';

// Found by the REST fuzzer (tests/fuzz): renaming onto a taken name answered 500.
describe('names taken on rename answer 409 conflict, on MongoDB and FerretDB alike', () => {
  let h: ApiHarness;
  let tenant: TenantFixture;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'dupkey' });
    tenant = await h.signUpTenant();
  });
  afterAll(() => h.close());

  it.each(['teams', 'organisations', 'categories'])('PATCH /%s/:id onto another one’s name', async (kind) => {
    const first = await h.ok<{ id: string }>(tenant.admin, 'POST', `/${kind}`, { name: `first ${kind}` });
    const second = await h.ok<{ id: string }>(tenant.admin, 'POST', `/${kind}`, { name: `second ${kind}` });
    const response = await h.request(tenant.admin.auth, { method: 'PATCH', url: `/${kind}/${second.id}`, body: { name: `first ${kind}` } });
    expectError(response, 409, 'conflict');
    const unchanged = await h.ok<{ name: string }>(tenant.admin, 'PATCH', `/${kind}/${first.id}`, { name: `first ${kind}` });
    expect(unchanged.name).toBe(`first ${kind}`);
  });

  it('tells unique-index failures from other errors', () => {
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError(new Error('constraint failed: UNIQUE constraint failed: index x (2067)'))).toBe(true);
    expect(isDuplicateKeyError(new Error('connection reset'))).toBe(false);
    expect(isDuplicateKeyError(null)).toBe(false);
  });
});
