/**
 * SLA timers on the real bull queue with worker processes that die: a ticket created
 * through the REST API under a one-minute first-response target warns and breaches on
 * time, and its events and escalations happen exactly once although the worker that
 * handled the warning is SIGKILLed and two fresh workers race for the breach. The
 * sweeper puts back timers that vanished from Redis.
 */
import type { EventType } from '@switchboard/api/events/event-types';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import { freePort } from '@switchboard/infra/services/net';
import { startServer, type RunningServer } from '@switchboard/infra/server/server';
import { timerJobId } from '@switchboard/api/sla/sla-timeline';
import { slaTimerJob } from '@switchboard/workers/sla/sla.jobs';
import { QueueRegistry } from '@switchboard/workers/queues/registry';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerProcess, type WorkerProcess } from '../src/worker-process.ts';

const PASSWORD = 'sla-password-123';
let server: RunningServer;
let url: string;
let workerEnv: Record<string, string>;
let registry: QueueRegistry;
const workers: WorkerProcess[] = [];
let tenantId: Types.ObjectId;
let adminCookie: string;
let customerCookie: string;
let teamId: string;
let managerId: string;

const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

async function call<T>(method: string, path: string, cookie: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { cookie, origin: url, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const eventsOf = (ticketId: Types.ObjectId, type: EventType) => server.domain!.models.Event.find({ tenantId, ticketId, type }).lean();

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const mongoUri = testMongoUri('slatimers');
  const redisUrl = testRedisUrl();
  const prefix = `sla${process.pid}`;
  // This process serves the API and only enqueues; timers run in the worker processes below.
  server = await startServer({
    services: ['api'],
    env: { MONGODB_URI: mongoUri, REDIS_URL: redisUrl, PORT: String(port), PUBLIC_URL: url, LOG_LEVEL: 'silent', QUEUE_PREFIX: prefix },
    logger: createLogger({ level: 'silent' }),
  });
  workerEnv = {
    MONGODB_URI: mongoUri,
    REDIS_URL: redisUrl,
    PUBLIC_URL: url,
    QUEUE_PREFIX: prefix,
    SLA_SWEEP_MS: '2000',
    AI_MODELS_DIR: process.env.AI_MODELS_DIR ?? '',
  };
  registry = new QueueRegistry(redisUrl, prefix, createLogger({ level: 'silent' }));
  const domain = server.domain!;
  const { tenant, admin } = await domain.tenants.signUp({
    slug: 'sla-timers',
    name: 'SLA Timers',
    timezone: 'UTC',
    admin: { name: 'Admin', email: 'admin@sla.test', password: PASSWORD },
  });
  tenantId = tenant._id;
  const adminCtx = { tenantId, actor: { kind: 'user' as const, userId: admin._id, role: 'admin' as const, name: 'Admin' } };
  managerId = (
    await domain.users.create(adminCtx, { email: 'mia@sla.test', name: 'Mia Manager', role: 'manager', password: PASSWORD })
  )._id.toHexString();
  await domain.users.create(adminCtx, { email: 'cy@sla.test', name: 'Cy Customer', role: 'customer', password: PASSWORD });
  teamId = (await domain.teams.create(adminCtx, { name: 'Escalations', description: '', assignment: 'manual' })).id;
  adminCookie = cookieOf((await domain.auth.login({ tenant: 'sla-timers', email: 'admin@sla.test', password: PASSWORD }, {})).cookie);
  customerCookie = cookieOf((await domain.auth.login({ tenant: 'sla-timers', email: 'cy@sla.test', password: PASSWORD }, {})).cookie);
  const calendar = await call<{ id: string }>('POST', '/sla/calendars', adminCookie, { name: 'Always', timeZone: 'UTC', hours: '24/7' });
  // The shortest target there is (one business minute), warning at 10 %: a warning after 6 s, a breach after 60 s.
  await call('POST', '/sla/policies', adminCookie, {
    name: 'Fast',
    order: 1,
    calendarId: calendar.id,
    targetMinutes: { firstResponse: 1 },
    warningThresholdPercent: 10,
    escalations: [
      { on: 'warning', action: 'notify_managers' },
      { on: 'warning', action: 'raise_priority' },
      { on: 'breach', action: 'raise_priority' },
      { on: 'breach', action: 'assign_team', teamId },
    ],
  });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await registry?.close();
  await server?.close();
});

describe('SLA timers on the real queue', () => {
  it('warns and breaches once, with each escalation once, although the worker dies in between', { timeout: 240_000 }, async () => {
    const domain = server.domain!;
    workers.push(await startWorkerProcess(workerEnv));
    const { ticket } = await call<{ ticket: { id: string } }>('POST', '/tickets', customerCookie, {
      subject: 'Checkout is broken',
      body: 'Nobody can pay.',
      format: 'text',
    });
    const id = oid(ticket.id);
    const createdAt = (await domain.models.Ticket.findOne({ tenantId, _id: id }).lean())!.createdAt.getTime();

    await expect.poll(async () => (await eventsOf(id, 'ticket.sla_warning')).length, { timeout: 60_000, interval: 200 }).toBe(1);
    // The warning escalation finished (note, priority) before the crash.
    await expect
      .poll(async () => (await domain.models.SlaEscalation.findOne({ tenantId, ticketId: id, kind: 'warning' }).lean())?.doneAt ?? null, {
        timeout: 30_000,
      })
      .not.toBeNull();
    await workers[0]!.kill();

    // Two fresh workers: both hold the delayed breach timer's queue and race for it.
    workers.push(await startWorkerProcess(workerEnv), await startWorkerProcess(workerEnv));
    await expect.poll(async () => (await eventsOf(id, 'ticket.sla_breached')).length, { timeout: 120_000, interval: 250 }).toBe(1);
    await expect
      .poll(async () => (await domain.models.SlaEscalation.findOne({ tenantId, ticketId: id, kind: 'breach' }).lean())?.doneAt ?? null, {
        timeout: 30_000,
      })
      .not.toBeNull();
    // Let any straggler (a retried job, the sweeper) run before counting.
    await new Promise((r) => setTimeout(r, 5000));

    const [warning] = await eventsOf(id, 'ticket.sla_warning');
    const [breach] = await eventsOf(id, 'ticket.sla_breached');
    expect(await eventsOf(id, 'ticket.sla_warning')).toHaveLength(1);
    expect(await eventsOf(id, 'ticket.sla_breached')).toHaveLength(1);
    expect(warning!.data).toMatchObject({ metric: 'firstResponse', notify: [managerId] });
    // Figures come from timestamps: due one minute after creation, whenever the job ran.
    expect(breach!.data.dueAt).toBe(new Date(createdAt + 60_000).toISOString());
    expect(breach!.at.getTime()).toBeGreaterThanOrEqual(createdAt + 60_000);
    const stored = (await domain.models.Ticket.findOne({ tenantId, _id: id }).lean())!;
    expect(stored.priority).toBe('urgent');
    expect(stored.teamId?.toHexString()).toBe(teamId);
    expect(stored.sla.state).toBe('breached');
    expect(stored.sla.breachedAt?.getTime()).toBe(createdAt + 60_000);
    expect(await domain.models.Entry.countDocuments({ tenantId, ticketId: id, kind: 'note' })).toBe(1);
    expect(await eventsOf(id, 'ticket.assigned')).toHaveLength(1);
    expect((await eventsOf(id, 'ticket.updated')).map((e) => (e.data.changes as { priority: { to: string } }).priority.to)).toEqual([
      'high',
      'urgent',
    ]);

    const timers = (await registry.queue(slaTimerJob).getCompleted()).filter(
      (job) => (job.data as { data: { ticketId: string } }).data.ticketId === ticket.id,
    );
    const lateness = timers.map((job) => (job.returnvalue as { lateMs: number }).lateMs);
    console.log(`[sla] timer jobs of the ticket fired ${lateness.join(', ')} ms after their due instants`);
    // The breach came from its timer (a warning may also be raised by a refresh that runs past the threshold first).
    expect(timers.length).toBeGreaterThanOrEqual(1);
  });

  it('puts back a timer that vanished from Redis (the sweeper)', { timeout: 120_000 }, async () => {
    const domain = server.domain!;
    if (workers.filter((w) => w.child.exitCode === null).length === 0) workers.push(await startWorkerProcess(workerEnv));
    const { ticket } = await call<{ ticket: { id: string } }>('POST', '/tickets', customerCookie, {
      subject: 'Lost timer',
      body: 'Hello.',
      format: 'text',
    });
    const id = oid(ticket.id);
    await expect
      .poll(async () => (await domain.models.SlaTicketState.findOne({ tenantId, ticketId: id }).lean())?.timers.length ?? 0, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    const state = (await domain.models.SlaTicketState.findOne({ tenantId, ticketId: id }).lean())!;
    const breach = state.timers.find((t) => t.kind === 'breach')!;
    const jobId = timerJobId(ticket.id, { metric: breach.metric, kind: breach.kind, startedAt: breach.cycle, at: breach.at });
    const queue = registry.queue(slaTimerJob);
    await expect.poll(async () => !!(await queue.getJob(jobId)), { timeout: 10_000 }).toBe(true);
    // A crash of Redis without persistence, say: the delayed job is gone.
    await (await queue.getJob(jobId))!.remove();
    expect(await queue.getJob(jobId)).toBeNull();
    await expect.poll(async () => !!(await queue.getJob(jobId)), { timeout: 30_000, interval: 250 }).toBe(true);
    expect(await (await queue.getJob(jobId))!.isDelayed()).toBe(true);
  });
});
