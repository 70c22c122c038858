/**
 * The coordinator's handle on its load-generator processes: spreads sockets over them
 * and over loopback source addresses, switches phases, merges their counters, and
 * keeps the latest "every socket has seq ≤ n" progress of each for closed-loop publishing.
 */
import { Histogram } from './histogram.ts';
import type { ConnectResult, GeneratorStats, SocketPlan } from './messages.ts';
import { cpuSeconds, entries, forkChild, type Child } from './processes.ts';

/** Sockets per source address: well under one address's ~28k ephemeral ports. */
const SOCKETS_PER_ADDRESS = 2_000;

/** Merged counters of every generator for one phase. */
export interface PoolStats {
  sockets: number;
  received: number;
  missing: number;
  gaps: number;
  duplicates: number;
  stray: number;
  other: number;
  lost: number;
  histogram: Histogram;
}

/** Load generators driven over IPC. */
export class GeneratorPool {
  private readonly progress: number[];
  private waiters: Array<() => void> = [];
  private phaseId = 0;

  private constructor(private readonly children: Child[]) {
    this.progress = children.map(() => 0);
    children.forEach((child, index) =>
      child.on((message) => {
        if (message.type !== 'progress' || message.phase !== this.phaseId) return;
        this.progress[index] = message.minSeq;
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      }),
    );
  }

  /** Forks `count` generator processes. */
  static start(count: number): GeneratorPool {
    return new GeneratorPool(Array.from({ length: count }, (_, i) => forkChild(`generator-${i + 1}`, entries.generator)));
  }

  get size(): number {
    return this.children.length;
  }

  /** CPU seconds used so far by all generators. */
  cpuSeconds(): number {
    return this.children.reduce((sum, c) => sum + cpuSeconds(c.pid), 0);
  }

  /**
   * Grows the pool's sockets to `total` (spread evenly), each generator on its own block
   * of loopback source addresses `127.<block>.<generator>.x`.
   */
  async connect(total: number, block: number, plan: Omit<SocketPlan, 'addresses' | 'perAddress'>): Promise<ConnectResult> {
    const share = (i: number) => Math.floor(total / this.size) + (i < total % this.size ? 1 : 0);
    const results = await Promise.all(
      this.children.map((child, i) => {
        const addresses = Array.from({ length: Math.ceil(share(i) / SOCKETS_PER_ADDRESS) + 1 }, (_, k) => `127.${block}.${i + 1}.${k + 1}`);
        const full: SocketPlan = { ...plan, addresses, perAddress: SOCKETS_PER_ADDRESS };
        return child.request<ConnectResult>({ cmd: 'connect', total: share(i), plan: full }, plan.deadlineMs + 30_000);
      }),
    );
    return {
      connected: results.reduce((s, r) => s + r.connected, 0),
      failures: results.reduce((s, r) => s + r.failures, 0),
      lastError: results.find((r) => r.lastError)?.lastError,
    };
  }

  /** Starts a phase on every generator (resets their counters); `progress` turns on progress reports. */
  async phase(id: number, progress: boolean): Promise<void> {
    this.phaseId = id;
    this.progress.fill(0);
    await Promise.all(this.children.map((c) => c.request({ cmd: 'phase', phase: id, progress }, 30_000)));
  }

  /** The highest seq that every socket of every generator has received in this phase. */
  minSeq(): number {
    return Math.min(...this.progress);
  }

  /** Resolves at the next progress report or after `timeoutMs`. */
  nextProgress(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Counters of the current phase; `expected` is the number of events published in it. */
  async stats(expected: number): Promise<PoolStats> {
    const all = await Promise.all(this.children.map((c) => c.request<GeneratorStats>({ cmd: 'stats', expected }, 60_000)));
    const histogram = new Histogram();
    for (const s of all) histogram.add(s.histogram, s.maxUs);
    const sum = (key: keyof Omit<GeneratorStats, 'histogram'>) => all.reduce((acc, s) => acc + s[key], 0);
    return {
      sockets: sum('sockets'),
      received: sum('received'),
      missing: sum('missing'),
      gaps: sum('gaps'),
      duplicates: sum('duplicates'),
      stray: sum('stray'),
      other: sum('other'),
      lost: sum('lost'),
      histogram,
    };
  }

  /** Drops every socket (generators stay up for the next target). */
  async closeSockets(): Promise<void> {
    await Promise.all(this.children.map((c) => c.request({ cmd: 'close' }, 60_000)));
  }
}
