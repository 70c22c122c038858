/**
 * The SLA engine's domain side against the real MongoDB-compatible server and Redis:
 * validation that saves nothing, the summary written with a version bump and an event,
 * timers, escalations exactly once (also when refreshes race or a run died half-way),
 * policy changes, and the report facts. `now` is passed in, so nothing waits for a clock.
 */
import type { EventType } from '../events/event-types.ts';
import type { Redis } from 'ioredis';
import type { Connection, Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDomain } from '../testing/test-domain.ts';
import type { Ctx } from '../context.ts';
import type { Domain } from '../domain.ts';
import { InProcessPublisher, type PublishedBatch } from '../events/publisher.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import type { SlaPolicyBody } from './sla-config.schema.ts';
import { slaPolicyBodySchema } from './sla-config.schema.ts';

const MINUTE = 60_000;
let connection: Connection;
let redis: Redis;
let domain: Domain;
let admin: Ctx;
let customer: Ctx;
let agent: Ctx;
let managerId: string;
let escalationTeam: string;
const published: PublishedBatch[] = [];

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const policyBody = (input: Partial<SlaPolicyBody> & Pick<SlaPolicyBody, 'name'>): SlaPolicyBody =>
  slaPolicyBodySchema.parse({ order: 10, targetMinutes: { firstResponse: 60, resolution: 480 }, ...input });

async function counts(): Promise<string> {
  const models = domain.models;
  return (
    await Promise.all(
      [models.SlaCalendar, models.SlaPolicy].map((m) => (m as typeof models.SlaPolicy).countDocuments({ tenantId: admin.tenantId })),
    )
  ).join(',');
}

async function openTicket(subject: string, priority?: 'low' | 'normal' | 'high' | 'urgent') {
  const { ticket } = await domain.tickets.create(
    priority ? admin : customer,
    {
      subject,
      body: 'Something is wrong.',
      format: 'text',
      ...(priority ? { priority, requesterId: customer.actor.kind === 'user' ? customer.actor.userId.toHexString() : undefined } : {}),
    },
    'portal',
  );
  const created = await domain.models.Ticket.findOne({ tenantId: admin.tenantId, _id: oid(ticket.id) }).lean();
  return { id: oid(ticket.id), createdAt: created!.createdAt.getTime() };
}

const eventsOf = (ticketId: Types.ObjectId, type: EventType) =>
  domain.models.Event.find({ tenantId: admin.tenantId, ticketId, type }).lean<Array<{ data: Record<string, unknown>; at: Date }>>();

beforeAll(async () => {
  const publisher = new InProcessPublisher();
  publisher.subscribe((batch) => void published.push(batch));
  ({ connection, redis, domain } = await startTestDomain('slaservice', publisher));
  const password = 'sla-password-123';
  const { tenant, admin: adminUser } = await domain.tenants.signUp({
    slug: `sla-${Date.now()}`,
    name: 'SLA Co',
    timezone: 'Europe/Berlin',
    admin: { name: 'Ada Admin', email: 'ada@sla.test', password },
  });
  admin = { tenantId: tenant._id, actor: { kind: 'user', userId: adminUser._id, role: 'admin', name: 'Ada Admin' } };
  const manager = await domain.users.create(admin, { email: 'mia@sla.test', name: 'Mia Manager', role: 'manager', password });
  managerId = manager._id.toHexString();
  const agentUser = await domain.users.create(admin, { email: 'al@sla.test', name: 'Al Agent', role: 'agent', password });
  agent = { tenantId: tenant._id, actor: { kind: 'user', userId: agentUser._id, role: 'agent', name: 'Al Agent' } };
  const customerUser = await domain.users.create(admin, { email: 'cy@sla.test', name: 'Cy Customer', role: 'customer', password });
  customer = { tenantId: tenant._id, actor: { kind: 'user', userId: customerUser._id, role: 'customer', name: 'Cy Customer' } };
  escalationTeam = (await domain.teams.create(admin, { name: 'Escalations', description: '', assignment: 'manual' })).id;
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
  redis?.disconnect();
});

describe('calendars and policies: clear errors, nothing half-saved', () => {
  it('refuses overlapping hours, an unknown zone and a week without hours, naming the field', async () => {
    const before = await counts();
    const overlap = await rejection(
      domain.sla.createCalendar(admin, {
        name: 'Bad',
        timeZone: 'Europe/Berlin',
        holidays: [],
        hours: {
          monday: [
            { start: '09:00', end: '13:00' },
            { start: '12:00', end: '17:00' },
          ],
        },
      }),
    );
    expect(overlap.code).toBe('validation_failed');
    expect(overlap.message).toMatch(/overlap/);
    expect(overlap.details).toEqual([expect.objectContaining({ path: '/hours/monday/1' })]);
    const zone = await rejection(domain.sla.createCalendar(admin, { name: 'Bad', timeZone: 'Mars/Olympus', hours: '24/7', holidays: [] }));
    expect(zone.message).toMatch(/unknown time zone "Mars\/Olympus"/);
    expect(zone.details).toEqual([expect.objectContaining({ path: '/timeZone' })]);
    const empty = await rejection(domain.sla.createCalendar(admin, { name: 'Bad', timeZone: 'UTC', hours: {}, holidays: [] }));
    expect(empty.message).toMatch(/no business hours/);
    expect(await counts()).toBe(before);
  });

  it('refuses a policy without a target, with a done status as pause, or with references that do not exist', async () => {
    const before = await counts();
    const noTarget = await rejection(domain.sla.createPolicy(admin, policyBody({ name: 'Empty', targetMinutes: {} })));
    expect(noTarget.message).toMatch(/at least one target/);
    const pauseSolved = await rejection(domain.sla.createPolicy(admin, policyBody({ name: 'P', pauseStatuses: ['solved'] })));
    expect(pauseSolved.details).toEqual([expect.objectContaining({ path: '/pauseStatuses/0' })]);
    const ghost = '0123456789abcdef01234567';
    for (const body of [
      policyBody({ name: 'Cal', calendarId: ghost }),
      policyBody({ name: 'Org', conditions: { priorities: [], channels: [], organisationIds: [ghost], categoryIds: [] } }),
      policyBody({ name: 'Team', escalations: [{ on: 'breach', action: 'assign_team', teamId: ghost }] }),
      policyBody({ name: 'NoTeam', escalations: [{ on: 'breach', action: 'assign_team', teamId: null }] }),
    ]) {
      expect((await rejection(domain.sla.createPolicy(admin, body))).code).toBe('validation_failed');
    }
    expect((await rejection(domain.sla.createPolicy(agent, policyBody({ name: 'Agent' })))).code).toBe('forbidden');
    expect(await counts()).toBe(before);
  });

  it('stores a valid calendar in its validated form and lists it', async () => {
    const calendar = await domain.sla.createCalendar(admin, {
      name: 'Office',
      timeZone: 'europe/berlin',
      hours: {
        friday: [
          { start: '13:00', end: '17:00' },
          { start: '09:00', end: '12:00' },
        ],
      },
      holidays: [{ date: '2026-12-25', name: 'Christmas' }],
    });
    expect(calendar.timeZone).toBe('Europe/Berlin');
    expect(calendar.hours.friday).toEqual([
      { start: '09:00', end: '12:00' },
      { start: '13:00', end: '17:00' },
    ]);
    expect(calendar.hours.monday).toEqual([]);
    expect((await domain.sla.listCalendars(agent)).map((c) => c.name)).toContain('Office');
    expect((await rejection(domain.sla.createCalendar(admin, { name: 'Office', timeZone: 'UTC', hours: '24/7', holidays: [] }))).code).toBe(
      'conflict',
    );
  });
});

describe('the engine', () => {
  let roundTheClock: string;

  beforeAll(async () => {
    roundTheClock = (await domain.sla.createCalendar(admin, { name: '24/7', timeZone: 'UTC', hours: '24/7', holidays: [] })).id;
    await domain.sla.createPolicy(
      admin,
      policyBody({
        name: 'Standard',
        calendarId: roundTheClock,
        targetMinutes: { firstResponse: 60, nextResponse: 30, resolution: 480 },
        escalations: [
          { on: 'warning', action: 'notify_managers', teamId: null },
          { on: 'warning', action: 'raise_priority', teamId: null },
          { on: 'breach', action: 'raise_priority', teamId: null },
          { on: 'breach', action: 'assign_team', teamId: escalationTeam },
        ],
      }),
    );
  });

  it('writes the summary with a version bump and one ticket.sla_updated event, and asks for the timers', async () => {
    const ticket = await openTicket('Printer on fire');
    const before = (await domain.models.Ticket.findOne({ tenantId: admin.tenantId, _id: ticket.id }).lean())!;
    const result = (await domain.sla.refresh(admin.tenantId, ticket.id, new Date(ticket.createdAt + 10 * MINUTE)))!;
    expect(result.changed).toBe(true);
    expect(result.summary.state).toBe('ok');
    expect(result.summary.firstResponseDueAt?.getTime()).toBe(ticket.createdAt + 60 * MINUTE);
    expect(result.summary.resolutionDueAt?.getTime()).toBe(ticket.createdAt + 480 * MINUTE);
    expect(result.timers.map((t) => [t.metric, t.kind, t.at.getTime() - ticket.createdAt])).toEqual([
      ['firstResponse', 'warning', 45 * MINUTE],
      ['firstResponse', 'breach', 60 * MINUTE],
      ['resolution', 'warning', 360 * MINUTE],
      ['resolution', 'breach', 480 * MINUTE],
    ]);
    const after = (await domain.models.Ticket.findOne({ tenantId: admin.tenantId, _id: ticket.id }).lean())!;
    expect(after.version).toBe(before.version + 1);
    expect(after.sla.state).toBe('ok');
    const [updated] = await eventsOf(ticket.id, 'ticket.sla_updated');
    expect(updated!.data).toMatchObject({
      version: after.version,
      sla: { state: 'ok', firstResponseDueAt: new Date(ticket.createdAt + 60 * MINUTE).toISOString() },
    });

    // The same moment again changes nothing: no bump, no event.
    const again = (await domain.sla.refresh(admin.tenantId, ticket.id, new Date(ticket.createdAt + 10 * MINUTE)))!;
    expect(again.changed).toBe(false);
    expect(again.previousTimers).toHaveLength(4);
    expect(await eventsOf(ticket.id, 'ticket.sla_updated')).toHaveLength(1);
  });

  it('warns and breaches exactly once with the policy’s escalations, even when refreshes race', async () => {
    const ticket = await openTicket('Server down');
    const at = (minutes: number) => new Date(ticket.createdAt + minutes * MINUTE);
    await Promise.all([1, 2, 3].map(() => domain.sla.refresh(admin.tenantId, ticket.id, at(50))));
    expect(await eventsOf(ticket.id, 'ticket.sla_warning')).toHaveLength(1);
    const [warning] = await eventsOf(ticket.id, 'ticket.sla_warning');
    expect(warning!.data).toMatchObject({ metric: 'firstResponse', actions: ['notify_managers', 'raise_priority'], notify: [managerId] });
    let stored = (await domain.models.Ticket.findOne({ tenantId: admin.tenantId, _id: ticket.id }).lean())!;
    expect(stored.priority).toBe('high');
    expect(stored.sla.state).toBe('warning');
    const notes = await domain.models.Entry.find({ tenantId: admin.tenantId, ticketId: ticket.id, kind: 'note' }).lean();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.mentions.map((m) => m.toHexString())).toEqual([managerId]);

    await Promise.all([1, 2, 3].map(() => domain.sla.refresh(admin.tenantId, ticket.id, at(61))));
    await domain.sla.refresh(admin.tenantId, ticket.id, at(62));
    expect(await eventsOf(ticket.id, 'ticket.sla_breached')).toHaveLength(1);
    expect(await eventsOf(ticket.id, 'ticket.sla_warning')).toHaveLength(1);
    stored = (await domain.models.Ticket.findOne({ tenantId: admin.tenantId, _id: ticket.id }).lean())!;
    expect(stored.priority).toBe('urgent');
    expect(stored.teamId?.toHexString()).toBe(escalationTeam);
    expect(stored.sla.state).toBe('breached');
    expect(stored.sla.breachedAt?.getTime()).toBe(ticket.createdAt + 60 * MINUTE);
    expect(await eventsOf(ticket.id, 'ticket.assigned')).toHaveLength(1);
    expect(await domain.models.Entry.countDocuments({ tenantId: admin.tenantId, ticketId: ticket.id, kind: 'note' })).toBe(1);
  });

  it('finishes an escalation that died half-way without repeating what was done', async () => {
    const ticket = await openTicket('Half-done escalation');
    const warnAt = new Date(ticket.createdAt + 50 * MINUTE);
    // A run that appended the event and died before any action.
    const key = `warning:firstResponse:${ticket.createdAt}`;
    await domain.sla.refresh(admin.tenantId, ticket.id, new Date(ticket.createdAt + MINUTE));
    const policy = await domain.models.SlaPolicy.findOne({ tenantId: admin.tenantId, name: 'Standard' }).lean();
    await domain.models.SlaEscalation.create([
      {
        tenantId: admin.tenantId,
        ticketId: ticket.id,
        key,
        metric: 'firstResponse',
        kind: 'warning',
        cycle: new Date(ticket.createdAt),
        policyId: policy!._id,
        raiseTo: 'high',
        steps: [],
      },
    ]);
    await domain.events.append({ tenantId: admin.tenantId, actor: { kind: 'system', name: 'SLA' } }, [
      { type: 'ticket.sla_warning', ticketId: ticket.id, audience: 'staff', data: { key, metric: 'firstResponse' } },
    ]);
    const result = (await domain.sla.refresh(admin.tenantId, ticket.id, warnAt))!;
    expect(result.escalated).toEqual([key]);
    expect(await eventsOf(ticket.id, 'ticket.sla_warning')).toHaveLength(1);
    expect((await domain.models.Ticket.findOne({ tenantId: admin.tenantId, _id: ticket.id }).lean())!.priority).toBe('high');
    const record = await domain.models.SlaEscalation.findOne({ tenantId: admin.tenantId, ticketId: ticket.id, key }).lean();
    expect(record!.doneAt).not.toBeNull();
    expect(record!.steps).toEqual(['event', '0:notify_managers', '1:raise_priority']);
  });

  it('pauses while pending (no due instant, no timers) and resumes with the elapsed time', async () => {
    const ticket = await openTicket('Waiting on the customer');
    await domain.tickets.changeStatus(agent, ticket.id, 'pending');
    const paused = (await domain.sla.refresh(admin.tenantId, ticket.id, new Date(Date.now() + 30 * MINUTE)))!;
    expect(paused.summary).toMatchObject({ state: 'paused', firstResponseDueAt: null, resolutionDueAt: null });
    expect(paused.timers).toEqual([]);
    await domain.tickets.changeStatus(agent, ticket.id, 'open');
    const resumed = (await domain.sla.refresh(admin.tenantId, ticket.id))!;
    expect(resumed.summary.state).toBe('ok');
    expect(resumed.timers.length).toBeGreaterThan(0);
  });

  it('meets the first response with a public reply, and records the report facts', async () => {
    const ticket = await openTicket('Quick question');
    await domain.conversation.add(agent, ticket.id, { kind: 'reply', body: 'Here is the answer.', format: 'text' });
    const result = (await domain.sla.refresh(admin.tenantId, ticket.id))!;
    expect(result.summary.firstResponseDueAt).toBeNull();
    expect(result.timers.map((t) => t.metric)).toEqual(['resolution', 'resolution']);
    await domain.tickets.changeStatus(agent, ticket.id, 'solved');
    const solved = (await domain.sla.refresh(admin.tenantId, ticket.id))!;
    expect(solved.summary.state).toBeNull();
    expect(solved.timers).toEqual([]);
    const facts = await domain.models.SlaFact.find({ tenantId: admin.tenantId, ticketId: ticket.id }).lean();
    expect(facts.map((f) => `${f.kind}:${f.metric ?? ''}`).sort()).toEqual([
      'created:',
      'first_response:',
      'met:firstResponse',
      'met:resolution',
      'solved:',
    ]);
    const report = await domain.sla.report(admin, 7);
    expect(report.days).toHaveLength(7);
    expect(report.totals.created).toBeGreaterThanOrEqual(1);
    expect(report.totals.solved).toBe(1);
    expect(report.byMetric.find((m) => m.metric === 'firstResponse')).toMatchObject({
      met: expect.any(Number),
      breached: expect.any(Number),
    });
    expect((await rejection(domain.sla.report(agent, 7))).code).toBe('forbidden');
  });

  it('takes a changed policy from the change on, keeping the time already counted', async () => {
    const urgentPolicy = await domain.sla.createPolicy(
      admin,
      policyBody({
        name: 'Urgent',
        order: 1,
        calendarId: roundTheClock,
        conditions: { priorities: ['urgent'], channels: [], organisationIds: [], categoryIds: [] },
        targetMinutes: { firstResponse: 30 },
      }),
    );
    const ticket = await openTicket('Everything is down', 'urgent');
    const first = (await domain.sla.refresh(admin.tenantId, ticket.id, new Date(ticket.createdAt + 10 * MINUTE)))!;
    expect(first.summary.firstResponseDueAt?.getTime()).toBe(ticket.createdAt + 30 * MINUTE);
    await domain.sla.replacePolicy(
      admin,
      oid(urgentPolicy.id),
      policyBody({
        name: 'Urgent',
        order: 1,
        calendarId: roundTheClock,
        conditions: { priorities: ['urgent'], channels: [], organisationIds: [], categoryIds: [] },
        targetMinutes: { firstResponse: 20 },
      }),
    );
    const changed = (await domain.sla.refresh(admin.tenantId, ticket.id, new Date(ticket.createdAt + 12 * MINUTE)))!;
    expect(changed.summary.firstResponseDueAt?.getTime()).toBe(ticket.createdAt + 20 * MINUTE);
    const state = await domain.models.SlaTicketState.findOne({ tenantId: admin.tenantId, ticketId: ticket.id }).lean();
    expect(state!.periods).toHaveLength(2);
    expect(published.some((b) => b.events.some((e) => e.type === 'sla_policy.changed' && e.data.policyId === urgentPolicy.id))).toBe(true);
  });
});
