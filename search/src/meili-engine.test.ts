import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Meilisearch, MeilisearchRequestError } from 'meilisearch';
import { AppError } from '@switchboard/api/lib/errors';
import type { TicketDocumentInput } from './search-documents.ts';
import { MeiliSearchEngine, toAppError } from './meili-engine.ts';
import { searchEngineContract } from './testing/search-engine-contract.ts';

const MEILI_URL = process.env.MEILI_URL;
const MEILI_MASTER_KEY = process.env.MEILI_MASTER_KEY;
const SKIPPED =
  'Meilisearch contract SKIPPED: MEILI_URL is not set. Run it with a server: ' +
  'MEILI_URL=http://127.0.0.1:7700 MEILI_MASTER_KEY=<key> npx vitest run --project search';

if (!MEILI_URL) {
  console.warn(`\n${'!'.repeat(100)}\n!! ${SKIPPED}\n${'!'.repeat(100)}\n`);
}

const prefix = `test_${randomBytes(4).toString('hex')}_`;
const opened: MeiliSearchEngine[] = [];

describe.skipIf(!MEILI_URL)(MEILI_URL ? 'meilisearch engine: search contract' : SKIPPED, () => {
  afterAll(async () => {
    const client = new Meilisearch({ host: MEILI_URL!, ...(MEILI_MASTER_KEY ? { apiKey: MEILI_MASTER_KEY } : {}) });
    for (const engine of opened) {
      await client.deleteIndexIfExists(engine.indexUid('ticket'));
      await client.deleteIndexIfExists(engine.indexUid('article'));
    }
  });

  searchEngineContract({
    create: async () => {
      const engine = await MeiliSearchEngine.open({
        url: MEILI_URL!,
        indexPrefix: prefix,
        ...(MEILI_MASTER_KEY ? { apiKey: MEILI_MASTER_KEY } : {}),
      });
      opened.push(engine);
      return engine;
    },
  });

  it.skipIf(!MEILI_MASTER_KEY)('mints tenant tokens whose searches stay inside the tenant', async () => {
    const engine = await MeiliSearchEngine.open({ url: MEILI_URL!, apiKey: MEILI_MASTER_KEY!, indexPrefix: prefix });
    opened.push(engine);
    const lighthouse = (tenantId: string, id: string): TicketDocumentInput => ({
      tenantId,
      id,
      number: 1,
      subject: 'Shared word lighthouse',
      body: '',
      status: 'open',
      priority: 'normal',
      teamId: null,
      assigneeId: null,
      categoryId: null,
      tags: [],
      requesterName: 'Ada',
      requesterEmail: 'ada@example.org',
      organisationName: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await engine.upsert('tok_a', 'ticket', [lighthouse('tok_a', 'x1')]);
    await engine.upsert('tok_b', 'ticket', [lighthouse('tok_b', 'x2')]);
    const { token, indexes } = await engine.tenantToken('tok_a', { scope: 'agent', expiresInSeconds: 300 });
    const browser = new Meilisearch({ host: MEILI_URL!, apiKey: token });
    const response = await browser.index(indexes.ticket!).search('lighthouse');
    expect(response.hits.map((h) => h.tenantId)).toEqual(['tok_a']);
    const portal = await engine.tenantToken('tok_a', { scope: 'portal' });
    expect(portal.indexes).toEqual({ article: engine.indexUid('article') });
    await expect(new Meilisearch({ host: MEILI_URL!, apiKey: portal.token }).index(indexes.ticket!).search('lighthouse')).rejects.toThrow();
    await engine.purgeTenant('tok_a');
    await engine.purgeTenant('tok_b');
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('meilisearch engine: outage', () => {
  it('reports an unreachable server as unavailable, at start and in health', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const error = await MeiliSearchEngine.open({ url, requestTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('unavailable');
    expect((error as AppError).status).toBe(503);
  });

  it('maps client failures to error codes', () => {
    expect(toAppError(new MeilisearchRequestError('http://127.0.0.1:1', new Error('ECONNREFUSED')), 'search').code).toBe('unavailable');
    expect(toAppError(new Error('boom'), 'search').code).toBe('internal');
    const own = new AppError('validation_failed', 'bad');
    expect(toAppError(own, 'search')).toBe(own);
  });
});
