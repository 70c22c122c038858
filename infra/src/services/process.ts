import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './errors.ts';
import { waitUntil } from './net.ts';
import { processRegistryDir } from './paths.ts';

/** A long-running child process (a database, Redis) whose output goes to a log file. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Exit description once the process has ended, else undefined. */
  exited(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

interface RegistryEntry {
  owner: number;
  child: number;
  command: string;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * Kills children that an earlier run started and never stopped (its owner died, e.g. by
 * SIGKILL). Only processes whose command line still matches what we started are touched.
 */
export function reapOrphans(): number {
  const dir = processRegistryDir();
  let reaped = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const file of fs.readdirSync(dir)) {
    const full = path.join(dir, file);
    try {
      const entry = JSON.parse(fs.readFileSync(full, 'utf8')) as RegistryEntry;
      if (isAlive(entry.owner)) continue;
      if (isAlive(entry.child) && cmdline(entry.child).startsWith(entry.command)) {
        process.kill(-entry.child, 'SIGKILL');
        reaped++;
      }
      fs.rmSync(full, { force: true });
    } catch {
      fs.rmSync(full, { force: true });
    }
  }
  return reaped;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort on any exit path we did not shut down cleanly: never leave children behind.
  process.on('exit', () => {
    for (const child of live) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/**
 * Starts `command` in its own process group (so Ctrl-C reaches us first and we stop
 * services in order), appends its output to `logFile`, and records it for orphan reaping.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  { logFile, cwd, env }: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} starting: ${command} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', out, out], detached: true });
  } finally {
    fs.closeSync(out);
  }
  let exitInfo: string | undefined;
  let spawnError: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      spawnError = error.message;
      exitInfo = `could not start: ${error.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const registryFile = path.join(processRegistryDir(), `${pid}.json`);
  if (pid > 0) {
    fs.mkdirSync(processRegistryDir(), { recursive: true });
    const entry: RegistryEntry = { owner: process.pid, child: pid, command };
    fs.writeFileSync(registryFile, JSON.stringify(entry));
  }
  const managed: ManagedProcess = {
    name,
    pid,
    logFile,
    exited: () => exitInfo ?? spawnError,
    async stop(graceMs = 5000) {
      if (exitInfo === undefined && pid > 0) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      live.delete(managed);
      fs.rmSync(registryFile, { force: true });
    },
  };
  live.add(managed);
  installExitHook();
  return managed;
}

/**
 * Waits until `ready` says yes; if the process dies or the timeout passes, stops it and
 * throws a ProvisionError that names the log file.
 */
export async function awaitReady(
  proc: ManagedProcess,
  ready: () => Promise<boolean>,
  { timeoutMs, fix }: { timeoutMs: number; fix: string },
): Promise<void> {
  const result = await waitUntil(ready, { timeoutMs, intervalMs: 100, abort: () => proc.exited() });
  if (!result.ok) {
    await proc.stop(1000);
    throw new ProvisionError(`${proc.name} did not become ready (${result.lastError})`, fix, proc.logFile);
  }
}
