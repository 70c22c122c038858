import type { Types } from 'mongoose';
import { isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import type { EventLog } from '../events/event-log.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { hex } from '../lib/ids.ts';
import type { Category } from '../categories/category.model.ts';
import type { Entry } from '../conversation/entry.model.ts';
import type { Team } from '../teams/team.model.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import { ACTIVE_STATUSES, type TicketPriority } from '../tickets/ticket-status.ts';
import type { User } from '../users/user.model.ts';
import type { TicketVector, TriageStat } from './triage.model.ts';

/** What triage concluded about one ticket. */
export interface TriageResult {
  categoryId: string | null;
  score: number;
  /** `apply` sets the category (and the category's team); `suggest` only records it. */
  decision: 'apply' | 'suggest' | 'unknown';
  language: string | null;
  priorityHint: TicketPriority | null;
  duplicateOfId: string | null;
}

/** A team as routing sees it. */
export interface RoutingTeam {
  id: string;
  strategy: 'round-robin' | 'least-loaded' | 'manual';
  memberIds: string[];
  lastAssignedId: string | null;
}

/** An agent as routing sees it (online comes from the hub's presence). */
export interface RoutingAgent {
  id: string;
  skills: string[];
  capacity: number;
  /** Open tickets assigned now. */
  load: number;
  /** The agent chose "online" (not "away") in the console. */
  available: boolean;
}

/** A ticket waiting for an agent in its team. */
export interface WaitingTicket {
  ticketId: string;
  teamId: string;
  priority: TicketPriority;
  skills: string[];
  createdAt: Date;
}

const day = (date = new Date()) => date.toISOString().slice(0, 10);

/**
 * The domain side of triage and routing: what the classify and route workers read, and
 * the atomic, event-producing writes of their decisions. Model inference lives in ai/,
 * orchestration in workers/; this never loads a model.
 */
export class TriageService {
  constructor(
    private readonly models: Models,
    private readonly events: EventLog,
    private readonly tickets: TicketService,
  ) {}

  /** The ticket and the text of its first message, or null when it is gone. */
  async ticketForTriage(ctx: Ctx, ticketId: Types.ObjectId): Promise<{ ticket: Ticket; subject: string; body: string } | null> {
    const ticket = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: ticketId }).lean<Ticket>();
    if (!ticket) return null;
    const first = await this.models.Entry.findOne({ tenantId: ctx.tenantId, ticketId, kind: 'message' }).sort({ _id: 1 }).lean<Entry>();
    return { ticket, subject: ticket.subject, body: first?.bodyText ?? '' };
  }

  /** Active categories of the tenant. */
  async categories(ctx: Ctx): Promise<Category[]> {
    return this.models.Category.find({ tenantId: ctx.tenantId, active: true }).sort({ _id: 1 }).lean<Category[]>();
  }

  /** Cached description vectors, keyed by `${categoryId}:${textHash}`. */
  async categoryVectors(ctx: Ctx, modelId: string): Promise<Map<string, number[]>> {
    const rows = await this.models.CategoryVector.find({ tenantId: ctx.tenantId, modelId }).lean();
    return new Map(rows.map((r) => [`${r.categoryId.toHexString()}:${r.textHash}`, r.vector]));
  }

  /** Stores a description vector (idempotent). */
  async saveCategoryVector(ctx: Ctx, categoryId: Types.ObjectId, modelId: string, textHash: string, vector: number[]): Promise<void> {
    await this.models.CategoryVector.updateOne(
      { tenantId: ctx.tenantId, categoryId, modelId, textHash },
      { $set: { vector } },
      { upsert: true },
    );
  }

  /** Agent-confirmed examples (newest first, bounded) for the learned part of the classifier. */
  async labelledExamples(ctx: Ctx, modelId: string, limit = 3000): Promise<Array<{ categoryId: string; vector: number[] }>> {
    const rows = await this.models.TicketVector.find(
      { tenantId: ctx.tenantId, modelId, labelCategoryId: { $ne: null } },
      { labelCategoryId: 1, vector: 1 },
    )
      .sort({ labelledAt: -1 })
      .limit(limit)
      .lean<TicketVector[]>();
    return rows.map((r) => ({ categoryId: r.labelCategoryId!.toHexString(), vector: r.vector }));
  }

  /** Stored vector of a ticket, if it was embedded already (retries never re-embed). */
  async ticketVector(ctx: Ctx, ticketId: Types.ObjectId, modelId: string): Promise<number[] | null> {
    const row = await this.models.TicketVector.findOne({ tenantId: ctx.tenantId, ticketId, modelId }, { vector: 1 }).lean<TicketVector>();
    return row?.vector ?? null;
  }

  /** Open tickets of a requester with their vectors (duplicate detection). */
  async openVectorsOf(
    ctx: Ctx,
    requesterId: Types.ObjectId,
    modelId: string,
  ): Promise<Array<{ ticketId: string; requesterId: string; vector: number[] }>> {
    const rows = await this.models.TicketVector.find({ tenantId: ctx.tenantId, requesterId, modelId, open: true })
      .limit(200)
      .lean<TicketVector[]>();
    return rows.map((r) => ({ ticketId: r.ticketId.toHexString(), requesterId: r.requesterId.toHexString(), vector: r.vector }));
  }

  /** Stores a ticket's vector (idempotent upsert). */
  async saveTicketVector(
    ctx: Ctx,
    ticket: Pick<Ticket, '_id' | 'requesterId'>,
    modelId: string,
    vector: number[],
    predictedCategoryId: Types.ObjectId | null,
  ): Promise<void> {
    await this.models.TicketVector.updateOne(
      { tenantId: ctx.tenantId, ticketId: ticket._id, modelId },
      { $set: { vector, requesterId: ticket.requesterId, predictedCategoryId }, $setOnInsert: { open: true } },
      { upsert: true },
    );
  }

  /**
   * Records triage's conclusion on the ticket, once (a retried job finds it classified and
   * does nothing). An `apply` sets the category and the category's team only where no
   * person has set them; every automatic action is an event with its score.
   */
  async applyResult(ctx: Ctx, ticketId: Types.ObjectId, result: TriageResult): Promise<DomainEvent[]> {
    // Under the ticket's lease like every ticket write (FerretDB updates are not atomic).
    return this.tickets.exclusive(ctx, ticketId, async () => {
      const ticket = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: ticketId }).lean<Ticket>();
      if (!ticket || ticket.ai?.classifiedAt) return [];
      const categoryOid = result.categoryId ? this.models.Category.castObject({ _id: result.categoryId })._id : null;
      const applies = result.decision === 'apply' && categoryOid !== null && !ticket.categoryId;
      const category = applies ? await this.models.Category.findOne({ tenantId: ctx.tenantId, _id: categoryOid }).lean<Category>() : null;
      const teamId = applies && category?.teamId && !ticket.teamId ? category.teamId : null;
      const ai = {
        categoryId: categoryOid,
        score: result.score,
        applied: applies,
        language: result.language,
        priorityHint: result.priorityHint,
        duplicateOfId: result.duplicateOfId ? this.models.Ticket.castObject({ _id: result.duplicateOfId })._id : null,
        classifiedAt: new Date(),
      };
      const set: Record<string, unknown> = { ai };
      if (applies) set.categoryId = categoryOid;
      if (teamId) set.teamId = teamId;
      await this.models.Ticket.updateOne(
        { tenantId: ctx.tenantId, _id: ticketId },
        { $set: set, $inc: { version: 1 }, $currentDate: { updatedAt: true } },
        { timestamps: false },
      );
      await this.models.TriageStat.updateOne(
        { tenantId: ctx.tenantId, day: day() },
        { $inc: { classified: 1, applied: applies ? 1 : 0 } },
        { upsert: true },
      );
      return this.events.append(ctx, [
        {
          type: 'ticket.categorized',
          ticketId,
          audience: 'staff',
          data: {
            ai: {
              categoryId: hex(ai.categoryId),
              score: ai.score,
              applied: ai.applied,
              language: ai.language,
              priorityHint: ai.priorityHint,
              duplicateOfId: hex(ai.duplicateOfId),
            },
            decision: result.decision,
            ...(applies ? { categoryId: hex(categoryOid) } : {}),
            ...(teamId ? { teamId: hex(teamId) } : {}),
            version: ticket.version + 1,
          },
        },
      ]);
    });
  }

  /**
   * An agent set a ticket's category: the ticket becomes a labelled example, and when
   * triage had predicted one, the accuracy counters record whether the agent kept it.
   */
  async recordLabel(ctx: Ctx, ticketId: Types.ObjectId, categoryId: Types.ObjectId | null): Promise<void> {
    const vector = await this.models.TicketVector.findOneAndUpdate(
      { tenantId: ctx.tenantId, ticketId },
      { $set: { labelCategoryId: categoryId, labelledAt: categoryId ? new Date() : null } },
      { returnDocument: 'before' },
    ).lean<TicketVector>();
    // Count a prediction once, on its first review.
    if (vector?.predictedCategoryId && !vector.labelledAt && categoryId) {
      const correct = vector.predictedCategoryId.equals(categoryId);
      await this.models.TriageStat.updateOne(
        { tenantId: ctx.tenantId, day: day() },
        { $inc: { reviewed: 1, correct: correct ? 1 : 0 } },
        { upsert: true },
      );
    }
  }

  /** A ticket left the open set (duplicate detection only compares open tickets). */
  async markClosed(ctx: Ctx, ticketId: Types.ObjectId): Promise<void> {
    await this.models.TicketVector.updateMany({ tenantId: ctx.tenantId, ticketId }, { $set: { open: false } });
  }

  /** Daily triage figures of the last `days` days (managers and admins). */
  async accuracy(
    ctx: Ctx,
    days: number,
  ): Promise<{
    days: TriageStat[];
    totals: { classified: number; applied: number; reviewed: number; correct: number; accuracy: number | null };
  }> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers see triage accuracy.');
    const since = day(new Date(Date.now() - days * 86_400_000));
    const rows = await this.models.TriageStat.find({ tenantId: ctx.tenantId, day: { $gte: since } })
      .sort({ day: 1 })
      .lean<TriageStat[]>();
    const totals = rows.reduce(
      (t, r) => ({
        classified: t.classified + r.classified,
        applied: t.applied + r.applied,
        reviewed: t.reviewed + r.reviewed,
        correct: t.correct + r.correct,
      }),
      { classified: 0, applied: 0, reviewed: 0, correct: 0 },
    );
    return { days: rows, totals: { ...totals, accuracy: totals.reviewed > 0 ? totals.correct / totals.reviewed : null } };
  }

  /** Everything routing needs about a tenant, read in a handful of queries. */
  async routingSnapshot(ctx: Ctx): Promise<{ teams: RoutingTeam[]; agents: RoutingAgent[]; waiting: WaitingTicket[] }> {
    authorize(isStaff(ctx.actor), 'Routing runs as staff or system.');
    const [teams, staff, categories] = await Promise.all([
      this.models.Team.find({ tenantId: ctx.tenantId }).lean<Team[]>(),
      this.models.User.find({ tenantId: ctx.tenantId, role: { $in: ['agent', 'manager', 'admin'] }, active: true }).lean<User[]>(),
      this.models.Category.find({ tenantId: ctx.tenantId }, { skill: 1 }).lean<Array<Pick<Category, '_id' | 'skill'>>>(),
    ]);
    const loads = await this.models.Ticket.aggregate<{ _id: Types.ObjectId; n: number }>([
      { $match: { tenantId: ctx.tenantId, status: { $in: [...ACTIVE_STATUSES] }, assigneeId: { $ne: null } } },
      { $group: { _id: '$assigneeId', n: { $sum: 1 } } },
    ]);
    const load = new Map(loads.map((l) => [String(l._id), l.n]));
    const skillOf = new Map(categories.map((c) => [c._id.toHexString(), c.skill ?? null]));
    const waiting = await this.models.Ticket.find({
      tenantId: ctx.tenantId,
      assigneeId: null,
      status: { $in: ['new', 'open'] },
      teamId: { $in: teams.map((t) => t._id) },
    })
      .sort({ createdAt: 1 })
      .limit(1000)
      .lean<Ticket[]>();
    return {
      teams: teams.map((team) => ({
        id: team._id.toHexString(),
        strategy: team.assignment === 'round_robin' ? 'round-robin' : team.assignment === 'manual' ? 'manual' : 'least-loaded',
        memberIds: staff.filter((u) => u.teamIds.some((t) => t.equals(team._id))).map((u) => u._id.toHexString()),
        lastAssignedId: hex(team.lastAssignedId),
      })),
      agents: staff.map((u) => ({
        id: u._id.toHexString(),
        skills: u.skills,
        capacity: u.capacity,
        load: load.get(u._id.toHexString()) ?? 0,
        available: u.agentStatus !== 'away',
      })),
      waiting: waiting.map((t) => {
        const skill = t.categoryId ? skillOf.get(t.categoryId.toHexString()) : null;
        return {
          ticketId: t._id.toHexString(),
          teamId: t.teamId!.toHexString(),
          priority: t.priority,
          skills: skill ? [skill] : [],
          createdAt: t.createdAt,
        };
      }),
    };
  }

  /** Moves a team's round-robin pointer. */
  async setLastAssigned(ctx: Ctx, teamId: Types.ObjectId, agentId: Types.ObjectId): Promise<void> {
    await this.models.Team.updateOne({ tenantId: ctx.tenantId, _id: teamId }, { $set: { lastAssignedId: agentId } });
  }

  /** Tenants with tickets waiting in a team queue (the periodic routing sweep visits these). */
  async tenantsWithWaitingTickets(): Promise<Types.ObjectId[]> {
    const ids = await this.models.Ticket.distinct('tenantId', {
      assigneeId: null,
      status: { $in: ['new', 'open'] },
      teamId: { $ne: null },
    }).setOptions({ crossTenant: true });
    return ids as Types.ObjectId[];
  }

  /**
   * Open tickets of every tenant that triage never classified although it should have by
   * now: created between `windowMs` and `graceMs` ago, oldest first, at most `limit`. Their
   * classify job was lost (the process that created them ended during a Redis outage, say);
   * the periodic sweep queues it again. Tickets older than the window are left as they are.
   */
  async unclassifiedTickets(
    now: Date,
    { graceMs, windowMs, limit }: { graceMs: number; windowMs: number; limit: number },
  ): Promise<Array<{ tenantId: Types.ObjectId; ticketId: Types.ObjectId }>> {
    const rows = await this.models.Ticket.find(
      {
        status: { $in: ['new', 'open'] },
        'ai.classifiedAt': null,
        createdAt: { $gte: new Date(now.getTime() - windowMs), $lte: new Date(now.getTime() - graceMs) },
      },
      { tenantId: 1 },
    )
      .sort({ createdAt: 1 })
      .limit(limit)
      .setOptions({ crossTenant: true })
      .lean<Array<Pick<Ticket, '_id' | 'tenantId'>>>();
    return rows.map((r) => ({ tenantId: r.tenantId, ticketId: r._id }));
  }
}
