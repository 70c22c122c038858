import type { Redis } from 'ioredis';
import type { PresenceUser } from './protocol.ts';

/** Timing of presence entries. */
export interface PresenceTiming {
  /** An entry not refreshed for this long is gone (a crashed node's sockets vanish after it). */
  ttlMs: number;
  /** How often each node refreshes the entries of its live sockets. */
  heartbeatMs: number;
  /** A typing signal lasts this long unless renewed. */
  typingTtlMs: number;
}

/** Defaults: a crashed node's sockets disappear within ttl + heartbeat = 25 s. */
export const DEFAULT_TIMING: PresenceTiming = { ttlMs: 20_000, heartbeatMs: 5_000, typingTtlMs: 8_000 };

/** A socket's presence identity. */
export interface PresenceMember {
  tenantId: string;
  userId: string;
  socketId: string;
  name: string;
}

const k = {
  agents: (t: string) => `sb:pr:${t}:agents`,
  status: (t: string) => `sb:pr:${t}:status`,
  names: (t: string) => `sb:pr:${t}:names`,
  viewers: (t: string, ticket: string) => `sb:pr:${t}:tk:${ticket}`,
  replying: (t: string, ticket: string) => `sb:pr:${t}:rp:${ticket}`,
};

const member = (m: PresenceMember) => `${m.userId}:${m.socketId}`;
const userOf = (value: string) => value.slice(0, value.indexOf(':'));

/**
 * Presence kept in Redis so every hub node agrees: sorted sets whose scores are expiry
 * times, one member per socket (two tabs = two members, one person). Entries are
 * refreshed by the server on a timer for every open socket — an idle viewer whose tab is
 * open stays listed — and expire on their own when a node dies.
 */
export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    readonly timing: PresenceTiming = DEFAULT_TIMING,
  ) {}

  private expiry(ttl = this.timing.ttlMs): number {
    return Date.now() + ttl;
  }

  /** Marks an agent socket online with a status. */
  async agentOnline(m: PresenceMember, status: 'online' | 'away'): Promise<void> {
    await this.redis
      .multi()
      .zadd(k.agents(m.tenantId), this.expiry(), member(m))
      .hset(k.status(m.tenantId), m.userId, status)
      .hset(k.names(m.tenantId), m.userId, m.name)
      .exec();
  }

  /** Removes an agent socket (the person stays online while another socket of theirs lives). */
  async agentOffline(m: PresenceMember): Promise<void> {
    await this.redis.zrem(k.agents(m.tenantId), member(m));
  }

  /** Agents with at least one live socket, with their chosen status. */
  async agents(tenantId: string): Promise<Array<PresenceUser & { status: 'online' | 'away' }>> {
    const live = await this.redis.zrangebyscore(k.agents(tenantId), Date.now(), '+inf');
    const ids = [...new Set(live.map(userOf))];
    if (ids.length === 0) return [];
    const [statuses, names] = await Promise.all([
      this.redis.hmget(k.status(tenantId), ...ids),
      this.redis.hmget(k.names(tenantId), ...ids),
    ]);
    return ids
      .map((id, i) => ({ id, name: names[i] ?? 'Unknown', status: (statuses[i] === 'away' ? 'away' : 'online') as 'online' | 'away' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Adds a socket as a viewer of a ticket. */
  async view(m: PresenceMember, ticketId: string): Promise<void> {
    await this.redis
      .multi()
      .zadd(k.viewers(m.tenantId, ticketId), this.expiry(), member(m))
      .hset(k.names(m.tenantId), m.userId, m.name)
      .exec();
  }

  /** Removes a socket from a ticket's viewers and from its replying set. */
  async unview(m: PresenceMember, ticketId: string): Promise<void> {
    await this.redis.multi().zrem(k.viewers(m.tenantId, ticketId), member(m)).zrem(k.replying(m.tenantId, ticketId), member(m)).exec();
  }

  private async people(tenantId: string, key: string): Promise<PresenceUser[]> {
    const live = await this.redis.zrangebyscore(key, Date.now(), '+inf');
    const ids = [...new Set(live.map(userOf))];
    if (ids.length === 0) return [];
    const names = await this.redis.hmget(k.names(tenantId), ...ids);
    return ids.map((id, i) => ({ id, name: names[i] ?? 'Unknown' })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Distinct people viewing a ticket now. */
  viewers(tenantId: string, ticketId: string): Promise<PresenceUser[]> {
    return this.people(tenantId, k.viewers(tenantId, ticketId));
  }

  /** Distinct people replying (public reply typing) in a ticket now. */
  replying(tenantId: string, ticketId: string): Promise<PresenceUser[]> {
    return this.people(tenantId, k.replying(tenantId, ticketId));
  }

  /** Records reply typing on/off; returns who else is replying (the collision). */
  async setReplying(m: PresenceMember, ticketId: string, active: boolean): Promise<PresenceUser[]> {
    const key = k.replying(m.tenantId, ticketId);
    if (active) await this.redis.zadd(key, this.expiry(this.timing.typingTtlMs), member(m));
    else await this.redis.zrem(key, member(m));
    return (await this.replying(m.tenantId, ticketId)).filter((p) => p.id !== m.userId);
  }

  /**
   * Refreshes the entries of this node's live sockets (one pipeline) and prunes expired
   * entries of the tickets and tenants they touch. Returns the tickets and tenants whose
   * lists lost someone, so the caller can broadcast the new lists.
   */
  async heartbeat(
    sockets: Array<{ member: PresenceMember; agent: boolean; tickets: string[] }>,
  ): Promise<{ tickets: Array<[string, string]>; tenants: string[] }> {
    if (sockets.length === 0) return { tickets: [], tenants: [] };
    const expiry = this.expiry();
    const now = Date.now();
    const refresh = this.redis.pipeline();
    const ticketKeys = new Map<string, [string, string]>();
    const tenants = new Set<string>();
    for (const s of sockets) {
      if (s.agent) {
        refresh.zadd(k.agents(s.member.tenantId), 'XX', expiry, member(s.member));
        tenants.add(s.member.tenantId);
      }
      for (const ticket of s.tickets) {
        refresh.zadd(k.viewers(s.member.tenantId, ticket), 'XX', expiry, member(s.member));
        ticketKeys.set(k.viewers(s.member.tenantId, ticket), [s.member.tenantId, ticket]);
      }
    }
    await refresh.exec();
    const prune = this.redis.pipeline();
    const order: Array<{ kind: 'ticket'; ref: [string, string] } | { kind: 'tenant'; tenant: string }> = [];
    for (const [key, ref] of ticketKeys) {
      prune.zremrangebyscore(key, '-inf', now);
      order.push({ kind: 'ticket', ref });
    }
    for (const tenant of tenants) {
      prune.zremrangebyscore(k.agents(tenant), '-inf', now);
      order.push({ kind: 'tenant', tenant });
    }
    const results = (await prune.exec()) ?? [];
    const changed = { tickets: [] as Array<[string, string]>, tenants: [] as string[] };
    results.forEach(([, removed], i) => {
      if (Number(removed) <= 0) return;
      const item = order[i]!;
      if (item.kind === 'ticket') changed.tickets.push(item.ref);
      else changed.tenants.push(item.tenant);
    });
    return changed;
  }
}
