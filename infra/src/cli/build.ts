import { spawnSync } from 'node:child_process';
import { ProvisionError } from '../services/errors.ts';
import { repoRoot } from '../services/paths.ts';

/** Builds what the server serves (the SvelteKit app) through turbo, which skips unchanged work. */
export function buildApps(): void {
  const result = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', '--log-prefix=none'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
  });
  if (result.status !== 0) throw new ProvisionError('the build failed (see the output above)', 'fix the reported error, then run npm start again');
}
