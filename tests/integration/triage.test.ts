/**
 * Triage end to end: a ticket created through the REST API is classified by the real
 * model in the workers, routed to an online agent with the skill, and both changes reach
 * that agent's socket as events.
 */
import { systemCtx, type Ctx } from '@switchboard/api/context';
import type { DomainEvent } from '@switchboard/api/events/event-types';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl, testSearchDir } from '@switchboard/api/testing/services';
import { freePort } from '@switchboard/infra/services/net';
import { startServer, type RunningServer } from '@switchboard/infra/server/server';
import { connectClient, connected, type HubClient } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PASSWORD = 'triage-password-1';
let server: RunningServer;
let url: string;
let agentSocket: HubClient;
let admin: Ctx;
let alice: { id: string; cookie: string };
let customerCookie: string;
let billingCategory: string;

const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = await startServer({
    services: ['api', 'realtime', 'workers'],
    env: {
      MONGODB_URI: testMongoUri('triage'),
      REDIS_URL: testRedisUrl(),
      PORT: String(port),
      HUB_PORT: String(await freePort()),
      PUBLIC_URL: url,
      LOG_LEVEL: 'silent',
      QUEUE_PREFIX: `triage${process.pid}`,
      SEARCH_DATA_DIR: testSearchDir(),
      ROUTING_SWEEP_MS: '1000',
      AI_MODELS_DIR: process.env.AI_MODELS_DIR,
    },
    logger: createLogger({ level: 'silent' }),
  });
  const domain = server.domain!;
  const { tenant, admin: adminUser } = await domain.tenants.signUp({
    slug: 'triage-co',
    name: 'Triage Co',
    timezone: 'UTC',
    admin: { name: 'Admin', email: 'admin@triage.test', password: PASSWORD },
  });
  admin = { tenantId: tenant._id, actor: { kind: 'user', userId: adminUser._id, role: 'admin', name: 'Admin' } };
  await domain.tenants.updateSettings(admin, { aiConfidenceThreshold: 0.3 });
  const billing = await domain.teams.create(admin, { name: 'Billing', description: '', assignment: 'least_loaded' });
  const tech = await domain.teams.create(admin, { name: 'Technical', description: '', assignment: 'least_loaded' });
  billingCategory = (
    await domain.categories.create(admin, {
      name: 'Billing',
      description: 'Invoices, payments, refunds, double charges, credit cards, pricing and subscriptions.',
      teamId: billing.id,
      skill: 'billing',
      active: true,
    })
  ).id;
  await domain.categories.create(admin, {
    name: 'Technical',
    description: 'Bugs, errors, crashes, broken features, exports and integrations.',
    teamId: tech.id,
    skill: null,
    active: true,
  });
  await domain.categories.create(admin, {
    name: 'Access',
    description: 'Signing in, passwords, two-factor codes, locked accounts.',
    teamId: tech.id,
    skill: null,
    active: true,
  });
  const aliceUser = await domain.users.create(admin, {
    email: 'alice@triage.test',
    name: 'Alice',
    role: 'agent',
    password: PASSWORD,
    teamIds: [billing.id],
    skills: ['billing'],
  });
  // Bob is in the team but lacks the skill: routing must skip him.
  await domain.users.create(admin, {
    email: 'bob@triage.test',
    name: 'Bob',
    role: 'agent',
    password: PASSWORD,
    teamIds: [billing.id],
    skills: [],
  });
  await domain.users.create(admin, { email: 'carla@triage.test', name: 'Carla', role: 'customer', password: PASSWORD });
  alice = {
    id: aliceUser._id.toHexString(),
    cookie: cookieOf((await domain.auth.login({ tenant: 'triage-co', email: 'alice@triage.test', password: PASSWORD }, {})).cookie),
  };
  customerCookie = cookieOf((await domain.auth.login({ tenant: 'triage-co', email: 'carla@triage.test', password: PASSWORD }, {})).cookie);
  agentSocket = connectClient(server.hubPort!, '/agent', { cookie: alice.cookie, origin: url });
  await connected(agentSocket);
});

afterAll(async () => {
  agentSocket?.close();
  await server?.close();
});

describe('AI triage and routing', () => {
  it('categorises a new ticket, routes it to the online agent with the skill, and tells her socket', async () => {
    const events: DomainEvent[] = [];
    agentSocket.on('event', (e) => events.push(e));
    const response = await fetch(`${url}/api/v1/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: customerCookie, origin: url },
      body: JSON.stringify({
        subject: 'Charged twice for my subscription',
        body: 'My credit card was charged two times for the March invoice. Please refund the double payment.',
        format: 'text',
      }),
    });
    expect(response.status).toBe(201);
    const { ticket } = (await response.json()) as { ticket: { id: string } };

    await expect
      .poll(() => events.filter((e) => e.ticketId === ticket.id).map((e) => e.type), { timeout: 60_000, interval: 200 })
      .toEqual(expect.arrayContaining(['ticket.categorized', 'ticket.assigned']));
    const categorized = events.find((e) => e.ticketId === ticket.id && e.type === 'ticket.categorized')!;
    expect(categorized.data).toMatchObject({
      categoryId: billingCategory,
      ai: { applied: true, categoryId: billingCategory, language: 'en' },
    });
    expect((categorized.data.ai as { score: number }).score).toBeGreaterThan(0.3);
    const assigned = events.find((e) => e.ticketId === ticket.id && e.type === 'ticket.assigned')!;
    expect(assigned.data).toMatchObject({ to: { assigneeId: alice.id } });
    expect(assigned.actor).toMatchObject({ kind: 'system', name: 'Routing' });

    // The assignment opens the ticket in a second step right after the assigned event.
    await expect
      .poll(
        async () => {
          const stored = await server.domain!.tickets.get(systemCtx(admin.tenantId), oid(ticket.id));
          return { categoryId: stored.categoryId, assigneeId: stored.assigneeId, status: stored.status };
        },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual({ categoryId: billingCategory, assigneeId: alice.id, status: 'open' });
  });

  it('turns an agent’s correction into a labelled example and counts it in the accuracy figures', async () => {
    const domain = server.domain!;
    const customer = await domain.models.User.findOne({ tenantId: admin.tenantId, email: 'carla@triage.test' }).lean();
    const ctx: Ctx = { tenantId: admin.tenantId, actor: { kind: 'user', userId: customer!._id, role: 'customer', name: 'Carla' } };
    const { ticket } = await domain.tickets.create(
      ctx,
      { subject: 'App crashes on export', body: 'Every time I export the report to PDF the app crashes with an error.', format: 'text' },
      'portal',
    );
    await expect
      .poll(async () => (await domain.tickets.get(admin, oid(ticket.id))).ai?.categoryId ?? null, { timeout: 60_000, interval: 200 })
      .not.toBeNull();
    await domain.tickets.update(admin, oid(ticket.id), { categoryId: billingCategory });
    await expect.poll(async () => (await domain.triage.accuracy(admin, 1)).totals.reviewed, { timeout: 20_000, interval: 200 }).toBe(1);
    const vector = await domain.models.TicketVector.findOne({ tenantId: admin.tenantId, ticketId: oid(ticket.id) }).lean();
    expect(vector?.labelCategoryId?.toHexString()).toBe(billingCategory);
    const figures = await domain.triage.accuracy(admin, 1);
    expect(figures.totals.classified).toBeGreaterThanOrEqual(2);
    expect(figures.totals.correct).toBe(0);
  });
});
