/**
 * The ceiling: a bare uWebSockets.js pub/sub server (forked by run.ts). Every socket that
 * joins `/agent` is subscribed to one topic; each message on the Redis channel
 * {@link RAW_CHANNEL} is wrapped into the exact frame the hub would send
 * (`42/agent,["event",…]`) and `app.publish`ed. It speaks just enough Engine.IO v4 /
 * Socket.IO v5 (open packet, namespace CONNECT, server pings) for the same raw clients
 * and the official socket.io-client to connect to it. Same uWS defaults as the hub
 * (no compression, 64 KB max backpressure).
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type * as UwsModule from 'uWebSockets.js';
import type { us_socket } from 'uWebSockets.js';
import { RAW_CHANNEL } from './bench-event.ts';
import type { ChildMessage, ProbeCommand } from './messages.ts';

const PING_INTERVAL_MS = 20_000;
const TOPIC = 'staff';

async function main(): Promise<void> {
  const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof UwsModule;
  // The npm build silently falls back to a pure-JS emulation when its binary cannot load.
  if (typeof uws.us_socket_local_port !== 'function') throw new Error('uWebSockets.js native binary did not load');
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is required');

  const open = (sid: string) =>
    `0${JSON.stringify({ sid, upgrades: [], pingInterval: PING_INTERVAL_MS, pingTimeout: 20_000, maxPayload: 1e6 })}`;
  const app = uws.App().ws('/socket.io/', {
    compression: uws.DISABLED,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 0,
    open: (ws) => {
      ws.send(open(randomBytes(10).toString('base64url')));
    },
    message: (ws, message) => {
      const text = Buffer.from(message).toString();
      if (text.startsWith('40/agent,')) {
        ws.subscribe(TOPIC);
        ws.send(`40/agent,{"sid":"${randomBytes(10).toString('base64url')}"}`);
      }
    },
  });

  const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
  sub.on('error', () => undefined);
  const head = Buffer.from('42/agent,["event",');
  const tail = Buffer.from(']');
  sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => {
    app.publish(TOPIC, Buffer.concat([head, payload, tail]), false);
  });
  await sub.subscribe(RAW_CHANNEL);
  const pings = setInterval(() => app.publish(TOPIC, '2', false), PING_INTERVAL_MS);

  const port = await new Promise<number>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (token) => {
      if (!token) return reject(new Error('raw uWS server could not listen'));
      resolve(uws.us_socket_local_port(token as unknown as us_socket));
    });
  });

  const send = (message: ChildMessage) => process.send?.(message);
  process.on('message', (command: ProbeCommand) => {
    if (command.cmd !== 'memory') return;
    globalThis.gc?.();
    const usage = process.memoryUsage();
    send({ type: 'memory', id: command.id, ...usage });
  });
  const stop = () => {
    clearInterval(pings);
    sub.disconnect();
    process.exit(0);
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', () => undefined);
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
