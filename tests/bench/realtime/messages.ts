/**
 * The IPC contract between the benchmark coordinator (run.ts) and its child processes:
 * load generators, the raw uWS server and the probe inside hub processes.
 */

/** How a generator spreads its sockets: socket i uses ports[i % n], cookies[i % m], addresses[i / perAddress]. */
export interface SocketPlan {
  ports: number[];
  cookies: string[];
  addresses: string[];
  perAddress: number;
  origin: string;
  namespace: string;
  /** Handshakes in flight at once. */
  concurrency: number;
  /** Per socket: websocket + namespace join. */
  timeoutMs: number;
  /** Whole ramp: stop trying after this long. */
  deadlineMs: number;
}

/** Coordinator → generator. Every command is answered by a {@link Reply} with the same id. */
export type GeneratorCommand =
  | { id: number; cmd: 'connect'; total: number; plan: SocketPlan }
  | { id: number; cmd: 'phase'; phase: number; progress: boolean }
  | { id: number; cmd: 'stats'; expected: number }
  | { id: number; cmd: 'close' };

/** Result of a `connect` command. */
export interface ConnectResult {
  connected: number;
  failures: number;
  lastError?: string;
}

/** Result of a `stats` command: the current phase as seen by one generator. */
export interface GeneratorStats {
  sockets: number;
  received: number;
  /** Sum over sockets of events expected but not received. */
  missing: number;
  gaps: number;
  duplicates: number;
  /** Events of another phase (must be zero). */
  stray: number;
  /** Non-benchmark events (hello, presence:agents). */
  other: number;
  /** Sockets that disconnected after joining (since they were opened). */
  lost: number;
  histogram: Array<[number, number]>;
  maxUs: number;
  rssBytes: number;
}

/** Child → coordinator messages. */
export type ChildMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'progress'; phase: number; minSeq: number }
  | { type: 'ready'; port: number }
  | { type: 'adapter'; name: string }
  | { type: 'memory'; id: number; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };

/** Coordinator → server process (raw uWS server or hub probe). */
export type ProbeCommand = { id: number; cmd: 'memory' };
