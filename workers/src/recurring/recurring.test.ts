import type { Ticket } from '@switchboard/api/tickets/ticket.model';
import type { User } from '@switchboard/api/users/user.model';
import { occurrenceKey } from '@switchboard/api/recurring/recurring.service';
import { oid } from '@switchboard/api/lib/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startChannelsHarness, type ChannelsHarness, type TestTenant } from '../testing/channels-harness.ts';
import { sweepRecurring } from './recurring.processor.ts';
import { recurringOpenJob } from './recurring.jobs.ts';

const HOUR = 60 * 60 * 1000;

describe('recurring tickets', () => {
  let first: ChannelsHarness & { prefix: string; mongoUri: string };
  let desk: TestTenant;
  let contact: User;
  let organisationId: string;

  const schedule = (name: string, startAt: Date) =>
    first.domain.recurring.create(desk.as(desk.admin), {
      name,
      organisationId,
      requesterId: contact._id.toHexString(),
      kind: 'rrule',
      rule: 'FREQ=HOURLY',
      timezone: 'Europe/Berlin',
      startAt: startAt.toISOString(),
      template: { subject: `${name} {{date}}`, body: 'Check the backups.', tags: ['maintenance'] },
    });
  const ticketsOf = (domain: ChannelsHarness['domain'], name: string) =>
    domain.models.Ticket.find({ tenantId: desk.tenant._id, subject: new RegExp(`^${name} `) })
      .sort({ number: 1 })
      .lean<Ticket[]>();

  beforeAll(async () => {
    first = await startChannelsHarness({ label: 'recurring' });
    desk = await first.tenant('sched');
    organisationId = (
      await first.domain.organisations.create(desk.as(desk.admin), { name: 'Globex', domains: [], notes: '', locations: [] })
    ).id;
    contact = await first.domain.users.create(desk.as(desk.admin), {
      role: 'customer',
      name: 'Hank Contact',
      email: 'hank@globex.test',
      organisationId,
    });
  });
  afterAll(async () => {
    await first?.close();
  });

  it('opens one ticket per due occurrence, exactly once, across a worker restart', async () => {
    // Two occurrences are due (90 and 30 minutes ago), the third is in the future.
    const start = new Date(Math.floor((Date.now() - 1.5 * HOUR) / 1000) * 1000);
    const created = await schedule('Backup check', start);
    expect(created.nextRunAt).toBe(start.toISOString());
    const scheduleId = oid(created.id);

    expect(await sweepRecurring(first.domain, first.registry)).toEqual({ schedules: 1, occurrences: 2 });
    const opened = await eventually(async () => {
      const occurrences = await first.domain.recurring.occurrences(desk.tenant._id, scheduleId);
      const done = occurrences.length === 2 && occurrences.every((o) => o.ticketId);
      const current = (await first.domain.recurring.list(desk.as(desk.admin))).find((s) => s.id === created.id);
      return done && current?.lastRunAt === new Date(start.getTime() + HOUR).toISOString()
        ? ticketsOf(first.domain, 'Backup check')
        : undefined;
    });
    expect(opened).toHaveLength(2);
    expect(opened.map((t) => t.tags)).toEqual([['maintenance'], ['maintenance']]);
    expect(
      opened.every((t) => t.requesterId.equals(contact._id) && t.organisationId?.toHexString() === organisationId && t.channel === 'api'),
    ).toBe(true);
    const after = (await first.domain.recurring.list(desk.as(desk.admin))).find((s) => s.id === created.id)!;
    expect(after.nextRunAt).toBe(new Date(start.getTime() + 2 * HOUR).toISOString());
    // The two jobs run in parallel, so ticket numbers may come in either order; the schedule
    // shows the ticket of its latest occurrence.
    const [, latest] = await first.domain.recurring.occurrences(desk.tenant._id, scheduleId);
    expect(after.lastTicketId).toBe(latest!.ticketId!.toHexString());
    expect(opened.map((t) => t._id.toHexString())).toContain(after.lastTicketId);

    // The worker goes away (a deploy, a crash). State a dying worker could leave behind:
    // the schedule's sweep position lost, a third occurrence claimed but without its ticket.
    await first.stopWorkers();
    const third = new Date(start.getTime() + 2 * HOUR);
    await first.domain.models.RecurringOccurrence.create([{ tenantId: desk.tenant._id, scheduleId, at: third }]);
    await first.domain.models.RecurringSchedule.updateOne({ tenantId: desk.tenant._id, _id: scheduleId }, { $set: { nextRunAt: start } });

    const second = await startChannelsHarness({ label: 'recurring', reuse: { mongoUri: first.mongoUri, prefix: first.prefix } });
    try {
      // The new worker sweeps as if the first never had (and again, as two workers would).
      const sweeps = await Promise.all([sweepRecurring(second.domain, second.registry), sweepRecurring(second.domain, second.registry)]);
      expect(sweeps.reduce((n, s) => n + s.occurrences, 0)).toBeGreaterThanOrEqual(2);
      // And the claimed occurrence comes due: its ticket is opened once, by whoever gets there.
      const at = third.getTime();
      const results = await Promise.all([
        second.domain.recurring.open(desk.tenant._id, scheduleId, third),
        second.domain.recurring.open(desk.tenant._id, scheduleId, third),
        second.registry.enqueue(
          recurringOpenJob,
          { tenantId: desk.tenant._id.toHexString(), scheduleId: created.id, at },
          { jobId: `recurring:${created.id}:${at}` },
        ),
      ]);
      expect([results[0], results[1]].filter((r) => r?.created)).toHaveLength(1);
      // Let the queued jobs finish before counting.
      await eventually(async () => {
        const counts = await second.registry.queue(recurringOpenJob).getJobCounts();
        return counts.waiting + counts.active + counts.delayed === 0 ? true : undefined;
      });
      const tickets = await ticketsOf(second.domain, 'Backup check');
      expect(tickets).toHaveLength(3);
      const occurrences = await second.domain.recurring.occurrences(desk.tenant._id, scheduleId);
      expect(occurrences.map((o) => o.at.getTime())).toEqual([start.getTime(), start.getTime() + HOUR, at]);
      expect(new Set(occurrences.map((o) => o.ticketId?.toHexString())).size).toBe(3);
      expect(occurrences.every((o) => o.ticketId && tickets.some((t) => t._id.equals(o.ticketId!)))).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('finds the ticket a worker opened just before it died, instead of opening another', async () => {
    const start = new Date(Math.floor((Date.now() - 0.5 * HOUR) / 1000) * 1000);
    const created = await schedule('Patch day', start);
    const scheduleId = oid(created.id);
    const restarted = await startChannelsHarness({ label: 'recurring', reuse: { mongoUri: first.mongoUri, prefix: `${first.prefix}b` } });
    try {
      // The dead worker got as far as opening the ticket (keyed by the occurrence).
      const orphan = await restarted.domain.tickets.create(
        { tenantId: desk.tenant._id, actor: { kind: 'system', name: 'Schedule: Patch day' } },
        {
          subject: 'Patch day (opened before a crash)',
          body: 'x',
          format: 'text',
          requesterId: contact._id.toHexString(),
          clientKey: occurrenceKey(scheduleId, start),
        },
        'api',
      );
      const result = await restarted.domain.recurring.open(desk.tenant._id, scheduleId, start);
      expect(result).toEqual({ ticketId: orphan.ticket.id, created: false });
      expect(await ticketsOf(restarted.domain, 'Patch day')).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });

  it('does not catch up on what it missed while turned off', async () => {
    const created = await schedule('Paused check', new Date(Math.floor((Date.now() - 3.5 * HOUR) / 1000) * 1000));
    const admin = desk.as(desk.admin);
    await first.domain.recurring.update(admin, oid(created.id), { active: false });
    const resumed = await first.domain.recurring.update(admin, oid(created.id), { active: true });
    expect(new Date(resumed.nextRunAt!).getTime()).toBeGreaterThan(Date.now());
    const due = await first.domain.recurring.due(new Date(), 500);
    expect(due.some((s) => s._id.toHexString() === created.id)).toBe(false);
  });

  it('refuses rules that fire too often, do not parse, or name people outside the organisation', async () => {
    const base = {
      name: 'Bad',
      organisationId,
      requesterId: contact._id.toHexString(),
      kind: 'rrule' as const,
      rule: 'FREQ=DAILY',
      template: { subject: 'x', body: 'y' },
    };
    const admin = desk.as(desk.admin);
    await expect(first.domain.recurring.create(admin, { ...base, rule: 'FREQ=MINUTELY' })).rejects.toMatchObject({
      code: 'validation_failed',
      message: /an hour apart/,
    });
    await expect(first.domain.recurring.create(admin, { ...base, kind: 'cron', rule: '*/5 * * * *' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(first.domain.recurring.create(admin, { ...base, rule: 'FREQ=SOMETIMES' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(first.domain.recurring.create(admin, { ...base, timezone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    const outsider = await desk.person('customer', 'Not Globex');
    await expect(first.domain.recurring.create(admin, { ...base, requesterId: outsider._id.toHexString() })).rejects.toMatchObject({
      code: 'validation_failed',
      message: /customer of the organisation/,
    });
    const cron = await first.domain.recurring.create(admin, { ...base, kind: 'cron', rule: '30 8 * * 1', timezone: 'America/New_York' });
    expect(new Date(cron.nextRunAt!).getTime()).toBeGreaterThan(Date.now() - 1000);
  });
});
