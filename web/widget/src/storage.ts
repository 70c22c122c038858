/**
 * What the widget remembers in the host page's localStorage (same site = same visitor,
 * across reloads and tabs). Storage may be disabled or full; the widget then works for the
 * current page only, so every access is guarded.
 */

/** A message typed but not yet acknowledged by the server, in the order it was typed. */
export interface QueuedMessage {
  clientKey: string;
  body: string;
  /** Where an anonymous visitor asked to be answered (offline mode). */
  email?: string;
  queuedAt: string;
}

/** Everything the widget keeps per tenant key. */
export interface WidgetMemory {
  visitorToken: string | null;
  ticketId: string | null;
  outbox: QueuedMessage[];
  /** Newest agent entry the visitor has seen (unread badge). */
  seenEntryId: string | null;
  /** Email the visitor gave in offline mode. */
  email: string | null;
}

const EMPTY: WidgetMemory = { visitorToken: null, ticketId: null, outbox: [], seenEntryId: null, email: null };

function storageKey(widgetKey: string): string {
  return `switchboard-widget:${widgetKey}`;
}

/** Reads the widget's memory (empty when absent, unreadable or storage is off). */
export function loadMemory(widgetKey: string): WidgetMemory {
  try {
    const raw = window.localStorage.getItem(storageKey(widgetKey));
    if (!raw) return { ...EMPTY, outbox: [] };
    const parsed = JSON.parse(raw) as Partial<WidgetMemory>;
    return {
      visitorToken: typeof parsed.visitorToken === 'string' ? parsed.visitorToken : null,
      ticketId: typeof parsed.ticketId === 'string' ? parsed.ticketId : null,
      outbox: Array.isArray(parsed.outbox)
        ? parsed.outbox.filter((m) => typeof m?.clientKey === 'string' && typeof m.body === 'string')
        : [],
      seenEntryId: typeof parsed.seenEntryId === 'string' ? parsed.seenEntryId : null,
      email: typeof parsed.email === 'string' ? parsed.email : null,
    };
  } catch {
    return { ...EMPTY, outbox: [] };
  }
}

/** Merges `patch` into the stored memory, re-reading first so other tabs' writes are kept. */
export function saveMemory(widgetKey: string, patch: Partial<WidgetMemory>): void {
  try {
    window.localStorage.setItem(storageKey(widgetKey), JSON.stringify({ ...loadMemory(widgetKey), ...patch }));
  } catch {
    // Storage off or full: the widget keeps working for this page.
  }
}
