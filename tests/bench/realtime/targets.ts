/**
 * The servers under test: hub nodes (the production entry `infra/src/main.ts
 * --services=realtime`, with the bench preload for heap probes and the adapter swap)
 * and the raw uWS pub/sub server.
 */
import { freePort } from '@switchboard/infra/services/net';
import { TEST_ORIGIN } from '@switchboard/realtime/testing/hub-fixtures';
import type { ChildMessage } from './messages.ts';
import { entries, forkChild, rssBytes, waitForPort, type Child } from './processes.ts';

/** One listening server process. */
export interface ServerNode {
  readonly child: Child;
  readonly port: number;
  /** Heap and RSS after a full GC (heap from the in-process probe, RSS from /proc). */
  memory(): Promise<{ heapUsed: number; rss: number }>;
}

function node(child: Child, port: number): ServerNode {
  return {
    child,
    port,
    memory: async () => {
      const probe = await child.request<Extract<ChildMessage, { type: 'memory' }>>({ cmd: 'memory' }, 60_000);
      return { heapUsed: probe.heapUsed, rss: rssBytes(child.pid) };
    },
  };
}

/** Options of one hub node. */
export interface HubNodeOptions {
  engine: 'uws' | 'node';
  adapter: 'classic' | 'sharded';
  mongoUri: string;
  redisUrl: string;
  /** Write a V8 CPU profile of the hub here when it exits. */
  profileDir?: string;
}

/** Starts one hub node and checks that it runs the engine and adapter asked for. */
export async function startHubNode(options: HubNodeOptions): Promise<ServerNode> {
  const [hubPort, httpPort] = [await freePort(), await freePort()];
  const child = forkChild(`hub-${options.engine}-${options.adapter}`, entries.main, {
    args: ['--services=realtime'],
    execArgv: [
      '--expose-gc',
      ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []),
      '--import',
      entries.hubProbe,
    ],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '5000',
      MONGODB_URI: options.mongoUri,
      REDIS_URL: options.redisUrl,
      PORT: String(httpPort),
      HUB_PORT: String(hubPort),
      HUB_ENGINE: options.engine,
      PUBLIC_URL: TEST_ORIGIN,
      BENCH_HUB_ADAPTER: options.adapter,
    },
  });
  let adapter: string | undefined;
  child.on((message) => {
    if (message.type === 'adapter') adapter = message.name;
  });
  try {
    await waitForPort(hubPort, 60_000, () => child.process.exitCode === null);
    const listening = Date.now() + 10_000;
    while (!child.output().includes(`(engine: ${options.engine})`) && Date.now() < listening) await new Promise((r) => setTimeout(r, 50));
    if (!child.output().includes(`(engine: ${options.engine})`)) throw new Error(`hub did not report engine ${options.engine}`);
    if (adapter !== options.adapter) throw new Error(`hub runs the ${adapter ?? 'unknown'} adapter, expected ${options.adapter}`);
  } catch (error) {
    await child.stop(5_000);
    throw new Error(`${(error as Error).message}\n${child.output().slice(-3000)}`);
  }
  return node(child, hubPort);
}

/** Starts the raw uWS pub/sub server. */
export async function startRawServer(redisUrl: string): Promise<ServerNode> {
  const child = forkChild('raw-uws', entries.rawServer, { execArgv: ['--expose-gc'], env: { ...process.env, REDIS_URL: redisUrl } });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`raw uWS server did not start:\n${child.output()}`)), 30_000);
    child.on((message) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.process.once('exit', () => reject(new Error(`raw uWS server exited:\n${child.output()}`)));
  });
  return node(child, port);
}
