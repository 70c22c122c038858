/**
 * Events keep their jobs when their dispatch is cut short. Published while Redis is away,
 * the batch is kept in MongoDB instead of waiting in the Redis client's offline queue; when
 * the writer dies between storing events and queueing their jobs, the record the journal
 * wrote before the events were stored stays behind. Either way the dispatch sweep queues
 * the jobs. Real MongoDB-compatible server and Redis; the "Redis away" is a loopback port
 * nothing listens on, the "dead writer" a publisher whose listener never runs.
 */
import net from 'node:net';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { createLogger } from '@switchboard/api/lib/logger';
import { startTestDomain, type TestDomain } from '@switchboard/api/testing/test-domain';
import { testRedisUrl } from '@switchboard/api/testing/services';
import { createTenant } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { durableDispatch, IN_FLIGHT_GRACE_MS, replayUndispatched } from './dispatch.ts';
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

describe('events whose dispatch is cut short', () => {
  const publisher = new InProcessPublisher();
  let t: TestDomain;
  let live: QueueRegistry;
  let away: QueueRegistry;

  beforeAll(async () => {
    t = await startTestDomain('dispatch', publisher);
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

  afterEach(() => publisher.useJournal(undefined));

  const openTicket = async (tenant: Awaited<ReturnType<typeof createTenant>>, subject: string) => {
    const { ticket } = await t.domain.tickets.create(
      tenant.customer.ctx,
      { subject, body: 'My card was charged twice.', format: 'text' },
      'portal',
    );
    const page = await t.domain.events.readAfter(tenant.adminCtx.tenantId, 0, { limit: 500 });
    return { ticketId: ticket.id, events: page.events.filter((e) => e.ticketId === ticket.id) };
  };
  const recordsOf = (tenant: Awaited<ReturnType<typeof createTenant>>) =>
    t.domain.models.UndispatchedBatch.find({ tenantId: tenant.adminCtx.tenantId }).sort({ createdAt: 1, _id: 1 }).lean();

  it('keeps the jobs in MongoDB while Redis is away, and the sweep queues them once it answers', async () => {
    const tenant = await createTenant(t.domain, 'dispatch');
    // No journal here: the kept records are written when queueing fails.
    const { listener } = durableDispatch(away, t.domain.models, logger, 300);
    const first = await openTicket(tenant, 'Charged twice');
    const second = await openTicket(tenant, 'Charged three times');
    const tenantId = tenant.adminCtx.tenantId.toHexString();

    // The first batch tries, and is kept once queueing has not finished in time; the second
    // finds the client disconnected and is kept at once. Both writes went on.
    await listener({ tenantId, events: first.events });
    await listener({ tenantId, events: second.events });
    const kept = await recordsOf(tenant);
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
    expect(await recordsOf(tenant)).toEqual([]);
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
    await durableDispatch(live, t.domain.models, logger).listener({ tenantId: tenant.adminCtx.tenantId.toHexString(), events });
    expect(await live.queue(classifyJob).getJob(`classify:${ticket.id}`)).not.toBeNull();
    expect(await t.domain.models.UndispatchedBatch.countDocuments({ tenantId: tenant.adminCtx.tenantId })).toBe(0);
  });
  it('finishes the jobs of a writer that died between storing events and queueing them', async () => {
    const tenant = await createTenant(t.domain, 'dispatch-dead');
    // The journal is wired, the listener never runs: the process "died" after the store.
    publisher.useJournal(durableDispatch(live, t.domain.models, logger).journal);
    const { ticketId, events } = await openTicket(tenant, 'Lost in the crash');
    const records = await recordsOf(tenant);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.inFlight)).toBe(true);
    expect(records.flatMap((r) => r.seqs)).toEqual(expect.arrayContaining(events.map((e) => e.seq)));
    expect(await live.queue(classifyJob).getJob(`classify:${ticketId}`)).toBeNull();

    // A young in-flight record may still be settled by a live writer: the sweep leaves it.
    expect(await replayUndispatched({ models: t.domain.models, registry: live })).toEqual({ replayed: 0, events: 0 });
    expect(await recordsOf(tenant)).toHaveLength(records.length);
    // Past the grace its writer is taken for dead: the sweep queues the jobs and forgets it.
    const later = await replayUndispatched({ models: t.domain.models, registry: live }, { now: Date.now() + IN_FLIGHT_GRACE_MS + 1000 });
    expect(later.replayed).toBe(records.length);
    expect(later.events).toBeGreaterThanOrEqual(events.length);
    expect(await live.queue(classifyJob).getJob(`classify:${ticketId}`)).not.toBeNull();
    expect(await recordsOf(tenant)).toEqual([]);
  });

  it('settles the journal once the jobs are queued, and keeps its record when Redis is away', async () => {
    const tenant = await createTenant(t.domain, 'dispatch-journal');
    const tenantId = tenant.adminCtx.tenantId.toHexString();
    const up = durableDispatch(live, t.domain.models, logger);
    publisher.useJournal(up.journal);
    const unsubscribe = publisher.subscribe(up.listener);
    try {
      const queued = await openTicket(tenant, 'Queued at once');
      expect(await live.queue(classifyJob).getJob(`classify:${queued.ticketId}`)).not.toBeNull();
      await expect.poll(() => recordsOf(tenant), { timeout: 5000 }).toEqual([]);
    } finally {
      unsubscribe();
    }

    // Redis away: the in-flight record becomes the kept one (not a second record), and the
    // sweep does not wait out the grace for it.
    const down = durableDispatch(away, t.domain.models, logger, 300);
    publisher.useJournal(down.journal);
    const { ticketId, events } = await openTicket(tenant, 'Queued later');
    await down.listener({ tenantId, events });
    const kept = await recordsOf(tenant);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ inFlight: false, reason: 'Redis was disconnected' });
    expect(kept[0]!.seqs).toEqual(expect.arrayContaining(events.map((e) => e.seq)));
    expect((await replayUndispatched({ models: t.domain.models, registry: live })).replayed).toBe(1);
    expect(await live.queue(classifyJob).getJob(`classify:${ticketId}`)).not.toBeNull();
    expect(await recordsOf(tenant)).toEqual([]);
  });
});
