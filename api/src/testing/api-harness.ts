/**
 * A real REST API for integration tests: Fastify from `createHttpServer` + `registerApi`,
 * the domain on a fresh database of the provisioned MongoDB-compatible server, and the
 * test Redis. Every harness signs up its own tenants with random slugs and sends its
 * requests from its own random loopback address, so test files run in parallel without
 * sharing rate-limit counters, login throttles or data.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Secret, TOTP } from 'otpauth';
// Test-only: search depends on api, so api's production code never imports it (see search.port.ts).
import { EmbeddedSearchEngine } from '@switchboard/search/embedded-engine';
import type { LightMyRequestResponse as InjectResponse } from 'fastify';
import type { Connection } from 'mongoose';
import { expect } from 'vitest';
import type { Role } from '../context.ts';
import { connectMongo } from '../db/connection.ts';
import { createDomain, type AccountNotifier, type Domain } from '../domain.ts';
import { InProcessPublisher, type PublishedBatch } from '../events/publisher.ts';
import { registerApi } from '../http/api.ts';
import { createHttpServer, type HttpServer } from '../http/server.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { User } from '../users/user.model.ts';
import { testMongoUri, testRedisUrl } from './services.ts';

/** Host the harness's requests are addressed to; mutations carry `Origin: http://HOST`. */
export const TEST_HOST = 'desk.switchboard.test';
/** A second origin the API is told to accept (like PUBLIC_URL's host behind a proxy). */
export const TEST_ALLOWED_HOST = 'app.switchboard.test';
/** The API prefix. */
export const API = '/api/v1';
/** The default body limit of the API (API_BODY_LIMIT_BYTES). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A route as Fastify registered it, without the `/api/v1` prefix. */
export interface RegisteredRoute {
  method: string;
  /** Fastify path, e.g. `/tickets/:id`. */
  path: string;
  /** `METHOD /path`, the key test tables use. */
  key: string;
  /** The route's auth mode (`required` unless it opts out). */
  auth: 'none' | 'optional' | 'required';
  /** Hidden from the OpenAPI document (the document itself and the docs UI). */
  hidden: boolean;
}

/** How a test client authenticates: a session cookie, a bearer token, or nothing. */
export interface Credentials {
  cookie?: string | null;
  bearer?: string | null;
  /** Remote address of the requests (rate limits are per address). */
  ip: string;
}

/** A person of a test tenant, signed in. */
export interface Person {
  id: string;
  email: string;
  password: string;
  name: string;
  role: Role;
  organisationId: string | null;
  auth: Credentials;
}

/** A signed-up test tenant and its first admin. */
export interface TenantFixture {
  id: string;
  slug: string;
  name: string;
  admin: Person;
}

/** One request through `app.inject`. */
export interface ApiRequest {
  method: string;
  /** Path below /api/v1 (with query string if any). */
  url: string;
  body?: unknown;
  /** Raw payload instead of JSON (malformed JSON, other content types, oversized bodies). */
  payload?: string | Buffer;
  headers?: Record<string, string>;
  /** Leave out the Origin header on a mutation (CSRF tests). */
  noOrigin?: boolean;
}

/** A captured password-reset mail. */
export interface SentReset {
  user: User;
  url: string;
  token: string;
}

/** The notifier tests pass to `createDomain`: keeps reset mails instead of sending them. */
export class RecordingNotifier implements AccountNotifier {
  readonly resets: SentReset[] = [];

  async passwordReset(user: User, resetUrl: string): Promise<void> {
    this.resets.push({ user, url: resetUrl, token: new URL(resetUrl).searchParams.get('token') ?? '' });
  }

  /** The last reset mail sent to `email`, if any. */
  lastFor(email: string): SentReset | undefined {
    return this.resets.filter((r) => r.user.email === email.toLowerCase()).at(-1);
  }
}

/** Options of {@link startApi}. */
export interface ApiHarnessOptions {
  /** Label of the database name (shows up when debugging the test server). */
  label?: string;
  signupOpen?: boolean;
  bodyLimit?: number;
  gapTimeoutMs?: number;
  /** Log level of the app (silent unless a test debugs something). */
  logLevel?: string;
}

/** A random address in 127.0.0.0/8, so each client gets its own rate-limit buckets. */
export function randomIp(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** A short random suffix for names that must be unique. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** The `sb_session=…` pair of a response's Set-Cookie, or undefined. */
export function sessionCookieOf(response: InjectResponse): string | undefined {
  const header = response.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header ? [header] : [];
  const line = all.find((c) => c.startsWith('sb_session='));
  return line ? line.split(';')[0] : undefined;
}

/** Asserts the one error shape `{ error: { code, message, details?, request_id } }` with a status and code. */
export function expectError(
  response: InjectResponse,
  status: number,
  code?: ErrorCode,
): { code: string; message: string; details?: unknown; request_id: string } {
  expect(response.statusCode, `${response.statusCode} ${response.body}`).toBe(status);
  const body = response.json() as { error: { code: string; message: string; details?: unknown; request_id: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code: code ?? expect.any(String), message: expect.any(String), request_id: expect.any(String) });
  expect(body.error.request_id).toBe(response.headers['x-request-id']);
  return body.error;
}

/** A running API on its own database. Create one per test file (or describe) and close it after. */
export class ApiHarness {
  /** Events published by the domain, in order. */
  readonly published: PublishedBatch[] = [];
  /** Every route the app registered (from an onRoute hook, so nothing can hide). */
  readonly routes: RegisteredRoute[];

  private constructor(
    readonly app: HttpServer,
    readonly domain: Domain,
    readonly connection: Connection,
    readonly redis: Redis,
    readonly notifier: RecordingNotifier,
    routes: RegisteredRoute[],
    /** The real embedded search engine behind the search routes (its own throwaway directory). */
    readonly search: EmbeddedSearchEngine,
    private readonly searchDir: string,
  ) {
    this.routes = routes;
    domain.publisher.subscribe((batch) => void this.published.push(batch));
  }

  /** Builds the app on a fresh database and the test Redis. */
  static async start(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
    const logger = createLogger({ level: options.logLevel ?? 'silent' });
    const connection = await connectMongo(testMongoUri(options.label ?? 'api'));
    const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
    const notifier = new RecordingNotifier();
    const searchDir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-search-'));
    const search = await EmbeddedSearchEngine.open({ dataDir: searchDir, logger, warmUp: false });
    const domain = await createDomain({
      connection,
      redis,
      publisher: new InProcessPublisher(),
      logger,
      signupOpen: options.signupOpen ?? true,
      publicUrl: `http://${TEST_HOST}`,
      notifier,
      search,
      ...(options.gapTimeoutMs ? { gapTimeoutMs: options.gapTimeoutMs } : {}),
    });
    const app = createHttpServer({ logger, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT });
    const routes: RegisteredRoute[] = [];
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method === 'HEAD' || !route.url.startsWith(API)) continue;
        const path = route.url.slice(API.length) || '/';
        const schema = route.schema as { hide?: boolean } | undefined;
        routes.push({
          method,
          path,
          key: `${method} ${path}`,
          auth: route.config?.auth?.mode ?? 'required',
          hidden: schema?.hide === true,
        });
      }
    });
    await registerApi(app, { domain, redis, allowedHosts: [TEST_ALLOWED_HOST] });
    await app.ready();
    return new ApiHarness(app, domain, connection, redis, notifier, routes, search, searchDir);
  }

  /** Closes the app, drops the database and disconnects. */
  async close(): Promise<void> {
    await this.app.close();
    await this.connection.dropDatabase();
    await this.connection.close();
    await this.redis.quit();
    await this.search.close();
    await fs.rm(this.searchDir, { recursive: true, force: true });
  }

  /** Rebuilds a tenant's search index from MongoDB (the workers do this through the `index` queue). */
  async index(tenantId: string): Promise<void> {
    await this.domain.searchIndex.reindexTenant(tenantId);
  }

  /**
   * Sends a request as `auth` (or anonymously). JSON bodies are serialised; mutations carry
   * an Origin matching the Host unless `noOrigin` or an explicit `origin` header says otherwise.
   */
  async request(auth: Credentials | null, request: ApiRequest): Promise<InjectResponse> {
    const method = request.method.toUpperCase();
    const headers: Record<string, string> = { host: TEST_HOST };
    if (!SAFE_METHODS.has(method) && !request.noOrigin) headers.origin = `http://${TEST_HOST}`;
    if (auth?.cookie) headers.cookie = auth.cookie;
    if (auth?.bearer) headers.authorization = `Bearer ${auth.bearer}`;
    let payload: string | Buffer | undefined = request.payload;
    if (payload === undefined && request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, request.headers);
    return this.app.inject({
      method: method as 'GET',
      url: `${API}${request.url}`,
      headers,
      remoteAddress: auth?.ip ?? randomIp(),
      ...(payload === undefined ? {} : { payload }),
    });
  }

  /** Signs in and returns the session's credentials (fails the test when it does not work). */
  async login(tenant: string, email: string, password: string, ip = randomIp()): Promise<Credentials> {
    const response = await this.request({ ip }, { method: 'POST', url: '/auth/login', body: { tenant, email, password } });
    expect(response.statusCode, response.body).toBe(200);
    const cookie = sessionCookieOf(response);
    expect(cookie).toBeDefined();
    return { cookie: cookie!, ip };
  }

  /** Signs up a tenant with a random slug through the API and signs its admin in. */
  async signUpTenant(options: { slug?: string; name?: string } = {}): Promise<TenantFixture> {
    const suffix = uniqueSuffix();
    const slug = options.slug ?? `t-${suffix}`;
    const admin = { name: `Admin ${suffix}`, email: `admin-${suffix}@example.test`, password: `pw-admin-${suffix}` };
    const name = options.name ?? `Tenant ${suffix}`;
    const response = await this.request({ ip: randomIp() }, { method: 'POST', url: '/tenants', body: { slug, name, admin } });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json() as { tenant: { id: string }; admin: { id: string } };
    const auth = await this.login(slug, admin.email, admin.password);
    return { id: body.tenant.id, slug, name, admin: { id: body.admin.id, ...admin, role: 'admin', organisationId: null, auth } };
  }

  /** Creates a person through the API (as `by`, an admin or manager) and signs them in. */
  async createPerson(
    tenant: TenantFixture,
    role: Role,
    options: { by?: Person; name?: string; organisationId?: string | null; teamIds?: string[]; signIn?: boolean } = {},
  ): Promise<Person> {
    const suffix = uniqueSuffix();
    const person = { name: options.name ?? `${role} ${suffix}`, email: `${role}-${suffix}@example.test`, password: `pw-${role}-${suffix}` };
    const response = await this.request((options.by ?? tenant.admin).auth, {
      method: 'POST',
      url: '/users',
      body: {
        ...person,
        role,
        ...(options.organisationId ? { organisationId: options.organisationId } : {}),
        ...(options.teamIds ? { teamIds: options.teamIds } : {}),
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json() as { id: string; organisationId: string | null };
    const auth = options.signIn === false ? { ip: randomIp() } : await this.login(tenant.slug, person.email, person.password);
    return { id: created.id, ...person, role, organisationId: created.organisationId, auth };
  }

  /** POSTs/PATCHes… `body` as `who` and returns the JSON of a 2xx answer (fails the test otherwise). */
  async ok<T = Record<string, unknown>>(who: Person | Credentials, method: string, url: string, body?: unknown): Promise<T> {
    const auth = 'auth' in who ? who.auth : who;
    const response = await this.request(auth, { method, url, ...(body === undefined ? {} : { body }) });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json() as T;
  }

  /**
   * Every document of one tenant in every collection (sessions aside), as a stable string:
   * compare two snapshots to prove that a request wrote nothing.
   */
  async snapshot(tenantId: string): Promise<string> {
    const { Tenant, Session: _sessions, ...scoped } = this.domain.models;
    const parts = await Promise.all([
      Tenant.findOne({ _id: tenantId }).lean(),
      ...Object.values(scoped).map((model) => (model as typeof this.domain.models.Ticket).find({ tenantId }).sort({ _id: 1 }).lean()),
    ]);
    return JSON.stringify(parts);
  }
}

/** The TOTP code of `secret` for the current 30-second step plus `stepOffset` (what an authenticator app shows). */
export function totpCode(secret: string, stepOffset = 0): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({
    timestamp: Date.now() + stepOffset * 30_000,
  });
}

/** A six-digit code that is valid for no step the server would accept right now. */
export function wrongTotpCode(secret: string): string {
  const valid = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(secret, offset)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}
