/**
 * A deliberately cheap Socket.IO client for load generation: Engine.IO v4 over a plain
 * websocket (`/socket.io/?EIO=4&transport=websocket`, no polling, no upgrade), Socket.IO v5
 * namespace CONNECT, pong for every server ping, and a byte-level look at EVENT frames.
 * No reconnection, no acks, no JSON parsing on the hot path: thousands fit in one process.
 */
import WebSocket from 'ws';
import { EVENT_FRAME_PREFIX, nowUs, readBenchStamp, type BenchStamp } from './bench-event.ts';

/** Where and as whom one socket connects. */
export interface RawTarget {
  port: number;
  /** Socket.IO namespace, e.g. `/agent`. */
  namespace: string;
  /** Upgrade request headers (cookie, origin). */
  headers: Record<string, string>;
  /** Loopback source address (127.0.0.2, …) to spread ephemeral ports. */
  localAddress: string;
  timeoutMs: number;
}

/** What a socket reports to its owner. */
export interface RawSocketListener {
  onEvent(socket: RawSocket, stamp: BenchStamp, receivedAtUs: number): void;
  /** Any other Socket.IO event (hello, presence:agents, …). */
  onOther(socket: RawSocket): void;
  /** The connection ended after the namespace was joined. */
  onLost(socket: RawSocket): void;
}

// Engine.IO packet types and Socket.IO packet types, as ASCII digits (see the protocol specs).
const EIO_OPEN = 0x30;
const EIO_CLOSE = 0x31;
const EIO_PING = 0x32;
const EIO_MESSAGE = 0x34;
const SIO_CONNECT = 0x30;
const SIO_EVENT = 0x32;
const SIO_CONNECT_ERROR = 0x34;

const stamp: BenchStamp = { phase: 0, seq: 0, sentAtUs: 0 };

/** One Engine.IO/Socket.IO session over a websocket, with per-phase delivery counters. */
export class RawSocket {
  /** Events of the current phase received, the last seq seen, and ordering faults. */
  count = 0;
  lastSeq = 0;
  gaps = 0;
  duplicates = 0;
  connected = false;
  private ws: WebSocket | undefined;

  constructor(private readonly listener: RawSocketListener) {}

  /** Opens the websocket and joins the namespace; rejects with the server's reason. */
  connect(target: RawTarget): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${target.port}/socket.io/?EIO=4&transport=websocket`, {
        headers: target.headers,
        localAddress: target.localAddress,
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: target.timeoutMs,
      });
      this.ws = ws;
      const nsConnect = `40${target.namespace},`;
      let settled = false;
      const timer = setTimeout(
        () => fail(new Error(`namespace ${target.namespace} not joined within ${target.timeoutMs} ms`)),
        target.timeoutMs,
      );
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      ws.on('error', (error) => fail(error));
      ws.on('close', () => {
        if (!settled) return fail(new Error('closed during the handshake'));
        if (this.connected) {
          this.connected = false;
          this.listener.onLost(this);
        }
      });
      ws.on('message', (data: Buffer) => {
        const type = data[0];
        if (type === EIO_MESSAGE) {
          const sio = data[1];
          if (sio === SIO_EVENT) {
            const receivedAtUs = nowUs();
            const isEvent = data.compare(EVENT_FRAME_PREFIX, 0, EVENT_FRAME_PREFIX.length, 0, EVENT_FRAME_PREFIX.length) === 0;
            if (isEvent && readBenchStamp(data, stamp)) this.listener.onEvent(this, stamp, receivedAtUs);
            else this.listener.onOther(this);
          } else if (sio === SIO_CONNECT && !settled) {
            settled = true;
            clearTimeout(timer);
            this.connected = true;
            resolve();
          } else if (sio === SIO_CONNECT_ERROR) {
            fail(new Error(`connect_error: ${data.toString('utf8', 2, 300)}`));
          }
        } else if (type === EIO_PING) {
          ws.send('3');
        } else if (type === EIO_OPEN) {
          ws.send(nsConnect);
        } else if (type === EIO_CLOSE) {
          ws.terminate();
        }
      });
    });
  }

  /** Drops the connection at once (no close handshake: the run is over). */
  close(): void {
    this.connected = false;
    this.ws?.terminate();
  }
}
