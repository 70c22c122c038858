/** Ticket lifecycle states, in the order a ticket usually moves through them. */
export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
/** One of {@link TICKET_STATUSES}. */
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Priorities, lowest first. */
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
/** One of {@link TICKET_PRIORITIES}. */
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** Where a ticket came from. */
export const TICKET_CHANNELS = ['portal', 'widget', 'email', 'api'] as const;
/** One of {@link TICKET_CHANNELS}. */
export type TicketChannel = (typeof TICKET_CHANNELS)[number];

/**
 * Allowed transitions. `closed` is terminal (a follow-up becomes a new ticket);
 * `solved` may reopen to `open` until it is closed.
 */
export const STATUS_TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending', 'on_hold', 'solved'],
  open: ['pending', 'on_hold', 'solved'],
  pending: ['open', 'on_hold', 'solved'],
  on_hold: ['open', 'pending', 'solved'],
  solved: ['open', 'closed'],
  closed: [],
};

/** Statuses from which `to` may be reached. */
export function statusesLeadingTo(to: TicketStatus): TicketStatus[] {
  return TICKET_STATUSES.filter((from) => STATUS_TRANSITIONS[from].includes(to));
}

/** Statuses that count as "open work" (queues, capacity, routing load). */
export const ACTIVE_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];
