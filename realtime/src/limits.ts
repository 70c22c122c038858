/** Hub limits; every violation is answered with a coded error, repeated ones disconnect. */
export interface HubLimits {
  /** Largest inbound frame, bytes (engine-level; bigger frames close the connection). */
  maxPayloadBytes: number;
  /** Sustained inbound events per second per socket, with a burst allowance. */
  socketRate: number;
  socketBurst: number;
  /** Sustained inbound events per second per tenant on one node. */
  tenantRate: number;
  tenantBurst: number;
  /** Ticket rooms one socket may be in at once. */
  maxRoomsPerSocket: number;
  /** Chat messages one customer (widget visitor or portal user) may send per minute, over all their sockets and nodes. */
  messagesPerMinute: number;
  /** Violations (bad payloads, floods, forbidden joins) before the socket is disconnected. */
  maxViolations: number;
  /** A connection must finish its handshake (and auth) within this time. */
  authTimeoutMs: number;
  /** How often open wall boards' tokens are checked again (a revoked board is disconnected). */
  boardRecheckMs: number;
}

/** Production defaults. */
export const DEFAULT_LIMITS: HubLimits = {
  maxPayloadBytes: 64 * 1024,
  socketRate: 20,
  socketBurst: 40,
  tenantRate: 2000,
  tenantBurst: 4000,
  maxRoomsPerSocket: 50,
  messagesPerMinute: 30,
  maxViolations: 20,
  authTimeoutMs: 10_000,
  boardRecheckMs: 15_000,
};

/** A token bucket: `take()` is false when the caller is over its rate. */
export class TokenBucket {
  private tokens: number;
  private updated = Date.now();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) / 1000) * this.ratePerSecond);
    this.updated = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
