import type { Redis } from 'ioredis';
import type { ReadMarks } from './protocol.ts';

/** How long read marks of a quiet ticket are kept. */
const TTL_MS = 90 * 24 * 3_600_000;

// Entry ids are ObjectIds (time first, fixed length), so comparing them as strings orders
// them by creation: a mark only ever moves forward, whatever order readers report in.
const ADVANCE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (not current) or current < ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('HMGET', KEYS[1], 'customer', 'agent')
`;

/**
 * Read receipts: how far the customer side and the agent side have read each ticket's
 * conversation, kept in Redis (shared by hub nodes) rather than as domain events — reading
 * changes no ticket and would otherwise flood the log.
 */
export class ReadMarksStore {
  constructor(private readonly redis: Redis) {}

  private key(tenantId: string, ticketId: string): string {
    return `sb:read:${tenantId}:${ticketId}`;
  }

  /** Both marks of a ticket. */
  async get(tenantId: string, ticketId: string): Promise<ReadMarks> {
    const [customer, agent] = await this.redis.hmget(this.key(tenantId, ticketId), 'customer', 'agent');
    return { customer: customer ?? null, agent: agent ?? null };
  }

  /** Moves one side's mark forward to `entryId` (never back); returns both marks. */
  async advance(tenantId: string, ticketId: string, side: keyof ReadMarks, entryId: string): Promise<ReadMarks> {
    const [customer, agent] = (await this.redis.eval(
      ADVANCE,
      1,
      this.key(tenantId, ticketId),
      side,
      entryId.toLowerCase(),
      TTL_MS,
    )) as Array<string | null>;
    return { customer: customer ?? null, agent: agent ?? null };
  }
}
