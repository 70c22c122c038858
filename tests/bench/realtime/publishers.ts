/**
 * How benchmark events enter each target. The hub variants get them exactly the way
 * production does (through Redis, from a process that is not a hub node); the raw uWS
 * server gets the bare event on a plain Redis channel.
 */
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { DomainEvent } from '@switchboard/realtime/protocol';
import { createFanout } from '@switchboard/realtime/fanout';
import { rooms } from '@switchboard/realtime/rooms';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { ADAPTER_KEY, RAW_CHANNEL } from './bench-event.ts';

/** Puts one event into a tenant's staff room (the raw server has a single room). */
export interface BenchPublisher {
  publish(tenantId: string, event: DomainEvent): void;
  close(): Promise<void>;
}

/** The hub's own path: `createFanout` (an @socket.io/redis-emitter), as api and workers use it. */
export function fanoutPublisher(redisUrl: string): BenchPublisher {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const fanout = createFanout(redis, ADAPTER_KEY);
  return {
    publish: (tenantId, event) => void fanout({ tenantId, events: [event] }),
    close: async () => {
      await redis.quit();
    },
  };
}

/**
 * For hubs on the sharded adapter. The redis-emitter speaks only the classic adapter's
 * channels, so a producer must be a (headless) socket.io Server on the sharded adapter;
 * it emits to the same rooms `createFanout` does for a staff-audience ticket event.
 */
export function shardedPublisher(redisUrl: string): BenchPublisher {
  const pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  const io = new Server();
  io.adapter(createShardedAdapter(pub, sub, { channelPrefix: ADAPTER_KEY }));
  const agent = io.of('/agent');
  const board = io.of('/board');
  return {
    publish: (tenantId, event) => {
      agent.to(rooms.staff(tenantId)).emit('event', event);
      board.to(rooms.board(tenantId)).emit('event', event);
    },
    close: async () => {
      // Server.close() would also close an engine; a headless server has none.
      await Promise.all([io.sockets, agent, board].map((nsp) => nsp.adapter.close()));
      await Promise.all([pub.quit(), sub.quit()]);
    },
  };
}

/** The raw uWS server's channel: the JSON event, nothing else. */
export function rawPublisher(redisUrl: string): BenchPublisher {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  return {
    publish: (_tenantId, event) => void redis.publish(RAW_CHANNEL, JSON.stringify(event)),
    close: async () => {
      await redis.quit();
    },
  };
}
