/**
 * Wall-board load test: one tenant with 10,000 open tickets, 50 boards open (socket.io
 * client on `/board` + the board-token data endpoint, as the kiosk page does), and changes
 * made through the REST API one after the other. For every change it measures when each
 * board holds figures that include it, counted from the moment the API answered.
 *
 * Run: `npm run bench:boards` (optional: `-- --tickets 10000 --boards 50 --changes 20`).
 * Bounded: seeding, connecting and each change have a count and a time cap; everything
 * listens on loopback; services are provisioned like `npm test` and stopped at the end.
 * Writes tests/bench/results/board-bench.json and .md and prints the table.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { connectMongo } from '@switchboard/api/db/connection';
import { reserve } from '@switchboard/api/db/counter.model';
import { createDomain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { createLogger } from '@switchboard/api/lib/logger';
import { provision } from '@switchboard/infra/provision';
import { freePort } from '@switchboard/infra/services/net';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { io, type Socket } from 'socket.io-client';

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const TICKETS = arg('tickets', 10_000);
const BOARDS = arg('boards', 50);
const CHANGES = arg('changes', 20);
const DEBOUNCE_MS = 100;
const CHANGE_CAP_MS = 15_000;
const BUDGET_MS = 1000;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const resultsDir = path.join(repoRoot, 'tests/bench/results');

/** The server under test in its own process (api + hub, as in production), so the 50 kiosks here do not share its event loop. */
async function startServerProcess(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'infra/src/main.ts'), '--services=api,realtime'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('server process exited early');
    if (
      await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('server process not ready within 60 s');
}

interface Figures {
  open: { total: number };
  hourly: Array<{ solved: number }>;
}

/** One simulated kiosk: a socket on `/board` and a debounced refresh of the figures, like web/src/lib/board.svelte.ts. */
class Kiosk {
  latest: { total: number; solved: number; at: number } | null = null;
  requests = 0;
  readonly requestMs: number[] = [];
  private socket: Socket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private fetching = false;
  private again = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async open(): Promise<void> {
    const socket = io(`${this.url}/board`, {
      transports: ['websocket'],
      auth: { boardToken: this.token },
      forceNew: true,
      reconnection: true,
    });
    this.socket = socket;
    socket.on('event', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await this.refresh();
  }

  async refresh(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    try {
      const started = performance.now();
      const response = await fetch(`${this.url}/api/v1/boards/data`, { headers: { authorization: `Board ${this.token}` } });
      const body = (await response.json()) as { figures: Figures };
      this.requests += 1;
      this.requestMs.push(performance.now() - started);
      if (!response.ok) throw new Error(`board data: HTTP ${response.status}`);
      this.latest = {
        total: body.figures.open.total,
        solved: body.figures.hourly.reduce((n, h) => n + h.solved, 0),
        at: performance.now(),
      };
    } finally {
      this.fetching = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket?.close();
  }
}

const quantile = (values: number[], q: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : '—');

async function main(): Promise<void> {
  const services = await provision({ profile: 'test', log: (line) => console.log(`[provision] ${line}`) });
  const kiosks: Kiosk[] = [];
  let server: ChildProcess | undefined;
  const mongoUri = `${services.mongoBaseUri}/boardbench`;
  const connection = await connectMongo(mongoUri);
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // This process seeds through its own domain handle; the server process serves the API and the hub.
    const domain = await createDomain({
      connection,
      redis,
      publisher: new InProcessPublisher(),
      logger: createLogger({ level: 'warn', name: 'board-bench' }),
      signupOpen: true,
      publicUrl: url,
    });
    server = await startServerProcess(
      {
        MONGODB_URI: mongoUri,
        REDIS_URL: services.redisUrl,
        HUB_PORT: String(await freePort()),
        PUBLIC_URL: url,
        LOG_LEVEL: 'warn',
        QUEUE_PREFIX: `boardbench${process.pid}`,
      },
      port,
    );
    const { tenant, admin } = await domain.tenants.signUp({
      slug: `bench-${Date.now()}`,
      name: 'Bench',
      timezone: 'UTC',
      admin: { name: 'Admin', email: 'admin@bench.test', password: 'bench-password-1' },
    });
    const ctx = { tenantId: tenant._id, actor: { kind: 'user' as const, userId: admin._id, role: 'admin' as const, name: 'Admin' } };
    const teams: Array<{ id: string }> = [];
    for (const name of ['Billing', 'Technical', 'Access'])
      teams.push(await domain.teams.create(ctx, { name, description: '', assignment: 'manual' }));
    const agents: Array<{ _id: Types.ObjectId }> = [];
    for (let i = 0; i < 12; i++) {
      agents.push(
        await domain.users.create(ctx, { email: `agent${i}@bench.test`, name: `Agent ${i}`, role: 'agent', teamIds: [teams[i % 3]!.id] }),
      );
    }
    const requester = await domain.users.create(ctx, { email: 'customer@bench.test', name: 'Customer', role: 'customer' });
    const cookie = (
      await domain.auth.login({ tenant: tenant.slug, email: 'admin@bench.test', password: 'bench-password-1' }, {})
    ).cookie.split(';')[0]!;

    // Seed: open tickets straight into MongoDB (their history is not what this measures).
    const seedStart = performance.now();
    const first = await reserve(domain.models.Counter, tenant._id, 'ticket', TICKETS);
    const statuses = ['new', 'open', 'pending', 'on_hold'] as const;
    const now = Date.now();
    for (let offset = 0; offset < TICKETS; offset += 1000) {
      const batch = Array.from({ length: Math.min(1000, TICKETS - offset) }, (_, i) => {
        const n = offset + i;
        return {
          tenantId: tenant._id,
          number: first + n,
          subject: `Seeded ticket ${n}`,
          status: statuses[n % 4],
          priority: 'normal',
          channel: 'portal',
          requesterId: requester._id,
          teamId: new Types.ObjectId(teams[n % 3]!.id),
          assigneeId: n % 5 === 0 ? null : agents[n % 12]!._id,
          createdAt: new Date(now - (n % 72) * 3_600_000),
          firstResponseAt: n % 3 === 0 ? null : new Date(now - (n % 24) * 3_600_000),
          sla: {
            state: n % 25 === 0 ? 'warning' : 'ok',
            firstResponseDueAt: new Date(now + (n % 600) * 60_000),
            breachedAt: n % 40 === 0 ? new Date(now - (n % 20) * 60_000) : null,
          },
        };
      });
      await domain.models.Ticket.insertMany(batch, { ordered: false });
    }
    const seedMs = performance.now() - seedStart;
    console.log(`[bench] seeded ${TICKETS} open tickets in ${(seedMs / 1000).toFixed(1)} s`);

    const tokens: string[] = [];
    for (let i = 0; i < BOARDS; i++) {
      const filtered = i % 5 === 0;
      tokens.push(
        (await domain.boards.create(ctx, { name: `Board ${i}`, teamIds: filtered ? [new Types.ObjectId(teams[0]!.id)] : [] })).token,
      );
    }
    const coldStart = performance.now();
    const cold = await fetch(`${url}/api/v1/boards/data`, { headers: { authorization: `Board ${tokens[1]}` } });
    if (!cold.ok) throw new Error(`first board data: HTTP ${cold.status} ${await cold.text()}`);
    const coldMs = performance.now() - coldStart;
    console.log(`[bench] first board load (builds the read model from MongoDB): ${fmt(coldMs)}`);

    const connectStart = performance.now();
    for (const token of tokens) kiosks.push(new Kiosk(url, token));
    await Promise.all(kiosks.map((k) => k.open()));
    const connectMs = performance.now() - connectStart;
    console.log(`[bench] ${BOARDS} boards connected and loaded in ${fmt(connectMs)}`);
    for (const k of kiosks) k.requestMs.length = 0;

    // Changes, one at a time: create a Billing ticket (every board's open count +1), then solve one (-1, solved +1).
    const api = async (method: string, pathname: string, body: unknown) => {
      const response = await fetch(`${url}/api/v1${pathname}`, {
        method,
        headers: { cookie, origin: url, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { ticket: { id: string } };
    };
    const baseline = kiosks.map((k) => ({ total: k.latest!.total, solved: k.latest!.solved }));
    const latencies: number[] = [];
    const apiMs: number[] = [];
    let missed = 0;
    const created: string[] = [];
    let creates = 0;
    let solves = 0;
    for (let change = 0; change < CHANGES; change++) {
      const solve = change % 2 === 1;
      const started = performance.now();
      if (solve) await api('POST', `/tickets/${created.shift()}/status`, { status: 'solved' });
      else
        created.push(
          (
            await api('POST', '/tickets', {
              subject: `Change ${change}`,
              body: 'Load test',
              format: 'text',
              requesterId: requester._id.toHexString(),
              teamId: teams[0]!.id,
            })
          ).ticket.id,
        );
      const committed = performance.now();
      apiMs.push(committed - started);
      if (solve) solves += 1;
      else creates += 1;
      const expected = baseline.map((b) => ({ total: b.total + creates - solves, solved: b.solved + solves }));
      const seen = new Array<number | null>(kiosks.length).fill(null);
      const deadline = committed + CHANGE_CAP_MS;
      while (seen.some((s) => s === null) && performance.now() < deadline) {
        kiosks.forEach((k, i) => {
          if (seen[i] === null && k.latest && k.latest.total === expected[i]!.total && k.latest.solved === expected[i]!.solved)
            seen[i] = Math.max(0, k.latest.at - committed);
        });
        await new Promise((r) => setTimeout(r, 5));
      }
      for (const s of seen) {
        if (s === null) missed += 1;
        else latencies.push(s);
      }
      console.log(
        `[bench] change ${change + 1}/${CHANGES} (${solve ? 'solve' : 'create'}): API ${fmt(committed - started)}, boards p50 ${fmt(
          quantile(
            seen.filter((s): s is number => s !== null),
            0.5,
          ),
        )}, max ${fmt(Math.max(...seen.map((s) => s ?? Infinity)))}`,
      );
      await new Promise((r) => setTimeout(r, 300));
    }

    const requestMs = kiosks.flatMap((k) => k.requestMs);
    const result = {
      at: new Date().toISOString(),
      machine: `${process.platform} ${process.arch}, ${os.cpus().length} cores, node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}`,
      mongo: services.mongoKind,
      tickets: TICKETS,
      boards: BOARDS,
      changes: CHANGES,
      seedMs: Math.round(seedMs),
      firstLoadMs: Math.round(coldMs),
      connectMs: Math.round(connectMs),
      apiMs: { p50: quantile(apiMs, 0.5), max: Math.max(...apiMs) },
      refreshMs: {
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        p99: quantile(latencies, 0.99),
        max: Math.max(...latencies),
      },
      dataRequestMs: {
        count: requestMs.length,
        p50: quantile(requestMs, 0.5),
        p95: quantile(requestMs, 0.95),
        max: Math.max(...requestMs),
      },
      missed,
      budgetMs: BUDGET_MS,
      withinBudget: missed === 0 && quantile(latencies, 0.99) <= BUDGET_MS,
    };
    const rows = [
      ['open tickets / boards / changes', `${TICKETS} / ${BOARDS} / ${CHANGES}`],
      ['MongoDB-compatible server', result.mongo],
      ['first board load (read model built from MongoDB)', fmt(result.firstLoadMs)],
      [`${BOARDS} boards connected and loaded`, fmt(result.connectMs)],
      ['API call making the change, p50 / max', `${fmt(result.apiMs.p50)} / ${fmt(result.apiMs.max)}`],
      ['change answered by the API → board shows it, p50', fmt(result.refreshMs.p50)],
      ['… p95', fmt(result.refreshMs.p95)],
      ['… p99', fmt(result.refreshMs.p99)],
      ['… max', fmt(result.refreshMs.max)],
      [
        'board data requests (client-side), count / p50 / p95',
        `${result.dataRequestMs.count} / ${fmt(result.dataRequestMs.p50)} / ${fmt(result.dataRequestMs.p95)}`,
      ],
      ['boards that missed a change (15 s cap)', String(missed)],
      [`budget: every board within ${BUDGET_MS} ms at p99`, result.withinBudget ? 'met' : 'NOT met'],
    ];
    const table = ['| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
    console.log(`\n${table}\n`);
    await fs.mkdir(resultsDir, { recursive: true });
    await fs.writeFile(path.join(resultsDir, 'board-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    await fs.writeFile(path.join(resultsDir, 'board-bench.md'), `# Wall-board load test (${result.at})\n\n${result.machine}\n\n${table}\n`);
  } finally {
    for (const k of kiosks) k.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await connection.close();
    redis.disconnect();
    await services.stop();
  }
}

await main();
