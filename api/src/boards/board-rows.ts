import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Types } from 'mongoose';
import type { Models } from '../db/models.ts';
import type { DomainEvent } from '../events/event-types.ts';
import type { EventListener } from '../events/publisher.ts';
import { hex } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { SlaMetric } from '../sla/sla-clock.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketDto } from '../tickets/ticket.schema.ts';
import { ACTIVE_STATUSES, type TicketPriority, type TicketStatus } from '../tickets/ticket-status.ts';

/**
 * One ticket as wall boards see it. Short keys: a tenant's open tickets (and those done in
 * the last day and a half) live as one Redis hash of these, so a board's figures are one
 * read and a pass in memory instead of a scan of the tickets collection.
 */
export interface BoardRow {
  /** Ticket version this row reflects. */
  v: number;
  n: number;
  s: TicketStatus;
  p: TicketPriority;
  tm: string | null;
  a: string | null;
  sj: string;
  /** Created, first response, solved, done (solved or closed): epoch ms. */
  c: number;
  fr: number | null;
  so: number | null;
  dn: number | null;
  sl: 'ok' | 'warning' | 'breached' | 'paused' | null;
  /** Nearest due instant of an open SLA metric, and which metric. */
  due: number | null;
  dm: SlaMetric | null;
  br: number | null;
}

/** Changes an event makes to a row: a whole row (creation) or fields at a ticket version. `fr?` sets only when empty. */
export type RowChange = { version: number; full: BoardRow } | { version: number; patch: Partial<Record<keyof BoardRow | 'fr?', unknown>> };

const ms = (value: string | null | undefined) => (value ? Date.parse(value) : null);

/** The nearest due instant among a ticket's SLA due fields. */
function nearest(sla: { firstResponseDueAt: string | null; nextResponseDueAt: string | null; resolutionDueAt: string | null }): {
  due: number | null;
  dm: SlaMetric | null;
} {
  let best: { due: number | null; dm: SlaMetric | null } = { due: null, dm: null };
  for (const [metric, at] of [
    ['firstResponse', sla.firstResponseDueAt],
    ['nextResponse', sla.nextResponseDueAt],
    ['resolution', sla.resolutionDueAt],
  ] as const) {
    const value = ms(at);
    if (value !== null && (best.due === null || value < best.due)) best = { due: value, dm: metric };
  }
  return best;
}

/** A row from a ticket document (rebuilds and repairs). */
export function rowFromTicket(
  ticket: Pick<
    Ticket,
    | 'version'
    | 'number'
    | 'status'
    | 'priority'
    | 'teamId'
    | 'assigneeId'
    | 'subject'
    | 'createdAt'
    | 'firstResponseAt'
    | 'solvedAt'
    | 'closedAt'
    | 'sla'
    | 'updatedAt'
  >,
): BoardRow {
  const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
  const { due, dm } = nearest({
    firstResponseDueAt: iso(ticket.sla?.firstResponseDueAt),
    nextResponseDueAt: iso(ticket.sla?.nextResponseDueAt),
    resolutionDueAt: iso(ticket.sla?.resolutionDueAt),
  });
  const done = ticket.status === 'solved' || ticket.status === 'closed';
  return {
    v: ticket.version,
    n: ticket.number,
    s: ticket.status,
    p: ticket.priority,
    tm: hex(ticket.teamId),
    a: hex(ticket.assigneeId),
    sj: ticket.subject,
    c: ticket.createdAt.getTime(),
    fr: ticket.firstResponseAt ? ticket.firstResponseAt.getTime() : null,
    so: ticket.solvedAt ? ticket.solvedAt.getTime() : null,
    dn: done ? (ticket.closedAt ?? ticket.solvedAt ?? ticket.updatedAt).getTime() : null,
    sl: ticket.sla?.state ?? null,
    due,
    dm,
    br: ticket.sla?.breachedAt ? ticket.sla.breachedAt.getTime() : null,
  };
}

/** A row from the ticket carried by `ticket.created`. */
export function rowFromDto(ticket: TicketDto): BoardRow {
  const done = ticket.status === 'solved' || ticket.status === 'closed';
  return {
    v: ticket.version,
    n: ticket.number,
    s: ticket.status,
    p: ticket.priority,
    tm: ticket.teamId,
    a: ticket.assigneeId,
    sj: ticket.subject,
    c: Date.parse(ticket.createdAt),
    fr: ms(ticket.firstResponseAt),
    so: ms(ticket.solvedAt),
    dn: done ? Date.parse(ticket.updatedAt) : null,
    sl: ticket.sla.state as BoardRow['sl'],
    ...nearest(ticket.sla),
    br: ms(ticket.sla.breachedAt),
  };
}

/**
 * What an event changes on a board row, derived from the event alone (no database read).
 * Null for events that do not touch what boards show or carry no ticket version.
 */
export function rowChange(event: DomainEvent): RowChange | null {
  const data = event.data;
  const version = (key: 'version' | 'ticketVersion') => (typeof data[key] === 'number' ? (data[key] as number) : null);
  const at = Date.parse(event.at);
  switch (event.type) {
    case 'ticket.created': {
      const ticket = data.ticket as TicketDto | undefined;
      return ticket ? { version: ticket.version, full: rowFromDto(ticket) } : null;
    }
    case 'ticket.status_changed': {
      const v = version('version');
      if (v === null) return null;
      const to = data.to as TicketStatus;
      if (to === 'solved') return { version: v, patch: { s: to, so: at, dn: at } };
      if (to === 'closed') return { version: v, patch: { s: to, dn: at } };
      return { version: v, patch: { s: to, so: null, dn: null } };
    }
    case 'ticket.merged': {
      const v = version('version');
      return v === null ? null : { version: v, patch: { s: 'closed', dn: at } };
    }
    case 'ticket.assigned': {
      const v = version('version');
      const to = data.to as { assigneeId: string | null; teamId: string | null } | undefined;
      return v === null || !to ? null : { version: v, patch: { tm: to.teamId, a: to.assigneeId } };
    }
    case 'ticket.updated': {
      const v = version('version');
      if (v === null) return null;
      const changes = (data.changes ?? {}) as Record<string, { to: unknown }>;
      const patch: Partial<Record<keyof BoardRow, unknown>> = {};
      if (changes.subject) patch.sj = changes.subject.to;
      if (changes.priority) patch.p = changes.priority.to;
      return { version: v, patch };
    }
    case 'ticket.categorized': {
      const v = version('version');
      if (v === null) return null;
      return { version: v, patch: typeof data.teamId === 'string' ? { tm: data.teamId } : {} };
    }
    case 'entry.added': {
      const v = version('ticketVersion');
      if (v === null) return null;
      const entry = data.entry as { kind?: string; createdAt?: string } | undefined;
      return { version: v, patch: entry?.kind === 'reply' ? { 'fr?': ms(entry.createdAt) ?? at } : {} };
    }
    case 'ticket.sla_updated': {
      const v = version('version');
      const sla = data.sla as
        | {
            state: BoardRow['sl'];
            firstResponseDueAt: string | null;
            nextResponseDueAt: string | null;
            resolutionDueAt: string | null;
            breachedAt: string | null;
          }
        | undefined;
      return v === null || !sla ? null : { version: v, patch: { sl: sla.state, ...nearest(sla), br: ms(sla.breachedAt) } };
    }
    default:
      return null;
  }
}

// Applies a change under a version guard: a whole row wins when newer; a patch applies only
// on top of the version right before it (older or repeated: ignored; missing or a gap: -1,
// the caller rebuilds that row from the ticket). Every write bumps the hash's change counter
// (KEYS[2]) and records the row under it (KEYS[3]), so readers fetch only what changed; the
// record keeps the latest 50,000 rows changed (a reader further behind reads the whole hash).
const APPLY = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local version = tonumber(ARGV[2])
local function changed()
  local counter = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[3], counter, ARGV[1])
  if counter % 1000 == 0 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -50001) end
end
if ARGV[3] == 'full' then
  if current then
    local row = cjson.decode(current)
    if row.v >= version then return 0 end
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  changed()
  return 1
end
if not current then return -1 end
local row = cjson.decode(current)
if row.v >= version then return 0 end
if row.v + 1 < version then return -1 end
for key, value in pairs(cjson.decode(ARGV[4])) do
  if string.sub(key, -1) == '?' then
    local name = string.sub(key, 1, -2)
    if row[name] == nil or row[name] == cjson.null then row[name] = value end
  else
    row[key] = value
  end
end
row.v = version
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
changed()
return 1
`;
const APPLY_SHA = createHash('sha1').update(APPLY).digest('hex');

// Removes rows and records the removals like any other change.
const REMOVE = `
for i = 1, #ARGV do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    local counter = redis.call('INCR', KEYS[2])
    redis.call('ZADD', KEYS[3], counter, ARGV[i])
  end
end
return 1
`;

/** Rows of done tickets stay this long (today's figures need tickets solved since local midnight). */
const DONE_KEEP_MS = 36 * 3_600_000;
/** A built hash is rebuilt in the background after this long, repairing any drift. */
const FRESH_SECONDS = 6 * 3600;

const keys = {
  rows: (tenant: string) => `sb:bd:${tenant}:rows`,
  ready: (tenant: string) => `sb:bd:${tenant}:ready`,
  fresh: (tenant: string) => `sb:bd:${tenant}:fresh`,
  building: (tenant: string) => `sb:bd:${tenant}:building`,
  dirty: (tenant: string) => `sb:bd:${tenant}:dirty`,
  counter: (tenant: string) => `sb:bd:${tenant}:counter`,
  changed: (tenant: string) => `sb:bd:${tenant}:changed`,
};

/** A process's copy of a tenant's rows, as of change `counter`. */
interface RowCache {
  counter: number;
  rows: Map<string, BoardRow>;
}

const ROW_FIELDS = {
  version: 1,
  number: 1,
  status: 1,
  priority: 1,
  teamId: 1,
  assigneeId: 1,
  subject: 1,
  createdAt: 1,
  firstResponseAt: 1,
  solvedAt: 1,
  closedAt: 1,
  sla: 1,
  updatedAt: 1,
};

/**
 * The boards' read model: one Redis hash of {@link BoardRow}s per tenant, kept current from
 * domain events in whatever process appends them (the listener runs inside the writer's
 * ticket lease, so one ticket's changes arrive in order), built from MongoDB once and
 * rebuilt in the background every few hours. A missed event shows up as a version gap on
 * the ticket's next event, and that row is read again from its ticket.
 */
export class BoardRows {
  constructor(
    private readonly redis: Redis,
    private readonly models: Models,
    private readonly logger: Logger,
  ) {}

  /** The publisher listener that keeps rows current. */
  listener(): EventListener {
    return async (batch) => {
      for (const event of batch.events) {
        if (!event.ticketId) continue;
        const change = rowChange(event);
        if (change) await this.apply(batch.tenantId, event.ticketId, change);
      }
    };
  }

  private readonly cache = new Map<string, RowCache>();

  private async eval(tenant: string, args: Array<string | number>): Promise<number> {
    const all = [keys.rows(tenant), keys.counter(tenant), keys.changed(tenant), ...args];
    try {
      return (await this.redis.evalsha(APPLY_SHA, 3, ...all)) as number;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return (await this.redis.eval(APPLY, 3, ...all)) as number;
    }
  }

  /** Applies one change; a row that is missing or behind is read again from its ticket. */
  async apply(tenantId: string, ticketId: string, change: RowChange): Promise<void> {
    const result =
      'full' in change
        ? await this.eval(tenantId, [ticketId, change.version, 'full', JSON.stringify(change.full)])
        : await this.eval(tenantId, [ticketId, change.version, 'patch', JSON.stringify(change.patch)]);
    if (result !== -1) return;
    // While the hash is first built, the builder reads these again when it is done.
    if (await this.redis.exists(keys.ready(tenantId))) await this.repair(tenantId, ticketId);
    else await this.redis.sadd(keys.dirty(tenantId), ticketId);
  }

  /** Reads one ticket again and writes its row (or removes it when the ticket is gone). */
  async repair(tenantId: string, ticketId: string): Promise<void> {
    const ticket = await this.models.Ticket.findOne({ tenantId, _id: ticketId }, ROW_FIELDS).lean<Ticket>();
    if (!ticket) {
      await this.remove(tenantId, [ticketId]);
      return;
    }
    const row = rowFromTicket(ticket);
    await this.eval(tenantId, [ticketId, row.v, 'full', JSON.stringify(row)]);
  }

  private async remove(tenant: string, ids: string[]): Promise<void> {
    await this.redis.eval(REMOVE, 3, keys.rows(tenant), keys.counter(tenant), keys.changed(tenant), ...ids);
  }

  /**
   * Every row of a tenant, built first when needed. This process keeps a copy and reads
   * only the rows changed since its last read (the whole hash when it fell too far behind
   * or Redis lost the hash); rows of tickets done long ago are pruned on the way.
   */
  async rows(tenantId: Types.ObjectId, now = Date.now()): Promise<{ counter: number; rows: ReadonlyMap<string, BoardRow> }> {
    const tenant = tenantId.toHexString();
    // One round trip for the common case: built, fresh, and where the change record stands.
    const state = async () => {
      const replies = (await this.redis
        .multi()
        .exists(keys.ready(tenant))
        .exists(keys.fresh(tenant))
        .get(keys.counter(tenant))
        .zrange(keys.changed(tenant), 0, 0, 'WITHSCORES')
        .exec())!.map(([, value]) => value);
      return {
        built: replies[0] === 1 && replies[1] === 1,
        counter: Number(replies[2] ?? 0),
        oldest: Number((replies[3] as string[])[1] ?? 0),
      };
    };
    let current = await state();
    if (!current.built) {
      await this.ensureBuilt(tenantId);
      current = await state();
    }
    const { counter, oldest } = current;
    let cache = this.cache.get(tenant);
    if (!cache || counter < cache.counter || oldest > cache.counter + 1) {
      const raw = await this.redis.hgetall(keys.rows(tenant));
      cache = { counter, rows: new Map(Object.entries(raw).map(([id, json]) => [id, JSON.parse(json) as BoardRow])) };
      this.cache.set(tenant, cache);
    } else if (counter > cache.counter) {
      const ids = await this.redis.zrangebyscore(keys.changed(tenant), `(${cache.counter}`, '+inf');
      const values = ids.length > 0 ? await this.redis.hmget(keys.rows(tenant), ...ids) : [];
      ids.forEach((id, index) => {
        const json = values[index];
        if (json) cache!.rows.set(id, JSON.parse(json) as BoardRow);
        else cache!.rows.delete(id);
      });
      cache.counter = counter;
    }
    const stale = [...cache.rows].filter(([, row]) => row.dn !== null && row.dn < now - DONE_KEEP_MS).map(([id]) => id);
    if (stale.length > 0) {
      for (const id of stale) cache.rows.delete(id);
      await this.remove(tenant, stale);
    }
    return { counter, rows: cache.rows };
  }

  /**
   * Builds the hash when it was never built (waiting for it), or rebuilds it in the
   * background when it is older than a few hours. One process builds; others wait.
   */
  async ensureBuilt(tenantId: Types.ObjectId): Promise<void> {
    const tenant = tenantId.toHexString();
    const [ready, fresh] = await Promise.all([this.redis.exists(keys.ready(tenant)), this.redis.exists(keys.fresh(tenant))]);
    if (ready && fresh) return;
    if (ready) {
      this.build(tenantId).catch((error: unknown) => this.logger.warn({ err: error, tenantId: tenant }, 'board rows rebuild failed'));
      return;
    }
    const deadline = Date.now() + 60_000;
    while (!(await this.build(tenantId))) {
      if (await this.redis.exists(keys.ready(tenant))) return;
      if (Date.now() > deadline) throw new Error(`board rows of tenant ${tenant} were not built within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Builds the rows from MongoDB under a Redis lock; false when another process holds it. */
  private async build(tenantId: Types.ObjectId): Promise<boolean> {
    const tenant = tenantId.toHexString();
    if ((await this.redis.set(keys.building(tenant), '1', 'PX', 120_000, 'NX')) !== 'OK') return false;
    try {
      const since = new Date(Date.now() - DONE_KEEP_MS);
      const tickets = await this.models.Ticket.find(
        { tenantId, $or: [{ status: { $in: ACTIVE_STATUSES } }, { updatedAt: { $gte: since } }] },
        ROW_FIELDS,
      ).lean<Ticket[]>();
      const pipeline = this.redis.pipeline();
      for (const ticket of tickets) {
        const row = rowFromTicket(ticket);
        pipeline.evalsha(
          APPLY_SHA,
          3,
          keys.rows(tenant),
          keys.counter(tenant),
          keys.changed(tenant),
          ticket._id.toHexString(),
          row.v,
          'full',
          JSON.stringify(row),
        );
      }
      await this.redis.script('LOAD', APPLY);
      await pipeline.exec();
      for (const ticketId of await this.redis.smembers(keys.dirty(tenant))) await this.repair(tenant, ticketId);
      await this.redis.del(keys.dirty(tenant));
      await this.redis.multi().set(keys.ready(tenant), String(Date.now())).set(keys.fresh(tenant), '1', 'EX', FRESH_SECONDS).exec();
      return true;
    } finally {
      await this.redis.del(keys.building(tenant));
    }
  }
}
