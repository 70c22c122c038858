/**
 * Events published while Redis is away keep their jobs: the durable listener writes the
 * batch to MongoDB instead of waiting in the Redis client's offline queue, and the dispatch
 * sweep queues the jobs once Redis answers. Real MongoDB-compatible server and Redis; the
 * "Redis away" is a loopback port nothing listens on.
 */
import net from 'node:net';
import { createLogger } from '@switchboard/api/lib/logger';
import { startTestDomain, type TestDomain } from '@switchboard/api/testing/test-domain';
import { testRedisUrl } from '@switchboard/api/testing/services';
import { createTenant } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableJobListener, replayUndispatched } from './dispatch.ts';
import { QueueRegistry } from './queues/registry.ts';
import { classifyJob } from './triage/triage.jobs.ts';

const logger = createLogger({ level: 'silent' });

/** A loopback port nothing listens on (taken from the OS, then released). */
const unusedPort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

describe('events published while Redis is away', () => {
  let t: TestDomain;
  let live: QueueRegistry;
  let away: QueueRegistry;

  beforeAll(async () => {
    t = await startTestDomain('dispatch');
    live = new QueueRegistry(testRedisUrl(), `dispatch${process.pid}`, logger);
    away = new QueueRegistry(`redis://127.0.0.1:${await unusedPort()}`, `dispatch${process.pid}`, logger);
  });
  afterAll(async () => {
    await Promise.race([away?.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await live?.close();
    await t?.connection.dropDatabase();
    await t?.connection.close();
    t?.redis.disconnect();
  });

  it('keeps the jobs in MongoDB while Redis is away, and the sweep queues them once it answers', async () => {
    const tenant = await createTenant(t.domain, 'dispatch');
    const opened = async (subject: string) => {
      const { ticket } = await t.domain.tickets.create(
        tenant.customer.ctx,
        { subject, body: 'My card was charged twice.', format: 'text' },
        'portal',
      );
      const page = await t.domain.events.readAfter(tenant.adminCtx.tenantId, 0, { limit: 500 });
      return { ticketId: ticket.id, events: page.events.filter((e) => e.ticketId === ticket.id) };
    };
    const listener = durableJobListener(away, t.domain.models, logger, 300);
    const first = await opened('Charged twice');
    const second = await opened('Charged three times');
    const tenantId = tenant.adminCtx.tenantId.toHexString();

    // The first batch tries, and is kept once queueing has not finished in time; the second
    // finds the client disconnected and is kept at once. Both writes went on.
    await listener({ tenantId, events: first.events });
    await listener({ tenantId, events: second.events });
    const kept = await t.domain.models.UndispatchedBatch.find({ tenantId: tenant.adminCtx.tenantId }).sort({ createdAt: 1, _id: 1 }).lean();
    expect(kept.map((b) => b.seqs)).toEqual([first.events.map((e) => e.seq), second.events.map((e) => e.seq)]);
    expect(kept[0]!.reason).toMatch(/longer than 300 ms/);
    expect(kept[1]!.reason).toBe('Redis was disconnected');
    expect(await live.queue(classifyJob).getJob(`classify:${first.ticketId}`)).toBeNull();

    // Redis answers (the live registry): the sweep queues every job and forgets the batches.
    expect(await replayUndispatched({ models: t.domain.models, registry: live })).toEqual({
      replayed: 2,
      events: first.events.length + second.events.length,
    });
    for (const { ticketId } of [first, second]) expect(await live.queue(classifyJob).getJob(`classify:${ticketId}`)).not.toBeNull();
    expect(await t.domain.models.UndispatchedBatch.countDocuments({ tenantId: tenant.adminCtx.tenantId })).toBe(0);
    // A second sweep finds nothing; replaying again queues nothing twice.
    expect(await replayUndispatched({ models: t.domain.models, registry: live })).toEqual({ replayed: 0, events: 0 });
    expect(await live.queue(classifyJob).getJobCountByTypes(['waiting', 'active', 'completed', 'delayed', 'failed'])).toBe(2);
  });

  it('queues directly, keeping nothing, while Redis answers', async () => {
    const tenant = await createTenant(t.domain, 'dispatch-up');
    const { ticket } = await t.domain.tickets.create(
      tenant.customer.ctx,
      { subject: 'All fine', body: 'Thanks.', format: 'text' },
      'portal',
    );
    const events = (await t.domain.events.readAfter(tenant.adminCtx.tenantId, 0, { limit: 500 })).events;
    await durableJobListener(live, t.domain.models, logger)({ tenantId: tenant.adminCtx.tenantId.toHexString(), events });
    expect(await live.queue(classifyJob).getJob(`classify:${ticket.id}`)).not.toBeNull();
    expect(await t.domain.models.UndispatchedBatch.countDocuments({ tenantId: tenant.adminCtx.tenantId })).toBe(0);
  });
});
