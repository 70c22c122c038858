import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './errors.ts';
import { isPortFree, redisCommand } from './net.ts';
import { awaitReady, startProcess, type ManagedProcess } from './process.ts';
import { aptInstall, which } from './system.ts';

/** A running Redis we started (or one given by URL, which we never stop). */
export interface RedisService {
  url: string;
  process?: ManagedProcess;
  stop(): Promise<void>;
}

/** Options for {@link ensureRedis}. */
export interface RedisOptions {
  port: number;
  dataDir: string;
  /** Keep an append-only file so `npm start` data survives restarts; tests run without. */
  persist: boolean;
  log: (line: string) => void;
  timeoutMs?: number;
  /** redis-server path, when already resolved with {@link ensureRedisBinary}. */
  binary?: string;
}

/** Returns the path of redis-server, installing Debian's redis-server package when missing. */
export function ensureRedisBinary(log: (line: string) => void): string {
  const found = which('redis-server') ?? which('/usr/bin/redis-server');
  if (found) return found;
  aptInstall(['redis-server'], log);
  const installed = which('redis-server') ?? which('/usr/bin/redis-server');
  if (!installed) throw new ProvisionError('redis-server still missing after apt-get install', 'run: sudo apt-get install -y redis-server');
  return installed;
}

/** Starts Redis 7 on 127.0.0.1:port with its own data dir and waits for PONG. */
export async function startRedis(options: RedisOptions): Promise<RedisService> {
  const binary = options.binary ?? ensureRedisBinary(options.log);
  fs.mkdirSync(options.dataDir, { recursive: true });
  if (!(await isPortFree(options.port))) {
    throw new ProvisionError(
      `port ${options.port} (Redis) is already in use`,
      `stop what listens there (ss -ltnp 'sport = :${options.port}') or choose another port`,
    );
  }
  const logFile = path.join(options.dataDir, 'redis.log');
  const args = [
    '--port',
    String(options.port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--dir',
    options.dataDir,
    '--daemonize',
    'no',
    '--save',
    '',
    '--appendonly',
    options.persist ? 'yes' : 'no',
    '--loglevel',
    'warning',
  ];
  const proc = startProcess('redis', binary, args, { logFile });
  await awaitReady(proc, async () => (await redisCommand(options.port, 'PING')) === '+PONG', {
    timeoutMs: options.timeoutMs ?? 15_000,
    fix: `read the log, then check that ${binary} runs by hand`,
  });
  return { url: `redis://127.0.0.1:${options.port}`, process: proc, stop: () => proc.stop() };
}

/** Checks that a Redis given by URL answers PING. */
export async function checkRedisUrl(url: string, timeoutMs = 5000): Promise<void> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const reply = await redisCommand(port, 'PING', parsed.hostname);
      if (reply === '+PONG' || reply.startsWith('-NOAUTH')) return;
      last = reply;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new ProvisionError(
    `REDIS_URL ${parsed.host} does not answer (${last})`,
    'start that Redis or unset REDIS_URL to let Switchboard start its own',
  );
}
