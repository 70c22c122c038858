import { Types, type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemCtx } from '../context.ts';
import { connectMongo } from '../db/connection.ts';
import { reserve } from '../db/counter.model.ts';
import { createModels, syncIndexes, type Models } from '../db/models.ts';
import { testMongoUri } from '../testing/services.ts';
import { EventLog } from './event-log.ts';
import type { DomainEvent } from './event-types.ts';
import { InProcessPublisher } from './publisher.ts';

describe('EventLog', () => {
  let connection: Connection;
  let models: Models;
  const published: DomainEvent[] = [];
  const publisher = new InProcessPublisher();
  publisher.subscribe((batch) => void published.push(...batch.events));

  beforeAll(async () => {
    connection = await connectMongo(testMongoUri('eventlog'));
    models = createModels(connection);
    await syncIndexes(models);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('gives 50 concurrent writers strictly increasing, gap-free sequence numbers', async () => {
    const tenant = new Types.ObjectId();
    const log = new EventLog(models.Event, models.Counter, publisher);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: { i } }])),
    );
    const page = await log.readAfter(tenant, 0, { limit: 500 });
    expect(page.events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(page.events.map((e) => e.data.i)).size).toBe(50);
    expect(page.cursor).toBe(50);
  });

  it('keeps the events of one append contiguous and in order', async () => {
    const tenant = new Types.ObjectId();
    const log = new EventLog(models.Event, models.Counter, publisher);
    const appended = await log.append(systemCtx(tenant), [
      { type: 'ticket.created', audience: 'public', data: { n: 1 } },
      { type: 'entry.added', audience: 'public', data: { n: 2 } },
    ]);
    expect(appended.map((e) => [e.seq, e.type])).toEqual([
      [1, 'ticket.created'],
      [2, 'entry.added'],
    ]);
    expect(published.filter((e) => appended.some((a) => a.seq === e.seq && a.data.n === e.data.n))).toHaveLength(2);
  });

  it('never moves a reader past a seq that is reserved but not yet written', async () => {
    const tenant = new Types.ObjectId();
    const log = new EventLog(models.Event, models.Counter, publisher, 60_000);
    await log.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: { n: 1 } }]);
    // A writer reserves seq 2 and stalls before inserting.
    const stalled = await reserve(models.Counter, tenant, 'event');
    expect(stalled).toBe(2);
    await log.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: { n: 3 } }]);

    const page = await log.readAfter(tenant, 0);
    expect(page.events.map((e) => e.seq)).toEqual([1]);
    expect(page.cursor).toBe(1);
    const again = await log.readAfter(tenant, page.cursor);
    expect(again.events).toEqual([]);
    expect(again.cursor).toBe(1);

    // The stalled writer completes: the reader now gets 2 and 3, in order, once each.
    await models.Event.create({
      tenantId: tenant,
      seq: 2,
      type: 'ticket.updated',
      ticketId: null,
      audience: 'staff',
      actor: { id: null, name: 't', kind: 'system' },
      data: { n: 2 },
      at: new Date(),
    });
    const rest = await log.readAfter(tenant, again.cursor);
    expect(rest.events.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('fills a hole whose writer died, and a late writer gets a fresh seq instead', async () => {
    const tenant = new Types.ObjectId();
    // Two readers over one log: a patient one, and one whose timeout has already passed
    // (no sleeping, so a slow machine cannot change the outcome).
    const patient = new EventLog(models.Event, models.Counter, publisher, 60_000);
    const impatient = new EventLog(models.Event, models.Counter, publisher, 0);
    await patient.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: {} }]);
    const dead = await reserve(models.Counter, tenant, 'event');
    await patient.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: {} }]);
    expect((await patient.readAfter(tenant, 0)).cursor).toBe(1);

    const page = await impatient.readAfter(tenant, 0);
    expect(page.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'ticket.updated'],
      [dead, 'log.gap_filled'],
      [3, 'ticket.updated'],
    ]);
    expect((await patient.readAfter(tenant, 0)).cursor).toBe(3);
    // The "dead" writer wakes up: its slot is taken, so its insert is refused as a duplicate.
    const late = await models.Event.create({
      tenantId: tenant,
      seq: dead,
      type: 'ticket.updated',
      ticketId: null,
      audience: 'staff',
      actor: { id: null, name: 't', kind: 'system' },
      data: {},
      at: new Date(),
    }).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 11000 });
  });

  it('filters by ticket and audience without letting the cursor jump a hole', async () => {
    const tenant = new Types.ObjectId();
    const ticketA = new Types.ObjectId();
    const ticketB = new Types.ObjectId();
    const log = new EventLog(models.Event, models.Counter, publisher, 60_000);
    const ctx = systemCtx(tenant);
    await log.append(ctx, [{ type: 'entry.added', ticketId: ticketA, audience: 'public', data: { k: 'a-public' } }]);
    await log.append(ctx, [{ type: 'entry.added', ticketId: ticketA, audience: 'staff', data: { k: 'a-note' } }]);
    await log.append(ctx, [{ type: 'entry.added', ticketId: ticketB, audience: 'public', data: { k: 'b-public' } }]);
    await reserve(models.Counter, tenant, 'event'); // seq 4 in flight
    await log.append(ctx, [{ type: 'entry.added', ticketId: ticketA, audience: 'public', data: { k: 'a-later' } }]);

    const page = await log.readAfter(tenant, 0, { ticketId: ticketA, audience: 'public' });
    expect(page.events.map((e) => e.data.k)).toEqual(['a-public']);
    expect(page.cursor).toBe(3);
  });

  it('answers a storm of identical reads with one database read, never with a page older than the request', async () => {
    const tenant = new Types.ObjectId();
    const log = new EventLog(models.Event, models.Counter, publisher);
    await log.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: { n: 1 } }]);
    const find = vi.spyOn(models.Event, 'find');
    try {
      // Forty agents resync from the same cursor at once: one query.
      const pages = await Promise.all(Array.from({ length: 40 }, () => log.readAfter(tenant, 0, { limit: 500 })));
      expect(find).toHaveBeenCalledTimes(1);
      for (const page of pages) expect(page.events.map((e) => e.data.n)).toEqual([1]);
      // Different arguments are different reads.
      await Promise.all([log.readAfter(tenant, 0, { limit: 500 }), log.readAfter(tenant, 0, { limit: 500, audience: 'public' })]);
      expect(find).toHaveBeenCalledTimes(3);
    } finally {
      find.mockRestore();
    }
    // A read asked for after an append sees it, even right after an identical read.
    const before = log.readAfter(tenant, 0, { limit: 500 });
    await before;
    await log.append(systemCtx(tenant), [{ type: 'ticket.updated', audience: 'staff', data: { n: 2 } }]);
    expect((await log.readAfter(tenant, 0, { limit: 500 })).events.map((e) => e.data.n)).toEqual([1, 2]);
  });
});
