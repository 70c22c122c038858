import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (infra/src/services -> ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Where built tools (FerretDB) and provisioned models live between runs: outside the
 * clone, so a fresh clone on the same machine reuses them.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'switchboard');
}

/** Registry of child processes we started, so a later run can reap orphans of a crashed one. */
export function processRegistryDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'processes');
}

/** Data directory of `npm start` (inside the clone, git-ignored). */
export const devStateDir = path.join(repoRoot, '.switchboard', 'dev');
