import type { Types } from 'mongoose';
import { actorUserId, isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import type { EventLog, NewEvent } from '../events/event-log.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import { htmlToText, sanitizeRichText } from '../lib/sanitize.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { TicketStatus } from '../tickets/ticket-status.ts';
import { assertCanAddEntry, visibleEntryKinds } from './conversation.policy.ts';
import type { EntryCreate, EntryDto } from './conversation.schema.ts';
import { toEntryDto } from './entry.mapper.ts';
import type { AttachmentMeta, Entry } from './entry.model.ts';

/** Status a ticket moves to when an entry of this kind arrives (undefined = unchanged). */
function statusAfter(kind: Entry['kind'], current: TicketStatus): TicketStatus | undefined {
  if (kind === 'message' && (current === 'pending' || current === 'solved' || current === 'on_hold')) return 'open';
  if (kind === 'reply' && current === 'new') return 'open';
  return undefined;
}

/** A ticket's conversation: customer messages, public replies, internal notes. */
export class ConversationService {
  constructor(
    private readonly models: Models,
    private readonly events: EventLog,
    private readonly tickets: TicketService,
  ) {}

  /**
   * Entries the caller may see, oldest first (customers never get internal notes). Ordered
   * by creation time, not by `_id`: ids made by different processes (API and hub nodes) in
   * the same second sort by their process part, not by when they were made. `after` pages
   * on from an entry, by its creation time and then its id.
   */
  async list(ctx: Ctx, ticketId: Types.ObjectId, options: { limit?: number; after?: Types.ObjectId } = {}): Promise<EntryDto[]> {
    await this.tickets.requireVisible(ctx, ticketId);
    const filter: Record<string, unknown> = { tenantId: ctx.tenantId, ticketId, kind: { $in: visibleEntryKinds(ctx.actor) } };
    if (options.after) {
      const from = await this.models.Entry.findOne({ tenantId: ctx.tenantId, ticketId, _id: options.after }, { createdAt: 1 }).lean<
        Pick<Entry, '_id' | 'createdAt'>
      >();
      if (from) filter.$or = [{ createdAt: { $gt: from.createdAt } }, { createdAt: from.createdAt, _id: { $gt: options.after } }];
      else filter._id = { $gt: options.after };
    }
    const rows = await this.models.Entry.find(filter)
      .sort({ createdAt: 1, _id: 1 })
      .limit(Math.min(options.limit ?? 200, 500))
      .lean<Entry[]>();
    return rows.map(toEntryDto);
  }

  /**
   * Adds a message, reply or note. Idempotent by `clientKey`: a retry returns the entry
   * already stored and appends no event — unless the first attempt stored the entry and then
   * failed before its event reached the log (the database went away; its caller was told it
   * failed), in which case the retry appends it, so whatever a 2xx acknowledges is in the log
   * exactly once. Replies honour the stale-reply guard.
   */
  async add(
    ctx: Ctx,
    ticketId: Types.ObjectId,
    input: EntryCreate,
    extras: { attachments?: AttachmentMeta[]; channel?: string; entryId?: Types.ObjectId } = {},
  ): Promise<{ entry: EntryDto; events: DomainEvent[]; duplicate: boolean }> {
    assertCanAddEntry(ctx.actor, input.kind);
    const ticket = await this.tickets.requireVisible(ctx, ticketId);
    if (input.clientKey) {
      const existing = await this.models.Entry.findOne({ tenantId: ctx.tenantId, ticketId, clientKey: input.clientKey }).lean<Entry>();
      if (existing) return { entry: toEntryDto(existing), events: await this.afterEntry(ctx, ticket, existing, true), duplicate: true };
    }
    if (ticket.status === 'closed')
      throw new AppError('invalid_transition', `Ticket #${ticket.number} is closed; open a new ticket to follow up.`);
    if (input.kind === 'reply' && input.basedOnVersion !== undefined && input.basedOnVersion < ticket.version && !input.force) {
      const changes = await this.tickets.changesSince(ctx, ticketId, input.basedOnVersion);
      if (changes.length > 0)
        throw new AppError('conflict', 'The ticket changed since you started this reply.', { currentVersion: ticket.version, changes });
    }
    const mentions = input.kind === 'note' ? await this.checkMentions(ctx, input.mentions ?? []) : [];
    const bodyHtml = sanitizeRichText(input.body, input.format);
    const bodyText = htmlToText(bodyHtml);
    if (!bodyText && (extras.attachments ?? []).length === 0)
      throw new AppError('validation_failed', 'The message is empty.', [{ path: '/body', message: 'empty after sanitising' }]);
    const me = actorUserId(ctx.actor);
    let entry: Entry;
    try {
      const [doc] = await this.models.Entry.create([
        {
          // A caller that must link files before the entry is announced picks its id.
          ...(extras.entryId ? { _id: extras.entryId } : {}),
          tenantId: ctx.tenantId,
          ticketId,
          kind: input.kind,
          authorId: me ?? null,
          authorName: ctx.actor.name,
          bodyHtml,
          bodyText,
          mentions,
          attachments: extras.attachments ?? [],
          channel: extras.channel ?? null,
          ...(input.clientKey ? { clientKey: input.clientKey } : {}),
        },
      ]);
      entry = doc!.toObject<Entry>();
    } catch (error) {
      if ((error as { code?: number }).code === 11000 && input.clientKey) {
        const existing = await this.models.Entry.findOne({ tenantId: ctx.tenantId, ticketId, clientKey: input.clientKey }).lean<Entry>();
        if (existing) return { entry: toEntryDto(existing), events: await this.afterEntry(ctx, ticket, existing, true), duplicate: true };
      }
      throw error;
    }
    const events = await this.afterEntry(ctx, ticket, entry);
    return { entry: toEntryDto(entry), events, duplicate: false };
  }

  /**
   * Bumps the ticket's counters and timestamps as its only writer and appends the events.
   * `retry`: the entry was stored by an earlier attempt; do nothing when its event is
   * already in the log (checked under the ticket's lease, which that attempt held to append).
   */
  private async afterEntry(ctx: Ctx, ticket: Ticket, entry: Entry, retry = false): Promise<DomainEvent[]> {
    const now = entry.createdAt;
    const set: Record<string, unknown> = {};
    if (entry.kind === 'message') set.lastCustomerMessageAt = now;
    if (entry.kind === 'reply') set.lastAgentReplyAt = now;
    const { before, events } = await this.tickets.exclusive(ctx, ticket._id, async () => {
      if (retry) {
        const logged = await this.models.Event.exists({
          tenantId: ctx.tenantId,
          ticketId: ticket._id,
          type: 'entry.added',
          'data.entry.id': entry._id.toHexString(),
        });
        if (logged) return { before: null, events: [] as DomainEvent[] };
      }
      const before = await this.models.Ticket.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: ticket._id },
        { $set: set, $inc: { entryCount: 1, version: 1 }, $currentDate: { updatedAt: true } },
        { returnDocument: 'before', timestamps: false },
      ).lean<Ticket>();
      if (entry.kind === 'reply' && before && !before.firstResponseAt) {
        await this.models.Ticket.updateOne({ tenantId: ctx.tenantId, _id: ticket._id }, { $set: { firstResponseAt: now } });
      }
      const newEvents: NewEvent[] = [
        {
          type: 'entry.added',
          ticketId: ticket._id,
          audience: entry.kind === 'note' ? 'staff' : 'public',
          data: { entry: toEntryDto(entry), ticketVersion: (before?.version ?? ticket.version) + 1 },
        },
      ];
      return { before, events: await this.events.append(ctx, newEvents) };
    });
    const next = before ? statusAfter(entry.kind, before.status) : undefined;
    if (next) {
      const system = { ...ctx, actor: isStaff(ctx.actor) ? ctx.actor : ({ kind: 'system', name: 'Switchboard' } as const) };
      const moved =
        next === 'open' && before?.status === 'new'
          ? await this.tickets.openIfNew(ctx, ticket._id)
          : await this.reopen(system, ticket._id, before!.status, next);
      if (moved) events.push(...moved.events);
    }
    return events;
  }

  /** A customer's message reopens pending, on-hold or solved tickets (conditional, as the ticket's only writer). */
  private async reopen(ctx: Ctx, id: Types.ObjectId, from: TicketStatus, to: TicketStatus): Promise<{ events: DomainEvent[] } | null> {
    return this.tickets.exclusive(ctx, id, async () => {
      const before = await this.models.Ticket.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id, status: from },
        { $set: { status: to, solvedAt: null }, $inc: { version: 1 }, $currentDate: { updatedAt: true } },
        { returnDocument: 'before', timestamps: false },
      ).lean<Ticket>();
      if (!before) return null;
      const events = await this.events.append(ctx, [
        {
          type: 'ticket.status_changed',
          ticketId: id,
          audience: 'public',
          data: { from, to, version: before.version + 1, reason: 'customer_replied' },
        },
      ]);
      return { events };
    });
  }

  private async checkMentions(ctx: Ctx, ids: string[]): Promise<Types.ObjectId[]> {
    const unique = [...new Set(ids)].map(oid);
    if (unique.length === 0) return [];
    const found = await this.models.User.countDocuments({ tenantId: ctx.tenantId, _id: { $in: unique }, role: { $ne: 'customer' } });
    if (found !== unique.length)
      throw new AppError('validation_failed', 'Mentions must be staff of this helpdesk.', [
        { path: '/mentions', message: 'unknown or not staff' },
      ]);
    return unique;
  }
}
