/**
 * Security properties of what the server sends, checked over real sockets against the
 * production composition (startServer with api + web): helmet headers on API responses,
 * a Content-Security-Policy on SvelteKit pages, session cookie flags, CSRF refusal of
 * cookie mutations, and rate limits answering 429 in the error shape.
 */
import http from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server/server.ts';
import { freePort } from '../services/net.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from its own loopback address (rate limits count per address). */
function send(
  port: number,
  method: string,
  path: string,
  { body, headers = {}, from = randomLoopback() }: { body?: unknown; headers?: Record<string, string>; from?: string } = {},
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress: from,
        timeout: 20_000,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 20 s`)));
    req.once('error', reject);
    req.end(payload);
  });
}

function randomLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** Asserts the API's one error shape and returns its code. */
function errorCode(reply: Reply): string {
  const body = JSON.parse(reply.body) as { error: { code: string; message: string; request_id: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String), request_id: reply.headers['x-request-id'] });
  return body.error.code;
}

/** A server with its own database, and a tenant whose admin is signed in. */
async function serve(
  publicUrl: string,
): Promise<{ server: RunningServer; port: number; host: string; origin: string; cookie: string; setCookie: string; slug: string }> {
  const port = await freePort();
  const server = await startServer({
    services: ['api', 'web'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      MONGODB_URI: testMongoUri('security'),
      REDIS_URL: testRedisUrl(),
      PUBLIC_URL: publicUrl,
      SIGNUP_OPEN: 'true',
      QUEUE_PREFIX: `sec-${randomBytes(4).toString('hex')}`,
    },
    logger: createLogger({ level: 'silent' }),
  });
  const origin = new URL(publicUrl).origin;
  const host = new URL(publicUrl).host;
  const slug = `sec-${randomBytes(4).toString('hex')}`;
  const admin = { name: 'Sec Admin', email: `admin@${slug}.test`, password: 'security-password-1' };
  const signup = await send(port, 'POST', '/api/v1/tenants', { body: { slug, name: slug, admin }, headers: { host, origin } });
  expect(signup.status, signup.body).toBe(201);
  const login = await send(port, 'POST', '/api/v1/auth/login', {
    body: { tenant: slug, email: admin.email, password: admin.password },
    headers: { host, origin },
  });
  expect(login.status, login.body).toBe(200);
  const setCookie = [login.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('sb_session='))!;
  return { server, port, host, origin, cookie: setCookie.split(';')[0]!, setCookie, slug };
}

describe('HTTP security (real server: api + web)', () => {
  let plain: Awaited<ReturnType<typeof serve>>;
  let tls: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    [plain, tls] = await Promise.all([serve('http://desk.security.test'), serve('https://help.security.test')]);
  });
  afterAll(async () => {
    for (const s of [plain, tls]) {
      await s?.server.domain?.models.Tenant.db.dropDatabase().catch(() => undefined);
      await s?.server.close();
    }
  });

  it('puts helmet headers on API responses, errors included', async () => {
    for (const path of ['/api/v1/me', '/api/v1/no-such-route']) {
      const reply = await send(plain.port, 'GET', path, { headers: { host: plain.host, cookie: plain.cookie } });
      expect(reply.headers['x-content-type-options'], path).toBe('nosniff');
      expect(reply.headers['x-frame-options'], path).toBe('SAMEORIGIN');
      expect(reply.headers['referrer-policy'], path).toBe('no-referrer');
      expect(reply.headers['strict-transport-security'], path).toMatch(/max-age=\d+/);
      expect(reply.headers['cross-origin-resource-policy'], path).toBe('same-origin');
      expect(reply.headers['x-powered-by'], path).toBeUndefined();
    }
  });

  it('serves SvelteKit pages with a Content-Security-Policy that forbids foreign scripts and framing', async () => {
    const reply = await send(plain.port, 'GET', '/login', { headers: { host: plain.host } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/text\/html/);
    const csp = String(reply.headers['content-security-policy'] ?? '');
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values]),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toContain("'self'");
    expect(directives.get('script-src')?.some((v) => v === "'unsafe-inline'" || v === "'unsafe-eval'" || v === '*')).toBe(false);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    // The page's own inline bootstrap script runs by nonce, so the policy needs no 'unsafe-inline'.
    const nonce = directives
      .get('script-src')
      ?.find((v) => v.startsWith("'nonce-"))
      ?.slice(7, -1);
    expect(nonce).toBeDefined();
    expect(reply.body).toContain(`nonce="${nonce}"`);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, and Secure when PUBLIC_URL is https', () => {
    for (const { setCookie, secure } of [
      { setCookie: plain.setCookie, secure: false },
      { setCookie: tls.setCookie, secure: true },
    ]) {
      const flags = setCookie.split(';').map((part) => part.trim().toLowerCase());
      expect(flags).toContain('httponly');
      expect(flags).toContain('samesite=lax');
      expect(flags).toContain('path=/');
      expect(flags.includes('secure'), setCookie).toBe(secure);
    }
  });

  it('refuses cookie-authenticated mutations without an Origin or from a foreign one, and accepts our own', async () => {
    const body = { name: `Team ${randomBytes(3).toString('hex')}` };
    const base = { host: plain.host, cookie: plain.cookie };
    const missing = await send(plain.port, 'POST', '/api/v1/teams', { body, headers: base });
    expect(missing.status).toBe(403);
    expect(errorCode(missing)).toBe('forbidden');
    const foreign = await send(plain.port, 'POST', '/api/v1/teams', { body, headers: { ...base, origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(errorCode(foreign)).toBe('forbidden');
    const lookalike = await send(plain.port, 'POST', '/api/v1/teams', {
      body,
      headers: { ...base, origin: `http://${plain.host}.evil.example` },
    });
    expect(lookalike.status).toBe(403);
    const own = await send(plain.port, 'POST', '/api/v1/teams', { body, headers: { ...base, origin: plain.origin } });
    expect(own.status, own.body).toBe(201);
  });

  it('answers 429 in the error shape, with Retry-After, once an address passes a route limit', async () => {
    const from = randomLoopback();
    const request = () =>
      send(plain.port, 'POST', '/api/v1/auth/password-reset', {
        from,
        body: { tenant: plain.slug, email: `nobody@${plain.slug}.test` },
        headers: { host: plain.host, origin: plain.origin },
      });
    // Reset requests: 5 per 15 minutes per address (always 202, so nothing else interferes).
    const statuses: number[] = [];
    let limited: Reply | undefined;
    for (let i = 0; i < 8 && !limited; i++) {
      const reply = await request();
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
    }
    expect(limited, `no 429 within 8 requests: ${statuses.join(', ')}`).toBeDefined();
    expect(statuses.slice(0, -1).every((status) => status === 202)).toBe(true);
    expect(errorCode(limited!)).toBe('rate_limited');
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    const elsewhere = await send(plain.port, 'POST', '/api/v1/auth/password-reset', {
      body: { tenant: plain.slug, email: `nobody@${plain.slug}.test` },
      headers: { host: plain.host, origin: plain.origin },
    });
    expect(elsewhere.status, 'another address keeps its own budget').toBe(202);
  });

  it('throttles repeated failed sign-ins with 429 in the error shape', async () => {
    const from = randomLoopback();
    let limited: Reply | undefined;
    for (let i = 0; i < 25 && !limited; i++) {
      const reply = await send(plain.port, 'POST', '/api/v1/auth/login', {
        from,
        body: { tenant: plain.slug, email: `nobody@${plain.slug}.test`, password: 'wrong-password-1' },
        headers: { host: plain.host, origin: plain.origin },
      });
      if (reply.status === 429) limited = reply;
      else expect(reply.status, reply.body).toBe(401);
    }
    expect(limited, 'no 429 within 25 failed sign-ins').toBeDefined();
    expect(errorCode(limited!)).toBe('rate_limited');
  });

  it('answers a URL past the header limit with 431 in the error shape (Node refuses it before Fastify)', async () => {
    const reply = await send(plain.port, 'GET', `/api/v1/tickets?q=${'a'.repeat(20_000)}`, { headers: { host: plain.host } });
    expect(reply.status).toBe(431);
    expect(errorCode(reply)).toBe('headers_too_large');
  });
});
