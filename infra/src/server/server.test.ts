import { spawn } from 'node:child_process';
import path from 'node:path';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl, testSearchDir } from '@switchboard/api/testing/services';
import { Redis } from 'ioredis';
import { io as connectClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../services/net.ts';
import { repoRoot } from '../services/paths.ts';
import { parseServices } from './env.ts';
import { startServer, type RunningServer } from './server.ts';

/** The test Redis database the queues of these servers live in. */
const QUEUE_DB = 6;

async function testEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    MONGODB_URI: testMongoUri('server'),
    REDIS_URL: testRedisUrl(),
    PORT: String(await freePort()),
    HUB_PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: `t${process.pid}`,
    SEARCH_DATA_DIR: testSearchDir(),
    // The queues on a Redis database of their own, as production may put them on a durable instance.
    QUEUE_REDIS_URL: testRedisUrl(QUEUE_DB),
    // Any free port: a running `npm start` holds the default inbound SMTP port.
    SMTP_INBOUND_PORT: '0',
  };
}

describe('the process entry, all services behind one port', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({
      services: ['api', 'realtime', 'workers', 'web'],
      env: await testEnv(),
      logger: createLogger({ level: 'silent' }),
    });
  });
  afterAll(() => server.close());

  it('answers /health/live and /health/ready with every dependency checked', async () => {
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: Array<{ name: string; ok: boolean }> };
    expect(body.checks.map((c) => c.name).sort()).toEqual(['mongodb', 'redis']);
    expect(body.checks.every((c) => c.ok)).toBe(true);
  });

  it('keeps the bull queues on QUEUE_REDIS_URL, apart from the adapter and presence', async () => {
    const queues = new Redis(testRedisUrl(QUEUE_DB));
    const shared = new Redis(testRedisUrl());
    try {
      // The workers registered their repeating sweeps at start: their keys are in the queue database only.
      const queueKeys = await queues.keys(`t${process.pid}:*`);
      expect(queueKeys).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^t${process.pid}:dispatch-sweep:`))]));
      expect(await shared.keys(`t${process.pid}:*`)).toEqual([]);
    } finally {
      queues.disconnect();
      shared.disconnect();
    }
  });

  it('serves the web app at /', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Switchboard');
  });

  it('answers unknown API routes with the JSON error shape and a request id', async () => {
    const response = await fetch(`${server.url}/api/v1/does-not-exist`, { headers: { 'x-request-id': 'req-test-12345' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('req-test-12345');
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: 'No route for GET /api/v1/does-not-exist', request_id: 'req-test-12345' },
    });
  });

  it('carries socket.io over the same port to the hub (websocket upgrade through the proxy)', async () => {
    const client = connectClient(server.url, { transports: ['websocket'], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('connect_error', reject);
      });
      expect(client.connected).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe('configuration errors', () => {
  it('refuses unknown services with the list of valid ones', () => {
    expect(() => parseServices('api,mail')).toThrow('--services: unknown service mail; choose from api, realtime, workers, web');
    expect(parseServices('api, realtime,api')).toEqual(['api', 'realtime']);
  });

  it('stops at boot naming the missing variable', async () => {
    await expect(
      startServer({ services: ['api'], env: { LOG_LEVEL: 'silent' }, logger: createLogger({ level: 'silent' }) }),
    ).rejects.toThrow(/MONGODB_URI.*it is not set/);
  });
});

describe('graceful shutdown of the real process', () => {
  it('exits 0 soon after SIGTERM, after logging a complete shutdown', async () => {
    const env = await testEnv();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'infra/src/main.ts'), '--services=api,realtime,workers'],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!output.includes('switchboard listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain('switchboard listening');
    expect((await fetch(`http://127.0.0.1:${env.PORT}/health/ready`)).status).toBe(200);

    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(output).toContain('shutdown complete');
  });
});
