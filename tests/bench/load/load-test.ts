/**
 * Support-floor load test: a whole Switchboard deployment on loopback (tests/src/cluster.ts:
 * Redis, the MongoDB-compatible server, one api process, hub processes behind the TCP
 * balancer), a few tenants with agents' consoles connected live on `/agent` through the
 * balancer (each joined to a ticket), and — at a fixed target rate for a fixed time —
 * customers opening tickets and agents replying, both through the REST API. Measured:
 * requests per second achieved, REST latency per operation, errors by status, live delivery
 * latency (the API's 201 → each agent socket of the tenant has the event), and whether every
 * socket saw every event of its tenant's log (GET /events) exactly once, plus RSS and CPU of
 * the processes. The same load runs against 1 hub and then 2 hubs (a fresh cluster each),
 * printed side by side: the 1-hub column is the baseline.
 *
 * Run: `npm run bench:load` (optional: `-- --duration 30 --rate 10 --agents 30 --tenants 3
 * --hubs 1,2`, or LOAD_DURATION_S, LOAD_RATE, LOAD_AGENTS, LOAD_TENANTS, LOAD_HUBS).
 * Bounded: every option has a hard cap, the load loop stops at its count and its deadline,
 * connecting, draining and settling each have a time cap, and a watchdog ends the whole run.
 * Only loopback: the clusters it starts are the only targets, and a non-loopback URL is refused.
 * Writes tests/bench/results/load.json and .md and prints the table.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DomainEvent } from '@switchboard/api/events/event-types';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import { LiveClient, readLog, restClient, type Rest } from '../../chaos/chaos-clients.ts';
import { connectDomain, startCluster, type Cluster, type ClusterDomain } from '../../src/cluster.ts';
import { cpuSeconds, rssBytes } from '../realtime/processes.ts';

/** Option name → [environment variable, default, lowest, hard cap]. */
const LIMITS = {
  duration: ['LOAD_DURATION_S', 30, 5, 120],
  rate: ['LOAD_RATE', 10, 1, 150],
  agents: ['LOAD_AGENTS', 30, 1, 500],
  tenants: ['LOAD_TENANTS', 3, 1, 10],
} as const;
type NumericOption = keyof typeof LIMITS;

const CUSTOMERS_PER_TENANT = 3;
const CONNECT_BATCH = 25;
const CONNECT_CAP_MS = 60_000;
const MAX_IN_FLIGHT = 200;
const REQUEST_TIMEOUT_MS = 15_000;
const DRAIN_CAP_MS = 20_000;
const SETTLE_CAP_MS = 30_000;
/** The whole run, whatever happens: clusters are stopped and the process exits. */
const WATCHDOG_MS = 15 * 60_000;
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : Number.NaN);
const MiB = 2 ** 20;

function parseOptions(argv: string[]) {
  const values: Record<NumericOption, number> = { duration: 0, rate: 0, agents: 0, tenants: 0 };
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    if (!flag.startsWith('--') || !(name in LIMITS || name === 'hubs')) {
      throw new Error(
        `unknown option ${flag}; this bench starts its own loopback cluster and takes only --duration, --rate, --agents, --tenants, --hubs`,
      );
    }
    given.set(name, inline ?? argv[++i] ?? '');
  }
  for (const [name, [env, fallback, low, cap]] of Object.entries(LIMITS) as Array<[NumericOption, (typeof LIMITS)[NumericOption]]>) {
    const raw = given.get(name) ?? process.env[env];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < low) throw new Error(`--${name} must be a number ≥ ${low} (got ${raw})`);
    if (value > cap) console.warn(`[load] --${name} ${value} is above the hard cap; using ${cap}`);
    values[name] = Math.min(value, cap);
  }
  const hubsRaw = given.get('hubs') ?? process.env.LOAD_HUBS ?? '1,2';
  const hubs = hubsRaw.split(',').map(Number);
  if (hubs.length < 1 || hubs.length > 3 || hubs.some((h) => !Number.isInteger(h) || h < 1 || h > 4)) {
    throw new Error(`--hubs takes 1 to 3 hub counts of 1–4, comma-separated (got ${hubsRaw})`);
  }
  return { ...values, hubs };
}

/** House rule: only loopback addresses are ever load-test targets. */
function assertLoopback(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host))) {
    throw new Error(`refusing to load ${url}: only loopback addresses are load-test targets`);
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** {@link readLog}, tried again (up to 5 times) when an overloaded server does not answer in time. */
async function readLogRetrying(rest: Rest, after: number): Promise<DomainEvent[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await readLog(rest, after)).events;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(1000);
    }
  }
}

type OpKind = 'open ticket (customer)' | 'reply (agent)';
const OP_KINDS: OpKind[] = ['open ticket (customer)', 'reply (agent)'];

interface Op {
  kind: OpKind;
  tenant: number;
  status: number;
  sentAt: number;
  answeredAt: number;
  /** The ticket opened, or the entry added. */
  id?: string;
}

interface TenantLoad {
  fixture: TenantFixture;
  customers: Rest[];
  agents: Rest[];
  /** Tickets the load opened; agents reply to the latest. */
  tickets: string[];
  staffStart: number;
}

interface Socket {
  tenant: number;
  client: LiveClient;
  /** seq → when it first arrived live, and how many times. */
  live: Map<number, { at: number; count: number }>;
  /** `resync` requests this socket sent (initial catch-up and after every gap). */
  resyncs: number;
}

interface Sample {
  rss: Record<string, number>;
  cpu: Record<string, number>;
}

function sampleProcesses(cluster: Cluster): Sample {
  const sample: Sample = { rss: {}, cpu: {} };
  for (const { name, pid } of cluster.processes()) {
    if (!pid) continue;
    try {
      sample.rss[name] = rssBytes(pid);
      sample.cpu[name] = cpuSeconds(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return sample;
}

/** One cluster, the whole load, the figures. */
async function runOnce(hubCount: number, options: ReturnType<typeof parseOptions>) {
  const tag = `${hubCount}h`;
  const log = (line: string) => console.log(`[load ${tag}] ${line}`);
  const cluster = await startCluster({ hubs: hubCount, workers: 0, log });
  let data: ClusterDomain | undefined;
  const sockets: Socket[] = [];
  try {
    assertLoopback(cluster.url);
    assertLoopback(cluster.balancer.url);
    data = await connectDomain(cluster);

    // Tenants with agents and a few customers (real logins).
    const tenants: TenantLoad[] = [];
    for (let t = 0; t < options.tenants; t++) {
      const fixture = await createTenant(data.domain, `load-${tag}-${t + 1}-${Date.now().toString(36)}`);
      const customers = [restClient(cluster.url, fixture.customer.cookie)];
      for (let c = 1; c < CUSTOMERS_PER_TENANT; c++) {
        const email = `customer${c}@${fixture.slug}.test`;
        await data.domain.users.create(fixture.adminCtx, {
          email,
          name: `Customer ${c}`,
          role: 'customer',
          password: 'fixture-password-1',
        });
        const { cookie } = await data.domain.auth.login({ tenant: fixture.slug, email, password: 'fixture-password-1' }, {});
        customers.push(restClient(cluster.url, cookie.split(';')[0]!));
      }
      const agents = fixture.agents.map((a) => restClient(cluster.url, a.cookie));
      const staffStart = (await readLog(agents[0]!, 0)).cursor;
      tenants.push({ fixture, customers, agents, tickets: [], staffStart });
    }

    // Agents' consoles, live through the balancer (several tabs per agent), in batches.
    const connectDeadline = Date.now() + CONNECT_CAP_MS;
    for (let i = 0; i < options.agents; i += CONNECT_BATCH) {
      const batch: Socket[] = [];
      for (let j = i; j < Math.min(options.agents, i + CONNECT_BATCH); j++) {
        const tenant = tenants[j % tenants.length]!;
        const agent = tenant.fixture.agents[Math.floor(j / tenants.length) % tenant.fixture.agents.length]!;
        const client = new LiveClient({
          url: cluster.balancer.url,
          origin: cluster.url,
          namespace: '/agent',
          cookie: agent.cookie,
          ticketId: tenant.fixture.ticketId,
          start: tenant.staffStart,
        });
        const socket: Socket = { tenant: j % tenants.length, client, live: new Map(), resyncs: 0 };
        client.socket.onAnyOutgoing((event) => {
          if (event === 'resync') socket.resyncs += 1;
        });
        client.socket.on('event', (event) => {
          const seen = socket.live.get(event.seq);
          if (seen) seen.count += 1;
          else socket.live.set(event.seq, { at: performance.now(), count: 1 });
        });
        batch.push(socket);
      }
      sockets.push(...batch);
      const left = connectDeadline - Date.now();
      const ready = await Promise.race([
        Promise.all(batch.map((s) => s.client.ready())).then(() => true),
        sleep(Math.max(0, left)).then(() => false),
      ]);
      if (!ready) throw new Error(`agents did not connect within ${CONNECT_CAP_MS / 1000} s`);
    }
    const connections = cluster.balancer.connections();
    log(`${sockets.length} agent sockets live (per hub: ${connections.join(' / ')})`);

    // The load: open loop at a fixed rate, bounded by a count, a deadline and in-flight requests.
    const ops: Op[] = [];
    const inFlight = new Set<Promise<void>>();
    let skipped = 0;
    const total = Math.floor(options.rate * options.duration);
    const before = sampleProcesses(cluster);
    const samples: Sample[] = [];
    const sampler = setInterval(() => samples.push(sampleProcesses(cluster)), 1000);
    const start = performance.now();
    const deadline = start + options.duration * 1000;
    const fire = async (i: number) => {
      const t = i % tenants.length;
      const tenant = tenants[t]!;
      const create = Math.floor(i / tenants.length) % 2 === 0;
      const sentAt = performance.now();
      let op: Op;
      if (create) {
        const rest = tenant.customers[i % tenant.customers.length]!;
        const body = { subject: `Load ticket ${i}`, body: `The printer on floor ${i % 7} is on fire.`, format: 'text' };
        const answer = await rest<{ ticket: { id: string } }>('POST', '/tickets', body, REQUEST_TIMEOUT_MS);
        op = { kind: OP_KINDS[0]!, tenant: t, status: answer.status, sentAt, answeredAt: performance.now() };
        if (answer.status === 201) tenant.tickets.push((op.id = answer.body.ticket.id));
      } else {
        const rest = tenant.agents[i % tenant.agents.length]!;
        const ticketId = tenant.tickets.at(-1) ?? tenant.fixture.ticketId;
        const body = { kind: 'reply', body: `Reply ${i}: have you tried turning it off and on again?`, format: 'text' };
        const answer = await rest<{ id: string }>('POST', `/tickets/${ticketId}/entries`, body, REQUEST_TIMEOUT_MS);
        op = { kind: OP_KINDS[1]!, tenant: t, status: answer.status, sentAt, answeredAt: performance.now() };
        if (answer.status === 201) op.id = answer.body.id;
      }
      ops.push(op);
    };
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / options.rate;
      if (due >= deadline) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size >= MAX_IN_FLIGHT) {
        skipped += 1;
        continue;
      }
      const pending: Promise<void> = fire(i).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
    const loadEnd = performance.now();
    await Promise.race([Promise.all(inFlight), sleep(DRAIN_CAP_MS)]);
    const lastAnswer = Math.max(loadEnd, ...ops.map((o) => o.answeredAt));
    clearInterval(sampler);
    const after = sampleProcesses(cluster);
    const elapsedS = (performance.now() - start) / 1000;
    log(`${ops.length} requests answered in ${elapsedS.toFixed(1)} s (${inFlight.size} still open, ${skipped} skipped)`);

    // Every socket has caught up with its tenant's log (live, or by its own resync), or the cap passed.
    // The log is read again until it stops growing past what the sockets saw (a write still
    // running on the server leaves a hole that readers wait for, up to the log's gap timeout).
    let logs: DomainEvent[][] = [];
    const settleDeadline = Date.now() + SETTLE_CAP_MS;
    const head = (t: number) => logs[t]!.at(-1)?.seq ?? 0;
    const liveMax = (t: number) => Math.max(0, ...sockets.filter((s) => s.tenant === t).flatMap((s) => [...s.live.keys()]));
    const caughtUp = () => sockets.every((s) => s.client.last >= head(s.tenant));
    for (let round = 0; round < 100; round++) {
      logs = [];
      for (const tenant of tenants) logs.push(await readLogRetrying(tenant.agents[0]!, tenant.staffStart));
      if ((tenants.every((_, t) => head(t) >= liveMax(t)) && caughtUp()) || Date.now() > settleDeadline) break;
      await sleep(500);
    }
    // Late stragglers (a duplicate would arrive now, if ever).
    await sleep(500);

    // Delivery: every socket against its tenant's log.
    let expected = 0;
    let liveOnce = 0;
    let duplicates = 0;
    let missedLive = 0;
    let foreign = 0;
    let socketsExact = 0;
    const mismatches: Array<{ tenant: number; notLive: string[]; notInLog: number[]; applied: number; log: number }> = [];
    for (const socket of sockets) {
      const events = logs[socket.tenant]!;
      const logSeqs = new Set(events.map((e) => e.seq));
      expected += events.length;
      for (const [seq, seen] of socket.live) {
        if (seq <= tenants[socket.tenant]!.staffStart) continue;
        if (!logSeqs.has(seq)) foreign += seen.count;
        else duplicates += seen.count - 1;
      }
      for (const e of events) {
        const seen = socket.live.get(e.seq);
        if (seen?.count === 1) liveOnce += 1;
        if (!seen) missedLive += 1;
      }
      const applied = socket.client.applied.map((e) => e.seq);
      if (applied.length === events.length && applied.every((seq, k) => seq === events[k]!.seq)) socketsExact += 1;
      else if (mismatches.length < 5) {
        mismatches.push({
          tenant: socket.tenant,
          notLive: events.filter((e) => !socket.live.has(e.seq)).map((e) => `${e.seq} ${e.type}`),
          notInLog: [...socket.live.keys()].filter((seq) => seq > tenants[socket.tenant]!.staffStart && !logSeqs.has(seq)),
          applied: applied.length,
          log: events.length,
        });
      }
    }

    // Live delivery latency: the API answered 201 → each socket of the tenant has the event.
    const deliveryMs: number[] = [];
    const deliveryFromSendMs: number[] = [];
    for (let t = 0; t < tenants.length; t++) {
      const seqOf = new Map<string, number>();
      for (const e of logs[t]!) {
        if (e.type === 'ticket.created' && e.ticketId) seqOf.set(`ticket:${e.ticketId}`, e.seq);
        if (e.type === 'entry.added') seqOf.set(`entry:${(e.data.entry as { id: string }).id}`, e.seq);
      }
      const tenantSockets = sockets.filter((s) => s.tenant === t);
      for (const op of ops) {
        if (op.tenant !== t || op.status !== 201 || !op.id) continue;
        const seq = seqOf.get(`${op.kind === OP_KINDS[0] ? 'ticket' : 'entry'}:${op.id}`);
        if (seq === undefined) continue;
        for (const socket of tenantSockets) {
          const seen = socket.live.get(seq);
          if (!seen) continue;
          deliveryMs.push(seen.at - op.answeredAt);
          deliveryFromSendMs.push(seen.at - op.sentAt);
        }
      }
    }

    const restMs = Object.fromEntries(
      OP_KINDS.map((kind) => {
        const ms = ops.filter((o) => o.kind === kind && o.status >= 200 && o.status < 300).map((o) => o.answeredAt - o.sentAt);
        return [kind, { count: ms.length, p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)), p99: round(quantile(ms, 0.99)) }];
      }),
    );
    const errors: Record<string, number> = {};
    for (const op of ops) if (op.status < 200 || op.status >= 300) errors[op.status] = (errors[op.status] ?? 0) + 1;
    if (inFlight.size > 0) errors['unanswered at the drain cap'] = inFlight.size;
    const ok = ops.filter((o) => o.status >= 200 && o.status < 300).length;
    const role = (name: string) => (name.startsWith('hub-') ? 'hubs' : name);
    const maxRss: Record<string, number> = {};
    for (const sample of [...samples, after]) {
      const byRole: Record<string, number> = {};
      for (const [name, bytes] of Object.entries(sample.rss)) byRole[role(name)] = (byRole[role(name)] ?? 0) + bytes;
      for (const [name, bytes] of Object.entries(byRole)) maxRss[name] = Math.max(maxRss[name] ?? 0, bytes);
    }
    const cpu: Record<string, number> = {};
    for (const [name, seconds] of Object.entries(after.cpu)) cpu[role(name)] = (cpu[role(name)] ?? 0) + seconds - (before.cpu[name] ?? 0);

    return {
      hubs: hubCount,
      agentSockets: sockets.length,
      socketsPerHub: connections,
      targetRate: options.rate,
      durationS: options.duration,
      loadWindowS: round((loadEnd - start) / 1000, 2),
      requestsSent: ops.length + inFlight.size,
      requestsOk: ok,
      skippedClientSaturated: skipped,
      achievedOkPerS: round(ok / ((lastAnswer - start) / 1000)),
      lastAnswerS: round((lastAnswer - start) / 1000, 2),
      restMs,
      errors,
      events: logs.reduce((n, l) => n + l.length, 0),
      deliveryMs: {
        count: deliveryMs.length,
        p50: round(quantile(deliveryMs, 0.5)),
        p95: round(quantile(deliveryMs, 0.95)),
        p99: round(quantile(deliveryMs, 0.99)),
        max: round(Math.max(...deliveryMs)),
      },
      deliveryFromSendMs: { p50: round(quantile(deliveryFromSendMs, 0.5)), p99: round(quantile(deliveryFromSendMs, 0.99)) },
      deliveries: { expected, liveOnce, missedLive, duplicates, foreign, socketsExact, caughtUp: caughtUp(), mismatches },
      reconnects: sockets.reduce((n, s) => n + s.client.connects - 1, 0),
      resyncsAfterConnect: sockets.reduce((n, s) => n + s.resyncs - 1, 0),
      maxRssMiB: Object.fromEntries(Object.entries(maxRss).map(([k, v]) => [k, round(v / MiB, 0)])),
      cpuSeconds: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v)])),
    };
  } finally {
    for (const socket of sockets) socket.client.close();
    await data?.close();
    await cluster.stop();
  }
}

type RunResult = Awaited<ReturnType<typeof runOnce>>;

function renderTable(runs: RunResult[]): string {
  const ms = (n: number) => `${n} ms`;
  const trio = (s: { p50: number; p95: number; p99: number }) => `${s.p50} / ${s.p95} / ${s.p99} ms`;
  const rows: Array<[string, (r: RunResult) => string]> = [
    ['agent sockets (per hub)', (r) => `${r.agentSockets} (${r.socketsPerHub.join(' / ')})`],
    ['target rate × duration', (r) => `${r.targetRate}/s × ${r.durationS} s`],
    ['requests sent / 2xx', (r) => `${r.requestsSent} / ${r.requestsOk}`],
    ['achieved 2xx per second (first request → last answer)', (r) => `${r.achievedOkPerS}/s (${r.lastAnswerS} s)`],
    ...OP_KINDS.map((kind): [string, (r: RunResult) => string] => [`REST ${kind}, p50 / p95 / p99`, (r) => trio(r.restMs[kind]!)]),
    [
      'errors by status',
      (r) =>
        Object.entries(r.errors)
          .map(([status, n]) => `${status}: ${n}`)
          .join(', ') || 'none',
    ],
    ['skipped (client at max in flight)', (r) => String(r.skippedClientSaturated)],
    ['events in the tenants’ logs', (r) => String(r.events)],
    ['live delivery, API 201 → socket has it, p50 / p95 / p99', (r) => trio(r.deliveryMs)],
    ['… max', (r) => ms(r.deliveryMs.max)],
    ['… from request sent, p50 / p99', (r) => `${r.deliveryFromSendMs.p50} / ${r.deliveryFromSendMs.p99} ms`],
    ['deliveries expected (events × sockets of the tenant)', (r) => String(r.deliveries.expected)],
    ['… received live exactly once', (r) => String(r.deliveries.liveOnce)],
    ['… not received live (left to resync)', (r) => String(r.deliveries.missedLive)],
    ['… duplicates / not in the tenant’s log', (r) => `${r.deliveries.duplicates} / ${r.deliveries.foreign}`],
    ['sockets whose sequence is exactly the log', (r) => `${r.deliveries.socketsExact} / ${r.agentSockets}`],
    ['socket reconnects / resync requests after the first', (r) => `${r.reconnects} / ${r.resyncsAfterConnect}`],
    [
      'max RSS api / hubs (sum) / mongo / redis',
      (r) => ['api', 'hubs', 'mongo', 'redis'].map((k) => r.maxRssMiB[k] ?? '–').join(' / ') + ' MiB',
    ],
    [
      'CPU seconds under load, api / hubs / mongo / redis',
      (r) => ['api', 'hubs', 'mongo', 'redis'].map((k) => r.cpuSeconds[k] ?? '–').join(' / '),
    ],
  ];
  const header = `| measure | ${runs.map((r) => `${r.hubs} hub${r.hubs > 1 ? 's' : ''}`).join(' | ')} |`;
  const rule = `| --- | ${runs.map(() => '---').join(' | ')} |`;
  return [header, rule, ...rows.map(([label, cell]) => `| ${label} | ${runs.map(cell).join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    console.error(`[load] the run exceeded ${WATCHDOG_MS / 60_000} minutes; giving up`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  console.log(
    `[load] ${options.tenants} tenants, ${options.agents} agent sockets, ${options.rate} requests/s for ${options.duration} s, against ${options.hubs.join(' then ')} hub(s)`,
  );
  const runs: RunResult[] = [];
  for (const hubs of options.hubs) runs.push(await runOnce(hubs, options));
  const at = new Date().toISOString();
  const m = machine();
  const machineLine = `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}`;
  const table = renderTable(runs);
  console.log(`\n${at} — ${machineLine}\n\n${table}\n`);
  await fs.mkdir(resultsDir, { recursive: true });
  await fs.writeFile(path.join(resultsDir, 'load.json'), `${JSON.stringify({ at, machine: m, options, runs }, null, 2)}\n`);
  await fs.writeFile(path.join(resultsDir, 'load.md'), `# Load test (${at})\n\n${machineLine}\n\n${table}\n`);
  clearTimeout(watchdog);
}

await main();
