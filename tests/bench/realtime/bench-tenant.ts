/**
 * The tenant whose staff room every benchmark fills: created through the domain
 * (sign-up, agents, real logins), then many more sessions of those agents written as
 * session rows in bulk — an argon2 login costs ~50 ms, thousands of them would dominate
 * the run. Several sockets share each session, as browser tabs do.
 */
import { randomBytes } from 'node:crypto';
import { SESSION_COOKIE } from '@switchboard/api/auth/lucia';
import type { Domain } from '@switchboard/api/domain';
import { createTenant } from '@switchboard/realtime/testing/hub-fixtures';

const SESSION_DAYS = 30;
const INSERT_BATCH = 1_000;

/** The tenant id and the session cookies the sockets present. */
export interface BenchTenant {
  tenantId: string;
  cookies: string[];
}

/** Creates the tenant and `sessions` session rows spread over its agents. */
export async function createBenchTenant(domain: Domain, slug: string, sessions: number): Promise<BenchTenant> {
  const fixture = await createTenant(domain, slug);
  const tenantId = fixture.adminCtx.tenantId;
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 24 * 3600 * 1000);
  const cookies = fixture.agents.map((a) => a.cookie);
  for (let done = cookies.length; done < sessions;) {
    const rows = Array.from({ length: Math.min(INSERT_BATCH, sessions - done) }, (_, i) => ({
      _id: randomBytes(20).toString('hex'),
      userId: fixture.agents[(done + i) % fixture.agents.length]!.id,
      tenantId,
      expiresAt,
      mfaVerified: true,
    }));
    await domain.models.Session.insertMany(rows, { ordered: false });
    cookies.push(...rows.map((r) => `${SESSION_COOKIE}=${r._id}`));
    done += rows.length;
  }
  return { tenantId: tenantId.toHexString(), cookies };
}
