/**
 * A whole Switchboard deployment on loopback, every part in its own process: Redis and the
 * MongoDB-compatible server (provisioned with infra's own functions, on free ports, with
 * their own data directories), one `api` process (optionally also `web`), N hub processes
 * (`--services=realtime`) behind a small TCP load balancer, and M `--services=workers`
 * processes — all the production entry `infra/src/main.ts`. Each part can be killed,
 * stopped and started again on the same port (and, for the data services, the same data),
 * which is what the chaos suite and the load test need. `stop()` ends everything; the
 * processes are also registered for infra's orphan reaping, so a run killed with SIGKILL
 * has its children reaped by the next one.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectMongo } from '@switchboard/api/db/connection';
import { createDomain, type Domain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { createLogger } from '@switchboard/api/lib/logger';
import { DEFAULT_MODEL_ID, ensureModel } from '@switchboard/infra/services/model';
import { ensureMongo, resolveMongoServer, type MongoServerBinary, type MongoService } from '@switchboard/infra/services/mongo';
import { freePort, waitUntil } from '@switchboard/infra/services/net';
import { cacheDir } from '@switchboard/infra/services/paths';
import { reapOrphans, startProcess, type ManagedProcess } from '@switchboard/infra/services/process';
import { ensureRedisBinary, startRedis, type RedisService } from '@switchboard/infra/services/redis';
import { createFanout } from '@switchboard/realtime/fanout';
import { jobListener } from '@switchboard/workers/listeners';
import { QueueRegistry } from '@switchboard/workers/queues/registry';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(repoRoot, 'infra/src/main.ts');
const READY_TIMEOUT_MS = 90_000;

/** One app process of the cluster (the production entry with some `--services`). */
export interface AppProcess {
  readonly name: string;
  readonly services: string[];
  /** HTTP port: health checks, and the API for the `api` process. */
  readonly port: number;
  /** The hub's socket.io port (hub processes only). */
  readonly hubPort?: number;
  readonly logFile: string;
  /** Its pid while it runs, else 0. */
  pid(): number;
  running(): boolean;
  /** Its log so far. */
  output(): string;
  /** SIGKILL: a crash, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown (SIGKILL after the grace). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and waits until it is ready. */
  start(): Promise<void>;
}

/** Redis or the MongoDB-compatible server, restartable on the same port and data. */
export interface DataService {
  readonly name: string;
  /** `redis://…` or the MongoDB base URI (without a database). */
  readonly url: string;
  readonly port: number;
  pid(): number;
  running(): boolean;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGTERM: a clean shutdown (Redis writes its append-only file). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

/** A tiny round-robin TCP load balancer in front of the hub nodes (websockets pass through). */
export interface Balancer {
  readonly port: number;
  readonly url: string;
  /** Send every new connection to this hub (by index) while it accepts; `null` goes back to round robin. */
  pin(hub: number | null): void;
  /** Open client connections per hub index. */
  connections(): number[];
  close(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Hub processes (`--services=realtime`) behind the balancer. Default 2. */
  hubs?: number;
  /** Worker processes (`--services=workers`). Default 1. */
  workers?: number;
  /** The api process also serves the web app (needs `npm run build`). Default false. */
  web?: boolean;
  /** Extra environment for every app process (e.g. shorter sweeps for tests). */
  env?: Record<string, string>;
  /** Extra environment per role, on top of `env`. */
  roleEnv?: Partial<Record<'api' | 'hub' | 'worker', Record<string, string>>>;
  /** Where data and logs go; default a fresh directory in the OS temp dir, removed by `stop()`. */
  dataDir?: string;
  log?: (line: string) => void;
}

/** A running cluster; see the module comment. */
export interface Cluster {
  /** The one URL: API, health, web (when asked for) and `/socket.io/` through the balancer. */
  readonly url: string;
  /** MongoDB URI with the cluster's database. */
  readonly mongoUri: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly dataDir: string;
  readonly api: AppProcess;
  readonly hubs: AppProcess[];
  readonly workers: AppProcess[];
  readonly balancer: Balancer;
  readonly redis: DataService;
  readonly mongo: DataService;
  /** Starts one more worker process. */
  addWorker(): Promise<AppProcess>;
  /** Every process of the cluster with its pid (0 when not running), for RSS and CPU figures. */
  processes(): Array<{ name: string; pid: number }>;
  /** Stops every process (apps first, then the data services) and removes a temporary data dir. */
  stop(): Promise<void>;
}

/** SIGKILL to the whole process group, then wait for the exit (`stop` on a dead group only waits). */
async function killGroup(proc: ManagedProcess): Promise<void> {
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  await proc.stop();
}

function appProcess(options: {
  name: string;
  services: string[];
  port: number;
  hubPort?: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
}): AppProcess {
  let proc: ManagedProcess | undefined;
  const running = () => !!proc && proc.exited() === undefined;
  const start = async () => {
    if (running()) throw new Error(`${options.name} is already running`);
    fs.appendFileSync(options.logFile, '');
    const offset = fs.statSync(options.logFile).size;
    const started = startProcess(options.name, process.execPath, ['--import', 'tsx', MAIN, `--services=${options.services.join(',')}`], {
      logFile: options.logFile,
      cwd: repoRoot,
      env: options.env,
    });
    proc = started;
    const ready = await waitUntil(
      async () => (await fetch(`http://127.0.0.1:${options.port}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok,
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, abort: () => started.exited() },
    );
    if (!ready.ok) {
      await killGroup(started);
      const log = fs.readFileSync(options.logFile, 'utf8').slice(offset).slice(-4000);
      throw new Error(`${options.name} did not become ready (${ready.lastError}); its log (${options.logFile}):\n${log}`);
    }
  };
  return {
    name: options.name,
    services: options.services,
    port: options.port,
    hubPort: options.hubPort,
    logFile: options.logFile,
    pid: () => (running() ? proc!.pid : 0),
    running,
    output: () => (fs.existsSync(options.logFile) ? fs.readFileSync(options.logFile, 'utf8') : ''),
    kill: async () => {
      if (proc) await killGroup(proc);
    },
    stop: async () => {
      await proc?.stop(10_000);
    },
    start,
  };
}

function startBalancer(port: number, hubs: () => AppProcess[]): Promise<Balancer> {
  let next = 0;
  let pinned: number | null = null;
  const open = new Map<net.Socket, number>();
  const connectTo = (client: net.Socket, tried: number) => {
    const list = hubs();
    if (tried >= list.length) return client.destroy();
    const index = pinned !== null && tried === 0 && pinned < list.length ? pinned : next++ % list.length;
    const hub = list[index]!;
    if (!hub.running()) return connectTo(client, tried + 1);
    const upstream = net.connect(hub.hubPort!, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      open.set(client, index);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => {
      // A node that refuses (it just died) is skipped; one that dies later drops its clients.
      if (!connected) connectTo(client, tried + 1);
      else client.destroy();
    });
    upstream.on('close', () => {
      if (connected) client.destroy();
    });
    client.on('close', () => {
      open.delete(client);
      upstream.destroy();
    });
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    client.on('error', () => client.destroy());
    connectTo(client, 0);
    client.resume();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        pin: (hub) => (pinned = hub),
        connections: () => hubs().map((_, i) => [...open.values()].filter((v) => v === i).length),
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open.keys()) socket.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

function dataService(
  name: string,
  url: string,
  port: number,
  startFn: () => Promise<ManagedProcess | undefined>,
  first: ManagedProcess | undefined,
): DataService {
  let proc = first;
  const running = () => !!proc && proc.exited() === undefined;
  return {
    name,
    url,
    port,
    pid: () => (running() ? proc!.pid : 0),
    running,
    kill: async () => {
      if (proc) await killGroup(proc);
    },
    stop: async () => {
      await proc?.stop(10_000);
    },
    start: async () => {
      if (running()) throw new Error(`${name} is already running`);
      proc = await startFn();
    },
  };
}

/** Starts a cluster; see {@link ClusterOptions}. Everything already started is stopped again if a part fails. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const hubCount = options.hubs ?? 2;
  const workerCount = options.workers ?? 1;
  const reaped = reapOrphans();
  if (reaped > 0) log(`stopped ${reaped} process(es) left behind by a crashed run`);
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cluster-'));
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });

  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    // Binaries and the model first: a first-time install or build takes minutes.
    const redisBinary = ensureRedisBinary(log);
    const mongoBinary: MongoServerBinary = await resolveMongoServer(log);
    const modelsDir = process.env.AI_MODELS_DIR || path.join(cacheDir(), 'models');
    if (workerCount > 0 && process.env.AI_ALLOW_REMOTE_MODELS !== 'true') {
      await ensureModel({ modelsDir, modelId: process.env.AI_MODEL || DEFAULT_MODEL_ID, log });
    }

    const [redisPort, mongoPort] = [await freePort(), await freePort()];
    // Append-only file as in production: a restarted Redis keeps its queues.
    const launchRedis = async (): Promise<RedisService> =>
      startRedis({ port: redisPort, dataDir: path.join(dataDir, 'redis'), persist: true, log, binary: redisBinary });
    const launchMongo = async (): Promise<MongoService> =>
      ensureMongo({ port: mongoPort, dataDir: path.join(dataDir, 'mongo'), log, binary: mongoBinary });
    const [firstRedis, firstMongo] = await Promise.all([launchRedis(), launchMongo()]);
    const redis = dataService('redis', firstRedis.url, redisPort, async () => (await launchRedis()).process, firstRedis.process);
    const mongo = dataService('mongo', firstMongo.baseUri, mongoPort, async () => (await launchMongo()).process, firstMongo.process);
    cleanups.push(
      () => mongo.stop(),
      () => redis.stop(),
    );
    log(`Redis ${redis.url} and ${firstMongo.kind} ${mongo.url} up (data in ${dataDir})`);

    const apiPort = await freePort();
    const url = `http://127.0.0.1:${apiPort}`;
    const mongoUri = `${mongo.url}/switchboard`;
    const queuePrefix = 'switchboard';
    const hubs: AppProcess[] = [];
    const balancer = await startBalancer(await freePort(), () => hubs);
    cleanups.push(() => balancer.close());

    const baseEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      MONGODB_URI: mongoUri,
      REDIS_URL: redis.url,
      PUBLIC_URL: url,
      QUEUE_PREFIX: queuePrefix,
      AI_MODELS_DIR: modelsDir,
      SHUTDOWN_TIMEOUT_MS: '5000',
      // Several workers on one machine: each inbound SMTP server on a port of its own.
      SMTP_INBOUND_PORT: '0',
      SEARCH_DATA_DIR: path.join(dataDir, 'search'),
      ...options.env,
    };
    const appsStarted: AppProcess[] = [];
    const app = async (role: 'api' | 'hub' | 'worker', name: string, services: string[], extra: Record<string, string> = {}) => {
      // The api's HTTP port is the cluster URL, chosen before PUBLIC_URL was set.
      const port = role === 'api' ? apiPort : await freePort();
      const hubPort = role === 'hub' ? await freePort() : undefined;
      const proc = appProcess({
        name,
        services,
        port,
        hubPort,
        logFile: path.join(logDir, `${name}.log`),
        env: {
          ...baseEnv,
          ...options.roleEnv?.[role],
          ...extra,
          PORT: String(port),
          ...(hubPort ? { HUB_PORT: String(hubPort) } : {}),
        },
      });
      appsStarted.push(proc);
      cleanups.push(() => proc.stop());
      return proc;
    };

    for (let i = 0; i < hubCount; i++) hubs.push(await app('hub', `hub-${i + 1}`, ['realtime']));
    const api = await app('api', 'api', options.web ? ['api', 'web'] : ['api'], { HUB_URL: balancer.url });
    const workers: AppProcess[] = [];
    for (let i = 0; i < workerCount; i++) workers.push(await app('worker', `worker-${i + 1}`, ['workers']));
    // Hubs and workers start in parallel, the api alongside; each waits for its own readiness.
    await Promise.all([api, ...hubs, ...workers].map((p) => p.start()));
    log(`api ${url}, ${hubs.length} hub(s) behind ${balancer.url}, ${workers.length} worker(s)`);

    let stopping: Promise<void> | undefined;
    return {
      url,
      mongoUri,
      redisUrl: redis.url,
      queuePrefix,
      dataDir,
      api,
      hubs,
      workers,
      balancer,
      redis,
      mongo,
      addWorker: async () => {
        const worker = await app('worker', `worker-${workers.length + 1}`, ['workers']);
        await worker.start();
        workers.push(worker);
        return worker;
      },
      processes: () => [
        ...appsStarted.map((p) => ({ name: p.name, pid: p.pid() })),
        { name: 'redis', pid: redis.pid() },
        { name: 'mongo', pid: mongo.pid() },
      ],
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A domain handle in the calling process, wired like an api process of the cluster. */
export interface ClusterDomain {
  domain: Domain;
  connection: Connection;
  /** The cluster's queues (to inspect jobs). */
  registry: QueueRegistry;
  close(): Promise<void>;
}

/**
 * Opens the cluster's domain in this process for arranging data and reading it back: its
 * events reach the hubs and enqueue jobs exactly as if an api process had produced them.
 */
export async function connectDomain(cluster: Pick<Cluster, 'mongoUri' | 'redisUrl' | 'queuePrefix' | 'url'>): Promise<ClusterDomain> {
  const logger = createLogger({ level: 'silent' });
  const connection = await connectMongo(cluster.mongoUri);
  const redis = new Redis(cluster.redisUrl, { maxRetriesPerRequest: null });
  // Chaos tests restart Redis under this client; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  const registry = new QueueRegistry(cluster.redisUrl, cluster.queuePrefix, logger);
  const publisher = new InProcessPublisher();
  publisher.subscribe(createFanout(redis));
  publisher.subscribe(jobListener(registry));
  const domain = await createDomain({ connection, redis, publisher, logger, signupOpen: true, publicUrl: cluster.url });
  return {
    domain,
    connection,
    registry,
    close: async () => {
      await registry.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}
