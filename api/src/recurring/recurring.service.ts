import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { actorUserId, isStaff, systemCtx, type Ctx } from '../context.ts';
import type { Leases } from '../db/lease.model.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import { hex, oid } from '../lib/ids.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { User } from '../users/user.model.ts';
import { occurrencesAfter, RecurrenceError, validateRecurrence, type Recurrence } from './recurrence.ts';
import type { RecurringOccurrence, RecurringSchedule, TicketTemplate } from './recurring.model.ts';
import type { ScheduleCreate, ScheduleDto, SchedulePatch } from './recurring.schema.ts';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** API form of a schedule. */
export function toScheduleDto(schedule: RecurringSchedule): ScheduleDto {
  const t = schedule.template;
  return {
    id: schedule._id.toHexString(),
    name: schedule.name,
    organisationId: schedule.organisationId.toHexString(),
    requesterId: schedule.requesterId.toHexString(),
    kind: schedule.kind,
    rule: schedule.rule,
    timezone: schedule.timezone,
    startAt: schedule.startAt.toISOString(),
    template: {
      subject: t.subject,
      body: t.body,
      priority: t.priority ?? null,
      teamId: hex(t.teamId),
      assigneeId: hex(t.assigneeId),
      categoryId: hex(t.categoryId),
      tags: t.tags ?? [],
    },
    active: schedule.active,
    nextRunAt: iso(schedule.nextRunAt),
    lastRunAt: iso(schedule.lastRunAt),
    lastTicketId: hex(schedule.lastTicketId),
    createdAt: schedule.createdAt.toISOString(),
  };
}

/** The idempotency key of one occurrence (also the clientKey of its ticket's first entry). */
export function occurrenceKey(scheduleId: Types.ObjectId, at: Date): string {
  return `recurring:${scheduleId.toHexString()}:${at.getTime()}`;
}

function recurrenceOf(schedule: Pick<RecurringSchedule, 'kind' | 'rule' | 'timezone' | 'startAt'>): Recurrence {
  return { kind: schedule.kind, rule: schedule.rule, timezone: schedule.timezone, startAt: schedule.startAt };
}

/**
 * Recurring tickets: schedules (RRULE or cron, in a time zone) per organisation that open
 * a ticket from a template at every occurrence. Each occurrence is claimed in a unique
 * index and its ticket keyed by the occurrence, so an occurrence opens exactly one ticket
 * however often workers restart, retry or sweep.
 */
export class RecurringService {
  constructor(
    private readonly models: Models,
    private readonly tickets: TicketService,
    private readonly leases: Leases,
  ) {}

  private assertManager(ctx: Ctx): void {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers manage recurring tickets.');
  }

  private async require(ctx: Ctx, id: Types.ObjectId): Promise<RecurringSchedule> {
    const schedule = await this.models.RecurringSchedule.findOne({ tenantId: ctx.tenantId, _id: id }).lean<RecurringSchedule>();
    if (!schedule) throw new AppError('not_found', 'No such schedule.');
    return schedule;
  }

  /** Schedules of the tenant (staff). */
  async list(ctx: Ctx): Promise<ScheduleDto[]> {
    authorize(isStaff(ctx.actor), 'Only staff see recurring tickets.');
    return (
      await this.models.RecurringSchedule.find({ tenantId: ctx.tenantId }).sort({ createdAt: 1 }).limit(500).lean<RecurringSchedule[]>()
    ).map(toScheduleDto);
  }

  /** Creates a schedule; its first occurrence is computed now. */
  async create(ctx: Ctx, input: ScheduleCreate): Promise<ScheduleDto> {
    this.assertManager(ctx);
    const tenant = await this.models.Tenant.findOne({ _id: ctx.tenantId }, { timezone: 1 }).lean<Pick<Tenant, 'timezone'>>();
    const draft = {
      name: input.name,
      organisationId: oid(input.organisationId),
      requesterId: oid(input.requesterId),
      kind: input.kind,
      rule: input.rule,
      timezone: input.timezone ?? tenant?.timezone ?? 'UTC',
      startAt: input.startAt ? new Date(input.startAt) : new Date(),
      template: this.template(input.template),
      active: input.active ?? true,
    };
    await this.check(ctx, draft);
    const [doc] = await this.models.RecurringSchedule.create([
      { tenantId: ctx.tenantId, ...draft, nextRunAt: this.firstDue(draft), createdBy: actorUserId(ctx.actor) ?? null },
    ]);
    return toScheduleDto(doc!.toObject<RecurringSchedule>());
  }

  /** Changes a schedule. A new rule, zone or start recomputes the next occurrence from now on. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: SchedulePatch): Promise<ScheduleDto> {
    this.assertManager(ctx);
    const current = await this.require(ctx, id);
    const next = {
      name: patch.name ?? current.name,
      organisationId: patch.organisationId ? oid(patch.organisationId) : current.organisationId,
      requesterId: patch.requesterId ? oid(patch.requesterId) : current.requesterId,
      kind: patch.kind ?? current.kind,
      rule: patch.rule ?? current.rule,
      timezone: patch.timezone ?? current.timezone,
      startAt: patch.startAt ? new Date(patch.startAt) : current.startAt,
      template: patch.template ? this.template(patch.template) : current.template,
      active: patch.active ?? current.active,
    };
    await this.check(ctx, next);
    // A schedule turned back on starts from now, not with the occurrences it missed while off.
    const resumed = patch.active === true && !current.active;
    const timingChanged =
      resumed || patch.kind !== undefined || patch.rule !== undefined || patch.timezone !== undefined || patch.startAt !== undefined;
    const set: Record<string, unknown> = { ...next };
    if (timingChanged) {
      // Occurrences already handed out stay handed out; the new rule applies from now on.
      const from = current.lastRunAt && current.lastRunAt > new Date() ? current.lastRunAt : new Date(Date.now() - 1);
      set.nextRunAt = occurrencesAfter(recurrenceOf(next), from, 1)[0] ?? null;
    }
    const updated = await this.models.RecurringSchedule.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: id },
      { $set: set },
      { returnDocument: 'after' },
    ).lean<RecurringSchedule>();
    if (!updated) throw new AppError('not_found', 'No such schedule.');
    return toScheduleDto(updated);
  }

  /** Removes a schedule (tickets it opened stay). */
  async remove(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    this.assertManager(ctx);
    await this.require(ctx, id);
    await this.models.RecurringSchedule.deleteOne({ tenantId: ctx.tenantId, _id: id });
  }

  private template(input: ScheduleCreate['template']): TicketTemplate {
    return {
      subject: input.subject,
      body: input.body,
      priority: input.priority ?? null,
      teamId: input.teamId ? oid(input.teamId) : null,
      assigneeId: input.assigneeId ? oid(input.assigneeId) : null,
      categoryId: input.categoryId ? oid(input.categoryId) : null,
      tags: [...new Set(input.tags ?? [])],
    };
  }

  /** The rule is usable and every reference exists in this tenant (the requester in the organisation). */
  private async check(
    ctx: Ctx,
    draft: Omit<
      RecurringSchedule,
      '_id' | 'tenantId' | 'nextRunAt' | 'lastRunAt' | 'lastTicketId' | 'createdBy' | 'createdAt' | 'updatedAt'
    >,
  ): Promise<void> {
    try {
      validateRecurrence(recurrenceOf(draft), new Date());
    } catch (error) {
      if (error instanceof RecurrenceError)
        throw new AppError('validation_failed', error.message, [{ path: '/rule', message: error.message }]);
      throw error;
    }
    const unknown = (path: string, what: string) => new AppError('validation_failed', `Unknown ${what}.`, [{ path, message: 'not found' }]);
    if (!(await this.models.Organisation.exists({ tenantId: ctx.tenantId, _id: draft.organisationId })))
      throw unknown('/organisationId', 'organisation');
    const requester = await this.models.User.findOne(
      { tenantId: ctx.tenantId, _id: draft.requesterId },
      { role: 1, organisationId: 1 },
    ).lean<Pick<User, 'role' | 'organisationId'>>();
    if (!requester) throw unknown('/requesterId', 'requester');
    if (requester.role !== 'customer' || !requester.organisationId?.equals(draft.organisationId))
      throw new AppError('validation_failed', 'The requester must be a customer of the organisation.', [
        { path: '/requesterId', message: 'not in the organisation' },
      ]);
    const t = draft.template;
    if (t.teamId && !(await this.models.Team.exists({ tenantId: ctx.tenantId, _id: t.teamId }))) throw unknown('/template/teamId', 'team');
    if (t.categoryId && !(await this.models.Category.exists({ tenantId: ctx.tenantId, _id: t.categoryId })))
      throw unknown('/template/categoryId', 'category');
    if (t.assigneeId) {
      const agent = await this.models.User.findOne({ tenantId: ctx.tenantId, _id: t.assigneeId }, { role: 1, active: 1 }).lean<
        Pick<User, 'role' | 'active'>
      >();
      if (!agent || agent.role === 'customer' || !agent.active) throw unknown('/template/assigneeId', 'agent');
    }
  }

  private firstDue(draft: Pick<RecurringSchedule, 'kind' | 'rule' | 'timezone' | 'startAt'>): Date | null {
    return occurrencesAfter(recurrenceOf(draft), new Date(Math.min(Date.now(), draft.startAt.getTime()) - 1), 1)[0] ?? null;
  }

  /** Active schedules of every tenant with an occurrence due by `now` (the sweeper). */
  async due(now: Date, limit: number): Promise<RecurringSchedule[]> {
    return this.models.RecurringSchedule.find({ active: true, nextRunAt: { $ne: null, $lte: now } })
      .setOptions({ crossTenant: true })
      .sort({ nextRunAt: 1 })
      .limit(limit)
      .lean<RecurringSchedule[]>();
  }

  /**
   * The occurrences of a due schedule up to `now` (at most `max`, oldest first), and the
   * occurrence after them. The caller enqueues the occurrences, then {@link advance}s.
   */
  plan(schedule: RecurringSchedule, now: Date, max: number): { occurrences: Date[]; next: Date | null } {
    if (!schedule.nextRunAt) return { occurrences: [], next: null };
    const recurrence = recurrenceOf(schedule);
    const occurrences = occurrencesAfter(recurrence, new Date(schedule.nextRunAt.getTime() - 1), max, now);
    const last = occurrences[occurrences.length - 1];
    const next = last ? (occurrencesAfter(recurrence, last, 1)[0] ?? null) : schedule.nextRunAt;
    return { occurrences, next };
  }

  /** Moves a schedule's next occurrence on, unless someone else already did. */
  async advance(schedule: RecurringSchedule, next: Date | null): Promise<void> {
    await this.models.RecurringSchedule.updateOne(
      { tenantId: schedule.tenantId, _id: schedule._id, nextRunAt: schedule.nextRunAt },
      { $set: { nextRunAt: next } },
    );
  }

  /**
   * Opens the ticket of one occurrence, exactly once: the occurrence is claimed in a unique
   * index, and a run that died after opening the ticket but before recording it finds the
   * ticket by its key. Returns null when the schedule is gone or turned off.
   */
  async open(tenantId: Types.ObjectId, scheduleId: Types.ObjectId, at: Date): Promise<{ ticketId: string; created: boolean } | null> {
    const key = occurrenceKey(scheduleId, at);
    return this.leases.run(tenantId, key, async () => {
      const schedule = await this.models.RecurringSchedule.findOne({ tenantId, _id: scheduleId }).lean<RecurringSchedule>();
      let occurrence = await this.models.RecurringOccurrence.findOne({ tenantId, scheduleId, at }).lean<RecurringOccurrence>();
      if (occurrence?.ticketId) return { ticketId: occurrence.ticketId.toHexString(), created: false };
      if (!schedule || !schedule.active) return null;
      if (!occurrence) {
        try {
          occurrence = (await this.models.RecurringOccurrence.create([{ tenantId, scheduleId, at }]))[0]!.toObject<RecurringOccurrence>();
        } catch (error) {
          if ((error as { code?: number }).code !== 11000) throw error;
          occurrence = (await this.models.RecurringOccurrence.findOne({ tenantId, scheduleId, at }).lean<RecurringOccurrence>())!;
          if (occurrence.ticketId) return { ticketId: occurrence.ticketId.toHexString(), created: false };
        }
      }
      const earlier = await this.models.Entry.findOne({ tenantId, clientKey: key }, { ticketId: 1 }).lean<{ ticketId: Types.ObjectId }>();
      let ticketId = earlier?.ticketId;
      if (!ticketId) {
        const t = schedule.template;
        const date = DateTime.fromJSDate(at, { zone: schedule.timezone }).toISODate() ?? at.toISOString().slice(0, 10);
        const created = await this.tickets.create(
          systemCtx(tenantId, `Schedule: ${schedule.name}`),
          {
            subject: t.subject.replaceAll('{{date}}', date).slice(0, 250),
            body: t.body.replaceAll('{{date}}', date),
            format: 'text',
            requesterId: schedule.requesterId.toHexString(),
            ...(t.priority ? { priority: t.priority } : {}),
            ...(t.teamId ? { teamId: t.teamId.toHexString() } : {}),
            ...(t.assigneeId ? { assigneeId: t.assigneeId.toHexString() } : {}),
            ...(t.categoryId ? { categoryId: t.categoryId.toHexString() } : {}),
            ...(t.tags.length ? { tags: t.tags } : {}),
            channel: 'api',
            clientKey: key,
          },
          'api',
        );
        ticketId = new Types.ObjectId(created.ticket.id);
      }
      await this.models.RecurringOccurrence.updateOne({ tenantId, _id: occurrence._id }, { $set: { ticketId } });
      // Occurrences may finish out of order: the latest one is what the schedule shows.
      await this.models.RecurringSchedule.updateOne(
        { tenantId, _id: scheduleId, $or: [{ lastRunAt: null }, { lastRunAt: { $lt: at } }] },
        { $set: { lastRunAt: at, lastTicketId: ticketId } },
      );
      return { ticketId: ticketId.toHexString(), created: !earlier };
    });
  }

  /** Occurrences of a schedule with their tickets (tests and support). */
  async occurrences(tenantId: Types.ObjectId, scheduleId: Types.ObjectId): Promise<RecurringOccurrence[]> {
    return this.models.RecurringOccurrence.find({ tenantId, scheduleId }).sort({ at: 1 }).limit(500).lean<RecurringOccurrence[]>();
  }
}
