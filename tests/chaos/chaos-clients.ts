/**
 * Clients the chaos suite drives, built like the real ones: a socket.io client that goes
 * through the cluster's load balancer and reconnects by itself, orders what it receives
 * with the product's own SeqTracker, resyncs after every (re)connect and every gap, and
 * records the sequence it applied; and a REST caller that always answers (a status, or
 * status 0 for no answer within its timeout) so a test can tell "failed cleanly" from "hung".
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '@switchboard/api/events/event-types';
import { SeqTracker } from '@switchboard/realtime/client/seq-tracker';
import type { Ack, ClientAckData, ClientToServerEvents, ServerToClientEvents } from '@switchboard/realtime/protocol';
import { io, type Socket } from 'socket.io-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One REST answer: `status` 0 means no answer within the timeout (a hang). */
export interface RestAnswer<T = unknown> {
  status: number;
  body: T;
  ms: number;
}

/** Calls the cluster's REST API as one person (session cookie, same-origin). */
export function restClient(baseUrl: string, cookie: string) {
  return async function call<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<RestAnswer<T>> {
    const started = Date.now();
    try {
      const response = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: { cookie, origin: baseUrl, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: keep the text (a proxy's error page, say) for the assertion message.
      }
      return { status: response.status, body: parsed as T, ms: Date.now() - started };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      // A refused or reset connection is an answer too (the server is down), not a hang.
      return { status: timedOut ? 0 : -1, body: String(error) as T, ms: Date.now() - started };
    }
  };
}

/** A REST caller (see {@link restClient}). */
export type Rest = ReturnType<typeof restClient>;

/** Every event of the log after `after` that this reader may see (`ticketId` for customers), page by page. */
export async function readLog(rest: Rest, after: number, ticketId?: string): Promise<{ events: DomainEvent[]; cursor: number }> {
  const events: DomainEvent[] = [];
  let cursor = after;
  for (let page = 0; page < 200; page++) {
    const query = `after=${cursor}&limit=500${ticketId ? `&ticketId=${ticketId}` : ''}`;
    const answer = await rest<{ events: DomainEvent[]; cursor: number; more: boolean }>('GET', `/events?${query}`);
    if (answer.status !== 200) throw new Error(`GET /events?${query}: ${answer.status} ${JSON.stringify(answer.body)}`);
    events.push(...answer.body.events);
    cursor = answer.body.cursor;
    if (!answer.body.more) return { events, cursor };
  }
  throw new Error('the log did not end within 200 pages');
}

/** Options of a {@link LiveClient}. */
export interface LiveClientOptions {
  /** The load balancer's URL (the client never picks a node). */
  url: string;
  namespace: '/agent' | '/customer';
  cookie: string;
  origin: string;
  /** The ticket the client has open (joined on every connect). */
  ticketId: string;
  /** The last seq the client already had (from GET /events), where its sequence starts. */
  start: number;
}

/** A live console or portal page: see the module comment. */
export class LiveClient {
  /** Events applied, in the order applied. */
  readonly applied: DomainEvent[] = [];
  /** Successful connects (1 + reconnects). */
  connects = 0;
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly tracker: SeqTracker<DomainEvent>;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private readonly firstJoin: Promise<void>;

  constructor(private readonly options: LiveClientOptions) {
    this.tracker = new SeqTracker<DomainEvent>({
      last: options.start,
      apply: (event) => this.applied.push(event),
      onGap: () => void this.resync(),
      gapWaitMs: 300,
    });
    this.socket = io(`${options.url}${options.namespace}`, {
      transports: ['websocket'],
      extraHeaders: { cookie: options.cookie, origin: options.origin },
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      forceNew: true,
    });
    this.socket.on('event', (event) => {
      if (this.customer && event.ticketId !== options.ticketId) return;
      this.tracker.receive(event);
    });
    let joined!: () => void;
    this.firstJoin = new Promise((resolve) => (joined = resolve));
    this.socket.on('connect', () => {
      this.connects += 1;
      // Rooms belong to a connection: join again, then fetch whatever passed meanwhile.
      void (async () => {
        const join = await this.request('ticket:join', { ticketId: options.ticketId });
        if (join?.ok) {
          await this.resync();
          joined();
        }
      })();
    });
  }

  private get customer(): boolean {
    return this.options.namespace === '/customer';
  }

  /** The last seq applied. */
  get last(): number {
    return this.tracker.last;
  }

  /** Resolves once connected, joined and caught up the first time. */
  ready(): Promise<void> {
    return this.firstJoin;
  }

  /** Emits with an ack; null when there is no answer (offline, or the node died meanwhile). */
  async request<E extends keyof ClientAckData>(event: E, payload: unknown, timeoutMs = 4000): Promise<Ack<ClientAckData[E]> | null> {
    if (!this.socket.connected) return null;
    try {
      return (await (this.socket as unknown as Socket).timeout(timeoutMs).emitWithAck(event, payload)) as Ack<ClientAckData[E]>;
    } catch {
      return null;
    }
  }

  /** Fetches what the log has after the last applied seq (one resync at a time; a request meanwhile runs again after). */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      try {
        do {
          this.resyncAgain = false;
          for (let page = 0; page < 50; page++) {
            const reply = await this.request('resync', {
              after: this.tracker.last,
              limit: 500,
              ...(this.customer ? { ticketId: this.options.ticketId } : {}),
            });
            // Offline: the next connect resyncs.
            if (!reply?.ok) return;
            this.tracker.receive(reply.data.events);
            // A customer's stream is filtered: the cursor moves past seqs that are not theirs.
            if (this.customer) this.tracker.skipTo(reply.data.cursor);
            if (!reply.data.more) break;
          }
        } while (this.resyncAgain);
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  /**
   * A chat message over the socket, retried with the same `clientKey` until acknowledged
   * (a node dying mid-request loses the ack, not the message), within `deadlineMs`.
   */
  async sendMessage(body: string, deadlineMs = 30_000): Promise<{ entryId: string; attempts: number }> {
    const clientKey = randomUUID();
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 1; attempt <= 100 && Date.now() < deadline; attempt++) {
      const reply = await this.request('message:send', { ticketId: this.options.ticketId, body, clientKey });
      if (reply?.ok) return { entryId: reply.data.entry.id, attempts: attempt };
      await sleep(200);
    }
    throw new Error(`message "${body}" was not acknowledged within ${deadlineMs} ms`);
  }

  close(): void {
    this.tracker.dispose();
    this.socket.close();
  }
}

/**
 * A REST write retried with the same `clientKey` until it gets a 2xx (a dead node or an
 * outage loses the answer, not the write), within `deadlineMs`; returns every attempt's status.
 */
export async function postUntilAccepted<T>(
  rest: Rest,
  path: string,
  body: Record<string, unknown>,
  deadlineMs = 60_000,
): Promise<{ body: T; statuses: number[] }> {
  const withKey = { ...body, clientKey: randomUUID() };
  const statuses: number[] = [];
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; attempt <= 200 && Date.now() < deadline; attempt++) {
    const answer = await rest<T>('POST', path, withKey);
    statuses.push(answer.status);
    if (answer.status >= 200 && answer.status < 300) return { body: answer.body, statuses };
    await sleep(250);
  }
  throw new Error(`POST ${path} was not accepted within ${deadlineMs} ms (statuses ${statuses.join(', ')})`);
}
