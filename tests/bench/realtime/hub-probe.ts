/**
 * Bench-only preload for hub processes, so the production entry runs unchanged:
 *
 *   node --expose-gc --import tsx --import ./hub-probe.ts infra/src/main.ts --services=realtime
 *
 * - answers `memory` probes over IPC with `process.memoryUsage()` after a full GC
 *   (the heap cannot be read from outside the process);
 * - with `BENCH_HUB_ADAPTER=sharded`, replaces the adapter the hub installs
 *   (`io.adapter(createAdapter(…))`, classic Redis pub/sub) by `createShardedAdapter`
 *   on the same key, which is the only difference between the two hub variants;
 * - shuts the hub down gracefully when the coordinator goes away.
 */
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { ADAPTER_KEY } from './bench-event.ts';
import type { ChildMessage, ProbeCommand } from './messages.ts';

const send = (message: ChildMessage) => process.send?.(message);

if (process.env.BENCH_HUB_ADAPTER === 'sharded') {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is required');
  const pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', () => undefined);
  const install = Server.prototype.adapter as (this: Server, ...args: unknown[]) => unknown;
  const patched = function (this: Server, ...args: unknown[]) {
    const value = args[0] as { prototype?: { addAll?: unknown } } | undefined;
    // Reads and the in-memory Adapter class (set by the Server constructor) pass through;
    // the hub's Redis adapter factory is swapped.
    if (!value || typeof value.prototype?.addAll === 'function') return install.apply(this, args);
    send({ type: 'adapter', name: 'sharded' });
    return install.call(this, createShardedAdapter(pub, sub, { channelPrefix: ADAPTER_KEY }));
  };
  Server.prototype.adapter = patched as typeof Server.prototype.adapter;
} else {
  send({ type: 'adapter', name: 'classic' });
}

process.on('message', (command: ProbeCommand) => {
  if (command.cmd !== 'memory') return;
  globalThis.gc?.();
  globalThis.gc?.();
  send({ type: 'memory', id: command.id, ...process.memoryUsage() });
});
// The hub's own SIGTERM handler drains and exits.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
