import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './errors.ts';

/** Finds an executable on PATH (or at an absolute path); undefined when absent. */
export function which(binary: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (path.isAbsolute(binary)) return fs.existsSync(binary) ? binary : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

let aptUpdated = false;

/**
 * Installs Debian packages non-interactively (idempotent: apt skips what is present).
 * Needs root or password-less sudo; otherwise says exactly what to run.
 */
export function aptInstall(packages: string[], log: (line: string) => void): void {
  const manual = `sudo apt-get install -y ${packages.join(' ')}`;
  if (!which('apt-get')) {
    throw new ProvisionError(
      `${packages.join(', ')} missing and apt-get is not available`,
      `install ${packages.join(', ')} with your package manager`,
    );
  }
  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? [] : which('sudo') ? ['sudo', '-n'] : undefined;
  if (!prefix) throw new ProvisionError(`${packages.join(', ')} missing and we are not root`, `run: ${manual}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, ...args];
    return spawnSync(cmd!, rest, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  log(`installing Debian packages: ${packages.join(' ')}`);
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  if (!aptUpdated) {
    const update = run(['apt-get', ...lock, 'update', '-qq']);
    if (update.status !== 0) {
      throw new ProvisionError(
        `apt-get update failed: ${lastLine(update.stderr)}`,
        `check network access to the Debian mirrors, then run: ${manual}`,
      );
    }
    aptUpdated = true;
  }
  const install = run(['apt-get', ...lock, 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  if (install.status !== 0) {
    throw new ProvisionError(`apt-get install ${packages.join(' ')} failed: ${lastLine(install.stderr)}`, `run: ${manual}`);
  }
}

function lastLine(text: string | null): string {
  return (text ?? '').trim().split('\n').filter(Boolean).pop() ?? 'no output';
}
