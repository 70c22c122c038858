import { createAdapter } from '@socket.io/redis-adapter';
import type { Principal } from '@switchboard/api/auth/auth.service';
import { SESSION_COOKIE } from '@switchboard/api/auth/lucia';
import { isStaff, type Ctx } from '@switchboard/api/context';
import type { Domain } from '@switchboard/api/domain';
import { AppError } from '@switchboard/api/lib/errors';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import { Redis } from 'ioredis';
import { verifyRequestOrigin } from 'lucia';
import { Server, type Namespace, type Socket } from 'socket.io';
import { createEngine, type HubEngine } from './engine.ts';
import type { RealtimeEnv } from './env.ts';
import { DEFAULT_LIMITS, TokenBucket, type HubLimits } from './limits.ts';
import { DEFAULT_TIMING, PresenceStore, type PresenceMember, type PresenceTiming } from './presence.ts';
import {
  clientPayloads,
  type Ack,
  type ClientAckData,
  type ClientEventName,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SocketErrorCode,
} from './protocol.ts';
import { rooms } from './rooms.ts';

/** What the hub keeps per socket (server-side only; never from the client). */
interface SocketData {
  kind: 'agent' | 'customer' | 'board';
  tenantId: string;
  userId: string | null;
  name: string;
  ctx: Ctx;
  tickets: Set<string>;
  violations: number;
  bucket: TokenBucket;
}

type HubSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type HubNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** A running hub node. */
export interface Hub {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  readonly engine: HubEngine;
  readonly port: number;
  readonly presence: PresenceStore;
  /** Redis reachable from this node (readiness). */
  redisReady(): Promise<boolean>;
  /** Tells clients to reconnect elsewhere, closes sockets and Redis; resolves when done. */
  close(): Promise<void>;
}

/** Options for {@link startHub}. */
export interface HubOptions {
  env: RealtimeEnv;
  logger: Logger;
  domain: Domain;
  /** Hosts (besides the request's own) allowed as Origin for cookie-authenticated sockets. */
  allowedHosts: string[];
  host?: string;
  limits?: Partial<HubLimits>;
  timing?: Partial<PresenceTiming>;
}

const SOCKET_CODES: Partial<Record<string, SocketErrorCode>> = {
  validation_failed: 'validation_failed',
  bad_request: 'bad_request',
  unauthenticated: 'unauthenticated',
  mfa_required: 'unauthenticated',
  forbidden: 'forbidden',
  not_found: 'not_found',
  rate_limited: 'rate_limited',
  invalid_transition: 'bad_request',
  conflict: 'bad_request',
};

class HubError extends Error {
  constructor(
    readonly code: SocketErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function cookieSession(cookieHeader: string | undefined): string | null {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=') || null;
  }
  return null;
}

/**
 * Starts one hub node: socket.io on the chosen engine, fanned out across nodes through
 * the Redis adapter. Tenant and role come from the server-side session or token; every
 * inbound event is validated, rate limited and answered with a coded ack.
 */
export async function startHub(options: HubOptions): Promise<Hub> {
  const { env, logger, domain } = options;
  const limits: HubLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const timing: PresenceTiming = {
    ...DEFAULT_TIMING,
    ttlMs: env.HUB_PRESENCE_TTL_MS,
    heartbeatMs: env.HUB_HEARTBEAT_MS,
    ...options.timing,
  };
  const redisOptions = { lazyConnect: true, maxRetriesPerRequest: null } as const;
  const pub = new Redis(env.REDIS_URL, redisOptions);
  const sub = pub.duplicate();
  const state = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await Promise.all([pub.connect(), sub.connect(), state.connect()]);
  for (const client of [pub, sub, state]) client.on('error', (error) => logger.warn({ err: error }, 'hub redis error'));

  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>({
    serveClient: false,
    maxHttpBufferSize: limits.maxPayloadBytes,
    connectTimeout: limits.authTimeoutMs,
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  io.adapter(createAdapter(pub, sub, { key: 'switchboard' }));
  const presence = new PresenceStore(state, timing);
  const tenantBuckets = new Map<string, TokenBucket>();

  const originAllowed = (socket: HubSocket): boolean => {
    const origin = socket.handshake.headers.origin;
    return !!origin && verifyRequestOrigin(origin, [socket.handshake.headers.host ?? '', ...options.allowedHosts]);
  };

  const principalFor = async (socket: HubSocket): Promise<Principal | null> => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string' && token.startsWith('sbp_')) return domain.auth.authenticate({ bearer: token });
    const sessionId = cookieSession(socket.handshake.headers.cookie);
    if (!sessionId) return null;
    // Cookies ride along cross-site; only our own pages may open a cookie-authenticated socket.
    if (!originAllowed(socket)) throw new HubError('forbidden', 'origin not allowed');
    return domain.auth.authenticate({ sessionId });
  };

  const fail = (next: (err?: Error) => void, code: SocketErrorCode, message: string) => {
    const error = new Error(message) as Error & { data?: unknown };
    error.data = { code };
    next(error);
  };

  const setup = (socket: HubSocket, principal: Principal | null, kind: SocketData['kind'], ctx: Ctx, name: string) => {
    socket.data = {
      kind,
      tenantId: ctx.tenantId.toHexString(),
      userId: principal?.user.id ?? null,
      name,
      ctx,
      tickets: new Set(),
      violations: 0,
      bucket: new TokenBucket(limits.socketRate, limits.socketBurst),
    };
  };

  const agentNs = io.of('/agent') as HubNamespace;
  agentNs.use(async (socket, next) => {
    try {
      const principal = await principalFor(socket as HubSocket);
      if (!principal) return fail(next, 'unauthenticated', 'sign in first');
      if (principal.mfaPending) return fail(next, 'unauthenticated', 'finish two-factor sign-in first');
      if (!isStaff(principal.ctx.actor)) return fail(next, 'forbidden', 'staff only');
      setup(socket as HubSocket, principal, 'agent', principal.ctx, principal.user.name);
      next();
    } catch (error) {
      fail(next, error instanceof HubError ? error.code : 'internal', error instanceof Error ? error.message : 'auth failed');
    }
  });

  const customerNs = io.of('/customer') as HubNamespace;
  customerNs.use(async (socket, next) => {
    try {
      const principal = await principalFor(socket as HubSocket);
      if (!principal) return fail(next, 'unauthenticated', 'sign in first');
      if (principal.user.role !== 'customer') return fail(next, 'forbidden', 'customers only');
      setup(socket as HubSocket, principal, 'customer', principal.ctx, principal.user.name);
      next();
    } catch (error) {
      fail(next, error instanceof HubError ? error.code : 'internal', error instanceof Error ? error.message : 'auth failed');
    }
  });

  const boardNs = io.of('/board') as HubNamespace;
  boardNs.use(async (socket, next) => {
    try {
      const board = await domain.boards.resolveToken((socket.handshake.auth as { boardToken?: unknown } | undefined)?.boardToken);
      if (!board) return fail(next, 'unauthenticated', 'unknown or revoked board token');
      setup(
        socket as HubSocket,
        null,
        'board',
        { tenantId: board.tenantId, actor: { kind: 'system', name: `board:${board.name}` } },
        board.name,
      );
      next();
    } catch (error) {
      fail(next, 'internal', error instanceof Error ? error.message : 'auth failed');
    }
  });

  const member = (socket: HubSocket): PresenceMember => ({
    tenantId: socket.data.tenantId,
    userId: socket.data.userId ?? socket.id,
    socketId: socket.id,
    name: socket.data.name,
  });

  const broadcastViewers = async (tenantId: string, ticketId: string) => {
    agentNs
      .to(rooms.ticket(tenantId, ticketId))
      .emit('presence:viewers', { ticketId, viewers: await presence.viewers(tenantId, ticketId) });
  };
  const broadcastAgents = async (tenantId: string) => {
    const agents = await presence.agents(tenantId);
    agentNs.to(rooms.staff(tenantId)).emit('presence:agents', { agents });
    boardNs.to(rooms.board(tenantId)).emit('presence:agents', { agents });
  };

  /** Strikes a socket; too many strikes and it is disconnected. */
  const violate = (socket: HubSocket, code: SocketErrorCode, message: string) => {
    socket.data.violations += 1;
    if (socket.data.violations >= limits.maxViolations) {
      socket.emit('error', { code, message: `${message} (too many violations: disconnecting)` });
      socket.disconnect(true);
    }
  };

  type Handler<E extends ClientEventName> = (
    socket: HubSocket,
    payload: (typeof clientPayloads)[E]['_output'],
  ) => Promise<ClientAckData[E]>;

  /** Wires one inbound event: parse, rate limit, run, ack — never throws into socket.io. */
  const on = <E extends ClientEventName>(socket: HubSocket, event: E, handler: Handler<E>) => {
    (socket as unknown as { on(event: string, listener: (...args: unknown[]) => void): void }).on(event, async (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (response: Ack<ClientAckData[E]>) => void) : undefined;
      const reply = (response: Ack<ClientAckData[E]>) => ack?.(response);
      const refuse = (code: SocketErrorCode, message: string) => {
        violate(socket, code, message);
        reply({ ok: false, error: { code, message } });
      };
      if (!socket.data.bucket.take()) return refuse('rate_limited', 'slow down');
      let bucket = tenantBuckets.get(socket.data.tenantId);
      if (!bucket) tenantBuckets.set(socket.data.tenantId, (bucket = new TokenBucket(limits.tenantRate, limits.tenantBurst)));
      if (!bucket.take()) return refuse('rate_limited', 'this helpdesk is sending too many events');
      const parsed = clientPayloads[event].safeParse(args[0]);
      if (!parsed.success)
        return refuse('validation_failed', parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
      try {
        reply({ ok: true, data: await handler(socket, parsed.data as never) });
      } catch (error) {
        if (error instanceof HubError) return refuse(error.code, error.message);
        if (error instanceof AppError) return refuse(SOCKET_CODES[error.code] ?? 'internal', error.message);
        logger.error({ err: error, event }, 'socket handler failed');
        reply({ ok: false, error: { code: 'internal', message: 'something went wrong' } });
      }
    });
  };

  const guardUnknown = (socket: HubSocket, allowed: readonly string[]) => {
    socket.onAny((event: string, ...args: unknown[]) => {
      if (allowed.includes(event)) return;
      violate(socket, 'bad_request', `unknown event ${event}`);
      const ack = args[args.length - 1];
      if (typeof ack === 'function')
        ack({ ok: false, error: { code: 'bad_request', message: `unknown event ${String(event).slice(0, 50)}` } });
    });
  };

  const resync = async (socket: HubSocket, payload: { after: number; limit?: number; ticketId?: string }) => {
    const staffLike = socket.data.kind !== 'customer';
    if (!staffLike && !payload.ticketId) throw new HubError('validation_failed', 'ticketId: required for customers');
    const ticketId = payload.ticketId ? oid(payload.ticketId) : undefined;
    if (ticketId) await domain.tickets.requireVisible(socket.data.ctx, ticketId);
    return domain.events.readAfter(socket.data.ctx.tenantId, payload.after, {
      limit: payload.limit,
      ticketId,
      audience: staffLike ? undefined : 'public',
    });
  };

  const joinTicket = async (socket: HubSocket, ticketId: string) => {
    if (!socket.data.tickets.has(ticketId) && socket.data.tickets.size >= limits.maxRoomsPerSocket)
      throw new HubError('too_many_rooms', `at most ${limits.maxRoomsPerSocket} tickets at once`);
    await domain.tickets.requireVisible(socket.data.ctx, oid(ticketId));
    socket.data.tickets.add(ticketId);
  };

  agentNs.on('connection', async (raw) => {
    const socket = raw as HubSocket;
    const { tenantId } = socket.data;
    // Handlers first, synchronously: a client may emit the moment it is connected.
    guardUnknown(socket, Object.keys(clientPayloads));
    on(socket, 'ticket:join', async (s, { ticketId }) => {
      await joinTicket(s, ticketId);
      await s.join(rooms.ticket(tenantId, ticketId));
      await presence.view(member(s), ticketId);
      await broadcastViewers(tenantId, ticketId);
      return { viewers: await presence.viewers(tenantId, ticketId), replying: await presence.replying(tenantId, ticketId) };
    });
    on(socket, 'ticket:leave', async (s, { ticketId }) => {
      if (s.data.tickets.delete(ticketId)) {
        await s.leave(rooms.ticket(tenantId, ticketId));
        await presence.unview(member(s), ticketId);
        await broadcastViewers(tenantId, ticketId);
      }
      return {};
    });
    on(socket, 'ticket:typing', async (s, { ticketId, kind, active }) => {
      if (!s.data.tickets.has(ticketId)) throw new HubError('forbidden', 'join the ticket first');
      const user = { id: s.data.userId ?? s.id, name: s.data.name };
      s.to(rooms.ticket(tenantId, ticketId)).emit('ticket:typing', { ticketId, user, kind, active });
      // Internal-note typing stays among staff: customers only ever hear about replies.
      if (kind === 'reply') customerNs.to(rooms.customerTicket(tenantId, ticketId)).emit('ticket:typing', { ticketId, user, kind, active });
      const collision = kind === 'reply' ? await presence.setReplying(member(s), ticketId, active) : [];
      if (kind === 'reply' && active && collision.length > 0) {
        agentNs
          .to(rooms.ticket(tenantId, ticketId))
          .emit('ticket:collision', { ticketId, replying: await presence.replying(tenantId, ticketId) });
      }
      return { collision };
    });
    on(socket, 'resync', (s, payload) => resync(s, payload));
    on(socket, 'agent:status', async (s, { status }) => {
      await domain.users.setAgentStatus(s.data.ctx, status);
      await presence.agentOnline(member(s), status);
      await broadcastAgents(tenantId);
      return { status };
    });

    socket.join(rooms.staff(tenantId));
    try {
      const me = socket.data.userId
        ? await domain.models.User.findOne({ tenantId: socket.data.ctx.tenantId, _id: oid(socket.data.userId) }, { agentStatus: 1 }).lean()
        : null;
      await presence.agentOnline(member(socket), me?.agentStatus === 'away' ? 'away' : 'online');
      socket.emit('hello', {
        userId: socket.data.userId,
        tenantId,
        role: socket.data.ctx.actor.kind === 'user' ? socket.data.ctx.actor.role : 'system',
        head: await domain.events.head(socket.data.ctx.tenantId),
      });
      await broadcastAgents(tenantId);
    } catch (error) {
      logger.warn({ err: error }, 'agent socket setup failed');
    }

    socket.on('disconnect', async () => {
      try {
        await presence.agentOffline(member(socket));
        for (const ticketId of socket.data.tickets) {
          await presence.unview(member(socket), ticketId);
          await broadcastViewers(tenantId, ticketId);
        }
        await broadcastAgents(tenantId);
      } catch (error) {
        logger.warn({ err: error }, 'presence cleanup failed');
      }
    });
  });

  customerNs.on('connection', async (raw) => {
    const socket = raw as HubSocket;
    const { tenantId } = socket.data;
    guardUnknown(socket, ['ticket:join', 'ticket:leave', 'ticket:typing', 'resync']);
    if (socket.data.userId) socket.join(rooms.customerUser(tenantId, socket.data.userId));
    socket.emit('hello', { userId: socket.data.userId, tenantId, role: 'customer', head: 0 });
    on(socket, 'ticket:join', async (s, { ticketId }) => {
      await joinTicket(s, ticketId);
      await s.join(rooms.customerTicket(tenantId, ticketId));
      return { viewers: [], replying: [] };
    });
    on(socket, 'ticket:leave', async (s, { ticketId }) => {
      if (s.data.tickets.delete(ticketId)) await s.leave(rooms.customerTicket(tenantId, ticketId));
      return {};
    });
    on(socket, 'ticket:typing', async (s, { ticketId, active }) => {
      if (!s.data.tickets.has(ticketId)) throw new HubError('forbidden', 'join the ticket first');
      agentNs
        .to(rooms.ticket(tenantId, ticketId))
        .emit('ticket:typing', { ticketId, user: { id: s.data.userId ?? s.id, name: s.data.name }, kind: 'reply', active });
      return { collision: [] };
    });
    on(socket, 'resync', (s, payload) => resync(s, payload));
  });

  boardNs.on('connection', async (raw) => {
    const socket = raw as HubSocket;
    guardUnknown(socket, ['resync']);
    on(socket, 'resync', (s, payload) => resync(s, payload));
    socket.join(rooms.board(socket.data.tenantId));
    try {
      socket.emit('hello', {
        userId: null,
        tenantId: socket.data.tenantId,
        role: 'board',
        head: await domain.events.head(socket.data.ctx.tenantId),
      });
      socket.emit('presence:agents', { agents: await presence.agents(socket.data.tenantId) });
    } catch (error) {
      logger.warn({ err: error }, 'board socket setup failed');
    }
  });

  const heartbeat = setInterval(() => {
    const sockets = [...agentNs.sockets.values()].map((s) => ({
      member: member(s as HubSocket),
      agent: true,
      tickets: [...(s as HubSocket).data.tickets],
    }));
    presence
      .heartbeat(sockets)
      .then(async (changed) => {
        for (const [tenantId, ticketId] of changed.tickets) await broadcastViewers(tenantId, ticketId);
        for (const tenantId of changed.tenants) await broadcastAgents(tenantId);
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'presence heartbeat failed'));
  }, timing.heartbeatMs);
  heartbeat.unref();

  const engine = createEngine(io as unknown as Server, env.HUB_ENGINE);
  const port = await engine.listen(env.HUB_PORT, options.host ?? '127.0.0.1');
  logger.info(
    { engine: engine.name, reason: engine.reason, port },
    `realtime hub listening on ${options.host ?? '127.0.0.1'}:${port} (engine: ${engine.name})`,
  );

  return {
    io,
    engine,
    port,
    presence,
    redisReady: async () => (await state.ping()) === 'PONG',
    close: async () => {
      clearInterval(heartbeat);
      for (const ns of [agentNs, customerNs, boardNs]) ns.local.emit('server:shutdown', { reconnect: true });
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await engine.close();
      for (const client of [pub, sub, state]) client.disconnect();
    },
  };
}
