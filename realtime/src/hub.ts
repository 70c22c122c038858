import { createAdapter } from '@socket.io/redis-adapter';
import type { Logger } from '@switchboard/api/lib/logger';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createEngine, type HubEngine } from './engine.ts';
import type { RealtimeEnv } from './env.ts';

/** A running hub node. */
export interface Hub {
  readonly io: Server;
  readonly engine: HubEngine;
  readonly port: number;
  /** Redis reachable from this node (readiness). */
  redisReady(): Promise<boolean>;
  /** Tells clients to reconnect elsewhere, closes sockets and Redis; resolves when done. */
  close(): Promise<void>;
}

/** Options for {@link startHub}. */
export interface HubOptions {
  env: RealtimeEnv;
  logger: Logger;
  host?: string;
}

/**
 * Starts one hub node: socket.io on the chosen engine, fanned out across nodes through
 * the Redis adapter. Nodes hold no state of their own beyond their sockets.
 */
export async function startHub({ env, logger, host = '127.0.0.1' }: HubOptions): Promise<Hub> {
  const pub = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const io = new Server({ serveClient: false, maxHttpBufferSize: 64 * 1024, pingInterval: 20_000, pingTimeout: 20_000 });
  io.adapter(createAdapter(pub, sub, { key: 'switchboard' }));
  const engine = createEngine(io, env.HUB_ENGINE);
  const port = await engine.listen(env.HUB_PORT, host);
  logger.info({ engine: engine.name, reason: engine.reason, port }, `realtime hub listening on ${host}:${port} (engine: ${engine.name})`);
  return {
    io,
    engine,
    port,
    redisReady: async () => (await pub.ping()) === 'PONG',
    close: async () => {
      io.of('/').emit('server:shutdown', { reconnect: true });
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await engine.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
