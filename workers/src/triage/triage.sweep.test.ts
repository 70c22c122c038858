/**
 * The routing sweep's second duty on the real bull queue and database (no processor
 * running, so the queue's state can be read): open tickets whose classify job was lost
 * (Redis away when they were created) are queued for classification again — with the
 * listener's job id, once, across tenants, within the grace period, window and batch size.
 */
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDomain } from '@switchboard/api/testing/test-domain';
import { systemCtx, type Ctx } from '@switchboard/api/context';
import type { Domain } from '@switchboard/api/domain';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import { testRedisUrl } from '@switchboard/api/testing/services';
import { QueueRegistry } from '../queues/registry.ts';
import { classifyJob } from './triage.jobs.ts';
import { CLASSIFY_GRACE_MS, CLASSIFY_WINDOW_MS, sweepUnclassified } from './triage.processor.ts';

let connection: Connection;
let redis: Redis;
let domain: Domain;
let registry: QueueRegistry;
const tenants: Array<{ admin: Ctx; customer: Ctx }> = [];

const unknown = { categoryId: null, score: 0, decision: 'unknown', language: null, priorityHint: null, duplicateOfId: null } as const;

/** The classify jobs in the queue, as `tenantId/ticketId` by job id. */
async function queued(): Promise<Record<string, string>> {
  const jobs = await registry.queue(classifyJob).getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return Object.fromEntries(
    jobs.map((job) => {
      const { tenantId, ticketId } = (job.data as { data: { tenantId: string; ticketId: string } }).data;
      return [String(job.id), `${tenantId}/${ticketId}`];
    }),
  );
}

const open = async (customer: Ctx, subject: string) =>
  (await domain.tickets.create(customer, { subject, body: 'My card was charged twice.', format: 'text' }, 'portal')).ticket.id;

beforeAll(async () => {
  ({ connection, redis, domain } = await startTestDomain('triagesweep'));
  registry = new QueueRegistry(testRedisUrl(), `triagesweep${process.pid}`, createLogger({ level: 'silent' }));
  for (const name of ['one', 'two']) {
    const { tenant, admin: adminUser } = await domain.tenants.signUp({
      slug: `tsweep-${name}-${Date.now()}`,
      name: `Sweep ${name}`,
      timezone: 'UTC',
      admin: { name: 'Ada', email: `ada@${name}.tsweep.test`, password: 'tsweep-password-1' },
    });
    const admin: Ctx = { tenantId: tenant._id, actor: { kind: 'user', userId: adminUser._id, role: 'admin', name: 'Ada' } };
    const person = await domain.users.create(admin, {
      email: `cy@${name}.tsweep.test`,
      name: 'Cy',
      role: 'customer',
      password: 'tsweep-password-1',
    });
    tenants.push({ admin, customer: { tenantId: tenant._id, actor: { kind: 'user', userId: person._id, role: 'customer', name: 'Cy' } } });
  }
});

afterAll(async () => {
  await Promise.all(registry?.all().map((queue) => queue.obliterate({ force: true })) ?? []);
  await registry?.close();
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
  redis?.disconnect();
});

describe('the sweep for tickets never classified', () => {
  it('queues classification once per open unclassified ticket of every tenant, past the grace period and within the window', async () => {
    const [one, two] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const lost = await open(one.customer, 'Lost one');
    const lostElsewhere = await open(two.customer, 'Lost in another tenant');
    const classified = await open(one.customer, 'Classified');
    await domain.triage.applyResult(systemCtx(one.admin.tenantId, 'Triage'), oid(classified), unknown);
    const waiting = await open(one.customer, 'Waiting on the customer');
    await domain.tickets.changeStatus(one.admin, oid(waiting), 'pending');

    // Just created: their own classify job may still be on its way.
    expect(await sweepUnclassified({ domain, registry })).toBe(0);
    expect(await queued()).toEqual({});

    // Past the grace period: the open, unclassified ones of both tenants, with the listener's job id.
    const later = new Date(Date.now() + CLASSIFY_GRACE_MS + 1000);
    expect(await sweepUnclassified({ domain, registry }, { now: later })).toBe(2);
    const expected = {
      [`classify:${lost}`]: `${one.admin.tenantId.toHexString()}/${lost}`,
      [`classify:${lostElsewhere}`]: `${two.admin.tenantId.toHexString()}/${lostElsewhere}`,
    };
    expect(await queued()).toEqual(expected);

    // Sweeping again (the jobs still wait) queues nothing twice.
    await sweepUnclassified({ domain, registry }, { now: later });
    expect(await registry.queue(classifyJob).getWaitingCount()).toBe(2);
    expect(await queued()).toEqual(expected);

    // Past the window, nothing is swept.
    expect(await sweepUnclassified({ domain, registry }, { now: new Date(Date.now() + CLASSIFY_WINDOW_MS + 60_000) })).toBe(0);
  });

  it('takes at most a batch per sweep, oldest first', async () => {
    await registry.queue(classifyJob).obliterate({ force: true });
    const [one] = tenants as [(typeof tenants)[0]];
    const fresh = [await open(one.customer, 'Batch 1'), await open(one.customer, 'Batch 2')];
    const later = new Date(Date.now() + CLASSIFY_GRACE_MS + 1000);
    // The two tickets of the first test come first (older), then these.
    expect(await sweepUnclassified({ domain, registry }, { now: later, limit: 3 })).toBe(3);
    const ids = Object.keys(await queued());
    expect(ids).toHaveLength(3);
    expect(ids).toContain(`classify:${fresh[0]}`);
    expect(ids).not.toContain(`classify:${fresh[1]}`);
  });
});
