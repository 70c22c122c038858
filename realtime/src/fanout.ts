import { Emitter } from '@socket.io/redis-emitter';
import type { EventListener, PublishedBatch } from '@switchboard/api/events/publisher';
import type { Redis } from 'ioredis';
import { rooms } from './rooms.ts';

/**
 * Delivers domain events to hub rooms from any process (api, workers, hub) through Redis.
 * Each event is emitted server-side to exactly one room per namespace, the shape that
 * takes uWebSockets.js's native publish path on every hub node.
 *
 * Staff get every event of their tenant (so they can see gaps in `seq`); customers get
 * public events of the tickets they follow; boards get the ticket events they aggregate.
 *
 * Delivery is best-effort (clients resync from the log): a publish that fails while Redis
 * is away goes to `onError`. The emitter fires PUBLISH without handling its promise, so it
 * gets a client whose `publish` does; otherwise every event produced during a Redis outage
 * would be an unhandled rejection, which ends the process.
 */
export function createFanout(redis: Redis, key = 'switchboard', onError: (error: unknown) => void = () => undefined): EventListener {
  const publisher = { publish: (channel: string, message: string | Buffer) => redis.publish(channel, message).catch(onError) };
  const emitter = new Emitter(publisher, { key });
  const agent = emitter.of('/agent');
  const customer = emitter.of('/customer');
  const board = emitter.of('/board');
  return (batch: PublishedBatch) => {
    const tenant = batch.tenantId;
    for (const event of batch.events) {
      agent.to(rooms.staff(tenant)).emit('event', event);
      // Wall displays only need to know that something changed (they re-read aggregates);
      // they never get contents, so an internal note's text cannot end up on a TV.
      if (event.type.startsWith('ticket.') || event.type === 'entry.added')
        board.to(rooms.board(tenant)).emit('event', { ...event, data: {} });
      if (event.audience !== 'public' || !event.ticketId) continue;
      customer.to(rooms.customerTicket(tenant, event.ticketId)).emit('event', event);
      const requester = (event.data.ticket as { requester?: { id?: string } } | undefined)?.requester?.id;
      if (event.type === 'ticket.created' && requester) customer.to(rooms.customerUser(tenant, requester)).emit('event', event);
    }
  };
}
