import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './errors.ts';
import { waitUntil } from './net.ts';
import { cacheDir } from './paths.ts';
import { isAlive } from './process.ts';
import { which } from './system.ts';

/** Options for {@link ensurePythonVenv}. */
export interface PythonVenvOptions {
  /** Folder name under `~/.cache/switchboard/python/`, one per tool. */
  name: string;
  /** pip requirements, pinned to the versions the tool was verified with. */
  requirements: string[];
  /** What the venv is for, in the error messages (e.g. "build the AI model"). */
  purpose: string;
  /** What else a person can do when Python is missing (appended to the fix line). */
  alternative?: string;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** A ready venv: its interpreter and a path resolver for the console scripts pip installed. */
export interface PythonVenv {
  python: string;
  /** Absolute path of a console script of the venv (e.g. `schemathesis`). */
  bin(script: string): string;
}

/**
 * A Python venv in the cache with exactly `requirements` installed; idempotent (a marker
 * file records what was installed) and safe against concurrent runs (a lock directory).
 * Never touches the system Python's site-packages.
 */
export async function ensurePythonVenv({
  name,
  requirements,
  purpose,
  alternative,
  log,
  env = process.env,
}: PythonVenvOptions): Promise<PythonVenv> {
  const venv = path.join(cacheDir(env), 'python', name);
  const python = path.join(venv, 'bin', 'python');
  const result: PythonVenv = { python, bin: (script) => path.join(venv, 'bin', script) };
  const marker = path.join(venv, 'switchboard-requirements.txt');
  const wanted = `${requirements.join('\n')}\n`;
  const ready = () => fs.existsSync(python) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted;
  if (ready()) return result;
  const orElse = alternative ? `, or ${alternative}` : '';
  const system = which('python3', env) ?? which('python', env);
  if (!system) {
    throw new ProvisionError(
      `Python 3 is needed to ${purpose}, and none is on PATH`,
      `install Python >= 3.11 with venv and pip (Debian: apt-get install -y python3 python3-venv)${orElse}`,
    );
  }
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const lockDir = `${venv}.lock`;
  if (!(await lockOrDone(lockDir, ready, `create the ${name} venv`))) return result;
  try {
    if (ready()) return result;
    fs.rmSync(venv, { recursive: true, force: true });
    log(`creating a Python venv to ${purpose} in ${venv} (once per machine)`);
    const created = spawnSync(system, ['-m', 'venv', venv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5 * 60_000 });
    if (created.status !== 0 || !fs.existsSync(python)) {
      throw new ProvisionError(
        `${system} -m venv failed: ${lastLine(created.stderr || created.stdout)}`,
        `install the venv module (Debian: apt-get install -y python3-venv)${orElse}`,
      );
    }
    const logFile = path.join(venv, 'pip-install.log');
    runLogged(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...requirements],
      logFile,
      `installing ${requirements.join(' ')} with pip failed`,
      `check access to PyPI (pip config, PIP_INDEX_URL, proxy settings)${orElse}`,
    );
    fs.writeFileSync(marker, wanted);
    return result;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Waits for a lock directory (holding our pid) or for `done()`; a lock left by a dead
 * process is taken over. Resolves true when we hold the lock, false when `done()` holds.
 */
export async function lockOrDone(lockDir: string, done: () => boolean, what: string): Promise<boolean> {
  let held = false;
  const result = await waitUntil(
    async () => {
      try {
        fs.mkdirSync(lockDir);
        fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
        held = true;
        return true;
      } catch {
        if (done()) return true;
        const holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
        if (holder > 0 && !isAlive(holder)) fs.rmSync(lockDir, { recursive: true, force: true });
        return false;
      }
    },
    { timeoutMs: 20 * 60_000, intervalMs: 1000 },
  );
  if (!result.ok) throw new ProvisionError(`timed out waiting for another run to ${what}`, `remove ${lockDir} if none runs`);
  return held;
}

/** Runs one provisioning step with a 15-minute ceiling, appending its output to `logFile`. */
export function runLogged(command: string, args: string[], logFile: string, what: string, fix: string): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONUNBUFFERED: '1' },
  });
  fs.appendFileSync(logFile, `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}\n`);
  if (result.status !== 0) {
    const cause = result.error ? result.error.message : lastLine(result.stderr || result.stdout);
    throw new ProvisionError(`${what}: ${cause}`, fix, logFile);
  }
}

function lastLine(text: string | null): string {
  return (text ?? '').trim().split('\n').filter(Boolean).pop() ?? 'no output';
}
