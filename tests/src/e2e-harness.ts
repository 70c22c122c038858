/**
 * End-to-end harness: the real server (api + workers + web in this process, the hub in
 * its own process so tests can kill it), real services from `npm test`, and Debian's
 * Chromium driven by playwright-core. Every browser page is watched for console errors
 * and failed requests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl, testSearchDir } from '@switchboard/api/testing/services';
import { CHROMIUM_ARGS } from '@switchboard/infra/services/chromium';
import { freePort } from '@switchboard/infra/services/net';
import { startServer, type RunningServer } from '@switchboard/infra/server/server';
import { startHubProcess, startDomain, type HubProcess } from '@switchboard/realtime/testing/hub-fixtures';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where screenshots go (git-ignored; looked at after a run). */
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../artifacts/e2e');

/** A running stack for one test file. */
export interface Stack {
  url: string;
  server: RunningServer;
  hub: HubProcess;
  hubPort: number;
  mongoUri: string;
  redisUrl: string;
  domain: Awaited<ReturnType<typeof startDomain>>;
  browser: Browser;
  restartHub(): Promise<void>;
  close(): Promise<void>;
}

/** Redis logical database of the browser stacks (they run one file at a time). */
const E2E_REDIS_DB = 3;

/** Starts server, hub process, a domain handle for arranging data, and Chromium. */
export async function startStack(label: string): Promise<Stack> {
  const mongoUri = testMongoUri(label);
  // Its own Redis database: the API and fuzz suites exhaust the public routes' per-address
  // limits (sign-up: 5 per 15 minutes) for 127.0.0.1 in the shared one.
  const redisUrl = testRedisUrl(E2E_REDIS_DB);
  const port = await freePort();
  const hubPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const extra = { PUBLIC_URL: url };
  let hub = await startHubProcess({ mongoUri, redisUrl, port: hubPort, extra });
  const server = await startServer({
    services: ['api', 'workers', 'web'],
    env: {
      MONGODB_URI: mongoUri,
      REDIS_URL: redisUrl,
      PORT: String(port),
      HUB_URL: `http://127.0.0.1:${hubPort}`,
      PUBLIC_URL: url,
      LOG_LEVEL: 'silent',
      QUEUE_PREFIX: `e2e${process.pid}`,
      SEARCH_DATA_DIR: testSearchDir(),
    },
    logger: createLogger({ level: 'silent' }),
  });
  const domain = await startDomain(mongoUri, redisUrl);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const stack: Stack = {
    url,
    server,
    hub,
    hubPort,
    mongoUri,
    redisUrl,
    domain,
    browser,
    restartHub: async () => {
      hub = await startHubProcess({ mongoUri, redisUrl, port: hubPort, extra });
      stack.hub = hub;
    },
    close: async () => {
      await browser.close();
      await server.close();
      await stack.hub.stop();
      await domain.connection.dropDatabase().catch(() => undefined);
      await domain.close();
    },
  };
  return stack;
}

/** Problems a page reported: console errors and failed requests. */
export interface PageProblems {
  errors: string[];
}

/** Opens a page in a fresh context and records console errors and failed requests. */
export async function openPage(
  stack: Stack,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems; expectOffline(): void }> {
  const context = await stack.browser.newContext({ viewport: options.viewport ?? { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems: PageProblems = { errors: [] };
  let offlineExpected = false;
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // While the hub is deliberately down, the browser logs the refused websocket; that is the point of the test.
    if (offlineExpected && /WebSocket|socket\.io|ERR_CONNECTION|502/.test(message.text())) return;
    problems.errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.errors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (offlineExpected && request.url().includes('/socket.io/')) return;
    // Requests the page itself cancelled by navigating away are not failures.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.errors.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !(offlineExpected && response.url().includes('/socket.io/')))
      problems.errors.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return { context, page, problems, expectOffline: () => (offlineExpected = true) };
}

/** Signs in through the login page and waits for the console. */
export async function signIn(page: Page, stack: Stack, tenant: string, email: string, password: string): Promise<void> {
  await page.goto(`${stack.url}/login`);
  await page.getByLabel('Helpdesk').fill(tenant);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${stack.url}/app`);
  await page.getByTestId('queue').waitFor();
}
