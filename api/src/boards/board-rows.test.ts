/**
 * The boards' read model: rows derived from events alone, the figures computed from rows,
 * and the Redis projection against the real servers (kept current by the domain's own
 * events, repaired on a version gap, rebuilt from MongoDB when Redis lost it).
 */
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDomain } from '../testing/test-domain.ts';
import type { Ctx } from '../context.ts';
import type { Domain } from '../domain.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import { boardFigures } from './board-figures.ts';
import { rowChange, type BoardRow } from './board-rows.ts';

const at = '2026-03-10T10:00:00.000Z';
const event = (type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent => ({
  seq: 1,
  type,
  ticketId: 't1',
  audience: 'staff',
  actor: { id: null, name: 'x', kind: 'system' },
  data,
  at,
});
const T = Date.parse(at);

describe('rowChange: what an event changes on a board row', () => {
  it.each([
    [
      'solved',
      event('ticket.status_changed', { from: 'open', to: 'solved', version: 4 }),
      { version: 4, patch: { s: 'solved', so: T, dn: T } },
    ],
    ['closed', event('ticket.status_changed', { from: 'solved', to: 'closed', version: 5 }), { version: 5, patch: { s: 'closed', dn: T } }],
    [
      'reopened',
      event('ticket.status_changed', { from: 'solved', to: 'open', version: 6 }),
      { version: 6, patch: { s: 'open', so: null, dn: null } },
    ],
    ['merged', event('ticket.merged', { into: 'x', version: 3 }), { version: 3, patch: { s: 'closed', dn: T } }],
    [
      'assigned',
      event('ticket.assigned', { to: { assigneeId: 'a1', teamId: 'tm1' }, version: 2 }),
      { version: 2, patch: { a: 'a1', tm: 'tm1' } },
    ],
    [
      'subject and priority',
      event('ticket.updated', { changes: { subject: { to: 'New' }, priority: { to: 'high' } }, version: 7 }),
      { version: 7, patch: { sj: 'New', p: 'high' } },
    ],
    ['tags only', event('ticket.updated', { changes: { tags: { to: ['x'] } }, version: 8 }), { version: 8, patch: {} }],
    ['categorized into a team', event('ticket.categorized', { teamId: 'tm2', version: 2 }), { version: 2, patch: { tm: 'tm2' } }],
    [
      'reply: first response if none yet',
      event('entry.added', { entry: { kind: 'reply', createdAt: at }, ticketVersion: 3 }),
      { version: 3, patch: { 'fr?': T } },
    ],
    ['note: version only', event('entry.added', { entry: { kind: 'note', createdAt: at }, ticketVersion: 4 }), { version: 4, patch: {} }],
    [
      'SLA summary: nearest due of the open metrics',
      event('ticket.sla_updated', {
        sla: {
          state: 'warning',
          firstResponseDueAt: '2026-03-10T11:00:00.000Z',
          nextResponseDueAt: null,
          resolutionDueAt: '2026-03-10T10:30:00.000Z',
          breachedAt: null,
        },
        version: 9,
      }),
      { version: 9, patch: { sl: 'warning', due: Date.parse('2026-03-10T10:30:00.000Z'), dm: 'resolution', br: null } },
    ],
  ])('%s', (_name, input, expected) => {
    expect(rowChange(input)).toEqual(expected);
  });

  it.each([
    ['an event without a version', event('ticket.status_changed', { from: 'open', to: 'solved' })],
    ['a warning (no version bump)', event('ticket.sla_warning', { key: 'k' })],
    ['a time entry', event('time_entry.logged', {})],
  ])('ignores %s', (_name, input) => {
    expect(rowChange(input)).toBeNull();
  });
});

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-10T15:30:00.000Z');
const row = (over: Partial<BoardRow>): BoardRow => ({
  v: 1,
  n: 1,
  s: 'open',
  p: 'normal',
  tm: 'red',
  a: null,
  sj: 'S',
  c: NOW - 30 * HOUR,
  fr: null,
  so: null,
  dn: null,
  sl: null,
  due: null,
  dm: null,
  br: null,
  ...over,
});

describe('boardFigures', () => {
  const rows: Array<[string, BoardRow]> = [
    ['a', row({ n: 1, s: 'new', c: NOW - 2 * HOUR, a: 'ann' })],
    ['b', row({ n: 2, s: 'open', c: NOW - 1 * HOUR, fr: NOW - 0.5 * HOUR, a: 'ann', sl: 'warning', due: NOW + 600_000, dm: 'resolution' })],
    ['c', row({ n: 3, s: 'pending', fr: NOW - 20 * HOUR, a: 'ben', sl: 'warning', due: NOW + 60_000, dm: 'firstResponse' })],
    ['d', row({ n: 4, s: 'solved', c: NOW - 3 * HOUR, fr: NOW - 2.5 * HOUR, so: NOW - 2 * HOUR, dn: NOW - 2 * HOUR, a: 'ann' })],
    ['e', row({ n: 5, s: 'on_hold', tm: 'blue', br: NOW - 4 * HOUR, sl: 'breached', a: 'ben', fr: NOW - 3 * HOUR })],
    ['f', row({ n: 6, s: 'closed', tm: 'blue', br: NOW - 30 * HOUR, dn: NOW - 25 * HOUR })],
  ];
  const agents = [
    { id: 'ben', name: 'Ben' },
    { id: 'ann', name: 'Ann' },
  ];

  it('counts the whole helpdesk in the tenant’s local day', () => {
    const figures = boardFigures({ rows, teamIds: null, agents, timeZone: 'UTC', now: NOW });
    expect(figures.open).toEqual({ total: 4, new: 1, open: 1, pending: 1, on_hold: 1 });
    expect(figures.waitingFirstResponse).toEqual({ count: 1, oldestCreatedAt: new Date(NOW - 2 * HOUR).toISOString() });
    expect(figures.atRisk.count).toBe(2);
    expect(figures.atRisk.tickets.map((t) => t.number)).toEqual([3, 2]);
    expect(figures.breachedToday.count).toBe(1);
    expect(figures.agents).toEqual([
      { id: 'ann', name: 'Ann', load: 2 },
      { id: 'ben', name: 'Ben', load: 2 },
    ]);
    expect(figures.hourly).toHaveLength(16);
    expect(figures.hourly.reduce((n, h) => n + h.created, 0)).toBe(3);
    expect(figures.hourly[12]).toEqual({ hour: 12, created: 1, solved: 0 });
    expect(figures.hourly[13]).toEqual({ hour: 13, created: 1, solved: 1 });
    // First responses today: b after 30 min, d after 30 min, e (created yesterday) after 27 h.
    expect(figures.firstResponse).toEqual({ count: 3, medianMinutes: 30 });
  });

  it('limits tickets to the board’s teams but keeps agents’ whole load', () => {
    const figures = boardFigures({ rows, teamIds: new Set(['blue']), agents: [{ id: 'ben', name: 'Ben' }], timeZone: 'UTC', now: NOW });
    expect(figures.open).toEqual({ total: 1, new: 0, open: 0, pending: 0, on_hold: 1 });
    expect(figures.atRisk.count).toBe(0);
    expect(figures.breachedToday.count).toBe(1);
    expect(figures.agents).toEqual([{ id: 'ben', name: 'Ben', load: 2 }]);
  });

  it('starts "today" at local midnight of the tenant’s zone', () => {
    // 15:30 UTC is 00:30 on 11 March in Tokyo: only the last half hour is today there.
    const figures = boardFigures({ rows, teamIds: null, agents, timeZone: 'Asia/Tokyo', now: NOW });
    expect(figures.todayStart).toBe('2026-03-10T15:00:00.000Z');
    expect(figures.hourly).toEqual([{ hour: 0, created: 0, solved: 0 }]);
    expect(figures.breachedToday.count).toBe(0);
  });
});

describe('the Redis projection', () => {
  let connection: Connection;
  let redis: Redis;
  let domain: Domain;
  let admin: Ctx;
  let customer: Ctx;

  beforeAll(async () => {
    ({ connection, redis, domain } = await startTestDomain('boardrows'));
    const { tenant, admin: adminUser } = await domain.tenants.signUp({
      slug: `rows-${Date.now()}`,
      name: 'Rows',
      timezone: 'UTC',
      admin: { name: 'Ada', email: 'ada@rows.test', password: 'rows-password-1' },
    });
    admin = { tenantId: tenant._id, actor: { kind: 'user', userId: adminUser._id, role: 'admin', name: 'Ada' } };
    const person = await domain.users.create(admin, { email: 'cy@rows.test', name: 'Cy', role: 'customer', password: 'rows-password-1' });
    customer = { tenantId: tenant._id, actor: { kind: 'user', userId: person._id, role: 'customer', name: 'Cy' } };
  });
  afterAll(async () => {
    await connection?.dropDatabase().catch(() => undefined);
    await connection?.close();
    redis?.disconnect();
  });

  const key = () => `sb:bd:${admin.tenantId.toHexString()}:rows`;
  const stored = async (ticketId: string) => JSON.parse((await redis.hget(key(), ticketId)) ?? 'null') as BoardRow | null;

  it('follows the domain’s own events, repairs a row after a gap, and rebuilds what Redis lost', async () => {
    const { token } = await domain.boards.create(admin, { name: 'Floor' });
    expect((await domain.boards.data(token)).figures.open.total).toBe(0);

    const { ticket } = await domain.tickets.create(customer, { subject: 'Row me', body: 'Hi', format: 'text' }, 'portal');
    expect(await stored(ticket.id)).toMatchObject({ v: 1, s: 'new', sj: 'Row me' });
    await domain.tickets.changeStatus(admin, oid(ticket.id), 'pending');
    expect(await stored(ticket.id)).toMatchObject({ v: 2, s: 'pending' });
    expect((await domain.boards.data(token)).figures.open).toMatchObject({ total: 1, pending: 1 });

    // A lost event: the row falls behind by one version; the next event finds the gap and reads the ticket.
    await redis.hset(key(), ticket.id, JSON.stringify({ ...(await stored(ticket.id))!, v: 1, s: 'new' }));
    await domain.models.Ticket.updateOne({ tenantId: admin.tenantId, _id: oid(ticket.id) }, { $inc: { version: 1 } });
    await domain.tickets.changeStatus(admin, oid(ticket.id), 'open');
    expect(await stored(ticket.id)).toMatchObject({ v: 4, s: 'open' });

    // Redis forgot everything: the next read builds the rows from MongoDB.
    const prefix = `sb:bd:${admin.tenantId.toHexString()}`;
    await redis.del(key(), `${prefix}:ready`, `${prefix}:fresh`, `${prefix}:counter`, `${prefix}:changed`);
    const figures = (await domain.boards.data(token)).figures;
    expect(figures.open).toMatchObject({ total: 1, open: 1 });
    expect(await stored(ticket.id)).toMatchObject({ v: 4, s: 'open', n: ticket.number });
  });

  it('answers a wrong or revoked token with unauthenticated', async () => {
    const { board, token } = await domain.boards.create(admin, { name: 'Temp' });
    await domain.boards.revoke(admin, board._id);
    for (const bad of [token, 'sbb_nope', 'not-a-board', undefined]) {
      const error = await domain.boards.data(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('unauthenticated');
    }
  });
});
