import type { Redis } from 'ioredis';

/**
 * Failed-login counter per account (per IP is the HTTP rate limiter's job). After
 * `maxFailures` within `windowSeconds` the account refuses logins until the window ends,
 * whatever the password: guessing is slowed to a crawl, and the legitimate user gets a
 * clear "try again in N minutes".
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly maxFailures = 10,
    private readonly windowSeconds = 15 * 60,
  ) {}

  private key(tenantId: string, email: string): string {
    return `sb:login-fail:${tenantId}:${email.toLowerCase()}`;
  }

  /** Seconds until the account may try again, or 0 when it may try now. */
  async blockedFor(tenantId: string, email: string): Promise<number> {
    const key = this.key(tenantId, email);
    const failures = Number((await this.redis.get(key)) ?? 0);
    if (failures < this.maxFailures) return 0;
    return Math.max(await this.redis.ttl(key), 1);
  }

  /** Records a failure (the window starts at the first one). */
  async fail(tenantId: string, email: string): Promise<void> {
    const key = this.key(tenantId, email);
    const count = await this.redis.incr(key);
    if (count === 1) await this.redis.expire(key, this.windowSeconds);
  }

  /** Clears the counter after a successful login. */
  async succeed(tenantId: string, email: string): Promise<void> {
    await this.redis.del(this.key(tenantId, email));
  }
}
