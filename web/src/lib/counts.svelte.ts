import { api } from './api.ts';
import { live } from './live.svelte.ts';
import { STANDARD_VIEWS, toQuery } from './tickets.ts';

/**
 * Ticket counts per standard view, refreshed shortly after any ticket event (debounced
 * so a burst of events costs one round of requests) and after reconnects.
 */
class ViewCounts {
  counts = $state<Record<string, number>>({});
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.refresh();
    live.onEvent(() => this.schedule());
  }

  schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 400);
  }

  async refresh(): Promise<void> {
    const entries = await Promise.all(
      STANDARD_VIEWS.map(async (view) => {
        try {
          return [
            view.id,
            (await api<{ count: number }>('GET', '/tickets/count', undefined, { query: toQuery(view.filter()) })).count,
          ] as const;
        } catch {
          return [view.id, this.counts[view.id] ?? 0] as const;
        }
      }),
    );
    this.counts = Object.fromEntries(entries);
  }
}

/** Counts of this tab. */
export const viewCounts = new ViewCounts();
