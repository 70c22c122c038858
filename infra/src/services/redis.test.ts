import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProvisionError } from './errors.ts';
import { freePort, redisCommand } from './net.ts';
import { isAlive } from './process.ts';
import { startRedis } from './redis.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-redis-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('Redis provisioning', () => {
  it('starts a private Redis, answers PING, and leaves no process after stop', async () => {
    const port = await freePort();
    const redis = await startRedis({ port, dataDir: tempDir(), persist: false, log: () => undefined });
    expect(await redisCommand(port, 'PING')).toBe('+PONG');
    const pid = redis.process!.pid;
    await redis.stop();
    expect(isAlive(pid)).toBe(false);
  });

  it('refuses a port already in use with a one-line cause and the fix', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    try {
      const error = await startRedis({ port, dataDir: tempDir(), persist: false, log: () => undefined }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProvisionError);
      expect((error as ProvisionError).describe()).toMatch(new RegExp(`port ${port} \\(Redis\\) is already in use\\n  fix: `));
    } finally {
      blocker.close();
    }
  });
});
