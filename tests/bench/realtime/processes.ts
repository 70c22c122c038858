/**
 * Child processes of the benchmark: hub nodes (the production entry plus the bench
 * preload), the raw uWS server and load generators. Every child is tracked so that
 * {@link stopAllChildren} can end them on success, error or Ctrl-C; children also end
 * themselves when the coordinator's IPC channel closes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './messages.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const CLOCK_TICKS_PER_SECOND = 100;

const children = new Set<ChildProcess>();

/** A child with request/reply over IPC. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  request<T>(command: Record<string, unknown>, timeoutMs: number): Promise<T>;
  on(listener: (message: ChildMessage) => void): void;
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

let nextId = 1;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Forks a TypeScript entry under tsx with an IPC channel. */
export function forkChild(
  name: string,
  entry: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Child {
  const child = fork(entry, options.args ?? [], {
    cwd: repoRoot,
    env: options.env ?? process.env,
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  // Send failures reach the request's callback; a child that dies is reported by 'exit'.
  child.on('error', () => undefined);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const listeners: Array<(message: ChildMessage) => void> = [];
  child.on('message', (message: ChildMessage) => {
    for (const listener of listeners) listener(message);
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  gone.then(() => children.delete(child));
  return {
    name,
    process: child,
    pid: child.pid!,
    on: (listener) => listeners.push(listener),
    output: () => output,
    request: <T>(command: Record<string, unknown>, timeoutMs: number) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(
          () => finish(new Error(`${name}: ${String(command.cmd)} got no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const onExit = () => finish(new Error(`${name} exited during ${String(command.cmd)}:\n${output.slice(-2000)}`));
        const listener = (message: ChildMessage) => {
          if (message.type === 'reply' && message.id === id)
            finish(message.ok ? undefined : new Error(`${name}: ${message.error}`), message);
          if (message.type === 'memory' && message.id === id) finish(undefined, message);
        };
        const finish = (error: Error | undefined, message?: ChildMessage) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          const index = listeners.indexOf(listener);
          if (index >= 0) listeners.splice(index, 1);
          if (error) reject(error);
          else resolve((message && message.type === 'reply' && message.ok ? message.result : message) as T);
        };
        if (!child.connected) return reject(new Error(`${name} is gone (${String(command.cmd)})`));
        listeners.push(listener);
        child.once('exit', onExit);
        child.send({ ...command, id }, (error) => {
          if (error) finish(new Error(`${name}: ${error.message}`));
        });
      }),
    stop: async (graceMs = 15_000) => {
      if (exited(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Ends every child still running (SIGKILL after a short grace). */
export async function stopAllChildren(graceMs = 5_000): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (exited(child)) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
        }),
    ),
  );
}

/** This process's soft limit on open files (children inherit it). */
export function openFilesLimit(): number {
  const match = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return match ? Number(match[1]) : 1024;
}

/** Resident set size of a process in bytes, from /proc (works for any child, no probe needed). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Microseconds during which some runnable task waited for a CPU (Linux PSI), machine-wide.
 * Other work on the box shows up here; NaN where PSI is unavailable.
 */
export function cpuPressureUs(): number {
  try {
    const match = /^some .*total=(\d+)$/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`process exited before listening on ${port}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** Paths of the bench's own entries and of the production process entry. */
export const entries = {
  generator: path.join(here, 'load-generator.ts'),
  rawServer: path.join(here, 'raw-uws-server.ts'),
  hubProbe: path.join(here, 'hub-probe.ts'),
  main: path.join(repoRoot, 'infra/src/main.ts'),
};
