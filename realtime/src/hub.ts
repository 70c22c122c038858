import { createAdapter } from '@socket.io/redis-adapter';
import type { Principal } from '@switchboard/api/auth/auth.service';
import { SESSION_COOKIE } from '@switchboard/api/auth/lucia';
import { isStaff, type Ctx } from '@switchboard/api/context';
import { isDatabaseUnavailable } from '@switchboard/api/db/connection';
import type { Domain } from '@switchboard/api/domain';
import { AppError } from '@switchboard/api/lib/errors';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import { customerCtx, type ChatSender } from '@switchboard/api/widget/widget.service';
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
import { ReadMarksStore } from './read-marks.ts';
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
  /** Widget visitors: the signed visitor id and whether the tenant's site verified them; null for everyone else. */
  visitor: { id: string; verified: boolean } | null;
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
  payload_too_large: 'payload_too_large',
  unavailable: 'unavailable',
};

/** Presence rosters are broadcast at most once per tenant in this window. */
const AGENT_BROADCAST_WINDOW_MS = 250;

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
    // Widgets on other sites fall back to long-polling through cross-origin XHR. Never with
    // credentials: cookie sockets stay same-site (and are origin-checked besides).
    cors: { origin: true, credentials: false },
  });
  io.adapter(createAdapter(pub, sub, { key: 'switchboard' }));
  const presence = new PresenceStore(state, timing);
  const readMarks = new ReadMarksStore(state);
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

  const fail = (next: (err?: Error) => void, code: SocketErrorCode, message: string, reason?: string) => {
    const error = new Error(message) as Error & { data?: unknown };
    error.data = reason ? { code, reason } : { code };
    next(error);
  };

  /** A handshake failure as the client should see it: the coded refusal of a service, else internal. */
  const refusalOf = (error: unknown): [SocketErrorCode, string, string?] => {
    if (error instanceof HubError) return [error.code, error.message];
    if (error instanceof AppError)
      return [SOCKET_CODES[error.code] ?? 'internal', error.message, (error.details as { reason?: string } | undefined)?.reason];
    return ['internal', error instanceof Error ? error.message : 'auth failed'];
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
      visitor: null,
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
      const widgetToken = (socket.handshake.auth as { widgetToken?: unknown } | undefined)?.widgetToken;
      if (typeof widgetToken === 'string') {
        // The widget's own token, checked against the tenant's allowed origins: no cookie involved.
        const visitor = await domain.widget.authenticate(widgetToken, socket.handshake.headers.origin ?? null);
        setup(socket as HubSocket, null, 'customer', visitor.ctx, visitor.user?.name ?? visitor.ctx.actor.name);
        socket.data.userId = visitor.user ? visitor.user._id.toHexString() : null;
        socket.data.visitor = { id: visitor.visitorId, verified: visitor.verified };
        return next();
      }
      const principal = await principalFor(socket as HubSocket);
      if (!principal) return fail(next, 'unauthenticated', 'sign in first');
      if (principal.user.role !== 'customer') return fail(next, 'forbidden', 'customers only');
      setup(socket as HubSocket, principal, 'customer', principal.ctx, principal.user.name);
      next();
    } catch (error) {
      fail(next, ...refusalOf(error));
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

  // Set by close(): presence work still finishing (sockets closed by the shutdown) must not
  // broadcast through the Redis clients being disconnected — their rejected commands would be
  // nobody's to handle.
  let closing = false;
  /** Presence cleanups of disconnected sockets still running; close() waits for them. */
  const cleanups = new Set<Promise<void>>();

  const broadcastViewers = async (tenantId: string, ticketId: string) => {
    if (closing) return;
    agentNs
      .to(rooms.ticket(tenantId, ticketId))
      .emit('presence:viewers', { ticketId, viewers: await presence.viewers(tenantId, ticketId) });
  };
  // A room of N agents filling up would otherwise cost N broadcasts of an N-long list
  // (O(N²) frames); one trailing broadcast per tenant per window is enough for a roster.
  const agentBroadcasts = new Map<string, ReturnType<typeof setTimeout>>();
  const broadcastAgents = async (tenantId: string) => {
    if (closing || agentBroadcasts.has(tenantId)) return;
    agentBroadcasts.set(
      tenantId,
      setTimeout(() => {
        agentBroadcasts.delete(tenantId);
        sendAgents(tenantId).catch((error: unknown) => logger.warn({ err: error }, 'presence broadcast failed'));
      }, AGENT_BROADCAST_WINDOW_MS).unref(),
    );
  };
  const sendAgents = async (tenantId: string) => {
    const agents = await presence.agents(tenantId);
    agentNs.to(rooms.staff(tenantId)).emit('presence:agents', { agents });
    boardNs.to(rooms.board(tenantId)).emit('presence:agents', { agents });
    customerNs
      .to(rooms.widgets(tenantId))
      .emit('widget:availability', { agentsOnline: agents.filter((a) => a.status === 'online').length });
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
        // An outage is not the client's fault: no strike, and a code that says "retry".
        if (isDatabaseUnavailable(error)) {
          logger.error({ err: error, event }, 'database unavailable');
          return reply({ ok: false, error: { code: 'unavailable', message: 'the database is unavailable right now; try again shortly' } });
        }
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

  /** Counts a chat message of this customer over every socket and node; refuses a flood. */
  const admitChatMessage = async (socket: HubSocket) => {
    const who = socket.data.visitor?.id ?? socket.data.userId ?? socket.id;
    const key = `sb:chat:rate:${socket.data.tenantId}:${who}:${Math.floor(Date.now() / 60_000)}`;
    const replies = await state.multi().incr(key).pexpire(key, 120_000).exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    if (count > limits.messagesPerMinute)
      throw new HubError('rate_limited', `Too many messages: at most ${limits.messagesPerMinute} a minute. Wait a moment and send again.`);
  };

  const senderOf = (socket: HubSocket): ChatSender => ({
    tenantId: socket.data.ctx.tenantId,
    visitorId: socket.data.visitor?.id ?? null,
    verified: socket.data.visitor?.verified ?? true,
    userId: socket.data.userId ? oid(socket.data.userId) : null,
  });

  const readReceipt = (socket: HubSocket, ticketId: string, entryId: string, reader: 'customer' | 'agent') => ({
    ticketId,
    entryId,
    reader,
    user: { id: socket.data.userId ?? socket.id, name: socket.data.name },
    at: new Date().toISOString(),
  });

  agentNs.on('connection', async (raw) => {
    const socket = raw as HubSocket;
    const { tenantId } = socket.data;
    // Handlers first, synchronously: a client may emit the moment it is connected.
    guardUnknown(socket, ['ticket:join', 'ticket:leave', 'ticket:typing', 'resync', 'agent:status', 'message:read']);
    on(socket, 'ticket:join', async (s, { ticketId }) => {
      await joinTicket(s, ticketId);
      await s.join(rooms.ticket(tenantId, ticketId));
      await presence.view(member(s), ticketId);
      await broadcastViewers(tenantId, ticketId);
      return {
        viewers: await presence.viewers(tenantId, ticketId),
        replying: await presence.replying(tenantId, ticketId),
        read: await readMarks.get(tenantId, ticketId),
      };
    });
    on(socket, 'message:read', async (s, { ticketId, entryId }) => {
      if (!s.data.tickets.has(ticketId)) throw new HubError('forbidden', 'join the ticket first');
      const read = await readMarks.advance(tenantId, ticketId, 'agent', entryId);
      customerNs.to(rooms.customerTicket(tenantId, ticketId)).emit('ticket:read', readReceipt(s, ticketId, entryId, 'agent'));
      return { read };
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

    socket.on('disconnect', () => {
      const cleanup = (async () => {
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
      })();
      cleanups.add(cleanup);
      void cleanup.finally(() => cleanups.delete(cleanup));
    });
  });

  customerNs.on('connection', async (raw) => {
    const socket = raw as HubSocket;
    const { tenantId } = socket.data;
    guardUnknown(socket, ['ticket:join', 'ticket:leave', 'ticket:typing', 'resync', 'message:send', 'message:read', 'kb:feedback']);
    if (socket.data.userId) socket.join(rooms.customerUser(tenantId, socket.data.userId));
    socket.emit('hello', { userId: socket.data.userId, tenantId, role: 'customer', head: 0 });
    on(socket, 'ticket:join', async (s, { ticketId }) => {
      await joinTicket(s, ticketId);
      await s.join(rooms.customerTicket(tenantId, ticketId));
      return { viewers: [], replying: [], read: await readMarks.get(tenantId, ticketId) };
    });
    on(socket, 'message:send', async (s, payload) => {
      await admitChatMessage(s);
      const sent = await domain.widget.send(senderOf(s), payload);
      if (!s.data.userId) {
        // An anonymous visitor's first message created their customer: the socket becomes theirs.
        s.data.userId = sent.user._id.toHexString();
        s.data.ctx = customerCtx(sent.user);
        s.data.name = sent.user.name;
        await s.join(rooms.customerUser(tenantId, s.data.userId));
      }
      if (!s.data.tickets.has(sent.ticketId)) {
        await joinTicket(s, sent.ticketId);
        await s.join(rooms.customerTicket(tenantId, sent.ticketId));
      }
      return { ticketId: sent.ticketId, entry: sent.entry, duplicate: sent.duplicate, ticketCreated: sent.ticketCreated, seq: sent.seq };
    });
    on(socket, 'message:read', async (s, { ticketId, entryId }) => {
      if (!s.data.tickets.has(ticketId)) throw new HubError('forbidden', 'join the ticket first');
      const read = await readMarks.advance(tenantId, ticketId, 'customer', entryId);
      agentNs.to(rooms.ticket(tenantId, ticketId)).emit('ticket:read', readReceipt(s, ticketId, entryId, 'customer'));
      return { read };
    });
    on(socket, 'kb:feedback', async (s, { articleId, helped, q }) => {
      await domain.widget.recordFeedback(senderOf(s), { articleId, helped, query: q });
      return {};
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
    if (socket.data.visitor) {
      socket.join(rooms.widgets(tenantId));
      try {
        const agents = await presence.agents(tenantId);
        socket.emit('widget:availability', { agentsOnline: agents.filter((a) => a.status === 'online').length });
      } catch (error) {
        logger.warn({ err: error }, 'widget availability failed');
      }
    }
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

  // A revoked board stops at the next check: its displays are told why and disconnected.
  const boardCheck = setInterval(() => {
    const byToken = new Map<unknown, HubSocket[]>();
    for (const raw of boardNs.sockets.values()) {
      const socket = raw as HubSocket;
      const token = (socket.handshake.auth as { boardToken?: unknown } | undefined)?.boardToken;
      byToken.set(token, [...(byToken.get(token) ?? []), socket]);
    }
    void (async () => {
      for (const [token, sockets] of byToken) {
        if (await domain.boards.resolveToken(token)) continue;
        for (const socket of sockets) {
          socket.emit('error', { code: 'unauthenticated', message: 'this board was revoked' });
          socket.disconnect(true);
        }
      }
    })().catch((error: unknown) => logger.warn({ err: error }, 'board token check failed'));
  }, limits.boardRecheckMs);
  boardCheck.unref();

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
      closing = true;
      clearInterval(heartbeat);
      for (const timer of agentBroadcasts.values()) clearTimeout(timer);
      clearInterval(boardCheck);
      for (const ns of [agentNs, customerNs, boardNs]) ns.local.emit('server:shutdown', { reconnect: true });
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await engine.close();
      // The sockets' presence cleanups use the Redis clients: let them finish (bounded).
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...cleanups]), new Promise((resolve) => (bound = setTimeout(resolve, 2000)))]);
      clearTimeout(bound);
      for (const client of [pub, sub, state]) client.disconnect();
    },
  };
}
