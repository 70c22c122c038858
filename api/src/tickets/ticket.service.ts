import { Types } from 'mongoose';
import { actorUserId, isStaff, type Ctx } from '../context.ts';
import { reserve } from '../db/counter.model.ts';
import type { Leases } from '../db/lease.model.ts';
import type { Models } from '../db/models.ts';
import type { EventLog, NewEvent } from '../events/event-log.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { AppError } from '../lib/errors.ts';
import { hex, oid } from '../lib/ids.ts';
import { htmlToText, sanitizeRichText } from '../lib/sanitize.ts';
import type { TenantService } from '../tenants/tenant.service.ts';
import type { User } from '../users/user.model.ts';
import type { UserService } from '../users/user.service.ts';
import { toEntryDto } from '../conversation/entry.mapper.ts';
import type { AttachmentMeta, Entry } from '../conversation/entry.model.ts';
import type { Ticket } from './ticket.model.ts';
import { assertCanCreateFor, assertCanWorkTicket, canSeeTicket, ticketVisibilityFilter } from './ticket.policy.ts';
import type { TicketCreate, TicketDto, TicketFilter, TicketListQuery, TicketPatch } from './ticket.schema.ts';
import { STATUS_TRANSITIONS, statusesLeadingTo, type TicketChannel, type TicketStatus } from './ticket-status.ts';
import { containsPattern } from '../lib/text-query.ts';

type PersonRef = { id: string; name: string; email: string };

function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** API form of a ticket. `requester` is resolved by the caller in batches. */
export function toTicketDto(ticket: Ticket, requester: PersonRef | null, includeAi: boolean): TicketDto {
  return {
    id: ticket._id.toHexString(),
    number: ticket.number,
    subject: ticket.subject,
    status: ticket.status,
    priority: ticket.priority,
    channel: ticket.channel,
    requester,
    organisationId: hex(ticket.organisationId),
    assigneeId: hex(ticket.assigneeId),
    teamId: hex(ticket.teamId),
    categoryId: hex(ticket.categoryId),
    tags: ticket.tags,
    customFields: ticket.customFields ?? {},
    sla: {
      state: ticket.sla?.state ?? null,
      firstResponseDueAt: iso(ticket.sla?.firstResponseDueAt),
      nextResponseDueAt: iso(ticket.sla?.nextResponseDueAt),
      resolutionDueAt: iso(ticket.sla?.resolutionDueAt),
      breachedAt: iso(ticket.sla?.breachedAt),
    },
    ai: includeAi
      ? {
          categoryId: hex(ticket.ai?.categoryId),
          score: ticket.ai?.score ?? null,
          applied: ticket.ai?.applied ?? false,
          language: ticket.ai?.language ?? null,
          priorityHint: ticket.ai?.priorityHint ?? null,
          duplicateOfId: hex(ticket.ai?.duplicateOfId),
        }
      : null,
    mergedIntoId: hex(ticket.mergedIntoId),
    version: ticket.version,
    entryCount: ticket.entryCount,
    firstResponseAt: iso(ticket.firstResponseAt),
    lastCustomerMessageAt: iso(ticket.lastCustomerMessageAt),
    lastAgentReplyAt: iso(ticket.lastAgentReplyAt),
    solvedAt: iso(ticket.solvedAt),
    createdAt: ticket.createdAt.toISOString(),
    updatedAt: ticket.updatedAt.toISOString(),
  };
}

const SORTS = {
  updated_desc: { field: 'updatedAt', dir: -1 },
  updated_asc: { field: 'updatedAt', dir: 1 },
  created_desc: { field: 'createdAt', dir: -1 },
  created_asc: { field: 'createdAt', dir: 1 },
} as const;

function encodeCursor(value: Date, id: Types.ObjectId): string {
  return Buffer.from(JSON.stringify([value.getTime(), id.toHexString()])).toString('base64url');
}

function decodeCursor(cursor: string): { value: Date; id: Types.ObjectId } {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [number, string];
    if (typeof ms !== 'number' || !Types.ObjectId.isValid(id)) throw new Error('bad cursor');
    return { value: new Date(ms), id: new Types.ObjectId(id) };
  } catch {
    throw new AppError('validation_failed', 'Invalid cursor.', [{ path: '/cursor', message: 'not a cursor from this API' }]);
  }
}

/** Applies a `$set` (dotted paths allowed) to a plain copy of a ticket. */
function applySet(ticket: Ticket, set: Record<string, unknown>, version: number): Ticket {
  // Shallow copies along each path: ObjectIds and Dates stay the instances they are.
  const copy = { ...ticket } as Ticket & Record<string, unknown>;
  for (const [path, value] of Object.entries(set)) {
    const parts = path.split('.');
    let node = copy as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      node[part] = { ...((node[part] as Record<string, unknown> | undefined) ?? {}) };
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  copy.version = version;
  copy.updatedAt = new Date();
  return copy;
}

/** Plain text (a name, a subject) escaped for use inside a paragraph of HTML. */
function inlineHtml(text: string): string {
  return sanitizeRichText(text, 'text').replace(/<\/?p>/g, '');
}

/** Fields whose change a stale-reply guard cares about, with their event types. */
const GUARDED_EVENT_TYPES = new Set(['ticket.status_changed', 'ticket.assigned', 'entry.added']);

/**
 * Tickets: creation, queries, field changes, status lifecycle, assignment and merges.
 * Every change is one atomic single-document update (no lost updates under concurrency)
 * followed by events in the log; events carry the ticket's new `version`.
 */
export class TicketService {
  constructor(
    private readonly models: Models,
    private readonly events: EventLog,
    private readonly users: UserService,
    private readonly tenants: TenantService,
    private readonly leases: Leases,
  ) {}

  /**
   * Runs `work` as the only writer of this ticket, in every process. Every change to a
   * ticket document happens inside, together with appending its events, so no update is
   * lost and a ticket's events reach the log in version order.
   */
  exclusive<T>(ctx: Ctx, id: Types.ObjectId, work: () => Promise<T>): Promise<T> {
    return this.leases.run(ctx.tenantId, `ticket:${id.toHexString()}`, work);
  }

  private async orgVisibility(ctx: Ctx): Promise<boolean> {
    if (isStaff(ctx.actor)) return true;
    return (await this.tenants.require(ctx)).settings.customersSeeOrganisationTickets;
  }

  /** Loads a ticket the caller may see; a foreign or invisible ticket is simply not found. */
  async requireVisible(ctx: Ctx, id: Types.ObjectId): Promise<Ticket> {
    const ticket = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: id }).lean<Ticket>();
    if (!ticket || !canSeeTicket(ctx.actor, ticket, await this.orgVisibility(ctx))) throw new AppError('not_found', 'No such ticket.');
    return ticket;
  }

  /** Resolves requester names for a batch of tickets in one query. */
  async toDtos(ctx: Ctx, tickets: Ticket[]): Promise<TicketDto[]> {
    const ids = [...new Set(tickets.map((t) => t.requesterId.toHexString()))].map((id) => new Types.ObjectId(id));
    const people = ids.length
      ? await this.models.User.find({ tenantId: ctx.tenantId, _id: { $in: ids } }, { name: 1, email: 1 }).lean<
          Array<Pick<User, '_id' | 'name' | 'email'>>
        >()
      : [];
    const byId = new Map(people.map((p) => [p._id.toHexString(), { id: p._id.toHexString(), name: p.name, email: p.email }]));
    const staff = isStaff(ctx.actor);
    return tickets.map((t) => toTicketDto(t, byId.get(t.requesterId.toHexString()) ?? null, staff));
  }

  /** One ticket as DTO. */
  async get(ctx: Ctx, id: Types.ObjectId): Promise<TicketDto> {
    const [dto] = await this.toDtos(ctx, [await this.requireVisible(ctx, id)]);
    return dto!;
  }

  /**
   * Opens a ticket with its first message. Customers open for themselves (channel from
   * how they came in); staff may open for an existing person or a new email address.
   * Without transactions, a failed first message removes the ticket again.
   * `extras.attachments` are files already stored for the first message (inbound mail).
   */
  async create(
    ctx: Ctx,
    input: TicketCreate,
    channel: TicketChannel,
    extras: { attachments?: AttachmentMeta[] } = {},
  ): Promise<{ ticket: TicketDto; entry: ReturnType<typeof toEntryDto>; events: DomainEvent[] }> {
    const staff = isStaff(ctx.actor);
    const staffFields =
      input.teamId !== undefined ||
      input.assigneeId !== undefined ||
      input.categoryId !== undefined ||
      input.tags !== undefined ||
      input.customFields !== undefined ||
      input.priority !== undefined ||
      input.requester !== undefined;
    assertCanCreateFor(ctx.actor, input.requesterId ? oid(input.requesterId) : undefined, staffFields);

    let requester: User;
    if (input.requesterId) requester = await this.requireRequester(ctx, oid(input.requesterId));
    else if (input.requester && staff) requester = await this.users.findOrCreateCustomer(ctx, input.requester.email, input.requester.name);
    else if (ctx.actor.kind === 'user') requester = await this.users.require(ctx, ctx.actor.userId);
    else throw new AppError('validation_failed', 'A requester is needed.', [{ path: '/requester', message: 'required' }]);

    const refs = await this.checkRefs(ctx, { teamId: input.teamId, assigneeId: input.assigneeId, categoryId: input.categoryId });
    const now = new Date();
    const bodyHtml = sanitizeRichText(input.body, input.format);
    // The counter's $inc is not atomic on every server (FerretDB): draw and use the number
    // under the counter's lease, so no two tickets of a tenant get the same one.
    const [created] = await this.leases.run(ctx.tenantId, 'counter:ticket', async () =>
      this.models.Ticket.create([
        {
          tenantId: ctx.tenantId,
          number: await reserve(this.models.Counter, ctx.tenantId, 'ticket'),
          subject: input.subject,
          status: refs.assigneeId ? 'open' : 'new',
          priority: input.priority ?? 'normal',
          channel: staff ? (input.channel ?? channel) : channel,
          requesterId: requester._id,
          organisationId: requester.organisationId ?? null,
          assigneeId: refs.assigneeId,
          teamId: refs.teamId,
          categoryId: refs.categoryId,
          tags: [...new Set(input.tags ?? [])],
          customFields: input.customFields ?? {},
          entryCount: 1,
          lastCustomerMessageAt: now,
        },
      ]),
    );
    const ticket = created!.toObject<Ticket>();
    let entry: Entry;
    try {
      const [doc] = await this.models.Entry.create([
        {
          tenantId: ctx.tenantId,
          ticketId: ticket._id,
          kind: 'message',
          authorId: requester._id,
          authorName: requester.name,
          bodyHtml,
          bodyText: htmlToText(bodyHtml),
          channel: ticket.channel,
          attachments: extras.attachments ?? [],
          ...(input.clientKey ? { clientKey: input.clientKey } : {}),
        },
      ]);
      entry = doc!.toObject<Entry>();
    } catch (error) {
      await this.models.Ticket.deleteOne({ tenantId: ctx.tenantId, _id: ticket._id });
      throw error;
    }
    const [dto] = await this.toDtos({ ...ctx, actor: { kind: 'system', name: 'system' } }, [ticket]);
    const entryDto = toEntryDto(entry);
    const events = await this.events.append(ctx, [
      { type: 'ticket.created', ticketId: ticket._id, audience: 'public', data: { ticket: { ...dto!, ai: null } } },
      { type: 'entry.added', ticketId: ticket._id, audience: 'public', data: { entry: entryDto, ticketVersion: ticket.version } },
    ]);
    return { ticket: dto!, entry: entryDto, events };
  }

  /** Lists tickets the caller may see, filtered, sorted, cursor-paginated. */
  async list(ctx: Ctx, query: TicketListQuery): Promise<{ items: TicketDto[]; nextCursor: string | null }> {
    const and = await this.filterFor(ctx, query);
    const sort = SORTS[query.sort];
    if (query.cursor) {
      const { value, id } = decodeCursor(query.cursor);
      const cmp = sort.dir === -1 ? '$lt' : '$gt';
      and.push({ $or: [{ [sort.field]: { [cmp]: value } }, { [sort.field]: value, _id: { [cmp]: id } }] });
    }
    const rows = await this.models.Ticket.find({ $and: and, tenantId: ctx.tenantId })
      .sort({ [sort.field]: sort.dir, _id: sort.dir })
      .limit(query.limit + 1)
      .lean<Ticket[]>();
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: await this.toDtos(ctx, page),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last[sort.field], last._id) : null,
    };
  }

  /** How many tickets the caller may see match the filters (queue view counts). */
  async count(ctx: Ctx, query: TicketFilter): Promise<number> {
    const and = await this.filterFor(ctx, query);
    return this.models.Ticket.countDocuments({ $and: and, tenantId: ctx.tenantId });
  }

  /** The filter of a list query, always scoped to the tenant and to what the caller may see. */
  private async filterFor(ctx: Ctx, query: TicketFilter): Promise<Record<string, unknown>[]> {
    const me = actorUserId(ctx.actor);
    const and: Record<string, unknown>[] = [{ tenantId: ctx.tenantId }, ticketVisibilityFilter(ctx.actor, await this.orgVisibility(ctx))];
    if (query.status?.length) and.push({ status: { $in: query.status } });
    if (query.priority?.length) and.push({ priority: { $in: query.priority } });
    if (query.assigneeId)
      and.push({ assigneeId: query.assigneeId === 'me' ? (me ?? null) : query.assigneeId === 'none' ? null : oid(query.assigneeId) });
    if (query.teamId === 'mine') {
      const self = me
        ? await this.models.User.findOne({ tenantId: ctx.tenantId, _id: me }, { teamIds: 1 }).lean<Pick<User, 'teamIds'>>()
        : null;
      and.push({ teamId: { $in: self?.teamIds ?? [] } });
    } else if (query.teamId) and.push({ teamId: query.teamId === 'none' ? null : oid(query.teamId) });
    if (query.categoryId) and.push({ categoryId: oid(query.categoryId) });
    if (query.requesterId) and.push({ requesterId: oid(query.requesterId) });
    if (query.organisationId) and.push({ organisationId: oid(query.organisationId) });
    if (query.tag) and.push({ tags: query.tag });
    if (query.slaState) and.push({ 'sla.state': query.slaState });
    if (query.updatedSince) and.push({ updatedAt: { $gte: new Date(query.updatedSince) } });
    if (query.q) {
      const number = /^#?(\d{1,9})$/.exec(query.q);
      and.push(number ? { number: Number(number[1]) } : { subject: containsPattern(query.q) });
    }
    return and;
  }

  /**
   * Applies an atomic update and appends events built from the document before it.
   * `extraFilter` makes the update conditional (allowed transitions); when it does not
   * match, `onMiss` explains why (the ticket exists, so it is a conflict, not a 404).
   */
  private async mutate(
    ctx: Ctx,
    id: Types.ObjectId,
    update: { $set: Record<string, unknown> },
    build: (before: Ticket, after: Ticket) => NewEvent[],
    options: { extraFilter?: Record<string, unknown>; onMiss?: (current: Ticket) => AppError } = {},
  ): Promise<{ ticket: Ticket; events: DomainEvent[] }> {
    return this.exclusive(ctx, id, async () => {
      const before = await this.models.Ticket.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id, ...options.extraFilter },
        { ...update, $inc: { version: 1 }, $currentDate: { updatedAt: true } },
        { returnDocument: 'before', timestamps: false },
      ).lean<Ticket>();
      if (!before) {
        const current = await this.requireVisible(ctx, id);
        throw options.onMiss?.(current) ?? new AppError('conflict', 'The ticket changed; try again.');
      }
      // Our own update applied to the "before" image: exactly this change.
      const after = applySet(before, update.$set, before.version + 1);
      const events = await this.events.append(ctx, build(before, after));
      return { ticket: after, events };
    });
  }

  /** Changes subject, priority, category, tags or custom fields. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: TicketPatch): Promise<{ ticket: TicketDto; events: DomainEvent[] }> {
    assertCanWorkTicket(ctx.actor);
    await this.requireVisible(ctx, id);
    const set: Record<string, unknown> = {};
    if (patch.subject !== undefined) set.subject = patch.subject;
    if (patch.priority !== undefined) set.priority = patch.priority;
    if (patch.tags !== undefined) set.tags = [...new Set(patch.tags)];
    if (patch.categoryId !== undefined) set.categoryId = (await this.checkRefs(ctx, { categoryId: patch.categoryId })).categoryId;
    if (patch.customFields !== undefined) for (const [key, value] of Object.entries(patch.customFields)) set[`customFields.${key}`] = value;
    const { ticket, events } = await this.mutate(ctx, id, { $set: set }, (before, after) => {
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const key of ['subject', 'priority', 'tags', 'categoryId'] as const) {
        if (patch[key] === undefined) continue;
        const from = before[key] instanceof Types.ObjectId ? hex(before[key] as Types.ObjectId) : before[key];
        const to = after[key] instanceof Types.ObjectId ? hex(after[key] as Types.ObjectId) : after[key];
        if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
      }
      if (patch.customFields) changes.customFields = { from: before.customFields, to: after.customFields };
      return [{ type: 'ticket.updated', ticketId: id, audience: 'staff', data: { changes, version: after.version } }];
    });
    return { ticket: (await this.toDtos(ctx, [ticket]))[0]!, events };
  }

  /** Moves a ticket along its lifecycle; a transition not allowed from the current status is a conflict. */
  async changeStatus(ctx: Ctx, id: Types.ObjectId, status: TicketStatus): Promise<{ ticket: TicketDto; events: DomainEvent[] }> {
    assertCanWorkTicket(ctx.actor);
    await this.requireVisible(ctx, id);
    const now = new Date();
    const set: Record<string, unknown> = { status };
    if (status === 'solved') set.solvedAt = now;
    if (status === 'closed') set.closedAt = now;
    if (status === 'open') set.solvedAt = null;
    const { ticket, events } = await this.mutate(
      ctx,
      id,
      { $set: set },
      (before, after) => [
        {
          type: 'ticket.status_changed',
          ticketId: id,
          audience: 'public',
          data: { from: before.status, to: status, version: after.version },
        },
      ],
      {
        extraFilter: { status: { $in: statusesLeadingTo(status) } },
        onMiss: (current) =>
          new AppError('invalid_transition', `A ${current.status} ticket cannot become ${status}.`, {
            from: current.status,
            to: status,
            allowed: STATUS_TRANSITIONS[current.status],
          }),
      },
    );
    return { ticket: (await this.toDtos(ctx, [ticket]))[0]!, events };
  }

  /**
   * Assigns to an agent and/or a team (null clears). The assignee must be active staff
   * of this tenant. A `new` ticket that gets an assignee becomes `open`.
   */
  async assign(
    ctx: Ctx,
    id: Types.ObjectId,
    target: { assigneeId?: string | null; teamId?: string | null },
    options: { onlyIfUnassigned?: boolean } = {},
  ): Promise<{ ticket: TicketDto; events: DomainEvent[] }> {
    assertCanWorkTicket(ctx.actor);
    await this.requireVisible(ctx, id);
    const refs = await this.checkRefs(ctx, { assigneeId: target.assigneeId ?? undefined, teamId: target.teamId ?? undefined });
    const set: Record<string, unknown> = {};
    if (target.assigneeId !== undefined) set.assigneeId = target.assigneeId === null ? null : refs.assigneeId;
    if (target.teamId !== undefined) set.teamId = target.teamId === null ? null : refs.teamId;
    const result = await this.mutate(
      ctx,
      id,
      { $set: set },
      (before, after) => [
        {
          type: 'ticket.assigned',
          ticketId: id,
          audience: 'staff',
          data: {
            from: { assigneeId: hex(before.assigneeId), teamId: hex(before.teamId) },
            to: { assigneeId: hex(after.assigneeId), teamId: hex(after.teamId) },
            version: after.version,
          },
        },
      ],
      options.onlyIfUnassigned
        ? {
            extraFilter: { assigneeId: null, status: { $in: ['new', 'open', 'pending', 'on_hold'] } },
            onMiss: () => new AppError('conflict', 'The ticket was assigned or closed meanwhile.'),
          }
        : {},
    );
    let { ticket, events } = result;
    if (ticket.status === 'new' && ticket.assigneeId) {
      const opened = await this.openIfNew(ctx, id);
      if (opened) ({ ticket, events } = { ticket: opened.ticket, events: [...events, ...opened.events] });
    }
    return { ticket: (await this.toDtos(ctx, [ticket]))[0]!, events };
  }

  /** `new` → `open` once work starts (assignment, first reply); no-op otherwise. */
  async openIfNew(ctx: Ctx, id: Types.ObjectId): Promise<{ ticket: Ticket; events: DomainEvent[] } | null> {
    try {
      return await this.mutate(
        ctx,
        id,
        { $set: { status: 'open' } },
        (_b, after) => [
          { type: 'ticket.status_changed', ticketId: id, audience: 'public', data: { from: 'new', to: 'open', version: after.version } },
        ],
        {
          extraFilter: { status: 'new' },
          onMiss: () => new AppError('conflict', 'not new'),
        },
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'conflict') return null;
      throw error;
    }
  }

  /**
   * Merges a ticket into another: the source is closed with a pointer to the target and
   * both get a system entry, so nothing of the source's conversation is lost.
   */
  async merge(ctx: Ctx, id: Types.ObjectId, intoId: Types.ObjectId): Promise<{ ticket: TicketDto; events: DomainEvent[] }> {
    assertCanWorkTicket(ctx.actor);
    if (id.equals(intoId))
      throw new AppError('validation_failed', 'A ticket cannot be merged into itself.', [{ path: '/intoId', message: 'same ticket' }]);
    const source = await this.requireVisible(ctx, id);
    const target = await this.requireVisible(ctx, intoId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'not_found')
        throw new AppError('validation_failed', 'Unknown ticket to merge into.', [{ path: '/intoId', message: 'not found' }]);
      throw error;
    });
    if (target.status === 'closed')
      throw new AppError('invalid_transition', `Ticket #${target.number} is closed; merge into an open ticket.`);
    const now = new Date();
    const { ticket, events } = await this.mutate(
      ctx,
      id,
      { $set: { status: 'closed', closedAt: now, mergedIntoId: intoId } },
      (before, after) => [
        {
          type: 'ticket.merged',
          ticketId: id,
          audience: 'public',
          data: { into: intoId.toHexString(), intoNumber: target.number, from: before.status, version: after.version },
        },
      ],
      {
        extraFilter: { status: { $ne: 'closed' } },
        onMiss: () => new AppError('invalid_transition', `Ticket #${source.number} is already closed.`),
      },
    );
    const name = ctx.actor.name;
    const systemEntries = await this.models.Entry.create([
      {
        tenantId: ctx.tenantId,
        ticketId: id,
        kind: 'system',
        authorId: actorUserId(ctx.actor) ?? null,
        authorName: name,
        bodyHtml: `<p>Merged into #${target.number} by ${inlineHtml(name)}.</p>`,
        bodyText: `Merged into #${target.number} by ${name}.`,
      },
      {
        tenantId: ctx.tenantId,
        ticketId: intoId,
        kind: 'system',
        authorId: actorUserId(ctx.actor) ?? null,
        authorName: name,
        bodyHtml: `<p>#${source.number} “${inlineHtml(source.subject)}” was merged into this ticket by ${inlineHtml(name)}.</p>`,
        bodyText: `#${source.number} "${source.subject}" was merged into this ticket by ${name}.`,
      },
    ]);
    // Each system entry is a change of its ticket: it bumps the version its event carries.
    const entryEvents: DomainEvent[] = [];
    let merged: Ticket = ticket;
    for (const doc of systemEntries) {
      const entry = doc.toObject<Entry>();
      await this.exclusive(ctx, entry.ticketId, async () => {
        const bumped = await this.models.Ticket.findOneAndUpdate(
          { tenantId: ctx.tenantId, _id: entry.ticketId },
          { $inc: { entryCount: 1, version: 1 }, $currentDate: { updatedAt: true } },
          { returnDocument: 'after', timestamps: false },
        ).lean<Ticket>();
        if (bumped && bumped._id.equals(id)) merged = bumped;
        entryEvents.push(
          ...(await this.events.append(ctx, [
            {
              type: 'entry.added',
              ticketId: entry.ticketId,
              audience: 'public',
              data: { entry: toEntryDto(entry), ticketVersion: bumped?.version ?? null },
            },
          ])),
        );
      });
    }
    return { ticket: (await this.toDtos(ctx, [merged]))[0]!, events: [...events, ...entryEvents] };
  }

  /** Events since `version` that a stale-reply guard should show (what changed meanwhile). */
  async changesSince(ctx: Ctx, id: Types.ObjectId, version: number): Promise<DomainEvent[]> {
    const recent = await this.models.Event.find({ tenantId: ctx.tenantId, ticketId: id }).sort({ seq: -1 }).limit(100).lean();
    return recent
      .filter(
        (e) =>
          GUARDED_EVENT_TYPES.has(e.type) &&
          Number(
            (e.data as { version?: number; ticketVersion?: number }).version ?? (e.data as { ticketVersion?: number }).ticketVersion ?? 0,
          ) > version,
      )
      .filter((e) => e.type !== 'entry.added' || ((e.data as { entry?: { kind?: string } }).entry?.kind ?? '') === 'message')
      .reverse()
      .map((e) => ({
        seq: e.seq,
        type: e.type,
        ticketId: hex(e.ticketId),
        audience: e.audience,
        actor: { id: hex(e.actor.id), name: e.actor.name, kind: e.actor.kind },
        data: e.data,
        at: e.at.toISOString(),
      }));
  }

  private async requireRequester(ctx: Ctx, id: Types.ObjectId): Promise<User> {
    const requester = await this.models.User.findOne({ tenantId: ctx.tenantId, _id: id }).lean<User>();
    if (!requester) throw new AppError('validation_failed', 'Unknown requester.', [{ path: '/requesterId', message: 'not found' }]);
    return requester;
  }

  private async checkRefs(
    ctx: Ctx,
    refs: { teamId?: string | null; assigneeId?: string | null; categoryId?: string | null },
  ): Promise<{ teamId: Types.ObjectId | null; assigneeId: Types.ObjectId | null; categoryId: Types.ObjectId | null }> {
    const out = {
      teamId: null as Types.ObjectId | null,
      assigneeId: null as Types.ObjectId | null,
      categoryId: null as Types.ObjectId | null,
    };
    if (refs.teamId) {
      out.teamId = oid(refs.teamId);
      if (!(await this.models.Team.exists({ tenantId: ctx.tenantId, _id: out.teamId })))
        throw new AppError('validation_failed', 'Unknown team.', [{ path: '/teamId', message: 'not found' }]);
    }
    if (refs.assigneeId) {
      out.assigneeId = oid(refs.assigneeId);
      const agent = await this.models.User.findOne({ tenantId: ctx.tenantId, _id: out.assigneeId }, { role: 1, active: 1 }).lean<
        Pick<User, 'role' | 'active'>
      >();
      if (!agent || agent.role === 'customer' || !agent.active)
        throw new AppError('validation_failed', 'The assignee must be an active staff member.', [
          { path: '/assigneeId', message: 'not an active agent' },
        ]);
    }
    if (refs.categoryId) {
      out.categoryId = oid(refs.categoryId);
      if (!(await this.models.Category.exists({ tenantId: ctx.tenantId, _id: out.categoryId })))
        throw new AppError('validation_failed', 'Unknown category.', [{ path: '/categoryId', message: 'not found' }]);
    }
    return out;
  }
}
