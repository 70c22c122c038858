/**
 * Realtime hub benchmark (issue 4): fan-out of one event stream to N agents of one
 * tenant, side by side on
 *   raw   — a bare uWebSockets.js pub/sub server (the ceiling),
 *   uws   — our hub (production entry, HUB_ENGINE=uws),
 *   node  — the same hub on Node's HTTP server + ws (HUB_ENGINE=node),
 * then two hub nodes over Redis with the classic and the sharded adapter.
 *
 *   npm run bench:hub [-- --sizes 1000,5000,10000 --duration 10 --targets raw,uws,node
 *                        --cluster-size 1000 --adapters classic,sharded --latency-rate 50000]
 *
 * Per room size: ramp (connect the sockets), idle memory per socket (heap through the
 * in-process probe, RSS from /proc), a fixed-load phase (the same deliveries/s for every
 * target: latency is comparable) and a closed-loop phase (at most `--window` events in
 * flight per socket, so uWS never skips a slow receiver: the maximum without loss).
 * Bounded: every loop stops at its count or its deadline, and the whole run at
 * `--max-minutes`; every process it starts is stopped on success, error and Ctrl-C.
 * Writes tests/bench/results/hub-<timestamp>.json and .md and prints the table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { provision, type Provisioned } from '@switchboard/infra/provision';
import { startDomain, TEST_ORIGIN } from '@switchboard/realtime/testing/hub-fixtures';
import { Redis } from 'ioredis';
import { benchEvent, nowUs } from './bench-event.ts';
import { createBenchTenant, type BenchTenant } from './bench-tenant.ts';
import { GeneratorPool } from './generator-pool.ts';
import { OfficialClients } from './official-clients.ts';
import { cpuPressureUs, cpuSeconds, openFilesLimit, stopAllChildren } from './processes.ts';
import { fanoutPublisher, rawPublisher, shardedPublisher, type BenchPublisher } from './publishers.ts';
import {
  checkBudgets,
  renderMarkdown,
  type BenchResults,
  type ForeignTraffic,
  type PhaseResult,
  type SizeResult,
  type TargetId,
  type TargetResult,
} from './report.ts';
import { startHubNode, startRawServer, type ServerNode } from './targets.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000,10000' },
    duration: { type: 'string', default: '10' },
    targets: { type: 'string', default: 'raw,uws,node' },
    'cluster-size': { type: 'string', default: '1000' },
    adapters: { type: 'string', default: 'classic,sharded' },
    'latency-rate': { type: 'string', default: '50000' },
    window: { type: 'string', default: '64' },
    sessions: { type: 'string', default: '64' },
    official: { type: 'string', default: '3' },
    'per-generator': { type: 'string', default: '10000' },
    'ramp-seconds': { type: 'string', default: '150' },
    'max-minutes': { type: 'string', default: '25' },
    profile: { type: 'boolean', default: false },
  },
});

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const sizes = list(values.sizes!)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
const durationS = Math.max(1, Number(values.duration));
const targets = list(values.targets!).filter((t): t is 'raw' | 'uws' | 'node' => ['raw', 'uws', 'node'].includes(t));
const clusterSize = Math.max(0, Number(values['cluster-size']));
const adapters = list(values.adapters!).filter((a): a is 'classic' | 'sharded' => ['classic', 'sharded'].includes(a));
const latencyRate = Math.max(1, Number(values['latency-rate']));
// 64 events × ~430 B stay under uWS's 64 KB maxBackpressure, past which it skips a receiver.
const windowEvents = Math.max(1, Math.min(64, Number(values.window)));
const sessionCount = Math.max(2, Number(values.sessions));
const officialCount = Math.max(1, Number(values.official));
// Each socket is one file descriptor on both ends; keep headroom for Redis, MongoDB and stdio.
const fdHeadroom = 1_000;
const perGenerator = Math.min(15_000, openFilesLimit() - fdHeadroom, Math.max(100, Number(values['per-generator'])));
const rampMs = Math.max(5, Number(values['ramp-seconds'])) * 1000;
const maxMinutes = Math.max(1, Number(values['max-minutes']));
if (sizes.length === 0) throw new Error('--sizes: give room sizes, e.g. --sizes 1000,5000,10000');
if (sizes.some((n) => n <= officialCount)) throw new Error(`--sizes: every size must exceed --official (${officialCount})`);
if (Math.max(...sizes) > openFilesLimit() - fdHeadroom) {
  throw new Error(
    `--sizes: one server process holds every socket of a size; ${Math.max(...sizes)} exceeds the open-files limit (${openFilesLimit()}) minus headroom`,
  );
}

const DRAIN_MS = 15_000;
const SETTLE_MS = 60_000;
const FOREIGN = { tenants: 500, eventsPerSec: 2_000, seconds: 5 };
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');
const largest = Math.max(...sizes, adapters.length > 0 ? clusterSize : 0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[bench:hub ${new Date().toISOString().slice(11, 19)}] ${line}`);

let services: Provisioned | undefined;
let domainEnv: Awaited<ReturnType<typeof startDomain>> | undefined;
let pool: GeneratorPool | undefined;
let officials: OfficialClients | undefined;
let publisher: BenchPublisher | undefined;
let redis: Redis | undefined;
let phaseId = 0;
let cleaning: Promise<void> | undefined;
let redisPid = 0;
let pressureAtStart = NaN;

/** Stops everything this run started; safe to call twice. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    officials?.close();
    await publisher?.close().catch(() => undefined);
    await stopAllChildren();
    redis?.disconnect();
    await domainEnv?.close().catch(() => undefined);
    await services?.stop().catch(() => undefined);
  })();
  return cleaning;
}

let aborted = false;
let results: BenchResults | undefined;
const abort = (reason: string) => {
  if (aborted) return;
  aborted = true;
  console.error(`\n[bench:hub] ${reason}: stopping every process this run started`);
  if (results) writeResults(results, reason);
  void cleanup().finally(() => process.exit(130));
};
process.on('SIGINT', () => abort('interrupted'));
process.on('SIGTERM', () => abort('terminated'));
const watchdog = setTimeout(() => abort(`time bound of ${maxMinutes} min reached`), maxMinutes * 60_000);
watchdog.unref();

/** CPU seconds of the given processes. */
const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);

/** Waits until the servers are idle (< 10 % of a core over 500 ms) after a ramp, bounded. */
async function settle(pids: number[]): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (Date.now() < deadline) {
    const before = cpuOf(pids);
    await sleep(500);
    if (cpuOf(pids) - before < 0.05) return;
  }
}

async function redisMemory(): Promise<number> {
  const info = await redis!.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Waits until every socket has every event up to `sent`; resolves with the time, or undefined at the deadline. */
async function drain(sent: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (Math.min(pool!.minSeq(), officials!.minSeq()) >= sent) return nowUs();
    await pool!.nextProgress(20);
  }
  return undefined;
}

interface PhaseContext {
  tenantId: string;
  watchers: number;
  serverPids: number[];
}

/**
 * One measured phase. `fixed`: events at latencyRate / watchers per second for the
 * duration. `max`: closed loop, at most `windowEvents` events beyond what every socket has.
 */
async function runPhase(kind: 'fixed' | 'max', ctx: PhaseContext): Promise<PhaseResult> {
  const phase = ++phaseId;
  await pool!.phase(phase, true);
  officials!.startPhase(phase);
  const maxEvents = Math.ceil((durationS * 5_000_000) / ctx.watchers);
  const eventsPerSec = Math.max(1, latencyRate / ctx.watchers);
  const fixedCount = Math.min(maxEvents, Math.max(1, Math.round(eventsPerSec * durationS)));
  const cpu0 = cpuOf(ctx.serverPids);
  const gen0 = pool!.cpuSeconds();
  const pressure0 = cpuPressureUs();
  const t0 = nowUs();
  const endBy = t0 + durationS * 1e6;
  let sent = 0;
  const publish = () => publisher!.publish(ctx.tenantId, benchEvent(phase, ++sent, nowUs()));
  if (kind === 'fixed') {
    while (sent < fixedCount && nowUs() < endBy + 5e6) {
      const due = Math.min(fixedCount, Math.floor(((nowUs() - t0) / 1e6) * eventsPerSec) + 1);
      while (sent < due) publish();
      await sleep(Math.max(1, Math.min(20, 1000 / eventsPerSec / 2)));
    }
  } else {
    while (nowUs() < endBy && sent < maxEvents) {
      const done = Math.min(pool!.minSeq(), officials!.minSeq());
      while (sent - done < windowEvents && sent < maxEvents) publish();
      await pool!.nextProgress(10);
    }
  }
  const finished = await drain(sent, DRAIN_MS);
  const t1 = finished ?? nowUs();
  const cpu1 = cpuOf(ctx.serverPids);
  const gen1 = pool!.cpuSeconds();
  const stats = await pool!.stats(sent);
  const official = officials!.stats(sent);
  const seconds = (t1 - t0) / 1e6;
  const delivered = stats.received + official.received;
  return {
    events: sent,
    sockets: stats.sockets + official.sockets,
    disconnected: stats.lost + official.disconnected,
    delivered,
    expected: sent * (stats.sockets + official.sockets),
    lost: stats.missing + official.missing,
    gaps: stats.gaps + official.gaps,
    duplicates: stats.duplicates,
    stray: stats.stray,
    invalid: official.invalid,
    officialReceived: official.received,
    officialMissing: official.missing,
    seconds,
    deliveriesPerSec: delivered / seconds,
    p50Ms: stats.histogram.percentileMs(50),
    p99Ms: stats.histogram.percentileMs(99),
    maxMs: stats.histogram.maxUs / 1000,
    serverCpuUsPerDelivery: ((cpu1 - cpu0) * 1e6) / Math.max(1, delivered),
    serverCores: (cpu1 - cpu0) / seconds,
    generatorCores: (gen1 - gen0) / seconds,
    cpuPressure: (cpuPressureUs() - pressure0) / (t1 - t0),
    drained: finished !== undefined,
  };
}

interface TargetSpec {
  id: TargetId;
  label: string;
  block: number;
  start(): Promise<ServerNode[]>;
  publisher(): BenchPublisher;
  sizes: number[];
  withForeign: boolean;
}

/** Fills the room size by size on fresh server processes and measures each size. */
async function measureTarget(spec: TargetSpec, tenant: BenchTenant, result: TargetResult): Promise<void> {
  let nodes: ServerNode[] = [];
  try {
    log(`${spec.label}: starting`);
    nodes = await spec.start();
    result.nodes = nodes.length;
    const serverPids = nodes.map((n) => n.child.pid);
    publisher = spec.publisher();
    await settle(serverPids);
    const memory0 = await Promise.all(nodes.map((n) => n.memory()));
    const redis0 = await redisMemory();
    const ports = nodes.map((n) => n.port);
    officials = await OfficialClients.connect(ports, tenant.cookies, officialCount);
    // One ramp budget per target: with a join path that costs O(room size), big rooms may
    // not fill in time; the figures are then taken at the size reached, and marked so.
    const rampEnd = Date.now() + rampMs;
    for (const requested of spec.sizes) {
      if (aborted || Date.now() >= rampEnd) break;
      const before = result.sizes.at(-1)?.watchers ?? officials.size;
      const rampPhase = ++phaseId;
      await pool!.phase(rampPhase, false);
      const rampStart = Date.now();
      const rampCpu0 = { server: cpuOf(serverPids), generators: pool!.cpuSeconds(), redis: cpuSeconds(redisPid) };
      const ramp = await pool!.connect(requested - officials.size, spec.block, {
        ports,
        cookies: tenant.cookies,
        origin: TEST_ORIGIN,
        namespace: '/agent',
        concurrency: 32,
        timeoutMs: 20_000,
        deadlineMs: Math.max(1_000, rampEnd - Date.now()),
      });
      const watchers = ramp.connected + officials.size;
      if (watchers < requested) {
        result.error = `room filled to ${watchers} of ${requested} within the ramp budget of ${rampMs / 1000} s (${ramp.lastError ?? 'no error'})`;
        log(`${spec.label}: ${result.error}`);
        if (watchers <= before) break;
      }
      await settle(serverPids);
      const rampSeconds = (Date.now() - rampStart) / 1000;
      const rampCpu = {
        server: cpuOf(serverPids) - rampCpu0.server,
        generators: pool!.cpuSeconds() - rampCpu0.generators,
        redis: cpuSeconds(redisPid) - rampCpu0.redis,
      };
      const joined = watchers - before;
      const rampFrames = await pool!.stats(0);
      const memory = await Promise.all(nodes.map((n) => n.memory()));
      const redisNow = await redisMemory();
      const sum = (values: Array<{ heapUsed: number; rss: number }>, key: 'heapUsed' | 'rss') => values.reduce((s, v) => s + v[key], 0);
      log(`${spec.label}: ${watchers} watchers joined in ${rampSeconds.toFixed(1)} s; fixed-load phase`);
      const ctx: PhaseContext = { tenantId: tenant.tenantId, watchers, serverPids };
      const latency = await runPhase('fixed', ctx);
      log(`${spec.label}: ${watchers} watchers; closed-loop phase`);
      const throughput = await runPhase('max', ctx);
      const size: SizeResult = {
        requested,
        watchers,
        rampSeconds,
        rampCpuPerJoinMs: {
          server: (rampCpu.server * 1000) / joined,
          generators: (rampCpu.generators * 1000) / joined,
          redis: (rampCpu.redis * 1000) / joined,
        },
        connectFailures: ramp.failures,
        rampFramesPerSocket: rampFrames.other / Math.max(1, rampFrames.sockets),
        heapPerSocketBytes: (sum(memory, 'heapUsed') - sum(memory0, 'heapUsed')) / watchers,
        rssPerSocketBytes: (sum(memory, 'rss') - sum(memory0, 'rss')) / watchers,
        redisPerSocketBytes: (redisNow - redis0) / watchers,
        latency,
        throughput,
      };
      result.sizes.push(size);
      log(
        `${spec.label}: ${watchers} watchers: max ${Math.round(throughput.deliveriesPerSec).toLocaleString('en-US')} deliveries/s, ` +
          `p99 ${latency.p99Ms.toFixed(2)} ms at fixed load, loss ${latency.lost + throughput.lost}`,
      );
      if (watchers < requested) break;
    }
    if (spec.withForeign) result.foreign = await foreignTraffic(serverPids);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`${spec.label}: ${result.error}`);
  } finally {
    // Servers first: closing 10k client sockets one by one would make the hub run its
    // per-disconnect presence work thousands of times for nothing.
    await Promise.all(nodes.map((n) => n.child.stop(15_000)));
    officials?.close();
    officials = undefined;
    await pool!.closeSockets().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    publisher = undefined;
  }
}

/** Publishes events to other tenants' staff rooms (no sockets anywhere) and measures what they cost. */
async function foreignTraffic(serverPids: number[]): Promise<ForeignTraffic> {
  const tenants = Array.from({ length: FOREIGN.tenants }, (_, i) => (0x6650_0000 + i).toString(16).padStart(24, '0'));
  await settle(serverPids);
  const cpu0 = cpuOf(serverPids);
  const redis0 = cpuSeconds(redisPid);
  const total = FOREIGN.eventsPerSec * FOREIGN.seconds;
  const t0 = Date.now();
  let sent = 0;
  while (sent < total && Date.now() - t0 < (FOREIGN.seconds + 5) * 1000) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * FOREIGN.eventsPerSec) + 1);
    while (sent < due) {
      sent += 1;
      publisher!.publish(tenants[sent % tenants.length]!, benchEvent(0, sent, nowUs()));
    }
    await sleep(5);
  }
  await settle(serverPids);
  return {
    events: sent,
    hubCpuUsPerEvent: ((cpuOf(serverPids) - cpu0) * 1e6) / sent,
    redisCpuUsPerEvent: ((cpuSeconds(redisPid) - redis0) * 1e6) / sent,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const command = `npm run bench:hub${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  pressureAtStart = cpuPressureUs();
  log(
    `sizes ${sizes.join(', ')}; ${durationS} s per phase; targets ${targets.join(', ')}; cluster ${clusterSize} × ${adapters.join(', ') || 'none'}`,
  );
  services = await provision({ profile: 'test', log });
  redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 3 });
  redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  const mongoUri = `${services.mongoBaseUri}/bench_hub_${startedAt.getTime()}`;
  domainEnv = await startDomain(mongoUri, services.redisUrl);
  const tenant = await createBenchTenant(domainEnv.domain, 'bench-hub', sessionCount);
  log(`tenant ready with ${tenant.cookies.length} sessions; ${services.mongoKind} + Redis up`);
  pool = GeneratorPool.start(Math.max(2, Math.ceil(largest / perGenerator)));

  const redisUrl = services.redisUrl;
  const specs: TargetSpec[] = [];
  const profileDir = values.profile ? path.join(resultsDir, `hub-${stamp}-profiles`) : undefined;
  const hub = (engine: 'uws' | 'node', adapter: 'classic' | 'sharded') => () =>
    startHubNode({ engine, adapter, mongoUri, redisUrl, profileDir });
  if (targets.includes('raw'))
    specs.push({
      id: 'raw',
      label: 'raw uWS pub/sub',
      block: 20,
      start: async () => [await startRawServer(redisUrl)],
      publisher: () => rawPublisher(redisUrl),
      sizes,
      withForeign: false,
    });
  if (targets.includes('uws'))
    specs.push({
      id: 'uws',
      label: 'hub (uWS)',
      block: 21,
      start: async () => [await hub('uws', 'classic')()],
      publisher: () => fanoutPublisher(redisUrl),
      sizes,
      withForeign: false,
    });
  if (targets.includes('node'))
    specs.push({
      id: 'node',
      label: 'hub (node)',
      block: 22,
      start: async () => [await hub('node', 'classic')()],
      publisher: () => fanoutPublisher(redisUrl),
      sizes,
      withForeign: false,
    });
  if (clusterSize > officialCount) {
    for (const adapter of adapters) {
      specs.push({
        id: `cluster-${adapter}`,
        label: `2 hubs (uWS), ${adapter} adapter`,
        block: adapter === 'classic' ? 23 : 24,
        start: () => Promise.all([hub('uws', adapter)(), hub('uws', adapter)()]),
        publisher: () => (adapter === 'classic' ? fanoutPublisher(redisUrl) : shardedPublisher(redisUrl)),
        sizes: [clusterSize],
        withForeign: true,
      });
    }
  }

  results = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    command,
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: fs.existsSync('/etc/debian_version')
        ? `Debian ${fs.readFileSync('/etc/debian_version', 'utf8').trim()}`
        : `${os.type()} ${os.release()}`,
      node: process.versions.node,
      loadAverage: { start: os.loadavg()[0]!, end: NaN },
    },
    cpuPressure: NaN,
    options: {
      sizes,
      durationS,
      targets,
      clusterSize,
      adapters,
      latencyRate,
      windowEvents,
      sessionCount,
      officialCount,
      generators: pool.size,
    },
    targets: [],
    budgets: [],
    notes: [],
  };
  for (const spec of specs) {
    if (aborted) break;
    const result: TargetResult = { id: spec.id, label: spec.label, nodes: 0, sizes: [] };
    results.targets.push(result);
    await measureTarget(spec, tenant, result);
  }
  if (!aborted) writeResults(results);
  if (profileDir) log(`hub CPU profiles (open in Chrome DevTools): ${path.relative(process.cwd(), profileDir)}`);
}

/** Completes the figures (budgets, correctness notes) and writes hub-<timestamp>.json and .md. */
function writeResults(results: BenchResults, stoppedEarly?: string): void {
  const startedAt = new Date(results.startedAt);
  results.finishedAt = new Date().toISOString();
  results.machine.loadAverage.end = os.loadavg()[0]!;
  results.cpuPressure = (cpuPressureUs() - pressureAtStart) / ((Date.now() - startedAt.getTime()) * 1000);
  results.budgets = checkBudgets(results, sizes, clusterSize);
  if (stoppedEarly) results.notes.push(`Stopped early (${stoppedEarly}): figures of the targets not reached are missing.`);
  const lossy = results.targets.flatMap((t) =>
    t.sizes.filter((s) => s.latency.lost + s.throughput.lost > 0).map((s) => `${t.label} at ${s.watchers}`),
  );
  if (lossy.length > 0) results.notes.push(`Loss (must be zero) in: ${lossy.join('; ')}.`);
  const dropped = results.targets.flatMap((t) =>
    t.sizes.filter((s) => s.throughput.disconnected > 0).map((s) => `${t.label} at ${s.watchers} (${s.throughput.disconnected})`),
  );
  if (dropped.length > 0) results.notes.push(`Sockets disconnected during the phases: ${dropped.join('; ')}.`);
  const phases = results.targets.flatMap((t) => t.sizes.flatMap((s) => [s.latency, s.throughput]));
  const officialGot = phases.reduce((sum, p) => sum + p.officialReceived, 0);
  const officialMissed = phases.reduce((sum, p) => sum + p.officialMissing, 0);
  const invalid = phases.reduce((sum, p) => sum + p.invalid, 0);
  results.notes.push(
    `Official socket.io-client sockets (${officialCount} per run): ${officialGot.toLocaleString('en-US')} events received, ` +
      `${officialMissed} missed, ${invalid} failing the wire schema${officialMissed + invalid > 0 ? ' — CORRECTNESS FAILURE' : ''}.`,
  );
  const markdown = renderMarkdown(results);
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(resultsDir, `hub-${stamp}.json`), JSON.stringify(results, null, 2));
  fs.writeFileSync(path.join(resultsDir, `hub-${stamp}.md`), markdown);
  console.log(`\n${markdown}`);
  log(`written tests/bench/results/hub-${stamp}.json and .md in ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min`);
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    console.error(error);
    await cleanup();
    process.exit(1);
  });
