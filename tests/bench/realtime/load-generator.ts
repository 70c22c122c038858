/**
 * A load-generator process (forked by run.ts, driven over IPC): holds up to ~15k
 * {@link RawSocket}s (the per-process open-files limit is 20k), counts what each socket
 * receives per phase, and records delivery latency in a {@link Histogram}.
 * Exits when its parent goes away.
 */
import { Histogram } from './histogram.ts';
import type { ChildMessage, ConnectResult, GeneratorCommand, GeneratorStats, SocketPlan } from './messages.ts';
import { RawSocket, type RawSocketListener } from './raw-socket.ts';

const PROGRESS_EVERY_MS = 20;

const sockets: RawSocket[] = [];
let phase = 0;
let histogram = new Histogram();
let stray = 0;
let other = 0;
let lost = 0;
let progressTimer: NodeJS.Timeout | undefined;
let lastMinSeq = -1;
let planned = 0;

const listener: RawSocketListener = {
  onEvent(socket, stamp, receivedAtUs) {
    if (stamp.phase !== phase) {
      stray += 1;
      return;
    }
    if (stamp.seq <= socket.lastSeq) socket.duplicates += 1;
    else {
      if (stamp.seq !== socket.lastSeq + 1) socket.gaps += 1;
      socket.lastSeq = stamp.seq;
    }
    socket.count += 1;
    histogram.record(receivedAtUs - stamp.sentAtUs);
  },
  onOther() {
    other += 1;
  },
  onLost() {
    lost += 1;
  },
};

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function connect(total: number, plan: SocketPlan): Promise<ConnectResult> {
  const deadline = Date.now() + plan.deadlineMs;
  let failures = 0;
  let lastError: string | undefined;
  const worker = async () => {
    while (planned < total && Date.now() < deadline) {
      const index = planned++;
      const socket = new RawSocket(listener);
      const cookie = plan.cookies[index % plan.cookies.length];
      const address = plan.addresses[Math.floor(index / plan.perAddress)];
      if (!address) throw new Error(`socket ${index}: no source address left (raise addresses or perAddress)`);
      try {
        await socket.connect({
          port: plan.ports[index % plan.ports.length]!,
          namespace: plan.namespace,
          headers: { origin: plan.origin, ...(cookie ? { cookie } : {}) },
          localAddress: address,
          timeoutMs: Math.min(plan.timeoutMs, Math.max(1, deadline - Date.now())),
        });
        sockets.push(socket);
      } catch (error) {
        failures += 1;
        lastError = (error as Error).message;
        // The slot stays free for another attempt, so a refused handshake does not shrink the room.
        if (failures <= total) planned -= 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, worker));
  return { connected: sockets.length, failures, lastError };
}

function startPhase(next: number, progress: boolean): void {
  phase = next;
  histogram = new Histogram();
  stray = 0;
  other = 0;
  for (const socket of sockets) {
    socket.count = 0;
    socket.lastSeq = 0;
    socket.gaps = 0;
    socket.duplicates = 0;
  }
  if (progressTimer) clearInterval(progressTimer);
  progressTimer = undefined;
  lastMinSeq = -1;
  if (progress) {
    progressTimer = setInterval(() => {
      let min = Number.MAX_SAFE_INTEGER;
      for (const socket of sockets) if (socket.connected && socket.lastSeq < min) min = socket.lastSeq;
      if (min === Number.MAX_SAFE_INTEGER) min = 0;
      if (min !== lastMinSeq) {
        lastMinSeq = min;
        send({ type: 'progress', phase, minSeq: min });
      }
    }, PROGRESS_EVERY_MS);
  }
}

function stats(expected: number): GeneratorStats {
  let received = 0;
  let missing = 0;
  let gaps = 0;
  let duplicates = 0;
  for (const socket of sockets) {
    received += socket.count;
    missing += Math.max(0, expected - (socket.count - socket.duplicates));
    gaps += socket.gaps;
    duplicates += socket.duplicates;
  }
  return {
    sockets: sockets.length,
    received,
    missing,
    gaps,
    duplicates,
    stray,
    other,
    lost,
    histogram: histogram.sparse(),
    maxUs: histogram.maxUs,
    rssBytes: process.memoryUsage().rss,
  };
}

function closeAll(): void {
  if (progressTimer) clearInterval(progressTimer);
  progressTimer = undefined;
  for (const socket of sockets) socket.close();
  sockets.length = 0;
  planned = 0;
  lost = 0;
}

process.on('message', (raw: GeneratorCommand) => {
  const run = async (): Promise<unknown> => {
    switch (raw.cmd) {
      case 'connect':
        return connect(raw.total, raw.plan);
      case 'phase':
        startPhase(raw.phase, raw.progress);
        return {};
      case 'stats':
        return stats(raw.expected);
      case 'close':
        closeAll();
        return {};
    }
  };
  run().then(
    (result) => send({ type: 'reply', id: raw.id, ok: true, result }),
    (error: unknown) => send({ type: 'reply', id: raw.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

// The coordinator owns this process: when it goes (Ctrl-C, crash), so do we.
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
process.on('SIGINT', () => undefined);
