import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Ctx } from '@switchboard/api/context';
import { connectMongo } from '@switchboard/api/db/connection';
import { createDomain, type Domain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { AppError } from '@switchboard/api/lib/errors';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import type { SearchBackend } from '@switchboard/api/search/search.port';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import type { Tenant } from '@switchboard/api/tenants/tenant.model';
import { EmbeddedSearchEngine } from '@switchboard/search/embedded-engine';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobListener } from '../listeners.ts';
import { QueueRegistry } from '../queues/registry.ts';
import { eventually } from '../testing/channels-harness.ts';
import { indexJob } from './index.jobs.ts';
import { markPending, pendingKey } from './index.listener.ts';
import { rebuildMissing, requestPurge, requestRebuild, startIndexing, sweepPending } from './index.processor.ts';

/**
 * The indexing pipeline end to end: domain events → the job listener → the `index` queue →
 * the processor → the embedded engine, against real MongoDB, Redis and engine. A flaky
 * proxy in front of the engine (failing its first writes) proves that syncs are retried.
 */
describe('search indexing pipeline', () => {
  const logger = createLogger({ level: 'silent' });
  let connection: Connection;
  let redis: Redis;
  let registry: QueueRegistry;
  let engine: EmbeddedSearchEngine;
  let dataDir: string;
  let domain: Domain;
  const rebuilt: string[] = [];
  /** Upserts the proxy refuses before passing writes through (an engine outage). */
  let failNextUpserts = 0;

  const tenant = async (): Promise<{ tenant: Tenant; ctx: Ctx; requester: string }> => {
    const suffix = randomBytes(4).toString('hex');
    const { tenant, admin } = await domain.tenants.signUp({
      slug: `ix-${suffix}`,
      name: `Index ${suffix}`,
      timezone: 'UTC',
      admin: { name: 'Ada Admin', email: `admin-${suffix}@example.test`, password: `pw-admin-${suffix}` },
    });
    const ctx: Ctx = {
      tenantId: tenant._id,
      actor: { kind: 'user', userId: admin._id, role: 'admin', name: admin.name, organisationId: null },
    };
    return { tenant, ctx, requester: `customer-${suffix}@example.test` };
  };
  const search = (tenantId: string, q: string) => engine.search(tenantId, 'ticket', { q });
  const found = (tenantId: string, q: string) => async () => ((await search(tenantId, q)).total > 0 ? true : undefined);
  const gone = (tenantId: string, q: string) => async () => ((await search(tenantId, q)).total === 0 ? true : undefined);

  beforeAll(async () => {
    connection = await connectMongo(testMongoUri('index'));
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
    registry = new QueueRegistry(testRedisUrl(), `ix${randomBytes(5).toString('hex')}`, logger);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-index-'));
    engine = await EmbeddedSearchEngine.open({ dataDir, logger, warmUp: false });
    const flaky: SearchBackend = {
      name: engine.name,
      upsert: async (tenantId, kind, documents) => {
        if (failNextUpserts > 0) {
          failNextUpserts--;
          throw new AppError('unavailable', 'search engine down (test)');
        }
        return engine.upsert(tenantId, kind, documents);
      },
      delete: (tenantId, kind, ids) => engine.delete(tenantId, kind, ids),
      purgeTenant: (tenantId) => engine.purgeTenant(tenantId),
      search: (tenantId, kind, query) => engine.search(tenantId, kind, query),
      count: (tenantId, kind) => engine.count(tenantId, kind),
      health: () => engine.health(),
    };
    const publisher = new InProcessPublisher((error) => logger.warn({ err: error }, 'listener failed'));
    publisher.subscribe(jobListener(registry));
    domain = await createDomain({
      connection,
      redis,
      publisher,
      logger,
      signupOpen: true,
      publicUrl: 'http://desk.switchboard.test',
      search: flaky,
    });
    await startIndexing({ domain, registry, logger, onRebuilt: (tenantId) => void rebuilt.push(tenantId) });
  });
  afterAll(async () => {
    await registry.close();
    await engine.close();
    await fs.rm(dataDir, { recursive: true, force: true });
    await connection.dropDatabase();
    await connection.close();
    await redis.quit();
  });

  it('follows a ticket through creation, edits, replies and status changes', async () => {
    const { tenant: t, ctx, requester } = await tenant();
    const id = t._id.toHexString();
    const { ticket } = await domain.tickets.create(
      ctx,
      { subject: 'Flux capacitor overheating', body: 'It glows red.', format: 'text', requester: { email: requester } },
      'api',
    );
    await eventually(found(id, 'capacitor'), { what: 'the new ticket in the index' });

    await domain.tickets.update(ctx, oid(ticket.id), { subject: 'Warp coil overheating' });
    await eventually(found(id, 'warp'), { what: 'the new subject' });
    await eventually(gone(id, 'capacitor'), { what: 'the old subject gone' });

    await domain.conversation.add(ctx, oid(ticket.id), { kind: 'reply', body: 'Replace the dilithium crystal.', format: 'text' });
    await eventually(found(id, 'dilithium'), { what: 'the reply text' });

    await domain.tickets.changeStatus(ctx, oid(ticket.id), 'solved');
    const solved = await eventually(
      async () => {
        const result = await engine.search(id, 'ticket', { q: 'warp', filters: { status: ['solved'] } });
        return result.total === 1 ? result : undefined;
      },
      { what: 'the status change' },
    );
    expect(solved.hits[0]!.document.id).toBe(ticket.id);
    expect(await registry.queue(indexJob).client.hlen(pendingKey(registry, id))).toBe(0);
  });

  it('batches a burst of changes of one tenant into one job', async () => {
    const { tenant: t } = await tenant();
    const id = t._id.toHexString();
    // Far in the future, so the job is still waiting while the burst is marked.
    for (let i = 0; i < 40; i++)
      await markPending(registry, id, new Map([[`ticket:${'0'.repeat(20)}${String(i).padStart(4, '0')}`, String(i)]]), 60_000);
    const delayed = (await registry.queue(indexJob).getDelayed()).filter(
      (job) => (job.data as { data: { tenantId: string } }).data.tenantId === id,
    );
    expect(delayed.map((job) => job.id)).toEqual([`index:${id}:0`]);
    expect(await registry.queue(indexJob).client.hlen(pendingKey(registry, id))).toBe(40);
    await delayed[0]!.promote();
    await eventually(async () => ((await registry.queue(indexJob).client.hlen(pendingKey(registry, id))) === 0 ? true : undefined), {
      what: 'the burst synced',
    });
  });

  it('retries a sync while the engine is down and loses nothing', async () => {
    const { tenant: t, ctx, requester } = await tenant();
    const id = t._id.toHexString();
    failNextUpserts = 2;
    await domain.tickets.create(
      ctx,
      { subject: 'Quantum entanglement report', body: 'Spooky.', format: 'text', requester: { email: requester } },
      'api',
    );
    await eventually(found(id, 'entanglement'), { what: 'the ticket after retries', timeoutMs: 30_000 });
    expect(failNextUpserts).toBe(0);
    expect(await registry.queue(indexJob).client.hlen(pendingKey(registry, id))).toBe(0);
  });

  it('removes deleted articles and tickets that vanished from MongoDB', async () => {
    const { tenant: t, ctx, requester } = await tenant();
    const id = t._id.toHexString();
    const article = await domain.kb.create(ctx, {
      title: 'Teleporter calibration',
      body: 'Calibrate weekly.',
      format: 'text',
      sectionId: null,
      locale: 'en',
      visibility: 'public',
      tags: [],
      note: '',
    });
    await eventually(async () => ((await engine.search(id, 'article', { q: 'teleporter' })).total === 1 ? true : undefined), {
      what: 'the article',
    });
    await domain.kb.remove(ctx, oid(article.id));
    await eventually(async () => ((await engine.count(id, 'article')) === 0 ? true : undefined), { what: 'the article gone' });

    const { ticket } = await domain.tickets.create(
      ctx,
      { subject: 'Holodeck malfunction', body: 'Safeties off.', format: 'text', requester: { email: requester } },
      'api',
    );
    await eventually(found(id, 'holodeck'), { what: 'the ticket' });
    // Removed behind the domain's back (an operator's cleanup): the next sync of it deletes it.
    await domain.models.Ticket.deleteOne({ tenantId: t._id, _id: oid(ticket.id) });
    await markPending(registry, id, new Map([[`ticket:${ticket.id}`, 'cleanup']]), 0);
    await eventually(gone(id, 'holodeck'), { what: 'the vanished ticket gone' });
  });

  it('rebuilds a tenant from MongoDB when the index drifted, and purges a tenant', async () => {
    const one = await tenant();
    const two = await tenant();
    const [a, b] = [one.tenant._id.toHexString(), two.tenant._id.toHexString()];
    for (const side of [one, two]) {
      await domain.tickets.create(
        side.ctx,
        { subject: 'Tricorder battery', body: 'Drains fast.', format: 'text', requester: { email: side.requester } },
        'api',
      );
    }
    await eventually(found(a, 'tricorder'), { what: 'tenant one indexed' });
    await eventually(found(b, 'tricorder'), { what: 'tenant two indexed' });

    // Drift: a stray document in the index and a ticket the index never saw.
    await engine.upsert(a, 'ticket', [
      {
        ...(
          await domain.searchIndex.ticketDocuments(one.tenant._id, [
            (await domain.models.Ticket.findOne({ tenantId: one.tenant._id }).lean())!._id,
          ])
        )[0]!,
        id: 'stray',
      },
    ]);
    await domain.models.Ticket.updateOne({ tenantId: one.tenant._id }, { $set: { subject: 'Phaser alignment' } });
    expect((await domain.searchIndex.check(a)).consistent).toBe(false);
    const job = await requestRebuild(registry, a);
    const result = (await job.finished()) as { ticket: number; rebuiltFromScratch: boolean };
    expect(result).toMatchObject({ ticket: 1, rebuiltFromScratch: true });
    expect(rebuilt).toContain(a);
    expect(await domain.searchIndex.check(a)).toMatchObject({ consistent: true, ticket: { mongo: 1, index: 1 } });
    expect((await search(a, 'phaser')).total).toBe(1);

    await (await requestPurge(registry, a)).finished();
    expect([await engine.count(a, 'ticket'), await engine.count(a, 'article')]).toEqual([0, 0]);
    expect(await engine.count(b, 'ticket')).toBe(1);
  });

  it('picks up documents left pending by a crashed process', async () => {
    const { tenant: t, ctx, requester } = await tenant();
    const id = t._id.toHexString();
    const { ticket } = await domain.tickets.create(
      ctx,
      { subject: 'Replicator jammed', body: 'Earl grey only.', format: 'text', requester: { email: requester } },
      'api',
    );
    await eventually(found(id, 'replicator'), { what: 'the ticket' });
    await domain.models.Ticket.updateOne({ tenantId: t._id, _id: oid(ticket.id) }, { $set: { subject: 'Transporter jammed' } });
    // As if a process marked the change and died before enqueueing its sync.
    await registry.queue(indexJob).client.hset(pendingKey(registry, id), `ticket:${ticket.id}`, 'crash');
    expect(await sweepPending(registry)).toBeGreaterThanOrEqual(1);
    await eventually(found(id, 'transporter'), { what: 'the swept ticket' });
  });

  it('rebuilds tenants whose index is empty although MongoDB is not (new directory, older data)', async () => {
    const { tenant: t, ctx, requester } = await tenant();
    const id = t._id.toHexString();
    await domain.tickets.create(
      ctx,
      { subject: 'Deflector dish misaligned', body: 'Off by two degrees.', format: 'text', requester: { email: requester } },
      'api',
    );
    await eventually(found(id, 'deflector'), { what: 'the ticket' });
    await engine.purgeTenant(id);
    expect(await rebuildMissing({ domain, registry })).toContain(id);
    await eventually(found(id, 'deflector'), { what: 'the rebuilt tenant' });
  });

  it('answers a consistency check through the queue', async () => {
    const { tenant: t, ctx } = await tenant();
    const id = t._id.toHexString();
    await domain.kb.create(ctx, {
      title: 'Shield harmonics',
      body: 'Rotate.',
      format: 'text',
      sectionId: null,
      locale: 'en',
      visibility: 'internal',
      tags: [],
      note: '',
    });
    const report = await eventually(
      async () => {
        const job = await registry.enqueue(indexJob, { op: 'check', tenantId: id });
        const answer = (await job.finished()) as { consistent: boolean; article: { mongo: number; index: number } };
        return answer.consistent ? answer : undefined;
      },
      { what: 'a consistent report' },
    );
    expect(report.article).toEqual({ mongo: 1, index: 1 });
  });
});
