/**
 * `npm run search:reindex` and `npm run search:check` as operators run them, against the
 * real services: first with nobody holding the embedded index (the commands open it
 * themselves), then while a server owns it (the commands work through its `index` queue).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Ctx } from '@switchboard/api/context';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl, testSearchDir } from '@switchboard/api/testing/services';
import { freePort } from '@switchboard/infra/services/net';
import { repoRoot } from '@switchboard/infra/services/paths';
import { startServer, type RunningServer } from '@switchboard/infra/server/server';
import { startDomain } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

const env = {
  MONGODB_URI: testMongoUri('searchcli'),
  REDIS_URL: testRedisUrl(),
  SEARCH_DATA_DIR: testSearchDir(),
  QUEUE_PREFIX: `cli${randomBytes(4).toString('hex')}`,
};
const slug = `cli-${randomBytes(3).toString('hex')}`;
let arranged: Awaited<ReturnType<typeof startDomain>>;
let admin: Ctx;
let server: RunningServer | undefined;

/** Runs the command the way `npm run search:<command>` does; never throws on a non-zero exit. */
async function cli(command: 'reindex' | 'check', ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, 'node_modules/.bin/tsx'), ['infra/src/cli/search.ts', command, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  // A domain without an index queue: the data exists in MongoDB only, as after a restore.
  arranged = await startDomain(env.MONGODB_URI, env.REDIS_URL);
  const { tenant, admin: user } = await arranged.domain.tenants.signUp({
    slug,
    name: 'CLI Co',
    timezone: 'UTC',
    admin: { name: 'Admin', email: `admin@${slug}.test`, password: 'cli-password-1' },
  });
  admin = { tenantId: tenant._id, actor: { kind: 'user', userId: user._id, role: 'admin', name: 'Admin' } };
  for (const subject of ['Modem blinking orange', 'Invoice twice', 'Password reset mail missing']) {
    await arranged.domain.tickets.create(
      admin,
      { subject, body: `${subject}, please help.`, format: 'text', requester: { email: `c@${slug}.test` } },
      'api',
    );
  }
  const article = await arranged.domain.kb.create(admin, {
    title: 'Modem lights',
    body: 'Orange means no line.',
    format: 'text',
    sectionId: null,
    locale: 'en',
    visibility: 'public',
    tags: [],
    note: '',
  });
  await arranged.domain.kb.publish(admin, oid(article.id));
});
afterAll(async () => {
  await server?.close();
  await arranged.connection.dropDatabase();
  await arranged.close();
});

describe('search commands', () => {
  it('find the missing documents, reindex with a progress bar, and then agree with MongoDB', async () => {
    const before = await cli('check', '--tenant', slug);
    expect(before.code, before.out).toBe(1);
    expect(before.out).toContain('tickets 0/3 (3 missing)');
    expect(before.out).toContain('articles 0/1 (1 missing)');

    const reindex = await cli('reindex', '--tenant', slug);
    expect(reindex.code, reindex.out).toBe(0);
    expect(reindex.out).toContain('reindexing 1 tenant(s), 4 documents');
    expect(reindex.out).toMatch(/reindexed \[#+\] 100% 4\/4 · [\d,]+\/s · done/);
    expect(reindex.out).toContain(`✓ ${slug}: 3 tickets, 1 articles`);

    const after = await cli('check', `--tenant=${slug}`);
    expect(after.code, after.out).toBe(0);
    expect(after.out).toContain('all 1 tenant(s) consistent');

    const unknown = await cli('check', '--tenant', 'no-such-tenant');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('no tenant no-such-tenant');
  });

  it('work through the index queue of the server that owns the embedded index', async () => {
    const port = await freePort();
    server = await startServer({
      services: ['api'],
      env: { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' },
      logger: createLogger({ level: 'silent' }),
    });
    const found = async () =>
      (await fetch(`http://127.0.0.1:${port}/api/v1/help/search?tenant=${slug}&q=modem`).then((r) => r.json())) as { total: number };
    expect((await found()).total).toBe(1);

    // Drift: a ticket removed behind the domain's back stays in the index.
    await arranged.domain.models.Ticket.deleteOne({ tenantId: admin.tenantId, subject: 'Invoice twice' });
    const drifted = await cli('check', '--tenant', slug);
    expect(drifted.code, drifted.out).toBe(1);
    expect(drifted.out).toContain('belongs to a running server');
    expect(drifted.out).toContain('tickets 3/2 (+1 stale)');

    const reindex = await cli('reindex', '--tenant', slug);
    expect(reindex.code, reindex.out).toBe(0);
    expect(reindex.out).toContain(
      `✓ ${slug}: 2 tickets, 1 articles (the index held documents MongoDB no longer has: rebuilt from scratch)`,
    );
    const after = await cli('check', '--tenant', slug);
    expect(after.code, after.out).toBe(0);
    expect((await found()).total).toBe(1);
  });
});
