/**
 * Client-side ordering of the event stream (used by the console, the widget and tests).
 * Socket delivery is an accelerator; the log is the truth: events are applied strictly in
 * `seq` order, each once. An event beyond the next expected seq is held back and a resync
 * is requested; duplicates (live + resync overlap) are dropped.
 */
export interface SeqEvent {
  seq: number;
}

/** Options of a {@link SeqTracker}. */
export interface SeqTrackerOptions<E extends SeqEvent> {
  /** The last seq already applied (from the snapshot the client started with). */
  last: number;
  /** Receives events in order, exactly once. */
  apply: (event: E) => void;
  /** Called when a gap is seen; the owner fetches `after` and feeds the result to `receive`. */
  onGap: (after: number) => void;
  /** A gap is reported after this long without the missing event arriving live. */
  gapWaitMs?: number;
}

/** Orders events by seq; see {@link SeqTrackerOptions}. */
export class SeqTracker<E extends SeqEvent> {
  private lastApplied: number;
  private readonly pending = new Map<number, E>();
  private gapTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: SeqTrackerOptions<E>) {
    this.lastApplied = options.last;
  }

  /** The last seq applied. */
  get last(): number {
    return this.lastApplied;
  }

  /** Feeds events from the live stream or from a resync page, in any order. */
  receive(events: E | E[]): void {
    for (const event of Array.isArray(events) ? events : [events]) {
      if (event.seq > this.lastApplied && !this.pending.has(event.seq)) this.pending.set(event.seq, event);
    }
    this.drain();
    if (this.pending.size > 0) this.scheduleGap();
  }

  /**
   * Moves past seqs the server says cannot contain anything for us (a filtered stream's
   * cursor), then applies whatever became contiguous.
   */
  skipTo(cursor: number): void {
    if (cursor <= this.lastApplied) return;
    for (let seq = this.lastApplied + 1; seq <= cursor; seq++) {
      const event = this.pending.get(seq);
      if (event) {
        this.pending.delete(seq);
        this.options.apply(event);
      }
    }
    this.lastApplied = cursor;
    this.drain();
  }

  /** Requests a resync right away (after a reconnect). */
  resyncNow(): void {
    this.clearGapTimer();
    this.options.onGap(this.lastApplied);
  }

  /** Stops timers. */
  dispose(): void {
    this.clearGapTimer();
  }

  private drain(): void {
    for (let next = this.pending.get(this.lastApplied + 1); next; next = this.pending.get(this.lastApplied + 1)) {
      this.pending.delete(next.seq);
      this.lastApplied = next.seq;
      this.options.apply(next);
    }
    if (this.pending.size === 0) this.clearGapTimer();
  }

  private scheduleGap(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.pending.size > 0) this.options.onGap(this.lastApplied);
    }, this.options.gapWaitMs ?? 1000);
  }

  private clearGapTimer(): void {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}
