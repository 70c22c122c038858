/**
 * The SLA timer layer on the real bull queue (no processor running, so the queue's state
 * can be read): which events queue a refresh, timers planned once and re-planned, and the
 * sweeper putting back what Redis lost and refreshing what a lost trigger left behind.
 */
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDomain } from '@switchboard/api/testing/test-domain';
import type { Ctx } from '@switchboard/api/context';
import type { Domain } from '@switchboard/api/domain';
import type { DomainEvent } from '@switchboard/api/events/event-types';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import { timerJobId } from '@switchboard/api/sla/sla-timeline';
import { testRedisUrl } from '@switchboard/api/testing/services';
import { QueueRegistry } from '../queues/registry.ts';
import { slaRefreshJob, slaReplanJob, slaTimerJob } from './sla.jobs.ts';
import { enqueueSlaJobs, movesSla } from './sla.listener.ts';
import { planTimers, sweepSla } from './sla.processor.ts';

let connection: Connection;
let redis: Redis;
let domain: Domain;
let registry: QueueRegistry;
let admin: Ctx;
let customer: Ctx;

const event = (
  seq: number,
  type: DomainEvent['type'],
  data: Record<string, unknown>,
  ticketId: string | null = '0123456789abcdef01234567',
): DomainEvent => ({
  seq,
  type,
  ticketId,
  audience: 'staff',
  actor: { id: null, name: 'x', kind: 'system' },
  data,
  at: new Date().toISOString(),
});

beforeAll(async () => {
  ({ connection, redis, domain } = await startTestDomain('slaworkers'));
  registry = new QueueRegistry(testRedisUrl(), `slaworkers${process.pid}`, createLogger({ level: 'silent' }));
  const { tenant, admin: adminUser } = await domain.tenants.signUp({
    slug: `slaw-${Date.now()}`,
    name: 'SLA workers',
    timezone: 'UTC',
    admin: { name: 'Ada', email: 'ada@slaw.test', password: 'slaw-password-1' },
  });
  admin = { tenantId: tenant._id, actor: { kind: 'user', userId: adminUser._id, role: 'admin', name: 'Ada' } };
  const person = await domain.users.create(admin, { email: 'cy@slaw.test', name: 'Cy', role: 'customer', password: 'slaw-password-1' });
  customer = { tenantId: tenant._id, actor: { kind: 'user', userId: person._id, role: 'customer', name: 'Cy' } };
  const calendar = await domain.sla.createCalendar(admin, { name: 'Always', timeZone: 'UTC', hours: '24/7', holidays: [] });
  await domain.sla.createPolicy(admin, {
    name: 'Hour',
    order: 1,
    active: true,
    conditions: { priorities: [], channels: [], organisationIds: [], categoryIds: [] },
    targetMinutes: { firstResponse: 60 },
    warningThresholdPercent: 50,
    pauseStatuses: ['pending', 'on_hold'],
    calendarId: calendar.id,
    escalations: [],
  });
});

afterAll(async () => {
  await Promise.all(registry?.all().map((queue) => queue.obliterate({ force: true })) ?? []);
  await registry?.close();
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
  redis?.disconnect();
});

describe('which events move SLA clocks', () => {
  it.each([
    [true, event(1, 'ticket.created', {})],
    [true, event(2, 'ticket.status_changed', { to: 'pending' })],
    [true, event(3, 'ticket.merged', {})],
    [true, event(4, 'entry.added', { entry: { kind: 'reply' } })],
    [true, event(5, 'entry.added', { entry: { kind: 'message' } })],
    [false, event(6, 'entry.added', { entry: { kind: 'note' } })],
    [true, event(7, 'ticket.updated', { changes: { priority: { to: 'high' } } })],
    [true, event(8, 'ticket.updated', { changes: { categoryId: { to: null } } })],
    [false, event(9, 'ticket.updated', { changes: { subject: { to: 'x' } } })],
    [true, event(10, 'ticket.categorized', { categoryId: '0123456789abcdef01234567' })],
    [false, event(11, 'ticket.sla_updated', {})],
    [false, event(12, 'ticket.assigned', {})],
  ])('%s for %o', (expected, input) => {
    expect(movesSla(input)).toBe(expected);
  });

  it('queues one refresh per event (a replayed batch queues nothing more) and a re-plan per configuration change', async () => {
    const tenantId = admin.tenantId.toHexString();
    const batch = {
      tenantId,
      events: [
        event(100, 'ticket.created', {}),
        event(101, 'entry.added', { entry: { kind: 'note' } }),
        event(102, 'sla_policy.changed', {}, null),
      ],
    };
    await enqueueSlaJobs(registry, batch);
    await enqueueSlaJobs(registry, batch);
    expect((await registry.queue(slaRefreshJob).getJobs(['waiting'])).map((j) => j.id)).toEqual([`sla-refresh:${tenantId}:100`]);
    expect((await registry.queue(slaReplanJob).getJobs(['waiting'])).map((j) => j.id)).toEqual([`sla-replan:${tenantId}:102`]);
  });
});

describe('timers', () => {
  it('plans each timer once, removes the ones no longer wanted, and the sweeper restores what Redis lost', async () => {
    const { ticket } = await domain.tickets.create(customer, { subject: 'Tick', body: 'Tock', format: 'text' }, 'portal');
    const first = (await domain.sla.refresh(admin.tenantId, oid(ticket.id)))!;
    expect(first.timers.map((t) => t.kind)).toEqual(['warning', 'breach']);
    await planTimers(registry, first);
    await planTimers(registry, first);
    const queue = registry.queue(slaTimerJob);
    const ids = first.timers.map((t) => timerJobId(ticket.id, { metric: t.metric, kind: t.kind, startedAt: t.cycle, at: t.at }));
    const delayed = (await queue.getDelayed()).filter((j) => j.id.toString().includes(ticket.id));
    expect(delayed.map((j) => j.id).sort()).toEqual([...ids].sort());

    // Paused: no timers wanted any more; the delayed ones are removed.
    await domain.tickets.changeStatus(admin, oid(ticket.id), 'pending');
    const paused = (await domain.sla.refresh(admin.tenantId, oid(ticket.id)))!;
    expect(paused.timers).toEqual([]);
    await planTimers(registry, paused);
    expect(await Promise.all(ids.map((id) => queue.getJob(id)))).toEqual([null, null]);

    // Running again, then Redis loses the breach timer: the sweep puts it back.
    await domain.tickets.changeStatus(admin, oid(ticket.id), 'open');
    const resumed = (await domain.sla.refresh(admin.tenantId, oid(ticket.id)))!;
    await planTimers(registry, resumed);
    const breach = resumed.timers.find((t) => t.kind === 'breach')!;
    const breachId = timerJobId(ticket.id, { metric: breach.metric, kind: breach.kind, startedAt: breach.cycle, at: breach.at });
    await (await queue.getJob(breachId))!.remove();
    const swept = await sweepSla({ domain, registry });
    expect(swept.timersRestored).toBeGreaterThanOrEqual(1);
    expect(await (await queue.getJob(breachId))!.isDelayed()).toBe(true);
  });

  it('refreshes a ticket whose trigger was lost (its SLA state is behind the ticket)', async () => {
    const { ticket } = await domain.tickets.create(customer, { subject: 'Never refreshed', body: 'Hi', format: 'text' }, 'portal');
    await sweepSla({ domain, registry });
    const queued = await registry.queue(slaRefreshJob).getJobs(['waiting']);
    expect(queued.some((job) => (job.data as { data: { ticketId: string } }).data.ticketId === ticket.id)).toBe(true);
  });
});
