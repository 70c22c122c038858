/**
 * `npm start`: provision local services, build, seed the demo tenants, serve everything
 * at one URL, print it with the demo logins. Ctrl-C stops the server, then the services.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '@switchboard/api/lib/logger';
import { DEMO_PASSWORD, seedDemo } from '@switchboard/api/seed/demo';
import { startMailSink, type MailSink } from '@switchboard/workers/mail/mail-sink';
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
let mailSink: MailSink | undefined;
try {
  claimRun();
  const port = Number(process.env.PORT ?? 3000);
  const hubPort = Number(process.env.HUB_PORT ?? 3001);
  // A taken SMTP port is not fatal: the workers service says so and runs without inbound mail.
  const smtpInboundPort = Number(process.env.SMTP_INBOUND_PORT ?? 2525);
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
  // Outgoing mail lands as .eml files a developer can open, unless a real SMTP server is set.
  const mailDir = path.join(process.env.SWITCHBOARD_STATE_DIR ?? devStateDir, 'mail');
  if (!process.env.SMTP_URL) mailSink = await startMailSink({ dir: mailDir });

  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    ...process.env,
    MONGODB_URI: process.env.MONGODB_URI ?? `${services.mongoBaseUri}/switchboard`,
    REDIS_URL: services.redisUrl,
    AI_MODELS_DIR: services.modelsDir,
    // The embedded search index lives with the rest of the dev data (search:reindex finds it there).
    SEARCH_DATA_DIR: process.env.SEARCH_DATA_DIR || path.join(services.dataDir, 'search'),
    PORT: String(port),
    HUB_PORT: String(hubPort),
    ...(mailSink ? { SMTP_URL: mailSink.url } : {}),
    // The demo tenants' admins may open the queue dashboard.
    QUEUE_DASHBOARD_TENANTS: process.env.QUEUE_DASHBOARD_TENANTS ?? 'acme,globex',
  };
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'info' });
  server = await startServer({ services: ['api', 'realtime', 'workers', 'web'], env, logger });
  const url = env.PUBLIC_URL ?? server.url;
  fs.writeFileSync(runFile, JSON.stringify({ pid: process.pid, url }));
  const logins = await timed('demo tenants ready', () => seedDemo(server!.domain!));

  const table = logins.map((l) => `    ${l.tenant.padEnd(8)} ${l.role.padEnd(9)} ${l.email.padEnd(22)} ${l.name}`).join('\n');
  console.log(
    `\n  Switchboard is running at ${url}\n  Health: ${url}/health/ready   API docs: ${url}/api/v1/docs\n\n` +
      `  Demo logins (password for all: ${DEMO_PASSWORD}):\n    tenant   role      email                  name\n${table}\n\n` +
      `  Mail: ${mailSink ? `outgoing mail is written to ${path.relative(process.cwd(), mailDir)}/*.eml` : `outgoing mail goes to ${new URL(env.SMTP_URL ?? '').host}`}; ` +
      (smtpInboundPort > 0
        ? `send mail in to support+<tenant>@${env.MAIL_DOMAIN ?? 'localhost'} at smtp://127.0.0.1:${smtpInboundPort}\n`
        : 'inbound mail is off\n') +
      `  Queues: ${url}/api/v1/admin/queues (admins of ${env.QUEUE_DASHBOARD_TENANTS})\n\n  Press Ctrl-C to stop.\n`,
  );
  onShutdownSignal(logger, 15_000, async () => {
    await server?.close();
    await mailSink?.close();
    await services?.stop();
    fs.rmSync(runFile, { force: true });
  });
} catch (error) {
  const code = reportFailure(error);
  await server?.close().catch(() => undefined);
  await mailSink?.close().catch(() => undefined);
  await services?.stop().catch(() => undefined);
  if (!(error instanceof ProvisionError && error.message.includes('already running'))) fs.rmSync(runFile, { force: true });
  process.exit(code);
}
