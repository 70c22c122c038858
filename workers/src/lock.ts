import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Runs `work` while holding a short Redis lock, so decisions about one tenant (routing)
 * are made by one worker at a time across every worker process. Returns undefined when
 * another holder has the lock after `waitMs`; the caller's job then retries or a later
 * sweep picks the work up.
 */
export async function withLock<T>(
  redis: Redis,
  key: string,
  work: () => Promise<T>,
  { ttlMs = 30_000, waitMs = 5_000 } = {},
): Promise<T | undefined> {
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  try {
    return await work();
  } finally {
    // Release only our own lock (it may have expired and been taken by someone else).
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, token);
  }
}
