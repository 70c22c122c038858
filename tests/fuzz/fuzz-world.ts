/**
 * The target of the fuzz suites: a real Switchboard process (`startServer`, the production
 * entry's composition) on loopback with a fresh database, and two tenants seeded through
 * its REST API over real sockets. Tenant A is the one the fuzzers act in (an admin and an
 * agent with API tokens, a customer with a session); tenant B is the bystander whose ids
 * and marker text must never show up in anything A receives.
 */
import http from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl, testSearchDir } from '@switchboard/api/testing/services';
import type { ServiceName } from '@switchboard/infra/server/env';
import { startServer, type RunningServer } from '@switchboard/infra/server/server';
import { freePort } from '@switchboard/infra/services/net';

/** The origin the server believes it is served from (PUBLIC_URL); cookie mutations must carry it. */
export const FUZZ_ORIGIN = 'http://fuzz.switchboard.test';

/** A response read in full. */
export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** A client with its own loopback source address (rate limits and login throttles are per address). */
export class LoopbackClient {
  /** A random address in 127.0.0.0/8. */
  readonly localAddress = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

  constructor(readonly port: number) {}

  /** Sends one request; cookie-authenticated mutations get our Origin unless `origin` says otherwise. */
  request(
    method: string,
    path: string,
    options: { body?: unknown; cookie?: string; bearer?: string; origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<HttpResult> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { host: new URL(FUZZ_ORIGIN).host, ...options.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (options.cookie) headers.cookie = options.cookie;
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    const origin = options.origin === undefined ? (method === 'GET' ? null : FUZZ_ORIGIN) : options.origin;
    if (origin) headers.origin = origin;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.port, localAddress: this.localAddress, method, path, headers, timeout: 30_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
        },
      );
      req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** Like {@link request}, but fails unless the answer is 2xx; returns the JSON body. */
  async ok<T = Record<string, unknown>>(method: string, path: string, options: Parameters<LoopbackClient['request']>[2] = {}): Promise<T> {
    const result = await this.request(method, path, options);
    if (result.status >= 300) throw new Error(`${method} ${path} answered ${result.status}: ${result.body}`);
    return result.json<T>();
  }
}

/** A signed-in person of a seeded tenant. */
export interface FuzzPerson {
  id: string;
  email: string;
  password: string;
  /** `sb_session=…` */
  cookie: string;
  /** A read-write API token (staff only). */
  token?: string;
}

/** A seeded tenant. */
export interface FuzzTenant {
  id: string;
  slug: string;
  /** Appears in every name and text the tenant holds. */
  marker: string;
  admin: FuzzPerson;
  agent: FuzzPerson;
  customer: FuzzPerson;
  /** Every object id the tenant holds (tenant, people, team, organisation, category, macro, ticket, entries, token). */
  ids: string[];
  /** The ids a request may name in a path, by the object kind. */
  objects: {
    ticketId: string;
    entryId: string;
    noteId: string;
    teamId: string;
    organisationId: string;
    categoryId: string;
    macroId: string;
  };
}

/** The running server and its two tenants. */
export interface FuzzWorld {
  server: RunningServer;
  baseUrl: string;
  port: number;
  a: FuzzTenant;
  b: FuzzTenant;
  close(): Promise<void>;
}

const api = '/api/v1';
const cookieOf = (result: HttpResult) =>
  [result.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('sb_session='))
    ?.split(';')[0] ?? '';

async function seedTenant(port: number): Promise<FuzzTenant> {
  const client = new LoopbackClient(port);
  const marker = `zq${randomBytes(6).toString('hex')}`;
  const slug = `fz-${randomBytes(4).toString('hex')}`;
  const password = `pw-${marker}`;
  const signup = await client.ok<{ tenant: { id: string }; admin: { id: string } }>('POST', `${api}/tenants`, {
    body: { slug, name: `Tenant ${marker}`, admin: { name: `Admin ${marker}`, email: `admin-${marker}@example.test`, password } },
  });
  const login = async (email: string): Promise<string> => {
    const result = await client.request('POST', `${api}/auth/login`, { body: { tenant: slug, email, password } });
    if (result.status !== 200) throw new Error(`login of ${email} answered ${result.status}: ${result.body}`);
    return cookieOf(result);
  };
  const admin: FuzzPerson = {
    id: signup.admin.id,
    email: `admin-${marker}@example.test`,
    password,
    cookie: await login(`admin-${marker}@example.test`),
  };
  const as = (who: FuzzPerson) => ({ cookie: who.cookie });
  const team = await client.ok<{ id: string }>('POST', `${api}/teams`, {
    ...as(admin),
    body: { name: `Team ${marker}`, description: `Team of ${marker}` },
  });
  const organisation = await client.ok<{ id: string }>('POST', `${api}/organisations`, {
    ...as(admin),
    body: { name: `Org ${marker}`, notes: `Internal ${marker}` },
  });
  const category = await client.ok<{ id: string }>('POST', `${api}/categories`, {
    ...as(admin),
    body: { name: `Category ${marker}`, description: `About ${marker}`, teamId: team.id },
  });
  const macro = await client.ok<{ id: string }>('POST', `${api}/macros`, {
    ...as(admin),
    body: { title: `Macro ${marker}`, body: `Hello from ${marker}` },
  });
  const person = async (role: 'agent' | 'customer', extra: Record<string, unknown>): Promise<FuzzPerson> => {
    const email = `${role}-${marker}@example.test`;
    const created = await client.ok<{ id: string }>('POST', `${api}/users`, {
      ...as(admin),
      body: { name: `${role} ${marker}`, email, password, role, ...extra },
    });
    return { id: created.id, email, password, cookie: await login(email) };
  };
  const agent = await person('agent', { teamIds: [team.id] });
  const customer = await person('customer', { organisationId: organisation.id });
  const ticket = await client.ok<{ ticket: { id: string } }>('POST', `${api}/tickets`, {
    ...as(customer),
    body: { subject: `Help ${marker}`, body: `Something broke for ${marker}`, format: 'text' },
  });
  const ticketId = ticket.ticket.id;
  const reply = await client.ok<{ id: string }>('POST', `${api}/tickets/${ticketId}/entries`, {
    ...as(agent),
    body: { kind: 'reply', body: `Reply ${marker}`, format: 'text' },
  });
  const note = await client.ok<{ id: string }>('POST', `${api}/tickets/${ticketId}/entries`, {
    ...as(agent),
    body: { kind: 'note', body: `Internal note ${marker}`, format: 'text' },
  });
  const token = async (who: FuzzPerson) =>
    client.ok<{ token: string; id: string }>('POST', `${api}/me/tokens`, {
      ...as(who),
      body: { name: `fuzz ${marker}`, scopes: ['read', 'write'] },
    });
  const adminToken = await token(admin);
  const agentToken = await token(agent);
  admin.token = adminToken.token;
  agent.token = agentToken.token;
  const objects = {
    ticketId,
    entryId: reply.id,
    noteId: note.id,
    teamId: team.id,
    organisationId: organisation.id,
    categoryId: category.id,
    macroId: macro.id,
  };
  return {
    id: signup.tenant.id,
    slug,
    marker,
    admin,
    agent,
    customer,
    objects,
    ids: [signup.tenant.id, admin.id, agent.id, customer.id, adminToken.id, agentToken.id, ...Object.values(objects)],
  };
}

/** Starts a server running `services` on loopback with a fresh database, and seeds two tenants. */
export async function startFuzzWorld(services: ServiceName[], extraEnv: Record<string, string> = {}): Promise<FuzzWorld> {
  const port = await freePort();
  const server = await startServer({
    services,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      HUB_PORT: String(await freePort()),
      MONGODB_URI: testMongoUri('fuzz'),
      REDIS_URL: testRedisUrl(),
      PUBLIC_URL: FUZZ_ORIGIN,
      SIGNUP_OPEN: 'true',
      QUEUE_PREFIX: `fuzz-${randomBytes(4).toString('hex')}`,
      SEARCH_DATA_DIR: testSearchDir(),
      // Seeding puts several hundred operations through one process; fast failure beats a stall.
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...extraEnv,
    },
    logger: createLogger({ level: process.env.FUZZ_LOG_LEVEL ?? 'silent' }),
  });
  try {
    const [a, b] = [await seedTenant(port), await seedTenant(port)];
    return {
      server,
      port,
      baseUrl: `http://127.0.0.1:${port}`,
      a,
      b,
      close: async () => {
        await server.domain?.models.Tenant.db.dropDatabase().catch(() => undefined);
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
