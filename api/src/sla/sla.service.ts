import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { systemCtx, type Ctx } from '../context.ts';
import type { ConversationService } from '../conversation/conversation.service.ts';
import { Leases } from '../db/lease.model.ts';
import type { Models } from '../db/models.ts';
import type { EventLog } from '../events/event-log.ts';
import { AppError } from '../lib/errors.ts';
import { hex, oid } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { median } from '../lib/stats.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import { ACTIVE_STATUSES, TICKET_PRIORITIES, type TicketPriority } from '../tickets/ticket-status.ts';
import type { User } from '../users/user.model.ts';
import { computeSlaState, matchSlaPolicy, nextTimers, type SlaState } from './sla-clock.ts';
import { calendarFromTenant, fingerprintOf, pureCalendar, purePolicy, TENANT_CALENDAR_ID, withApiPaths } from './sla-config.ts';
import type { SlaCalendarBody, SlaCalendarDto, SlaPolicyBody, SlaPolicyDto, SlaReportDto } from './sla-config.schema.ts';
import type {
  SlaCalendarDoc,
  SlaEscalationDoc,
  SlaEscalationRule,
  SlaFactDoc,
  SlaPolicyDoc,
  SlaSnapshotDoc,
  SlaTicketStateDoc,
  SlaTimerRecord,
} from './sla.model.ts';
import { assertCanManageSla, assertCanReadSla, assertCanSeeSlaReports } from './sla.policy.ts';
import { parseBusinessCalendar, parseSlaPolicy, WEEKDAYS, type BusinessCalendar, type SlaPolicy } from './sla.schema.ts';
import {
  dueEscalations,
  NO_SLA,
  outcomes,
  sameSummary,
  SLA_TIMELINE_EVENT_TYPES,
  summarize,
  timelineFromEvents,
  type DueEscalation,
  type SlaSummary,
} from './sla-timeline.ts';

function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: Array<{ code?: number }> };
  return e.code === 11000 || (Array.isArray(e.writeErrors) && e.writeErrors.every((w) => w.code === 11000));
}

function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** API form of a calendar. */
export function toCalendarDto(doc: SlaCalendarDoc): SlaCalendarDto {
  const interval = ({ start, end }: { start: string; end: string }) => ({ start, end });
  return {
    id: doc._id.toHexString(),
    name: doc.name,
    timeZone: doc.timeZone,
    hours: Object.fromEntries(WEEKDAYS.map((day) => [day, (doc.hours[day] ?? []).map(interval)])) as SlaCalendarDto['hours'],
    holidays: doc.holidays.map((h) => ({
      date: h.date,
      ...(h.name ? { name: h.name } : {}),
      ...(h.hours ? { hours: h.hours.map(interval) } : {}),
    })),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** API form of a policy. */
export function toPolicyDto(doc: SlaPolicyDoc): SlaPolicyDto {
  return {
    id: doc._id.toHexString(),
    name: doc.name,
    order: doc.order,
    active: doc.active,
    conditions: {
      priorities: doc.conditions.priorities,
      channels: doc.conditions.channels,
      organisationIds: doc.conditions.organisationIds.map((id) => id.toHexString()),
      categoryIds: doc.conditions.categoryIds.map((id) => id.toHexString()),
    },
    targetMinutes: {
      firstResponse: doc.targetMinutes.firstResponse ?? null,
      nextResponse: doc.targetMinutes.nextResponse ?? null,
      resolution: doc.targetMinutes.resolution ?? null,
    },
    warningThresholdPercent: doc.warningThresholdPercent,
    pauseStatuses: doc.pauseStatuses,
    calendarId: hex(doc.calendarId),
    escalations: doc.escalations.map((rule) => ({ on: rule.on, action: rule.action, teamId: hex(rule.teamId) })),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** One policy ready to match and measure: its pure form, calendar, escalations and fingerprint. */
interface LoadedPolicy {
  doc: SlaPolicyDoc;
  policy: SlaPolicy;
  calendar: BusinessCalendar;
  fingerprint: string;
}

/** What one refresh of a ticket concluded. */
export interface SlaRefreshResult {
  ticketId: string;
  tenantId: string;
  summary: SlaSummary;
  /** Timers scheduled before this refresh, and the ones that should be scheduled now. */
  previousTimers: SlaTimerRecord[];
  timers: SlaTimerRecord[];
  /** Whether the summary on the ticket changed (a `ticket.sla_updated` event was appended). */
  changed: boolean;
  /** Escalations carried out by this refresh (keys). */
  escalated: string[];
}

function attainment(met: number, breached: number): { met: number; breached: number; attainment: number | null } {
  return { met, breached, attainment: met + breached > 0 ? met / (met + breached) : null };
}

/**
 * SLA policies and calendars, and the SLA engine's domain side: a ticket's state replayed
 * from its events, the summary on the ticket, escalations carried out exactly once, and
 * the facts manager reports count. Timers are the workers' business: `refresh` says which
 * ones should exist; whenever it runs (late, twice, after a crash) it decides from
 * timestamps only.
 */
export class SlaService {
  private readonly leases: Leases;
  private readonly savedSnapshots = new Set<string>();

  constructor(
    private readonly models: Models,
    private readonly events: EventLog,
    private readonly tickets: TicketService,
    private readonly conversation: ConversationService,
    private readonly logger: Logger,
  ) {
    this.leases = new Leases(models.Lease);
  }

  // ─── Calendars ────────────────────────────────────────────────────────────

  /** Calendars of the tenant. */
  async listCalendars(ctx: Ctx): Promise<SlaCalendarDto[]> {
    assertCanReadSla(ctx.actor);
    const docs = await this.models.SlaCalendar.find({ tenantId: ctx.tenantId }).sort({ name: 1 }).lean<SlaCalendarDoc[]>();
    return docs.map(toCalendarDto);
  }

  private validCalendar(body: SlaCalendarBody): BusinessCalendar {
    return withApiPaths(() => parseBusinessCalendar(body));
  }

  /** Creates a calendar; an invalid one (overlapping hours, unknown zone, no hours at all) is refused whole. */
  async createCalendar(ctx: Ctx, body: SlaCalendarBody): Promise<SlaCalendarDto> {
    assertCanManageSla(ctx.actor);
    const calendar = this.validCalendar(body);
    try {
      const [doc] = await this.models.SlaCalendar.create([
        { tenantId: ctx.tenantId, name: body.name, timeZone: calendar.timeZone, hours: calendar.hours, holidays: calendar.holidays },
      ]);
      return toCalendarDto(doc!.toObject<SlaCalendarDoc>());
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('conflict', `A calendar named ${body.name} exists.`);
      throw error;
    }
  }

  /** Replaces a calendar; open tickets measured against it are re-planned from now on. */
  async replaceCalendar(ctx: Ctx, id: Types.ObjectId, body: SlaCalendarBody): Promise<SlaCalendarDto> {
    assertCanManageSla(ctx.actor);
    const calendar = this.validCalendar(body);
    let doc: SlaCalendarDoc | null;
    try {
      doc = await this.models.SlaCalendar.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id },
        { $set: { name: body.name, timeZone: calendar.timeZone, hours: calendar.hours, holidays: calendar.holidays } },
        { returnDocument: 'after' },
      ).lean<SlaCalendarDoc>();
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('conflict', `A calendar named ${body.name} exists.`);
      throw error;
    }
    if (!doc) throw new AppError('not_found', 'No such calendar.');
    await this.configChanged(ctx, { calendarId: id.toHexString(), change: 'updated' });
    return toCalendarDto(doc);
  }

  /** Deletes a calendar no policy uses. */
  async removeCalendar(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    assertCanManageSla(ctx.actor);
    const user = await this.models.SlaPolicy.findOne({ tenantId: ctx.tenantId, calendarId: id }, { name: 1 }).lean<
      Pick<SlaPolicyDoc, 'name'>
    >();
    const exists = await this.models.SlaCalendar.exists({ tenantId: ctx.tenantId, _id: id });
    if (!exists) throw new AppError('not_found', 'No such calendar.');
    if (user) throw new AppError('conflict', `The policy ${user.name} uses this calendar; give it another calendar first.`);
    await this.models.SlaCalendar.deleteOne({ tenantId: ctx.tenantId, _id: id });
  }

  // ─── Policies ─────────────────────────────────────────────────────────────

  /** Policies of the tenant, in matching order. */
  async listPolicies(ctx: Ctx): Promise<SlaPolicyDto[]> {
    assertCanReadSla(ctx.actor);
    const docs = await this.models.SlaPolicy.find({ tenantId: ctx.tenantId }).sort({ order: 1, _id: 1 }).lean<SlaPolicyDoc[]>();
    return docs.map(toPolicyDto);
  }

  /** Checks a policy body completely (meaning and every reference) before anything is written. */
  private async validPolicy(ctx: Ctx, body: SlaPolicyBody): Promise<Omit<SlaPolicyDoc, '_id' | 'createdAt' | 'updatedAt'>> {
    withApiPaths(() =>
      parseSlaPolicy({
        id: 'candidate',
        name: body.name,
        order: body.order,
        conditions: body.conditions,
        targetMinutes: body.targetMinutes,
        warningThresholdPercent: body.warningThresholdPercent,
        pauseStatuses: body.pauseStatuses,
        calendarId: body.calendarId ?? TENANT_CALENDAR_ID,
      }),
    );
    const refuse = (path: string, message: string) => new AppError('validation_failed', message, [{ path, message: 'not found' }]);
    const count = async (model: 'Organisation' | 'Category' | 'Team', ids: string[]) =>
      ids.length === 0
        ? 0
        : (this.models[model] as Models['Team']).countDocuments({ tenantId: ctx.tenantId, _id: { $in: [...new Set(ids)].map(oid) } });
    const { organisationIds, categoryIds } = body.conditions;
    if ((await count('Organisation', organisationIds)) !== new Set(organisationIds).size)
      throw refuse('/conditions/organisationIds', 'Unknown organisation.');
    if ((await count('Category', categoryIds)) !== new Set(categoryIds).size) throw refuse('/conditions/categoryIds', 'Unknown category.');
    if (body.calendarId) {
      if (!(await this.models.SlaCalendar.exists({ tenantId: ctx.tenantId, _id: oid(body.calendarId) })))
        throw refuse('/calendarId', 'Unknown calendar.');
    } else {
      calendarFromTenant(await this.tenant(ctx.tenantId));
    }
    const escalations: SlaEscalationRule[] = [];
    for (const [index, rule] of body.escalations.entries()) {
      if (rule.action === 'assign_team') {
        if (!rule.teamId)
          throw new AppError('validation_failed', 'An assign_team escalation names its team.', [
            { path: `/escalations/${index}/teamId`, message: 'required for assign_team' },
          ]);
        if ((await count('Team', [rule.teamId])) !== 1) throw refuse(`/escalations/${index}/teamId`, 'Unknown team.');
      }
      escalations.push({
        on: rule.on,
        action: rule.action,
        teamId: rule.action === 'assign_team' && rule.teamId ? oid(rule.teamId) : null,
      });
    }
    return {
      tenantId: ctx.tenantId,
      name: body.name,
      order: body.order,
      active: body.active,
      conditions: {
        priorities: [...new Set(body.conditions.priorities)],
        channels: [...new Set(body.conditions.channels)],
        organisationIds: [...new Set(organisationIds)].map(oid),
        categoryIds: [...new Set(categoryIds)].map(oid),
      },
      targetMinutes: {
        firstResponse: body.targetMinutes.firstResponse ?? null,
        nextResponse: body.targetMinutes.nextResponse ?? null,
        resolution: body.targetMinutes.resolution ?? null,
      },
      warningThresholdPercent: body.warningThresholdPercent,
      pauseStatuses: [...new Set(body.pauseStatuses)],
      calendarId: body.calendarId ? oid(body.calendarId) : null,
      escalations,
    };
  }

  /** Creates a policy; a policy without a target, with a done status as pause or an unknown reference is refused whole. */
  async createPolicy(ctx: Ctx, body: SlaPolicyBody): Promise<SlaPolicyDto> {
    assertCanManageSla(ctx.actor);
    const fields = await this.validPolicy(ctx, body);
    let doc: SlaPolicyDoc;
    try {
      const [created] = await this.models.SlaPolicy.create([fields]);
      doc = created!.toObject<SlaPolicyDoc>();
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('conflict', `A policy named ${body.name} exists.`);
      throw error;
    }
    await this.configChanged(ctx, { policyId: doc._id.toHexString(), change: 'created' });
    return toPolicyDto(doc);
  }

  /** Replaces a policy. Open tickets keep what they counted and take the new rules from now on. */
  async replacePolicy(ctx: Ctx, id: Types.ObjectId, body: SlaPolicyBody): Promise<SlaPolicyDto> {
    assertCanManageSla(ctx.actor);
    if (!(await this.models.SlaPolicy.exists({ tenantId: ctx.tenantId, _id: id }))) throw new AppError('not_found', 'No such policy.');
    const { tenantId: _tenant, ...fields } = await this.validPolicy(ctx, body);
    let doc: SlaPolicyDoc | null;
    try {
      doc = await this.models.SlaPolicy.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id },
        { $set: fields },
        { returnDocument: 'after' },
      ).lean<SlaPolicyDoc>();
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('conflict', `A policy named ${body.name} exists.`);
      throw error;
    }
    if (!doc) throw new AppError('not_found', 'No such policy.');
    await this.configChanged(ctx, { policyId: id.toHexString(), change: 'updated' });
    return toPolicyDto(doc);
  }

  /** Deletes a policy; tickets it applied to are matched again (another policy, or none). */
  async removePolicy(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    assertCanManageSla(ctx.actor);
    const result = await this.models.SlaPolicy.deleteOne({ tenantId: ctx.tenantId, _id: id });
    if (result.deletedCount === 0) throw new AppError('not_found', 'No such policy.');
    await this.configChanged(ctx, { policyId: id.toHexString(), change: 'deleted' });
  }

  private async configChanged(ctx: Ctx, data: Record<string, unknown>): Promise<void> {
    await this.events.append(ctx, [{ type: 'sla_policy.changed', ticketId: null, audience: 'staff', data }]);
  }

  private async tenant(tenantId: Types.ObjectId): Promise<Tenant> {
    const tenant = await this.models.Tenant.findOne({ _id: tenantId }).lean<Tenant>();
    if (!tenant) throw new AppError('not_found', 'No such helpdesk.');
    return tenant;
  }

  /** Active policies of a tenant with their calendars, ready to match. A policy whose calendar is broken is skipped loudly. */
  private async loadPolicies(tenantId: Types.ObjectId): Promise<LoadedPolicy[]> {
    const [docs, calendars] = await Promise.all([
      this.models.SlaPolicy.find({ tenantId, active: true }).lean<SlaPolicyDoc[]>(),
      this.models.SlaCalendar.find({ tenantId }).lean<SlaCalendarDoc[]>(),
    ]);
    if (docs.length === 0) return [];
    const byId = new Map(calendars.map((c) => [c._id.toHexString(), c]));
    let tenantCalendar: BusinessCalendar | undefined;
    const loaded: LoadedPolicy[] = [];
    for (const doc of docs) {
      try {
        const policy = purePolicy(doc);
        const calendarDoc = doc.calendarId ? byId.get(doc.calendarId.toHexString()) : undefined;
        if (doc.calendarId && !calendarDoc) throw new AppError('validation_failed', `calendar ${doc.calendarId.toHexString()} is gone`);
        const calendar = calendarDoc ? pureCalendar(calendarDoc) : (tenantCalendar ??= calendarFromTenant(await this.tenant(tenantId)));
        loaded.push({ doc, policy, calendar, fingerprint: fingerprintOf(policy, calendar, doc.escalations) });
      } catch (error) {
        this.logger.error(
          { err: error, policyId: doc._id.toHexString() },
          'SLA policy cannot be used; tickets it would match fall to the next policy',
        );
      }
    }
    return loaded;
  }

  // ─── The engine ───────────────────────────────────────────────────────────

  /**
   * Recomputes a ticket's SLA state at `now` from its events, under the ticket's lease:
   * writes the summary with a version bump and a `ticket.sla_updated` event when it
   * changed, records report facts, and carries out escalations that are due and not yet
   * done. Returns the timers that should exist; null when the ticket is gone.
   */
  async refresh(tenantId: Types.ObjectId, ticketId: Types.ObjectId, now: Date = new Date()): Promise<SlaRefreshResult | null> {
    const ctx = systemCtx(tenantId, 'SLA');
    const policies = await this.loadPolicies(tenantId);
    const computed = await this.tickets.exclusive(ctx, ticketId, async () => {
      const ticket = await this.models.Ticket.findOne({ tenantId, _id: ticketId }).lean<Ticket>();
      if (!ticket) {
        await this.models.SlaTicketState.deleteOne({ tenantId, ticketId });
        return null;
      }
      const stored = await this.models.SlaTicketState.findOne({ tenantId, ticketId }).lean<SlaTicketStateDoc>();
      const at = new Date(Math.max(now.getTime(), ticket.createdAt.getTime()));
      const match = matchSlaPolicy(
        policies.map((p) => p.policy),
        {
          priority: ticket.priority,
          channel: ticket.channel,
          organisationId: hex(ticket.organisationId),
          categoryId: hex(ticket.categoryId),
        },
      );
      const current = match ? policies.find((p) => p.policy.id === match.id)! : null;
      let periods = stored?.periods ?? [];
      if (!current) periods = [];
      else if (periods.length === 0) periods = [{ from: ticket.createdAt, fingerprint: current.fingerprint, policyId: current.doc._id }];
      else if (periods.at(-1)!.fingerprint !== current.fingerprint)
        periods = [...periods, { from: at, fingerprint: current.fingerprint, policyId: current.doc._id }];

      let state: SlaState | null = null;
      let snapshots = new Map<string, Omit<SlaSnapshotDoc, '_id'>>();
      if (current) {
        await this.saveSnapshot(tenantId, current);
        // The policy in force now is in memory; only earlier periods' snapshots come from the database.
        const earlier = periods.map((p) => p.fingerprint).filter((fingerprint) => fingerprint !== current.fingerprint);
        snapshots = earlier.length > 0 ? await this.snapshots(tenantId, earlier) : new Map();
        snapshots.set(current.fingerprint, this.snapshotOf(tenantId, current));
        const events = await this.models.Event.find(
          { tenantId, ticketId, type: { $in: SLA_TIMELINE_EVENT_TYPES } },
          { type: 1, at: 1, data: 1 },
        )
          .sort({ seq: 1 })
          .lean<Array<{ type: string; at: Date; data: Record<string, unknown> }>>();
        state = computeSlaState({
          timeline: timelineFromEvents(ticket.createdAt, events),
          policies: periods.map((p) => {
            const snapshot = snapshots.get(p.fingerprint)!;
            return { from: p.from, policy: parseSlaPolicy(snapshot.policy), calendar: parseBusinessCalendar(snapshot.calendar) };
          }),
          now: at,
        });
      }
      const summary = state ? summarize(state) : NO_SLA;
      const policyId = current ? current.doc._id : null;
      const previous: SlaSummary = {
        state: ticket.sla?.state ?? null,
        firstResponseDueAt: ticket.sla?.firstResponseDueAt ?? null,
        nextResponseDueAt: ticket.sla?.nextResponseDueAt ?? null,
        resolutionDueAt: ticket.sla?.resolutionDueAt ?? null,
        breachedAt: ticket.sla?.breachedAt ?? null,
      };
      const changed = !sameSummary(summary, previous) || hex(policyId) !== hex(ticket.sla?.policyId);
      let version = ticket.version;
      if (changed) {
        const updated = await this.models.Ticket.updateOne(
          { tenantId, _id: ticketId, version: ticket.version },
          {
            $set: {
              'sla.policyId': policyId,
              'sla.state': summary.state,
              'sla.firstResponseDueAt': summary.firstResponseDueAt,
              'sla.nextResponseDueAt': summary.nextResponseDueAt,
              'sla.resolutionDueAt': summary.resolutionDueAt,
              'sla.breachedAt': summary.breachedAt,
            },
            $inc: { version: 1 },
            $currentDate: { updatedAt: true },
          },
          { timestamps: false },
        );
        if (updated.modifiedCount !== 1) throw new AppError('conflict', 'The ticket changed during the SLA refresh; try again.');
        version += 1;
        await this.events.append(ctx, [
          {
            type: 'ticket.sla_updated',
            ticketId,
            audience: 'staff',
            data: {
              sla: {
                policyId: hex(policyId),
                state: summary.state,
                firstResponseDueAt: iso(summary.firstResponseDueAt),
                nextResponseDueAt: iso(summary.nextResponseDueAt),
                resolutionDueAt: iso(summary.resolutionDueAt),
                breachedAt: iso(summary.breachedAt),
              },
              version,
            },
          },
        ]);
      }
      const timers: SlaTimerRecord[] = state
        ? nextTimers(state).map((t) => ({ metric: t.metric, kind: t.kind, cycle: t.startedAt, at: t.at }))
        : [];
      await this.models.SlaTicketState.updateOne(
        { tenantId, ticketId },
        { $set: { periods, version, timers, nextTimerAt: timers[0]?.at ?? null } },
        { upsert: true },
      );
      const snapshot = current ? snapshots.get(current.fingerprint) : undefined;
      return { ticket: { ...ticket, version }, state, summary, changed, timers, previousTimers: stored?.timers ?? [], snapshot };
    });
    if (!computed) return null;

    const tenant = await this.tenant(tenantId);
    await this.recordFacts(computed.ticket, computed.state, tenant.timezone);
    const escalated: string[] = [];
    const due = computed.state ? dueEscalations(computed.state) : [];
    if (due.length > 0 && computed.snapshot) {
      const done = new Set(
        (
          await this.models.SlaEscalation.find({ tenantId, ticketId, doneAt: { $ne: null } }, { key: 1 }).lean<
            Array<Pick<SlaEscalationDoc, 'key'>>
          >()
        ).map((e) => e.key),
      );
      for (const escalation of due.filter((e) => !done.has(e.key))) {
        if (await this.escalate(ctx, computed.ticket, escalation, computed.snapshot)) escalated.push(escalation.key);
      }
    }
    return {
      ticketId: ticketId.toHexString(),
      tenantId: tenantId.toHexString(),
      summary: computed.summary,
      previousTimers: computed.previousTimers,
      timers: computed.timers,
      changed: computed.changed,
      escalated,
    };
  }

  private snapshotOf(tenantId: Types.ObjectId, loaded: LoadedPolicy): Omit<SlaSnapshotDoc, '_id'> {
    return {
      tenantId,
      fingerprint: loaded.fingerprint,
      policyId: loaded.doc._id,
      policy: JSON.parse(JSON.stringify(loaded.policy)) as Record<string, unknown>,
      calendar: JSON.parse(JSON.stringify(loaded.calendar)) as Record<string, unknown>,
      escalations: loaded.doc.escalations,
    };
  }

  /** Stores a snapshot once (this process remembers which it stored; others find the duplicate key). */
  private async saveSnapshot(tenantId: Types.ObjectId, loaded: LoadedPolicy): Promise<void> {
    const key = `${tenantId.toHexString()}:${loaded.fingerprint}`;
    if (this.savedSnapshots.has(key)) return;
    try {
      await this.models.SlaSnapshot.create([this.snapshotOf(tenantId, loaded)]);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    this.savedSnapshots.add(key);
  }

  private async snapshots(tenantId: Types.ObjectId, fingerprints: string[]): Promise<Map<string, Omit<SlaSnapshotDoc, '_id'>>> {
    const docs = await this.models.SlaSnapshot.find({ tenantId, fingerprint: { $in: [...new Set(fingerprints)] } }).lean<
      SlaSnapshotDoc[]
    >();
    return new Map(docs.map((doc) => [doc.fingerprint, doc]));
  }

  /** Report facts of a ticket; recording one twice is a duplicate key, ignored. */
  private async recordFacts(ticket: Ticket, state: SlaState | null, timeZone: string): Promise<void> {
    const day = (at: Date) => DateTime.fromJSDate(at, { zone: timeZone }).toISODate() ?? at.toISOString().slice(0, 10);
    const base = {
      tenantId: ticket.tenantId,
      ticketId: ticket._id,
      teamId: ticket.teamId ?? null,
      assigneeId: ticket.assigneeId ?? null,
      metric: null,
      durationMs: null,
    };
    const id = ticket._id.toHexString();
    const facts: Array<Omit<SlaFactDoc, '_id'>> = [
      { ...base, key: `created:${id}`, kind: 'created', at: ticket.createdAt, day: day(ticket.createdAt) },
    ];
    if (ticket.firstResponseAt) {
      facts.push({
        ...base,
        key: `first_response:${id}`,
        kind: 'first_response',
        at: ticket.firstResponseAt,
        day: day(ticket.firstResponseAt),
        durationMs: ticket.firstResponseAt.getTime() - ticket.createdAt.getTime(),
      });
    }
    if (ticket.solvedAt)
      facts.push({
        ...base,
        key: `solved:${id}:${ticket.solvedAt.getTime()}`,
        kind: 'solved',
        at: ticket.solvedAt,
        day: day(ticket.solvedAt),
      });
    for (const outcome of state ? outcomes(state) : []) {
      facts.push({
        ...base,
        key: `outcome:${id}:${outcome.key}`,
        kind: outcome.outcome,
        metric: outcome.metric,
        at: outcome.at,
        day: day(outcome.at),
      });
    }
    try {
      await this.models.SlaFact.insertMany(facts, { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /**
   * Carries out one escalation to the end, exactly once across processes and crashes: the
   * record is created once, each step is marked when done, and a run that finds steps
   * missing (its predecessor died) does only those. The event is checked against the log
   * before it is appended; the note is idempotent by its client key; the priority target
   * is decided once; a team is only set when it differs.
   */
  private async escalate(ctx: Ctx, ticket: Ticket, due: DueEscalation, snapshot: Omit<SlaSnapshotDoc, '_id'>): Promise<boolean> {
    const { tenantId } = ctx;
    return this.leases.run(tenantId, `sla-escalation:${ticket._id.toHexString()}`, async () => {
      let record = await this.models.SlaEscalation.findOne({ tenantId, ticketId: ticket._id, key: due.key }).lean<SlaEscalationDoc>();
      if (record?.doneAt) return false;
      const rules = snapshot.escalations.filter((rule) => rule.on === due.kind);
      if (!record) {
        const rank = TICKET_PRIORITIES.indexOf(ticket.priority);
        const raiseTo = rules.some((r) => r.action === 'raise_priority')
          ? (TICKET_PRIORITIES[Math.min(rank + 1, TICKET_PRIORITIES.length - 1)] as TicketPriority)
          : null;
        const [created] = await this.models.SlaEscalation.create([
          {
            tenantId,
            ticketId: ticket._id,
            key: due.key,
            metric: due.metric,
            kind: due.kind,
            cycle: due.cycle,
            policyId: snapshot.policyId,
            raiseTo,
            steps: [],
          },
        ]);
        record = created!.toObject<SlaEscalationDoc>();
      }
      const steps = new Set(record.steps);
      const mark = async (step: string) => {
        steps.add(step);
        await this.models.SlaEscalation.updateOne({ tenantId, _id: record._id }, { $set: { steps: [...steps] } });
      };
      const managers = rules.some((r) => r.action === 'notify_managers') ? await this.managers(tenantId) : [];
      const type = due.kind === 'warning' ? 'ticket.sla_warning' : 'ticket.sla_breached';
      if (!steps.has('event')) {
        await this.tickets.exclusive(ctx, ticket._id, async () => {
          const logged = await this.models.Event.find({ tenantId, ticketId: ticket._id, type }, { data: 1 }).lean<
            Array<{ data: { key?: string } }>
          >();
          if (logged.some((e) => e.data.key === due.key)) return;
          await this.events.append(ctx, [
            {
              type,
              ticketId: ticket._id,
              audience: 'staff',
              data: {
                key: due.key,
                metric: due.metric,
                cycle: due.cycle.toISOString(),
                dueAt: iso(due.dueAt),
                number: ticket.number,
                subject: ticket.subject,
                policyId: snapshot.policyId.toHexString(),
                policyName: (snapshot.policy as { name?: string }).name ?? null,
                actions: rules.map((r) => r.action),
                notify: managers.map((m) => m._id.toHexString()),
              },
            },
          ]);
        });
        await mark('event');
      }
      for (const [index, rule] of rules.entries()) {
        const step = `${index}:${rule.action}`;
        if (steps.has(step)) continue;
        try {
          await this.runAction(ctx, ticket._id, rule, record, managers, due);
        } catch (error) {
          // A step that cannot apply (ticket closed meanwhile, team deleted) is not retried forever.
          this.logger.warn(
            { err: error, ticketId: ticket._id.toHexString(), key: due.key, action: rule.action },
            'SLA escalation step skipped',
          );
        }
        await mark(step);
      }
      await this.models.SlaEscalation.updateOne({ tenantId, _id: record._id }, { $set: { doneAt: new Date() } });
      return true;
    });
  }

  private async managers(tenantId: Types.ObjectId): Promise<Array<Pick<User, '_id' | 'name'>>> {
    const people = await this.models.User.find({ tenantId, role: { $in: ['manager', 'admin'] }, active: true }, { name: 1, role: 1 }).lean<
      Array<Pick<User, '_id' | 'name' | 'role'>>
    >();
    const managers = people.filter((p) => p.role === 'manager');
    return (managers.length > 0 ? managers : people).slice(0, 20);
  }

  private async runAction(
    ctx: Ctx,
    ticketId: Types.ObjectId,
    rule: SlaEscalationRule,
    record: SlaEscalationDoc,
    managers: Array<Pick<User, '_id' | 'name'>>,
    due: DueEscalation,
  ): Promise<void> {
    const metric = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' }[due.metric];
    switch (rule.action) {
      case 'notify_managers': {
        if (managers.length === 0) return;
        const when = due.kind === 'warning' ? `is at risk: due ${due.dueAt ? due.dueAt.toISOString() : 'soon'}` : 'breached its SLA target';
        await this.conversation.add(ctx, ticketId, {
          kind: 'note',
          format: 'text',
          body: `SLA ${due.kind}: ${metric} ${when}. Notifying ${managers.map((m) => m.name).join(', ')}.`,
          mentions: managers.map((m) => m._id.toHexString()),
          clientKey: `sla:${record.key}`,
        });
        return;
      }
      case 'raise_priority': {
        const ticket = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: ticketId }, { priority: 1 }).lean<
          Pick<Ticket, 'priority'>
        >();
        if (!ticket || !record.raiseTo) return;
        if (TICKET_PRIORITIES.indexOf(ticket.priority) < TICKET_PRIORITIES.indexOf(record.raiseTo))
          await this.tickets.update(ctx, ticketId, { priority: record.raiseTo });
        return;
      }
      case 'assign_team': {
        const ticket = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: ticketId }, { teamId: 1 }).lean<
          Pick<Ticket, 'teamId'>
        >();
        if (!ticket || !rule.teamId || ticket.teamId?.equals(rule.teamId)) return;
        await this.tickets.assign(ctx, ticketId, { teamId: rule.teamId.toHexString(), assigneeId: null });
        return;
      }
    }
  }

  // ─── Sweeper support ──────────────────────────────────────────────────────

  /**
   * Tickets whose SLA bookkeeping needs a refresh, across tenants: open tickets never
   * computed or changed since (a lost trigger), and states whose earliest timer is more
   * than `graceMs` overdue (a lost timer).
   */
  async sweepCandidates(now: Date, graceMs: number, limit = 5000): Promise<Array<{ tenantId: Types.ObjectId; ticketId: Types.ObjectId }>> {
    const [open, states] = await Promise.all([
      this.models.Ticket.find({ status: { $in: ACTIVE_STATUSES } }, { tenantId: 1, version: 1 })
        .setOptions({ crossTenant: true })
        .lean<Array<Pick<Ticket, '_id' | 'tenantId' | 'version'>>>(),
      this.models.SlaTicketState.find({}, { tenantId: 1, ticketId: 1, version: 1, nextTimerAt: 1 })
        .setOptions({ crossTenant: true })
        .lean<Array<Pick<SlaTicketStateDoc, 'tenantId' | 'ticketId' | 'version' | 'nextTimerAt'>>>(),
    ]);
    const byTicket = new Map(states.map((s) => [s.ticketId.toHexString(), s]));
    const out = new Map<string, { tenantId: Types.ObjectId; ticketId: Types.ObjectId }>();
    for (const ticket of open) {
      const state = byTicket.get(ticket._id.toHexString());
      if (!state || state.version !== ticket.version)
        out.set(ticket._id.toHexString(), { tenantId: ticket.tenantId, ticketId: ticket._id });
    }
    for (const state of states) {
      if (state.nextTimerAt && state.nextTimerAt.getTime() < now.getTime() - graceMs)
        out.set(state.ticketId.toHexString(), { tenantId: state.tenantId, ticketId: state.ticketId });
    }
    return [...out.values()].slice(0, limit);
  }

  /** Scheduled timers of every ticket, for the sweeper to check against the queue. */
  async scheduledTimers(): Promise<Array<{ tenantId: Types.ObjectId; ticketId: Types.ObjectId; timers: SlaTimerRecord[] }>> {
    const states = await this.models.SlaTicketState.find({ nextTimerAt: { $ne: null } }, { tenantId: 1, ticketId: 1, timers: 1 })
      .setOptions({ crossTenant: true })
      .lean<Array<Pick<SlaTicketStateDoc, 'tenantId' | 'ticketId' | 'timers'>>>();
    return states.map((s) => ({ tenantId: s.tenantId, ticketId: s.ticketId, timers: s.timers }));
  }

  /** Open tickets of a tenant (a policy or calendar changed: all of them are measured again). */
  async openTicketIds(tenantId: Types.ObjectId): Promise<Types.ObjectId[]> {
    const rows = await this.models.Ticket.find({ tenantId, status: { $in: ACTIVE_STATUSES } }, { _id: 1 }).lean<
      Array<Pick<Ticket, '_id'>>
    >();
    return rows.map((r) => r._id);
  }

  // ─── Reports ──────────────────────────────────────────────────────────────

  /**
   * The last `days` local days (today included): created, solved, first-response median,
   * SLA metrics met and breached per day, and attainment per metric, team and agent.
   * Counted from report facts with `$match`/`$group`.
   */
  async report(ctx: Ctx, days: number, teamId?: Types.ObjectId): Promise<SlaReportDto> {
    assertCanSeeSlaReports(ctx.actor);
    const tenant = await this.tenant(ctx.tenantId);
    const zone = tenant.timezone;
    const today = DateTime.now().setZone(zone).startOf('day');
    const dayList = Array.from({ length: days }, (_, i) => today.minus({ days: days - 1 - i }).toISODate()!);
    const from = dayList[0]!;
    const match: Record<string, unknown> = { tenantId: ctx.tenantId, day: { $gte: from } };
    if (teamId) match.teamId = teamId;
    const groups = await this.models.SlaFact.aggregate<{
      _id: { day: string; kind: string; metric: string | null; teamId: Types.ObjectId | null; assigneeId: Types.ObjectId | null };
      n: number;
    }>([
      { $match: match },
      { $group: { _id: { day: '$day', kind: '$kind', metric: '$metric', teamId: '$teamId', assigneeId: '$assigneeId' }, n: { $sum: 1 } } },
    ]);
    const responses = await this.models.SlaFact.find({ ...match, kind: 'first_response' }, { day: 1, durationMs: 1 }).lean<
      Array<Pick<SlaFactDoc, 'day' | 'durationMs'>>
    >();
    const perDay = new Map(dayList.map((d) => [d, { created: 0, solved: 0, met: 0, breached: 0, frt: [] as number[] }]));
    const perMetric = new Map<string, { met: number; breached: number }>();
    const perTeam = new Map<string, { met: number; breached: number }>();
    const perAgent = new Map<string, { met: number; breached: number }>();
    const bump = (map: Map<string, { met: number; breached: number }>, key: string, kind: 'met' | 'breached', n: number) => {
      const entry = map.get(key) ?? { met: 0, breached: 0 };
      entry[kind] += n;
      map.set(key, entry);
    };
    for (const { _id: g, n } of groups) {
      const bucket = perDay.get(g.day);
      if (!bucket) continue;
      if (g.kind === 'created') bucket.created += n;
      if (g.kind === 'solved') bucket.solved += n;
      if (g.kind === 'met' || g.kind === 'breached') {
        bucket[g.kind] += n;
        bump(perMetric, g.metric ?? 'unknown', g.kind, n);
        bump(perTeam, hex(g.teamId) ?? '', g.kind, n);
        bump(perAgent, hex(g.assigneeId) ?? '', g.kind, n);
      }
    }
    for (const r of responses) if (r.durationMs !== null) perDay.get(r.day)?.frt.push(r.durationMs / 60_000);
    const teamIds = [...perTeam.keys()].filter(Boolean).map(oid);
    const agentIds = [...perAgent.keys()].filter(Boolean).map(oid);
    const [teams, agents] = await Promise.all([
      teamIds.length
        ? this.models.Team.find({ tenantId: ctx.tenantId, _id: { $in: teamIds } }, { name: 1 }).lean<
            Array<{ _id: Types.ObjectId; name: string }>
          >()
        : [],
      agentIds.length
        ? this.models.User.find({ tenantId: ctx.tenantId, _id: { $in: agentIds } }, { name: 1 }).lean<
            Array<{ _id: Types.ObjectId; name: string }>
          >()
        : [],
    ]);
    const names = new Map([...teams, ...agents].map((d) => [d._id.toHexString(), d.name]));
    const rows = [...perDay.entries()].map(([day, b]) => ({
      day,
      created: b.created,
      solved: b.solved,
      firstResponses: b.frt.length,
      firstResponseMedianMinutes: median(b.frt),
      ...attainment(b.met, b.breached),
    }));
    const sum = (key: 'created' | 'solved' | 'met' | 'breached') => [...perDay.values()].reduce((total, b) => total + b[key], 0);
    const byShare = (a: { attainment: number | null }, b: { attainment: number | null }) => (a.attainment ?? 2) - (b.attainment ?? 2);
    return {
      from,
      to: dayList.at(-1)!,
      timeZone: zone,
      days: rows,
      totals: {
        created: sum('created'),
        solved: sum('solved'),
        firstResponseMedianMinutes: median([...perDay.values()].flatMap((b) => b.frt)),
        ...attainment(sum('met'), sum('breached')),
      },
      byMetric: [...perMetric.entries()].map(([metric, c]) => ({ metric, ...attainment(c.met, c.breached) })),
      byTeam: [...perTeam.entries()]
        .map(([id, c]) => ({
          teamId: id || null,
          name: id ? (names.get(id) ?? 'Deleted team') : 'No team',
          ...attainment(c.met, c.breached),
        }))
        .sort(byShare),
      byAgent: [...perAgent.entries()]
        .map(([id, c]) => ({
          agentId: id || null,
          name: id ? (names.get(id) ?? 'Former agent') : 'Unassigned',
          ...attainment(c.met, c.breached),
        }))
        .sort(byShare),
    };
  }
}
