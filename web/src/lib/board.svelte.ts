import { io, type Socket } from 'socket.io-client';
import type { BoardData, ClientToServerEvents, PresenceUser, ServerToClientEvents } from './types.ts';

type AgentPresence = PresenceUser & { status: 'online' | 'away' };

/** How long a burst of events is gathered into one refresh (boards reflect a change within 1 s). */
const DEBOUNCE_MS = 100;
/** A board with no event in this long refreshes anyway (time passes, presence drifts). */
const SAFETY_REFRESH_MS = 60_000;

/**
 * A wall board's live state: its figures from `/api/v1/boards/data` (board token, no
 * sign-in), refreshed shortly after any `/board` event; agents' presence pushed by the hub;
 * a clock ticking every second for the countdowns. It never blanks: after a network loss
 * or a server restart it keeps the last figures, says it is reconnecting, and catches up
 * on its own once the server answers again.
 */
export class BoardLive {
  data = $state<BoardData | null>(null);
  agents = $state<AgentPresence[]>([]);
  /** `online` when the socket is up and the last refresh worked. */
  connection = $state<'connecting' | 'online' | 'reconnecting'>('connecting');
  /** The token is wrong or was revoked: nothing will change until a new link is used. */
  revoked = $state(false);
  now = $state(Date.now());
  updatedAt = $state<number | null>(null);

  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private fetching = false;
  private again = false;
  private failures = 0;
  private socketUp = false;

  constructor(private readonly token: string) {}

  /** Connects and loads; call once. */
  start(): void {
    const socket = io('/board', {
      auth: { boardToken: this.token },
      transports: ['websocket', 'polling'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.socketUp = true;
      // Whatever happened while we were away is in the figures we load now.
      void this.refresh();
    });
    socket.on('disconnect', (reason) => {
      this.socketUp = false;
      this.connection = 'reconnecting';
      // The server dropped us on purpose (restart, revoked token): check and come back.
      if (reason === 'io server disconnect' && !this.revoked) {
        setTimeout(
          () => {
            void this.refresh();
            if (!this.revoked) socket.connect();
          },
          500 + Math.random() * 1500,
        );
      }
    });
    socket.on('connect_error', () => {
      this.socketUp = false;
      this.connection = 'reconnecting';
    });
    socket.on('event', () => this.schedule());
    socket.on('presence:agents', ({ agents }) => (this.agents = agents));
    socket.on('error', ({ code }) => {
      if (code === 'unauthenticated') void this.refresh();
    });
    socket.on('server:shutdown', () => {
      this.connection = 'reconnecting';
    });
    this.timers.push(setInterval(() => (this.now = Date.now()), 1000));
    this.timers.push(setInterval(() => void this.refresh(), SAFETY_REFRESH_MS));
    void this.refresh();
  }

  /** Stops everything (page left). */
  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.debounce);
    clearTimeout(this.retryTimer);
    this.socket?.disconnect();
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
  }

  /** Loads the figures; one request at a time, and one more if something changed meanwhile. */
  async refresh(): Promise<void> {
    if (this.revoked) return;
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    try {
      const response = await fetch('/api/v1/boards/data', { headers: { authorization: `Board ${this.token}` }, cache: 'no-store' });
      if (response.status === 401) {
        this.revoked = true;
        this.stop();
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.data = (await response.json()) as BoardData;
      this.updatedAt = Date.now();
      this.failures = 0;
      this.connection = this.socketUp ? 'online' : 'reconnecting';
    } catch {
      this.failures += 1;
      this.connection = 'reconnecting';
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.refresh(), Math.min(1000 * 2 ** (this.failures - 1), 10_000));
    } finally {
      this.fetching = false;
      if (this.again && !this.revoked) {
        this.again = false;
        void this.refresh();
      }
    }
  }
}
