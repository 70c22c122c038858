import type { EntryDto } from '@switchboard/api/conversation/conversation.schema';
import { isWithinBusinessHours } from '@switchboard/api/widget/business-hours';
import type { ArticleSuggestionDto, WidgetConfig, WidgetSession } from '@switchboard/api/widget/widget.schema';
import { SeqTracker } from '@switchboard/realtime/client/seq-tracker';
import type { Ack, ClientAckData, ClientToServerEvents, DomainEvent, ServerToClientEvents } from '@switchboard/realtime/protocol';
import { io, type Socket } from 'socket.io-client';
import { loadMemory, saveMemory, type QueuedMessage } from './storage.ts';

/** One line of the conversation as the widget shows it. */
export interface ChatLine {
  /** Entry id once the server has it; the key that makes every message appear exactly once. */
  id: string | null;
  /**
   * Position of the entry's event in the log: the conversation's order (entry ids are only
   * ordered within one process). Null until known (a message just acknowledged).
   */
  seq: number | null;
  /** When this line was confirmed here, breaking ties among lines without `seq`. */
  order: number;
  clientKey: string | null;
  kind: 'message' | 'reply' | 'system';
  author: string;
  text: string;
  at: string;
  /** `queued`: waiting for a connection; `sending`: on the wire; `failed`: refused (see `error`). */
  state: 'sent' | 'queued' | 'sending' | 'failed';
  error: string | null;
  attachments: EntryDto['attachments'];
}

/** How the widget is doing, for the header and banners. */
export type ChatStatus = 'starting' | 'connecting' | 'online' | 'offline' | 'refused';

/** What the embedding page told the widget. */
export interface ChatOptions {
  widgetKey: string;
  /** Origin of the Switchboard server (where widget.js came from). */
  baseUrl: string;
  /** A verified identity from the tenant's site (all three or nothing). */
  identity: { email: string; name?: string; hmac: string } | null;
}

type WidgetSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const ACK_TIMEOUT_MS = 10_000;
const TYPING_IDLE_MS = 3_000;
const RETRY_AFTER_RATE_LIMIT_MS = 5_000;

/** The current instant as ISO text (plain data: a queued message's time never changes). */
function isoNow(): string {
  return new Date(Date.now()).toISOString();
}

function newClientKey(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function lineOf(entry: EntryDto, seq: number | null, order: number): ChatLine {
  return {
    id: entry.id,
    seq,
    order,
    clientKey: null,
    kind: entry.kind === 'reply' ? 'reply' : entry.kind === 'message' ? 'message' : 'system',
    author: entry.authorName,
    text: entry.bodyText,
    at: entry.createdAt,
    state: 'sent',
    error: null,
    attachments: entry.attachments,
  };
}

/**
 * The widget's conversation with the helpdesk: a session from the REST API, a socket on
 * `/customer`, and the guarantees of the issue — messages typed offline are kept (also in
 * storage) and sent once, in order, after reconnecting (a client key per message makes
 * retries harmless); received entries are applied in log order exactly once (SeqTracker
 * plus entry ids), so nothing shows twice or goes missing.
 */
export class ChatClient {
  status = $state<ChatStatus>('starting');
  /** Why the server refused this page or visitor, in words for the visitor. */
  refusal = $state<string | null>(null);
  config = $state<WidgetConfig | null>(null);
  verified = $state(false);
  ticketId = $state<string | null>(null);
  /** Confirmed entries by id, plus what is still on its way. */
  private confirmed = $state<Record<string, ChatLine>>({});
  pending = $state<ChatLine[]>([]);
  agentTyping = $state<string | null>(null);
  /** Newest entry an agent has read. */
  agentReadUpTo = $state<string | null>(null);
  agentsOnline = $state(0);
  withinHours = $state(true);
  seenEntryId = $state<string | null>(null);
  email = $state<string | null>(null);
  suggestions = $state<ArticleSuggestionDto[]>([]);
  suggestionsAvailable = $state(true);
  /** Set by the panel: the visitor is looking at the conversation. */
  visible = $state(false);

  private socket: WidgetSocket | undefined;
  private token: string | null = null;
  private tracker: SeqTracker<DomainEvent> | undefined;
  /** The ticket whose events `tracker` orders. */
  private tracked: string | null = null;
  private outbox: QueuedMessage[] = [];
  private flushing = false;
  private inFlight: string | null = null;
  private deferred: Array<{ entry: EntryDto; seq: number }> = [];
  private confirmations = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private agentTypingTimer: ReturnType<typeof setTimeout> | undefined;
  private hoursTimer: ReturnType<typeof setInterval> | undefined;
  private suggestTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReadSent: string | null = null;
  private typingActive = false;
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly options: ChatOptions) {}

  /** Every line in conversation order: confirmed entries in log order, then pending ones. */
  get lines(): ChatLine[] {
    const position = (line: ChatLine) => line.seq ?? Number.MAX_SAFE_INTEGER;
    return [...Object.values(this.confirmed).sort((a, b) => position(a) - position(b) || a.order - b.order), ...this.pending];
  }

  /** Replies the visitor has not seen (the launcher's badge). */
  get unread(): number {
    return Object.values(this.confirmed).filter((l) => l.kind === 'reply' && (!this.seenEntryId || l.id! > this.seenEntryId)).length;
  }

  /** Nobody can answer right now: outside business hours or no agent online. */
  get away(): boolean {
    return !this.withinHours || this.agentsOnline === 0;
  }

  /** An anonymous visitor in offline mode must leave an address to be answered. */
  get needsEmail(): boolean {
    return this.away && !this.verified && !this.email;
  }

  /** Starts the session and the socket; safe to call once per element. */
  async start(): Promise<void> {
    if (!this.options.widgetKey) {
      this.refuse('This chat is not set up correctly: the embed snippet has no data-key.');
      return;
    }
    const visibility = () => this.setVisible(this.visible);
    document.addEventListener('visibilitychange', visibility);
    this.cleanups.push(() => document.removeEventListener('visibilitychange', visibility));
    const memory = loadMemory(this.options.widgetKey);
    this.ticketId = memory.ticketId;
    this.outbox = memory.outbox;
    this.seenEntryId = memory.seenEntryId;
    this.email = memory.email;
    this.pending = this.outbox.map((m) => ({ ...this.pendingLine(m), state: 'queued' as const }));
    const online = () => this.socket?.connect();
    window.addEventListener('online', online);
    this.cleanups.push(() => window.removeEventListener('online', online));
    if (!(await this.mintSession())) return;
    this.connect();
  }

  /** Closes the socket and timers (element removed from the page). */
  stop(): void {
    for (const cleanup of this.cleanups) cleanup();
    clearInterval(this.hoursTimer);
    clearTimeout(this.typingTimer);
    clearTimeout(this.agentTypingTimer);
    clearTimeout(this.suggestTimer);
    this.tracker?.dispose();
    this.socket?.close();
  }

  /** Gets a session token (and keeps the visitor token); false when the server refused us. */
  private async mintSession(): Promise<boolean> {
    const memory = loadMemory(this.options.widgetKey);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${this.options.baseUrl}/api/v1/widget/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            widgetKey: this.options.widgetKey,
            ...(memory.visitorToken ? { visitorToken: memory.visitorToken } : {}),
            ...(this.options.identity ? { identity: this.options.identity } : {}),
          }),
        });
      } catch {
        // Offline at page load: keep what the visitor types and try again with backoff.
        this.status = 'offline';
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** attempt)));
        continue;
      }
      const body = (await response.json().catch(() => null)) as (WidgetSession & { error?: { message?: string } }) | null;
      if (!response.ok || !body?.token) {
        this.refuse(body?.error?.message ?? `The chat is unavailable (HTTP ${response.status}).`);
        return false;
      }
      this.token = body.token;
      this.config = body.config;
      this.verified = body.visitor.verified;
      if (body.visitor.email && !this.email) this.email = body.visitor.email;
      saveMemory(this.options.widgetKey, { visitorToken: body.visitorToken });
      this.evaluateHours();
      clearInterval(this.hoursTimer);
      this.hoursTimer = setInterval(() => this.evaluateHours(), 60_000);
      return true;
    }
  }

  private evaluateHours(): void {
    if (this.config) this.withinHours = isWithinBusinessHours(this.config.businessHours, this.config.timezone);
  }

  private refuse(message: string): void {
    this.status = 'refused';
    this.refusal = message;
    for (const line of this.pending) line.state = 'failed';
  }

  private connect(): void {
    this.status = 'connecting';
    const socket: WidgetSocket = io(`${this.options.baseUrl}/customer`, {
      transports: ['websocket', 'polling'],
      // Read at every (re)connect, so a renewed session token is used.
      auth: (cb) => cb({ widgetToken: this.token }),
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
    this.socket = socket;
    socket.on('connect', () => void this.onConnect());
    socket.on('disconnect', (reason) => {
      this.status = 'offline';
      // The server let us go on purpose (a node shutting down): come back, to another node.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 300 + Math.random() * 1200);
    });
    socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      const code = error.data?.code;
      if (code === 'unauthenticated') {
        // The session token expired: mint a new one, then reconnect.
        socket.disconnect();
        void this.mintSession().then((ok) => ok && socket.connect());
      } else if (code === 'forbidden') {
        socket.disconnect();
        this.refuse(error.message);
      } else {
        this.status = 'offline';
      }
    });
    socket.on('widget:availability', ({ agentsOnline }) => (this.agentsOnline = agentsOnline));
    socket.on('event', (event) => {
      if (event.ticketId === this.ticketId) this.tracker?.receive(event);
    });
    socket.on('ticket:typing', ({ ticketId, user, active }) => {
      if (ticketId !== this.ticketId) return;
      this.agentTyping = active ? user.name : null;
      clearTimeout(this.agentTypingTimer);
      // A lost "stopped typing" must not leave the indicator on forever.
      if (active) this.agentTypingTimer = setTimeout(() => (this.agentTyping = null), 8_000);
    });
    socket.on('ticket:read', ({ ticketId, entryId, reader }) => {
      if (ticketId === this.ticketId && reader === 'agent') this.markAgentRead(entryId);
    });
  }

  private async onConnect(): Promise<void> {
    this.status = 'online';
    if (this.ticketId) await this.follow(this.ticketId);
    await this.flush();
  }

  private markAgentRead(entryId: string | null): void {
    if (entryId && (!this.agentReadUpTo || entryId > this.agentReadUpTo)) this.agentReadUpTo = entryId;
  }

  private async emit<E extends keyof ClientAckData>(event: E, payload: unknown): Promise<Ack<ClientAckData[E]> | null> {
    if (!this.socket?.connected) return null;
    try {
      return (await (this.socket as unknown as Socket).timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<ClientAckData[E]>;
    } catch {
      return null;
    }
  }

  /** Joins a ticket's room and replays its public events from the log (the history, then live). */
  private async follow(ticketId: string): Promise<void> {
    const joined = await this.emit('ticket:join', { ticketId });
    if (joined && !joined.ok && joined.error.code === 'not_found') {
      // The conversation is gone or belonged to an earlier identity: start afresh.
      this.ticketId = null;
      saveMemory(this.options.widgetKey, { ticketId: null });
      return;
    }
    if (joined?.ok) this.markAgentRead(joined.data.read?.agent ?? null);
    if (!this.tracker || this.tracked !== ticketId) {
      this.tracker?.dispose();
      this.tracked = ticketId;
      this.tracker = new SeqTracker<DomainEvent>({
        last: 0,
        apply: (event) => this.apply(event),
        onGap: (after) => void this.resync(after),
        gapWaitMs: 800,
      });
    }
    await this.resync(this.tracker.last);
  }

  private async resync(after: number): Promise<void> {
    const tracker = this.tracker;
    const ticketId = this.ticketId;
    if (!tracker || !ticketId) return;
    let cursor = after;
    for (let page = 0; page < 20; page++) {
      const reply = await this.emit('resync', { after: cursor, ticketId, limit: 500 });
      if (!reply?.ok || tracker !== this.tracker) return;
      tracker.receive(reply.data.events);
      tracker.skipTo(reply.data.cursor);
      cursor = reply.data.cursor;
      if (!reply.data.more) return;
    }
  }

  private apply(event: DomainEvent): void {
    if (event.type === 'entry.added') {
      const entry = (event.data as { entry: EntryDto }).entry;
      // One of ours may be on the wire: its ack tells which pending line it is, so hold it till then.
      if (entry.kind === 'message' && this.inFlight) this.deferred.push({ entry, seq: event.seq });
      else this.confirm(entry, event.seq);
      this.reportRead();
    } else if (event.type === 'ticket.merged') {
      const into = (event.data as { into?: string }).into;
      if (into) this.switchTicket(into);
    }
  }

  private confirm(entry: EntryDto, seq: number | null): void {
    const known = this.confirmed[entry.id];
    if (known) {
      if (known.seq === null && seq !== null) known.seq = seq;
      return;
    }
    if (entry.kind === 'reply') this.agentTyping = null;
    this.confirmed[entry.id] = lineOf(entry, seq, ++this.confirmations);
  }

  private switchTicket(ticketId: string): void {
    if (ticketId === this.ticketId) return;
    this.ticketId = ticketId;
    saveMemory(this.options.widgetKey, { ticketId });
    void this.follow(ticketId);
  }

  private pendingLine(message: QueuedMessage): ChatLine {
    return {
      id: null,
      seq: null,
      order: 0,
      clientKey: message.clientKey,
      kind: 'message',
      author: 'You',
      text: message.body,
      at: message.queuedAt,
      state: 'queued',
      error: null,
      attachments: [],
    };
  }

  /** Queues a message (kept in storage) and sends what can be sent. */
  send(body: string): void {
    const text = body.trim();
    if (!text || this.status === 'refused') return;
    const message: QueuedMessage = {
      clientKey: newClientKey(),
      body: text,
      queuedAt: isoNow(),
      ...(this.away && !this.verified && this.email ? { email: this.email } : {}),
    };
    this.outbox = [...this.outbox, message];
    saveMemory(this.options.widgetKey, { outbox: this.outbox });
    this.pending = [...this.pending, this.pendingLine(message)];
    this.suggestions = [];
    this.setTyping(false);
    void this.flush();
  }

  /** Where the widget shows an image of the conversation from (the session token is the capability). */
  attachmentUrl(id: string, variant: 'original' | 'thumbnail'): string {
    const path = variant === 'thumbnail' ? `${id}/thumbnail` : id;
    return `${this.options.baseUrl}/api/v1/widget/attachments/${path}?token=${encodeURIComponent(this.token ?? '')}`;
  }

  /**
   * Sends images (photos, screenshots) into the conversation. Unlike text they are not
   * queued offline: a refused or failed upload shows why, and the visitor can send again.
   */
  async sendImages(files: File[]): Promise<void> {
    if (!this.ticketId || files.length === 0 || this.status === 'refused') return;
    const line: ChatLine = {
      ...this.pendingLine({ clientKey: newClientKey(), body: `Image: ${files.map((f) => f.name).join(', ')}`, queuedAt: isoNow() }),
      state: 'sending',
    };
    this.pending = [...this.pending, line];
    const pendingLine = this.pending.at(-1)!;
    const form = new FormData();
    form.append('clientKey', line.clientKey!);
    for (const file of files) form.append('file', file, file.name);
    try {
      const response = await fetch(`${this.options.baseUrl}/api/v1/widget/attachments?ticketId=${this.ticketId}`, {
        method: 'POST',
        headers: { 'x-widget-token': this.token ?? '' },
        body: form,
      });
      const body = (await response.json().catch(() => null)) as (EntryDto & { error?: { message?: string } }) | null;
      if (!response.ok || !body?.id) throw new Error(body?.error?.message ?? `The upload failed (HTTP ${response.status}).`);
      this.pending = this.pending.filter((l) => l.clientKey !== line.clientKey);
      this.confirm(body, null);
    } catch (error) {
      pendingLine.state = 'failed';
      pendingLine.error =
        error instanceof TypeError ? 'you are offline; send it again when the connection is back' : (error as Error).message;
    }
  }

  /** Remembers the visitor's address for offline answers. */
  setEmail(email: string): void {
    this.email = email.trim() || null;
    saveMemory(this.options.widgetKey, { email: this.email });
  }

  /** Sends the outbox one message at a time, in order; stops at the first that cannot go now. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.outbox.length > 0 && this.socket?.connected) {
        const message = this.outbox[0]!;
        const line = this.pending.find((l) => l.clientKey === message.clientKey);
        if (line) line.state = 'sending';
        this.inFlight = message.clientKey;
        const ack = await this.emit('message:send', {
          ...(this.ticketId ? { ticketId: this.ticketId } : {}),
          body: message.body,
          clientKey: message.clientKey,
          ...(message.email ? { email: message.email } : {}),
        });
        this.inFlight = null;
        if (!ack) {
          // No answer (connection lost): it stays first in line and goes again, same key, after reconnecting.
          if (line) line.state = 'queued';
          break;
        }
        if (!ack.ok && ack.error.code === 'rate_limited') {
          if (line) line.state = 'queued';
          setTimeout(() => void this.flush(), RETRY_AFTER_RATE_LIMIT_MS);
          break;
        }
        this.outbox = this.outbox.slice(1);
        saveMemory(this.options.widgetKey, { outbox: this.outbox });
        if (ack.ok) {
          this.pending = this.pending.filter((l) => l.clientKey !== message.clientKey);
          this.confirm(ack.data.entry, ack.data.seq);
          if (ack.data.ticketId !== this.ticketId) this.switchTicket(ack.data.ticketId);
        } else if (line) {
          line.state = 'failed';
          line.error = ack.error.message;
        }
        this.releaseDeferred();
      }
    } finally {
      this.inFlight = null;
      this.flushing = false;
      this.releaseDeferred();
    }
  }

  private releaseDeferred(): void {
    const held = this.deferred;
    this.deferred = [];
    for (const { entry, seq } of held) this.confirm(entry, seq);
  }

  /** Tells agents the visitor is typing (throttled: on at the first key, off after a pause). */
  typing(draft: string): void {
    this.setTyping(draft.trim().length > 0);
    this.suggest(draft);
  }

  private setTyping(active: boolean): void {
    clearTimeout(this.typingTimer);
    if (active) this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
    if (active === this.typingActive || !this.ticketId) return;
    this.typingActive = active;
    void this.emit('ticket:typing', { ticketId: this.ticketId, kind: 'reply', active });
  }

  /** Knowledge-base suggestions while a first question is being typed (never after the conversation started). */
  private suggest(draft: string): void {
    clearTimeout(this.suggestTimer);
    const q = draft.trim();
    if (!this.suggestionsAvailable || this.ticketId || this.lines.length > 0 || q.length < 3) {
      this.suggestions = [];
      return;
    }
    this.suggestTimer = setTimeout(async () => {
      // From the API (it holds the search engine), not the hub.
      const response = await fetch(`${this.options.baseUrl}/api/v1/widget/suggestions?q=${encodeURIComponent(q.slice(0, 200))}`, {
        headers: { 'x-widget-token': this.token ?? '' },
      }).catch(() => null);
      if (!response) return;
      const body = (await response.json().catch(() => null)) as { items?: ArticleSuggestionDto[] } | null;
      if (response.ok && body?.items) this.suggestions = body.items;
      // No search engine on this server: stop asking, show nothing (never made-up answers).
      else if (response.status === 503) this.suggestionsAvailable = false;
    }, 350);
  }

  /** Records whether a suggested article answered the question. */
  async feedback(articleId: string, helped: boolean, q: string): Promise<void> {
    await this.emit('kb:feedback', { articleId, helped, q: q.trim().slice(0, 200) || '-' });
    if (helped) this.suggestions = [];
  }

  /** The panel is open and visible: agents' replies count as seen and read. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.reportRead();
  }

  private reportRead(): void {
    if (!this.visible || document.visibilityState !== 'visible') return;
    const last = this.lines.filter((l) => l.id && l.kind !== 'message').at(-1);
    if (!last?.id) return;
    if (!this.seenEntryId || last.id > this.seenEntryId) {
      this.seenEntryId = last.id;
      saveMemory(this.options.widgetKey, { seenEntryId: last.id });
    }
    if (this.ticketId && last.id !== this.lastReadSent) {
      this.lastReadSent = last.id;
      void this.emit('message:read', { ticketId: this.ticketId, entryId: last.id });
    }
  }

  /** Whether the visitor's line was read by an agent (shown as "Seen"): at or before the read entry in the log. */
  seen(line: ChatLine): boolean {
    if (!line.id || !this.agentReadUpTo) return false;
    const mark = this.confirmed[this.agentReadUpTo];
    return mark?.seq != null && line.seq !== null ? line.seq <= mark.seq : line.id <= this.agentReadUpTo;
  }
}
