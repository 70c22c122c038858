/**
 * `npm test`: provision real services once, build what the e2e suite serves, run every
 * vitest project against them, tear everything down, exit with vitest's status.
 * Extra arguments go to vitest (e.g. `npm test -- --project api`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { provision, type Provisioned } from '../provision.ts';
import { ensureChromium } from '../services/chromium.ts';
import { repoRoot } from '../services/paths.ts';
import { buildApps, staticChecks } from './build.ts';
import { reportFailure, step, timed } from './output.ts';

let services: Provisioned | undefined;
let exitCode = 1;
try {
  const args = process.argv.slice(2);
  const started = Date.now();
  services = await timed('test services ready', () =>
    provision({
      profile: 'test',
      env: { ...process.env, REDIS_URL: process.env.TEST_REDIS_URL, MONGODB_URI: process.env.TEST_MONGODB_URI },
      log: step,
    }),
  );
  step(`MongoDB-compatible server: ${services.mongoKind}; Redis: ${services.redisUrl}`);
  const chromium = ensureChromium(step);
  step(`Chromium: ${chromium}`);
  await timed('build up to date', async () => buildApps());
  // A full run (no vitest filters) also gates on types and lint across every workspace.
  if (args.length === 0) await timed('typecheck and lint passed', async () => staticChecks());
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    SWITCHBOARD_TEST_MONGO_BASE: services.mongoBaseUri,
    SWITCHBOARD_TEST_MONGO_KIND: services.mongoKind,
    SWITCHBOARD_TEST_REDIS_URL: services.redisUrl,
    AI_MODELS_DIR: services.modelsDir,
    CHROMIUM_PATH: chromium,
  };
  const vitest = spawn(process.execPath, [path.join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', ...args], {
    cwd: repoRoot,
    env,
    stdio: 'inherit',
  });
  // Ctrl-C reaches vitest through the terminal; we only wait for it, then clean up.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => vitest.kill('SIGTERM'));
  exitCode = await new Promise<number>((resolve) => vitest.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  step(`tests finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${exitCode})`);
} catch (error) {
  exitCode = reportFailure(error);
} finally {
  await services?.stop().catch(() => undefined);
}
process.exit(exitCode);
