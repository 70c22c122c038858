import http from 'node:http';
import { createRequire } from 'node:module';
import type { Server } from 'socket.io';

import type * as UwsModule from 'uWebSockets.js';
import type { us_listen_socket, us_socket } from 'uWebSockets.js';

type Uws = typeof UwsModule;

/** Which transport carries the hub's sockets. */
export type EngineName = 'uws' | 'node';

/** A listening transport with socket.io attached. */
export interface HubEngine {
  readonly name: EngineName;
  /** Why this engine was chosen (logged at start). */
  readonly reason: string;
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Loads the native uWebSockets.js module, or explains why it cannot load here. */
export function loadUws(): { uws: Uws } | { error: string } {
  try {
    const uws = require('uWebSockets.js') as Uws;
    // This build falls back to a pure-JS emulation (with only a warning) when its binary
    // does not load; the emulation lacks the native socket helpers, so check for them.
    if (typeof uws.us_socket_local_port !== 'function') return { error: 'native binary did not load (JS fallback detected)' };
    return { uws };
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0] ?? 'unknown error' };
  }
}

/**
 * The one place that picks the transport. `auto` prefers uWebSockets.js (socket.io's
 * room broadcasts then use uWS's native publish) and falls back to Node's HTTP server
 * when the binary cannot load on this platform.
 */
export function createEngine(io: Server, preference: 'auto' | 'uws' | 'node'): HubEngine {
  if (preference !== 'node') {
    const loaded = loadUws();
    if ('uws' in loaded) return uwsEngine(io, loaded.uws, preference === 'uws' ? 'HUB_ENGINE=uws' : 'native module loaded');
    if (preference === 'uws') throw new Error(`HUB_ENGINE=uws but uWebSockets.js cannot load: ${loaded.error}`);
    return nodeEngine(io, `uWebSockets.js unavailable (${loaded.error})`);
  }
  return nodeEngine(io, 'HUB_ENGINE=node');
}

function uwsEngine(io: Server, uws: Uws, reason: string): HubEngine {
  const app = uws.App();
  // Past this much unsent data uWS skips a slow client's frames; its seq tracker then
  // sees the gap and resyncs from the log, instead of the node buffering without bound.
  io.attachApp(app, { maxBackpressure: 4 * 1024 * 1024 } as Parameters<Server['attachApp']>[1]);
  let listenSocket: us_listen_socket | undefined;
  return {
    name: 'uws',
    reason,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        app.listen(host, port, (token) => {
          if (!token) return reject(new Error(`hub could not listen on ${host}:${port} (port in use?)`));
          listenSocket = token;
          resolve(uws.us_socket_local_port(token as unknown as us_socket));
        });
      }),
    close: async () => {
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
    },
  };
}

function nodeEngine(io: Server, reason: string): HubEngine {
  const server = http.createServer();
  io.attach(server);
  return {
    name: 'node',
    reason,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
