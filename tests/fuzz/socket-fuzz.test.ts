/**
 * Socket fuzzing with fast-check against a real hub (startServer with api + realtime, real
 * websockets): generated payloads for every inbound event of every namespace, plus unknown
 * events and binary frames. The node must stay up, every ack must be a success or a coded
 * error, and nothing of another tenant may ever arrive. Bounded in runs and in time.
 */
import { randomInt } from 'node:crypto';
import { SOCKET_ERROR_CODES, clientPayloads } from '@switchboard/realtime/protocol';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_ORIGIN, LoopbackClient, startFuzzWorld, type FuzzTenant, type FuzzWorld } from './fuzz-world.ts';

/** Generated payloads per namespace (spread over its events). */
const RUNS_PER_NAMESPACE = Number(process.env.FUZZ_SOCKET_RUNS ?? 300);
/** Wall-clock budget per namespace; fast-check stops generating past it. */
const TIME_PER_NAMESPACE_MS = 30_000;
const ACK_TIMEOUT_MS = 5_000;

type Namespace = '/agent' | '/customer' | '/board';

/** Inbound events each namespace accepts (realtime/src/hub.ts), plus names it must refuse. */
const EVENTS: Record<Namespace, string[]> = {
  '/agent': ['ticket:join', 'ticket:leave', 'ticket:typing', 'resync', 'agent:status', 'message:read'],
  '/customer': ['ticket:join', 'ticket:leave', 'ticket:typing', 'resync', 'message:send', 'message:read', 'kb:suggest', 'kb:feedback'],
  '/board': ['resync'],
};
// socket.io-client refuses to emit its reserved names (connect, disconnect, …), so those are not here.
const UNKNOWN_EVENTS = ['admin:drop', '__proto__', 'constructor', 'hasOwnProperty', 'error', 'x'.repeat(300)];

/** Everything a client received, as text, for the isolation check. */
interface Recorder {
  socket: Socket;
  received: string[];
}

function connect(port: number, namespace: Namespace, auth: { cookie?: string; boardToken?: string }, localAddress: string): Socket {
  return io(`http://127.0.0.1:${port}${namespace}`, {
    transports: ['websocket'],
    extraHeaders: { origin: FUZZ_ORIGIN, ...(auth.cookie ? { cookie: auth.cookie } : {}) },
    auth: auth.boardToken ? { boardToken: auth.boardToken } : {},
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    localAddress,
  } as Parameters<typeof io>[1]);
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
}

function record(socket: Socket): Recorder {
  const recorder: Recorder = { socket, received: [] };
  socket.onAny((event: string, ...args: unknown[]) => recorder.received.push(`${event} ${JSON.stringify(args)}`));
  return recorder;
}

/** Ids and text of a tenant that must never reach the other one. */
const secretsOf = (tenant: FuzzTenant) => [tenant.marker, ...tenant.ids];

/** A payload for `event`: its fields with hostile values, a near-miss of its schema, or anything at all. */
function payloadArbitrary(event: string, ids: string[]): fc.Arbitrary<unknown> {
  const id = fc.oneof(fc.constantFrom(...ids), fc.stringMatching(/^[0-9a-f]{24}$/), fc.string({ maxLength: 30 }));
  const hostile = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('__proto__', 'constructor', '$gt', '<script>alert(1)</script>', '\u0000', 'a'.repeat(5000)),
    fc.object({ maxDepth: 2 }),
    fc.constant({ $gt: '' }),
  );
  const shape = Object.hasOwn(clientPayloads, event)
    ? (clientPayloads[event as keyof typeof clientPayloads] as unknown as { shape: object })
    : null;
  const keys = shape ? Object.keys(shape.shape) : ['ticketId'];
  // Mostly well-formed values, so handlers behind validation run too; hostile ones the rest.
  const valid: Record<string, fc.Arbitrary<unknown>> = {
    after: fc.nat(10_000),
    limit: fc.integer({ min: 1, max: 500 }),
    active: fc.boolean(),
    helped: fc.boolean(),
    kind: fc.constantFrom('reply', 'note'),
    status: fc.constantFrom('online', 'away'),
    body: fc.string({ minLength: 1, maxLength: 300 }),
    q: fc.string({ minLength: 3, maxLength: 200 }),
    articleId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  };
  const field = (key: string) =>
    fc.oneof(
      { weight: 3, arbitrary: key.endsWith('Id') && key !== 'articleId' ? id : (valid[key] ?? hostile) },
      { weight: 1, arbitrary: hostile },
    );
  const record = fc.record(Object.fromEntries(keys.map((key) => [key, field(key)])), { requiredKeys: [] });
  const extraKeys = fc
    .tuple(record, fc.dictionary(fc.string({ maxLength: 12 }), hostile, { maxKeys: 3 }))
    .map(([a, b]) => ({ ...b, ...a }));
  return fc.oneof(
    { weight: 4, arbitrary: record },
    { weight: 1, arbitrary: extraKeys },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  );
}

/** True when `reply` is an ack of the protocol: `{ ok: true, data }` or `{ ok: false, error: { code, message } }`. */
function isAck(reply: unknown): boolean {
  if (!reply || typeof reply !== 'object') return false;
  const ack = reply as { ok?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown } };
  if (ack.ok === true) return 'data' in ack;
  return ack.ok === false && (SOCKET_ERROR_CODES as readonly unknown[]).includes(ack.error?.code) && typeof ack.error?.message === 'string';
}

describe('hub under generated payloads (real hub, real websockets, two tenants)', () => {
  let world: FuzzWorld;
  let hubPort: number;
  let boardToken: string;
  const observers: Recorder[] = [];
  const all: Socket[] = [];

  beforeAll(async () => {
    world = await startFuzzWorld(['api', 'realtime']);
    hubPort = world.server.hubPort!;
    const admin = new LoopbackClient(world.port);
    boardToken = (
      await admin.ok<{ token: string }>('POST', '/api/v1/boards', { cookie: world.a.admin.cookie, body: { name: 'Fuzz board' } })
    ).token;
    // Tenant B is busy while A is fuzzed: its people watch and act, and record what they get.
    const b = world.b;
    for (const [namespace, cookie] of [
      ['/agent', b.agent.cookie],
      ['/customer', b.customer.cookie],
    ] as const) {
      const socket = connect(hubPort, namespace, { cookie }, new LoopbackClient(world.port).localAddress);
      all.push(socket);
      await connected(socket);
      observers.push(record(socket));
      await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('ticket:join', { ticketId: b.objects.ticketId });
    }
  });

  afterAll(async () => {
    for (const socket of all) socket.close();
    await world?.close();
  });

  const namespaces: Array<{ namespace: Namespace; credentials: () => { cookie?: string; boardToken?: string } }> = [
    { namespace: '/agent', credentials: () => ({ cookie: world.a.agent.cookie }) },
    { namespace: '/customer', credentials: () => ({ cookie: world.a.customer.cookie }) },
    { namespace: '/board', credentials: () => ({ boardToken }) },
  ];

  it.each(namespaces)('$namespace answers every generated event with a coded ack and stays up', async ({ namespace, credentials }) => {
    const localAddress = new LoopbackClient(world.port).localAddress;
    const ids = [...Object.values(world.a.objects), ...world.b.ids];
    const stats = { sent: 0, acked: 0, ok: 0, refused: new Map<string, number>(), reconnects: 0 };
    const received: string[] = [];
    let current: Recorder | undefined;

    /** The fuzzing socket; a fresh one when the hub disconnected the last for its violations (by design). */
    const socket = async (): Promise<Socket> => {
      if (current?.socket.connected) return current.socket;
      if (current) {
        received.push(...current.received);
        stats.reconnects++;
      }
      const next = connect(hubPort, namespace, credentials(), localAddress);
      all.push(next);
      await connected(next);
      current = record(next);
      return next;
    };

    const event = fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...EVENTS[namespace]) },
      { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_EVENTS) },
    );
    const sample = event.chain((name) => fc.tuple(fc.constant(name), payloadArbitrary(name, ids), fc.boolean()));
    await fc.assert(
      fc.asyncProperty(sample, async ([name, payload, withAck]) => {
        const client = await socket();
        stats.sent++;
        if (!withAck) {
          client.emit(name, payload);
          return;
        }
        let reply: unknown;
        try {
          reply = await client.timeout(ACK_TIMEOUT_MS).emitWithAck(name, payload);
        } catch (error) {
          // No ack is acceptable only when the hub closed this socket for repeated violations.
          if (!client.connected) return;
          throw new Error(`no ack for ${name} within ${ACK_TIMEOUT_MS} ms: ${(error as Error).message}`);
        }
        stats.acked++;
        expect(isAck(reply), `${name} ${JSON.stringify(payload)?.slice(0, 300)} -> ${JSON.stringify(reply)}`).toBe(true);
        const ack = reply as { ok: boolean; error?: { code: string } };
        if (ack.ok) stats.ok++;
        else stats.refused.set(ack.error!.code, (stats.refused.get(ack.error!.code) ?? 0) + 1);
      }),
      {
        numRuns: RUNS_PER_NAMESPACE,
        interruptAfterTimeLimit: TIME_PER_NAMESPACE_MS,
        markInterruptAsFailure: false,
        seed: randomInt(1, 2 ** 31),
      },
    );
    if (current) received.push(...current.received);
    console.log(
      `[fuzz] ${namespace}: ${stats.sent} events sent, ${stats.acked} acked (${stats.ok} ok; refused ${JSON.stringify(Object.fromEntries(stats.refused))}), ${stats.reconnects} reconnects after violation disconnects`,
    );
    expect(stats.acked, 'the fuzzer must actually get answers').toBeGreaterThan(0);

    // The node is alive and still serves a well-behaved client of the same namespace.
    const health = await new LoopbackClient(world.port).request('GET', '/health/live');
    expect(health.status).toBe(200);
    const probe = connect(hubPort, namespace, credentials(), new LoopbackClient(world.port).localAddress);
    all.push(probe);
    await connected(probe);
    const reply = await probe
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('resync', { after: 0, limit: 5, ...(namespace === '/customer' ? { ticketId: world.a.objects.ticketId } : {}) });
    expect(reply).toMatchObject({ ok: true });

    // Nothing of tenant B reached tenant A's sockets.
    for (const line of received) {
      for (const secret of secretsOf(world.b))
        expect(line.includes(secret), `tenant A received ${secret} of tenant B: ${line.slice(0, 300)}`).toBe(false);
    }
  });

  it("never delivered tenant A's traffic to tenant B's sockets", () => {
    const seen = observers.flatMap((o) => o.received);
    expect(seen.length, 'B observers were connected and heard their own tenant').toBeGreaterThan(0);
    for (const line of seen) {
      for (const secret of secretsOf(world.a))
        expect(line.includes(secret), `tenant B received ${secret} of tenant A: ${line.slice(0, 300)}`).toBe(false);
    }
  });
});
