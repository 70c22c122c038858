import { SeqTracker } from '@switchboard/realtime/client/seq-tracker';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientAckData, ClientToServerEvents, DomainEvent, PresenceUser, ReadMarks, ServerToClientEvents } from './types.ts';

type Listener = (event: DomainEvent) => void;
type AgentPresence = PresenceUser & { status: 'online' | 'away' };

const MAX_RESYNC_PAGES = 10;

/**
 * The console's live connection to the hub (`/agent`). Events are applied strictly in
 * `seq` order exactly once (SeqTracker); after a reconnect or a gap the missing events are
 * fetched from the log, so the screens never show stale data. When the client was away
 * too long, listeners get a reset and reload instead.
 */
class Live {
  status = $state<'connecting' | 'online' | 'offline'>('connecting');
  agents = $state<AgentPresence[]>([]);
  viewers = $state<Record<string, PresenceUser[]>>({});
  typing = $state<Record<string, Array<{ user: PresenceUser; kind: 'reply' | 'note' }>>>({});
  collisions = $state<Record<string, PresenceUser[]>>({});
  /** How far customer and agents have read each joined ticket (read receipts). */
  readMarks = $state<Record<string, ReadMarks>>({});
  /** Increments on every reset (listeners reload their data). */
  resets = $state(0);

  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;
  private tracker: SeqTracker<DomainEvent> | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly joined = new Set<string>();
  private readonly joins = new Map<string, Promise<unknown>>();
  private resyncing = false;
  private resyncAgain = false;

  /** Opens the connection once per tab. */
  connect(): void {
    if (this.socket) return;
    const socket = io('/agent', {
      transports: ['websocket', 'polling'],
      withCredentials: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.status = 'online';
      for (const ticketId of this.joined) void this.emit('ticket:join', { ticketId });
    });
    socket.on('disconnect', (reason) => {
      this.status = 'offline';
      // A node shutting down disconnects us on purpose; come back (to another node).
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 300 + Math.random() * 1200);
    });
    socket.on('connect_error', () => {
      this.status = 'offline';
    });
    socket.on('hello', ({ head }) => {
      if (!this.tracker) {
        this.tracker = new SeqTracker<DomainEvent>({
          last: head,
          apply: (e) => this.dispatch(e),
          onGap: (after) => void this.resync(after),
          gapWaitMs: 800,
        });
      } else {
        this.tracker.resyncNow();
      }
    });
    socket.on('event', (event) => this.tracker?.receive(event));
    socket.on('presence:agents', ({ agents }) => (this.agents = agents));
    socket.on('presence:viewers', ({ ticketId, viewers }) => (this.viewers = { ...this.viewers, [ticketId]: viewers }));
    socket.on('ticket:typing', ({ ticketId, user, kind, active }) => {
      const others = (this.typing[ticketId] ?? []).filter((t) => t.user.id !== user.id || t.kind !== kind);
      this.typing = { ...this.typing, [ticketId]: active ? [...others, { user, kind }] : others };
    });
    socket.on('ticket:collision', ({ ticketId, replying }) => (this.collisions = { ...this.collisions, [ticketId]: replying }));
    socket.on('ticket:read', ({ ticketId, entryId, reader }: { ticketId: string; entryId: string; reader: keyof ReadMarks }) => {
      const marks = this.readMarks[ticketId] ?? { customer: null, agent: null };
      if (!marks[reader] || entryId > marks[reader]) this.readMarks = { ...this.readMarks, [ticketId]: { ...marks, [reader]: entryId } };
    });
    socket.on('server:shutdown', () => {
      this.status = 'offline';
    });
  }

  /** Subscribes to applied domain events; returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(event: DomainEvent): void {
    // Whoever just posted on a ticket is no longer typing there, whether or not their
    // "stopped typing" signal arrives (it races the entry, or their tab closed on send).
    const typing = event.ticketId ? this.typing[event.ticketId] : undefined;
    if (event.type === 'entry.added' && event.ticketId && typing?.some((t) => t.user.id === event.actor.id)) {
      this.typing = { ...this.typing, [event.ticketId]: typing.filter((t) => t.user.id !== event.actor.id) };
    }
    for (const listener of this.listeners) listener(event);
  }

  private async resync(after: number): Promise<void> {
    if (!this.tracker) return;
    // One at a time; a request meanwhile (a reconnect while a resync waits on a dead
    // connection) runs once the current one ends, from wherever the tracker then is.
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    try {
      let cursor = after;
      for (let page = 0; page < MAX_RESYNC_PAGES; page++) {
        const reply = await this.emit('resync', { after: cursor, limit: 500 });
        if (!reply.ok) return;
        this.tracker.receive(reply.data.events);
        cursor = reply.data.cursor;
        if (!reply.data.more) return;
      }
      // Too far behind to replay: jump to the cursor and let screens reload.
      this.tracker.skipTo(cursor);
      this.resets += 1;
    } finally {
      this.resyncing = false;
      if (this.resyncAgain && this.tracker) {
        this.resyncAgain = false;
        void this.resync(this.tracker.last);
      }
    }
  }

  private async emit<E extends keyof ClientAckData>(event: E, payload: unknown): Promise<Ack<ClientAckData[E]>> {
    if (!this.socket?.connected) return { ok: false, error: { code: 'internal', message: 'offline' } };
    try {
      return (await (this.socket as unknown as Socket).timeout(8000).emitWithAck(event, payload)) as Ack<ClientAckData[E]>;
    } catch {
      return { ok: false, error: { code: 'internal', message: 'no answer from the server' } };
    }
  }

  /** Starts viewing a ticket (presence); remembered across reconnects. */
  async join(ticketId: string): Promise<void> {
    this.joined.add(ticketId);
    const joining = this.emit('ticket:join', { ticketId });
    this.joins.set(ticketId, joining);
    const reply = await joining;
    if (reply.ok) {
      this.viewers = { ...this.viewers, [ticketId]: reply.data.viewers };
      this.collisions = { ...this.collisions, [ticketId]: reply.data.replying };
      if (reply.data.read) this.readMarks = { ...this.readMarks, [ticketId]: reply.data.read };
    }
  }

  /** Tells the customer this agent has read the conversation up to `entryId`. */
  async markRead(ticketId: string, entryId: string): Promise<void> {
    const marks = this.readMarks[ticketId];
    if (marks?.agent && marks.agent >= entryId) return;
    // The hub accepts read marks only for tickets this socket has joined.
    await this.joins.get(ticketId);
    const reply = await this.emit('message:read', { ticketId, entryId });
    if (reply.ok) this.readMarks = { ...this.readMarks, [ticketId]: reply.data.read };
  }

  /** Stops viewing a ticket. */
  async leave(ticketId: string): Promise<void> {
    this.joined.delete(ticketId);
    this.joins.delete(ticketId);
    await this.emit('ticket:leave', { ticketId });
  }

  /** Signals typing; resolves to the other agents replying (a collision) when starting a reply. */
  async setTyping(ticketId: string, kind: 'reply' | 'note', active: boolean): Promise<PresenceUser[]> {
    const reply = await this.emit('ticket:typing', { ticketId, kind, active });
    return reply.ok ? reply.data.collision : [];
  }

  /** Sets my availability (routing only assigns to online agents). */
  async setStatus(status: 'online' | 'away'): Promise<boolean> {
    return (await this.emit('agent:status', { status })).ok;
  }

  /** My presence status as the hub sees it. */
  statusOf(userId: string | undefined): 'online' | 'away' | 'offline' {
    return this.agents.find((a) => a.id === userId)?.status ?? 'offline';
  }
}

/** The one live connection of this tab. */
export const live = new Live();
