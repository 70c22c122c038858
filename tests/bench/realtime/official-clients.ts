/**
 * A few official socket.io-client sockets in every run: the correctness check. Each must
 * receive every event of every phase, in order, and each event must satisfy the wire
 * schema the web app validates with.
 */
import { wireEventSchema, type DomainEvent } from '@switchboard/realtime/protocol';
import { connectClient, connected, type HubClient } from '@switchboard/realtime/testing/hub-fixtures';

interface Tracked {
  client: HubClient;
  count: number;
  lastSeq: number;
  gaps: number;
  invalid: number;
}

/** Counters of the official clients for one phase. */
export interface OfficialStats {
  sockets: number;
  received: number;
  missing: number;
  gaps: number;
  invalid: number;
  disconnected: number;
}

/** Official socket.io clients, spread over the given hub ports. */
export class OfficialClients {
  private phase = 0;

  private constructor(private readonly tracked: Tracked[]) {
    for (const entry of tracked) {
      entry.client.on('event', (event: DomainEvent) => this.onEvent(entry, event));
    }
  }

  /** Connects `count` clients round-robin over `ports` with the given session cookies. */
  static async connect(ports: number[], cookies: string[], count: number): Promise<OfficialClients> {
    const tracked: Tracked[] = [];
    for (let i = 0; i < count; i++) {
      const client = connectClient(ports[i % ports.length]!, '/agent', { cookie: cookies[i % cookies.length] });
      tracked.push({ client, count: 0, lastSeq: 0, gaps: 0, invalid: 0 });
    }
    try {
      await Promise.all(tracked.map((t) => connected(t.client)));
    } catch (error) {
      for (const t of tracked) t.client.close();
      throw error;
    }
    return new OfficialClients(tracked);
  }

  get size(): number {
    return this.tracked.length;
  }

  private onEvent(entry: Tracked, event: DomainEvent): void {
    const bench = (event.data as { bench?: unknown }).bench;
    if (!Array.isArray(bench) || bench[0] !== this.phase) return;
    if (!wireEventSchema.safeParse(event).success) entry.invalid += 1;
    const seq = Number(bench[1]);
    if (seq !== entry.lastSeq + 1) entry.gaps += 1;
    entry.lastSeq = Math.max(entry.lastSeq, seq);
    entry.count += 1;
  }

  startPhase(phase: number): void {
    this.phase = phase;
    for (const t of this.tracked) Object.assign(t, { count: 0, lastSeq: 0, gaps: 0, invalid: 0 });
  }

  /** The highest seq every official client has received in this phase. */
  minSeq(): number {
    return Math.min(...this.tracked.map((t) => t.lastSeq));
  }

  stats(expected: number): OfficialStats {
    return {
      sockets: this.tracked.length,
      received: this.tracked.reduce((s, t) => s + t.count, 0),
      missing: this.tracked.reduce((s, t) => s + Math.max(0, expected - t.count), 0),
      gaps: this.tracked.reduce((s, t) => s + t.gaps, 0),
      invalid: this.tracked.reduce((s, t) => s + t.invalid, 0),
      disconnected: this.tracked.filter((t) => !t.client.connected).length,
    };
  }

  close(): void {
    for (const t of this.tracked) t.client.close();
  }
}
