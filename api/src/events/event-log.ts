import { setTimeout as sleep } from 'node:timers/promises';
import type { Model, Types } from 'mongoose';
import { reserve, type Counter } from '../db/counter.model.ts';
import type { Ctx } from '../context.ts';
import type { Audience, DomainEvent, EventType } from './event-types.ts';
import type { StoredEvent } from './event.model.ts';
import type { EventPublisher } from './publisher.ts';

/** An event a service wants to append. */
export interface NewEvent {
  type: EventType;
  ticketId?: Types.ObjectId | null;
  audience: Audience;
  data: Record<string, unknown>;
}

/** Options of a read. */
export interface ReadOptions {
  limit?: number;
  /** Only events of this ticket. */
  ticketId?: Types.ObjectId;
  /** Only events this audience may see (`public` excludes staff-only events). */
  audience?: Audience;
}

/** A page of events and the cursor to continue from. */
export interface EventPage {
  events: DomainEvent[];
  /** Pass as `after` next time. Never beyond a sequence number that could still appear. */
  cursor: number;
  /** True when more events may be readable right away. */
  more: boolean;
}

const MAX_PAGE = 500;
/** How long a read waits for identical reads to share it (see {@link EventLog.readAfter}). */
export const READ_GATHER_MS = 5;

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

/** Wire form of a stored event. */
export function toWire(event: StoredEvent): DomainEvent {
  return {
    seq: event.seq,
    type: event.type,
    ticketId: event.ticketId ? event.ticketId.toHexString() : null,
    audience: event.audience,
    actor: { id: event.actor.id ? event.actor.id.toHexString() : null, name: event.actor.name, kind: event.actor.kind },
    data: event.data,
    at: event.at.toISOString(),
  };
}

/**
 * The per-tenant event log: every change appends events with a strictly increasing `seq`.
 *
 * The trap: writers reserve `seq` from a counter and insert afterwards, so seq N+1 can be
 * readable before N. Readers therefore never move a cursor past a hole: they return only
 * the contiguous run after `after`. A hole older than `gapTimeoutMs` means its writer died
 * between reserving and inserting; the reader fills it with a `log.gap_filled` tombstone.
 * The unique (tenantId, seq) index arbitrates: if the slow writer arrives later its insert
 * fails as a duplicate and it re-reserves a fresh seq, so no event is ever lost or
 * delivered twice, and a crash can stall readers for at most `gapTimeoutMs`.
 */
export class EventLog {
  /** Holes this instance saw filled (tells a read that it must look again). */
  private filled = 0;
  /** Reads waiting to start, by their arguments: identical reads arriving meanwhile share them. */
  private readonly gathering = new Map<string, Promise<EventPage>>();

  constructor(
    private readonly events: Model<StoredEvent>,
    private readonly counters: Model<Counter>,
    private readonly publisher: EventPublisher,
    private readonly gapTimeoutMs = 10_000,
  ) {}

  /** Appends events in order, then publishes them. Returns them in wire form. */
  async append(ctx: Ctx, newEvents: NewEvent[]): Promise<DomainEvent[]> {
    const actor =
      ctx.actor.kind === 'user'
        ? { id: ctx.actor.userId, name: ctx.actor.name, kind: 'user' as const }
        : { id: null, name: ctx.actor.name, kind: 'system' as const };
    const stored: StoredEvent[] = [];
    let pending = newEvents;
    while (pending.length > 0) {
      const first = await reserve(this.counters, ctx.tenantId, 'event', pending.length);
      // Before anything is stored: should this process die between storing and publishing,
      // the journal still knows these seqs are owed their jobs.
      await this.publisher.intend(
        ctx.tenantId,
        pending.map((_, index) => first + index),
      );
      const at = new Date();
      let inserted = 0;
      try {
        for (const [index, event] of pending.entries()) {
          const doc: StoredEvent = {
            tenantId: ctx.tenantId,
            seq: first + index,
            type: event.type,
            ticketId: event.ticketId ?? null,
            audience: event.audience,
            actor,
            data: event.data,
            at,
          };
          await this.events.create(doc);
          stored.push(doc);
          inserted++;
        }
        pending = [];
      } catch (error) {
        // A reader tombstoned our slot because we were too slow: take fresh numbers for the rest.
        if (!isDuplicateKey(error)) throw error;
        pending = pending.slice(inserted);
      }
    }
    const wire = stored.map(toWire);
    await this.publisher.publish(ctx.tenantId, wire);
    return wire;
  }

  /** The highest seq reserved so far (may include events still being written). */
  async head(tenantId: Types.ObjectId): Promise<number> {
    const counter = await this.counters.findOne({ tenantId, name: 'event' }).lean();
    return counter?.value ?? 0;
  }

  /** Reads events after `after`, never skipping a seq that may still appear. */
  async readAfter(tenantId: Types.ObjectId, after: number, options: ReadOptions = {}): Promise<EventPage> {
    // One event reaching a tenant's staff sockets out of order makes every one of them ask
    // for the same page at the same moment; under load that storm multiplied database reads
    // by the number of agents online. Identical reads arriving within a few milliseconds
    // share one, which starts only after the last of them arrived, so nobody gets a page
    // older than their request.
    const key = `${tenantId.toHexString()}:${after}:${options.limit ?? ''}:${options.ticketId?.toHexString() ?? ''}:${options.audience ?? ''}`;
    const waiting = this.gathering.get(key);
    if (waiting) return waiting;
    const read = (async () => {
      await sleep(READ_GATHER_MS);
      this.gathering.delete(key);
      return this.readFresh(tenantId, after, options);
    })();
    this.gathering.set(key, read);
    return read;
  }

  private async readFresh(tenantId: Types.ObjectId, after: number, options: ReadOptions): Promise<EventPage> {
    // When dead holes were just filled, read again so the fillers are part of the page.
    for (let attempt = 0; attempt < 3; attempt++) {
      const page = await this.readOnce(tenantId, after, options);
      if (page !== 'refilled') return page;
    }
    return { events: [], cursor: after, more: true };
  }

  private async readOnce(tenantId: Types.ObjectId, after: number, options: ReadOptions): Promise<EventPage | 'refilled'> {
    const limit = Math.min(Math.max(options.limit ?? 200, 1), MAX_PAGE);
    const filter: Record<string, unknown> = { tenantId, seq: { $gt: after } };
    if (options.ticketId) filter.ticketId = options.ticketId;
    if (options.audience === 'public') filter.audience = 'public';
    const candidates = await this.events.find(filter).sort({ seq: 1 }).limit(limit).lean<StoredEvent[]>();
    if (candidates.length === 0) return { events: [], cursor: await this.safeCursor(tenantId, after), more: false };

    const last = candidates[candidates.length - 1]!.seq;
    const filledBefore = this.filled;
    const hole = await this.firstHole(tenantId, after, last);
    if (this.filled !== filledBefore) return 'refilled';
    const readable = hole === undefined ? candidates : candidates.filter((e) => e.seq < hole);
    const cursor = hole === undefined ? last : hole - 1;
    return { events: readable.map(toWire), cursor, more: hole === undefined && candidates.length === limit };
  }

  /**
   * For filtered reads with nothing to return: how far the cursor may safely move (to the
   * end of the contiguous log), so that a customer's cursor still never jumps a hole.
   */
  private async safeCursor(tenantId: Types.ObjectId, after: number): Promise<number> {
    const head = await this.head(tenantId);
    if (head <= after) return after;
    const hole = await this.firstHole(tenantId, after, head);
    return hole === undefined ? head : hole - 1;
  }

  /** The first missing seq in (after, upTo], after filling holes that are clearly dead. */
  private async firstHole(tenantId: Types.ObjectId, after: number, upTo: number): Promise<number | undefined> {
    const present = await this.events.countDocuments({ tenantId, seq: { $gt: after, $lte: upTo } });
    if (present === upTo - after) return undefined;
    const rows = await this.events
      .find({ tenantId, seq: { $gt: after, $lte: upTo } }, { seq: 1, at: 1 })
      .sort({ seq: 1 })
      .lean<Array<Pick<StoredEvent, 'seq' | 'at'>>>();
    let expected = after + 1;
    for (const row of rows) {
      if (row.seq !== expected) {
        // Everything in [expected, row.seq) is missing; row was reserved after them.
        if (Date.now() - row.at.getTime() < this.gapTimeoutMs) return expected;
        await this.fillHoles(tenantId, expected, row.seq - 1);
        return this.firstHole(tenantId, expected - 1, upTo);
      }
      expected++;
    }
    // Missing seqs at the end of the range (reserved, not yet written): wait for them.
    return expected <= upTo ? expected : undefined;
  }

  private async fillHoles(tenantId: Types.ObjectId, from: number, to: number): Promise<void> {
    for (let seq = from; seq <= to; seq++) {
      try {
        await this.events.create({
          tenantId,
          seq,
          type: 'log.gap_filled',
          ticketId: null,
          audience: 'staff',
          actor: { id: null, name: 'event log', kind: 'system' },
          data: { reason: 'writer did not complete within the gap timeout' },
          at: new Date(),
        });
      } catch (error) {
        // Someone filled it first: the late writer or another reader. Either way, re-read.
        if (!isDuplicateKey(error)) throw error;
      }
      this.filled++;
    }
  }
}
