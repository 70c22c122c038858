/**
 * `npm start`: provision local services, build, seed the demo tenants, serve everything
 * at one URL, print it with the demo logins. Ctrl-C stops the server, then the services.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '@switchboard/api/lib/logger';
import { DEMO_PASSWORD, seedDemo } from '@switchboard/api/seed/demo';
import { provision, type Provisioned } from '../provision.ts';
import { ProvisionError } from '../services/errors.ts';
import { isPortFree } from '../services/net.ts';
import { devStateDir } from '../services/paths.ts';
import { isAlive } from '../services/process.ts';
import { onShutdownSignal } from '../server/lifecycle.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { buildApps } from './build.ts';
import { reportFailure, step, timed } from './output.ts';

const runFile = path.join(process.env.SWITCHBOARD_STATE_DIR ?? devStateDir, 'run.json');

/** Refuses a second `npm start` on the same data: two servers must never share it. */
function claimRun(): void {
  if (fs.existsSync(runFile)) {
    const previous = JSON.parse(fs.readFileSync(runFile, 'utf8')) as { pid: number; url?: string };
    if (previous.pid !== process.pid && isAlive(previous.pid)) {
      throw new ProvisionError(
        `Switchboard is already running${previous.url ? ` at ${previous.url}` : ''} (pid ${previous.pid})`,
        `use that one, or stop it with: kill ${previous.pid}`,
      );
    }
  }
  fs.mkdirSync(path.dirname(runFile), { recursive: true });
  fs.writeFileSync(runFile, JSON.stringify({ pid: process.pid }));
}

let services: Provisioned | undefined;
let server: RunningServer | undefined;
try {
  claimRun();
  const port = Number(process.env.PORT ?? 3000);
  const hubPort = Number(process.env.HUB_PORT ?? 3001);
  for (const [name, value] of [
    ['PORT', port],
    ['HUB_PORT', hubPort],
  ] as const) {
    if (!(await isPortFree(value)))
      throw new ProvisionError(`port ${value} (${name}) is already in use`, `stop what listens there or run with ${name}=<another port>`);
  }
  services = await timed('local services ready', () => provision({ profile: 'dev', log: step }));
  step(`MongoDB-compatible server: ${services.mongoKind} at ${services.mongoBaseUri}; Redis at ${services.redisUrl}`);
  await timed('build up to date', async () => buildApps());

  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    ...process.env,
    MONGODB_URI: process.env.MONGODB_URI ?? `${services.mongoBaseUri}/switchboard`,
    REDIS_URL: services.redisUrl,
    AI_MODELS_DIR: services.modelsDir,
    PORT: String(port),
    HUB_PORT: String(hubPort),
  };
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'info' });
  server = await startServer({ services: ['api', 'realtime', 'workers', 'web'], env, logger });
  const url = env.PUBLIC_URL ?? server.url;
  fs.writeFileSync(runFile, JSON.stringify({ pid: process.pid, url }));
  const logins = await timed('demo tenants ready', () => seedDemo(server!.domain!));

  const table = logins.map((l) => `    ${l.tenant.padEnd(8)} ${l.role.padEnd(9)} ${l.email.padEnd(22)} ${l.name}`).join('\n');
  console.log(
    `\n  Switchboard is running at ${url}\n  Health: ${url}/health/ready   API docs: ${url}/api/v1/docs\n\n` +
      `  Demo logins (password for all: ${DEMO_PASSWORD}):\n    tenant   role      email                  name\n${table}\n\n  Press Ctrl-C to stop.\n`,
  );
  onShutdownSignal(logger, 15_000, async () => {
    await server?.close();
    await services?.stop();
    fs.rmSync(runFile, { force: true });
  });
} catch (error) {
  const code = reportFailure(error);
  await server?.close().catch(() => undefined);
  await services?.stop().catch(() => undefined);
  if (!(error instanceof ProvisionError && error.message.includes('already running'))) fs.rmSync(runFile, { force: true });
  process.exit(code);
}
