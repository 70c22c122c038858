/** What a progress line shows. */
export interface ProgressFigures {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
}

/** `1h02m`, `3m05s`, `12s`; `—` when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Seconds left at the average rate so far; null before anything is done. */
export function etaSeconds(done: number, total: number, elapsedMs: number): number | null {
  if (done <= 0 || elapsedMs <= 0) return null;
  return Math.max(total - done, 0) / (done / (elapsedMs / 1000));
}

/** One line: label, bar, percentage, counts, rate and ETA. */
export function progressLine({ label, done, total, elapsedMs }: ProgressFigures, width = 28): string {
  const ratio = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(ratio * width);
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const eta = done >= total ? 'done' : `ETA ${formatDuration(etaSeconds(done, total, elapsedMs))}`;
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} · ${Math.round(rate).toLocaleString('en')}/s · ${eta}`;
}

/**
 * A progress bar on a terminal (redrawn in place, at most ten times a second), or plain
 * lines every tenth of the way when the output is a file or a pipe.
 */
export class ProgressBar {
  private readonly started = Date.now();
  private done = 0;
  private lastDraw = 0;
  private lastTenth = -1;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private label: string,
    private total: number,
  ) {}

  private line(): string {
    return progressLine({ label: this.label, done: this.done, total: this.total, elapsedMs: Date.now() - this.started });
  }

  private draw(force = false): void {
    if (this.out.isTTY) {
      const now = Date.now();
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[2K${this.line()}`);
      return;
    }
    const tenth = this.total > 0 ? Math.floor((this.done / this.total) * 10) : 10;
    if (force || tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.out.write(`${this.line()}\n`);
    }
  }

  /** Sets the count done (and the total, when it grew). */
  update(done: number, total = this.total): void {
    this.done = done;
    this.total = Math.max(total, done);
    this.draw();
  }

  /** Prints a line above the bar. */
  log(message: string): void {
    if (!this.out.isTTY) return void this.out.write(`${message}\n`);
    this.out.write(`\r\x1b[2K${message}\n`);
    this.draw(true);
  }

  /** Draws the final state and ends the line. */
  finish(label = this.label): void {
    this.label = label;
    this.draw(true);
    if (this.out.isTTY) this.out.write('\n');
  }
}
