import { spawnSync } from 'node:child_process';
import { ProvisionError } from '../services/errors.ts';
import { repoRoot } from '../services/paths.ts';

const turboEnv = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };

function turbo(tasks: string[]): boolean {
  const result = spawnSync('npx', ['turbo', 'run', ...tasks, '--output-logs=errors-only', '--log-prefix=none'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: turboEnv,
  });
  return result.status === 0;
}

/** Builds what the server serves (the SvelteKit app) through turbo, which skips unchanged work. */
export function buildApps(): void {
  if (!turbo(['build']))
    throw new ProvisionError('the build failed (see the output above)', 'fix the reported error, then run npm start again');
}

/** TypeScript (strict) and ESLint over every workspace, through turbo's cache; then Prettier over the tree. */
export function staticChecks(): void {
  if (!turbo(['typecheck', 'lint'])) {
    throw new ProvisionError(
      'typecheck or lint failed (see the output above)',
      'fix the reported errors (npm run typecheck, npm run lint)',
    );
  }
  const format = spawnSync('npx', ['prettier', '--check', '--log-level=warn', '.'], { cwd: repoRoot, stdio: 'inherit', env: turboEnv });
  if (format.status !== 0) throw new ProvisionError('files are not formatted (listed above)', 'run npm run format, then commit');
}
