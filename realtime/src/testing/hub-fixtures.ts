/**
 * Test fixtures for hub suites: a real domain on a fresh database, tenants with people,
 * hub nodes as separate processes (the production entry, `--services=realtime`), and
 * socket.io clients over real sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from '@switchboard/api/context';
import { connectMongo } from '@switchboard/api/db/connection';
import { createDomain, type Domain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { createLogger } from '@switchboard/api/lib/logger';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { io as connect, type Socket } from 'socket.io-client';
import { createFanout } from '../fanout.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The origin our test clients present (matches PUBLIC_URL of the hub processes). */
export const TEST_ORIGIN = 'http://127.0.0.1:3999';

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A domain with events fanned out through Redis, like an API process. */
export async function startDomain(
  mongoUri: string,
  redisUrl: string,
): Promise<{ domain: Domain; connection: Connection; redis: Redis; close(): Promise<void> }> {
  const connection = await connectMongo(mongoUri);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  // Reconnects are expected in fault tests; ioredis retries on its own.
  redis.on('error', () => undefined);
  const publisher = new InProcessPublisher();
  publisher.subscribe(createFanout(redis));
  const domain = await createDomain({
    connection,
    redis,
    publisher,
    logger: createLogger({ level: 'silent' }),
    signupOpen: true,
    publicUrl: TEST_ORIGIN,
  });
  return {
    domain,
    connection,
    redis,
    close: async () => {
      await connection.close();
      redis.disconnect();
    },
  };
}

/** A tenant with an admin, two agents and a customer, their cookies and one ticket. */
export interface TenantFixture {
  slug: string;
  adminCtx: Ctx;
  agents: Array<{ id: string; name: string; cookie: string; ctx: Ctx }>;
  customer: { id: string; name: string; cookie: string; ctx: Ctx };
  ticketId: string;
}

function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

/** Creates a tenant with people and a ticket, and signs everyone in. */
export async function createTenant(domain: Domain, slug: string): Promise<TenantFixture> {
  const password = 'fixture-password-1';
  const { tenant, admin } = await domain.tenants.signUp({
    slug,
    name: slug,
    timezone: 'UTC',
    admin: { name: `${slug} admin`, email: `admin@${slug}.test`, password },
  });
  const adminCtx: Ctx = { tenantId: tenant._id, actor: { kind: 'user', userId: admin._id, role: 'admin', name: admin.name } };
  const agents = [];
  for (const name of ['Ann', 'Ben']) {
    const user = await domain.users.create(adminCtx, {
      email: `${name.toLowerCase()}@${slug}.test`,
      name: `${name} ${slug}`,
      role: 'agent',
      password,
    });
    const { cookie } = await domain.auth.login({ tenant: slug, email: user.email, password }, {});
    agents.push({
      id: user._id.toHexString(),
      name: user.name,
      cookie: cookieOf(cookie),
      ctx: { tenantId: tenant._id, actor: { kind: 'user' as const, userId: user._id, role: 'agent' as const, name: user.name } },
    });
  }
  const customerUser = await domain.users.create(adminCtx, {
    email: `cust@${slug}.test`,
    name: `Cust ${slug}`,
    role: 'customer',
    password,
  });
  const login = await domain.auth.login({ tenant: slug, email: customerUser.email, password }, {});
  const customerCtx: Ctx = {
    tenantId: tenant._id,
    actor: { kind: 'user', userId: customerUser._id, role: 'customer', name: customerUser.name },
  };
  const { ticket } = await domain.tickets.create(customerCtx, { subject: `Help ${slug}`, body: 'It broke.', format: 'text' }, 'portal');
  return {
    slug,
    adminCtx,
    agents,
    customer: { id: customerUser._id.toHexString(), name: customerUser.name, cookie: cookieOf(login.cookie), ctx: customerCtx },
    ticketId: ticket.id,
  };
}

/** One hub node in its own process. */
export interface HubProcess {
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: a crash, no goodbye to clients. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<number | null>;
}

/** Starts `infra/src/main.ts --services=realtime` and waits until it listens. */
export async function startHubProcess(env: {
  mongoUri: string;
  redisUrl: string;
  extra?: Record<string, string>;
  port?: number;
}): Promise<HubProcess> {
  const port = env.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'infra/src/main.ts'), '--services=realtime'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      MONGODB_URI: env.mongoUri,
      REDIS_URL: env.redisUrl,
      PORT: String(await freePort()),
      HUB_PORT: String(port),
      PUBLIC_URL: TEST_ORIGIN,
      LOG_LEVEL: 'info',
      ...env.extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hub process exited early:\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`hub process did not listen within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    child,
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A typed socket.io client. */
export type HubClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects a client over a real websocket with a session cookie (or a board token). */
export function connectClient(
  port: number,
  namespace: '/agent' | '/customer' | '/board',
  credentials: { cookie?: string; boardToken?: string; origin?: string } = {},
): HubClient {
  const headers: Record<string, string> = { origin: credentials.origin ?? TEST_ORIGIN };
  if (credentials.cookie) headers.cookie = credentials.cookie;
  return connect(`http://127.0.0.1:${port}${namespace}`, {
    transports: ['websocket'],
    extraHeaders: headers,
    auth: credentials.boardToken ? { boardToken: credentials.boardToken } : {},
    reconnection: false,
    forceNew: true,
  });
}

/** Resolves when the client is connected; rejects with the server's error data otherwise. */
export function connected(client: HubClient): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.connected) return resolve();
    client.once('connect', () => resolve());
    client.once('connect_error', (error: Error & { data?: { code?: string } }) =>
      reject(Object.assign(new Error(error.message), { code: error.data?.code })),
    );
  });
}

/** Waits for the first `event` payload matching `predicate`. */
export function waitFor<E extends keyof ServerToClientEvents>(
  client: HubClient,
  event: E,
  predicate: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event as never, listener as never);
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      client.off(event as never, listener as never);
      resolve(payload);
    };
    client.on(event as never, listener as never);
  });
}

/** Emits with an ack and resolves with the ack. */
export function request<T>(client: HubClient, event: string, payload: unknown, timeoutMs = 10_000): Promise<T> {
  return (client as unknown as Socket).timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}
