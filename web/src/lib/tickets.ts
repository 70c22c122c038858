import type { DomainEvent, TicketDto, TicketPriority, TicketStatus } from './types.ts';

/** Filters of a queue view (the same names as GET /api/v1/tickets). */
export interface TicketFilter {
  status?: TicketStatus[];
  priority?: TicketPriority[];
  assigneeId?: string;
  teamId?: string;
  categoryId?: string;
  tag?: string;
  slaState?: 'ok' | 'warning' | 'breached' | 'paused';
  updatedSince?: string;
  q?: string;
}

/** A named queue view. */
export interface QueueView {
  id: string;
  name: string;
  filter: () => TicketFilter;
  custom?: boolean;
}

const ACTIVE: TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];
const weekAgo = () => new Date(Date.now() - 7 * 86_400_000).toISOString();

/** The standard views, in sidebar order. */
export const STANDARD_VIEWS: QueueView[] = [
  { id: 'mine', name: 'My tickets', filter: () => ({ assigneeId: 'me', status: ACTIVE }) },
  { id: 'unassigned', name: 'Unassigned', filter: () => ({ assigneeId: 'none', status: ['new', 'open'] }) },
  { id: 'team', name: 'My team', filter: () => ({ teamId: 'mine', status: ACTIVE }) },
  { id: 'open', name: 'All open', filter: () => ({ status: ['new', 'open'] }) },
  { id: 'pending', name: 'Pending', filter: () => ({ status: ['pending', 'on_hold'] }) },
  { id: 'solved', name: 'Solved recently', filter: () => ({ status: ['solved', 'closed'], updatedSince: weekAgo() }) },
];

/** Query-string form of a filter. */
export function toQuery(filter: TicketFilter): Record<string, string | undefined> {
  return {
    status: filter.status?.join(','),
    priority: filter.priority?.join(','),
    assigneeId: filter.assigneeId,
    teamId: filter.teamId,
    categoryId: filter.categoryId,
    tag: filter.tag,
    slaState: filter.slaState,
    updatedSince: filter.updatedSince,
    q: filter.q,
  };
}

/** Client-side twin of the server filter, to place live changes into the visible list. */
export function matches(ticket: TicketDto, filter: TicketFilter, me: { id: string; teamIds: string[] }): boolean {
  if (filter.status && !filter.status.includes(ticket.status)) return false;
  if (filter.priority && !filter.priority.includes(ticket.priority)) return false;
  if (filter.assigneeId === 'me' && ticket.assigneeId !== me.id) return false;
  if (filter.assigneeId === 'none' && ticket.assigneeId !== null) return false;
  if (filter.assigneeId && !['me', 'none'].includes(filter.assigneeId) && ticket.assigneeId !== filter.assigneeId) return false;
  if (filter.teamId === 'mine' && !(ticket.teamId && me.teamIds.includes(ticket.teamId))) return false;
  if (filter.teamId === 'none' && ticket.teamId !== null) return false;
  if (filter.teamId && !['mine', 'none'].includes(filter.teamId) && ticket.teamId !== filter.teamId) return false;
  if (filter.categoryId && ticket.categoryId !== filter.categoryId) return false;
  if (filter.tag && !ticket.tags.includes(filter.tag)) return false;
  if (filter.slaState && ticket.sla.state !== filter.slaState) return false;
  if (filter.updatedSince && ticket.updatedAt < filter.updatedSince) return false;
  if (filter.q) {
    const number = /^#?(\d+)$/.exec(filter.q);
    if (number ? ticket.number !== Number(number[1]) : !ticket.subject.toLowerCase().includes(filter.q.toLowerCase())) return false;
  }
  return true;
}

interface Versioned {
  version?: number;
  ticketVersion?: number;
}

/**
 * Applies a domain event to a ticket snapshot. Events carry the ticket's version after
 * the change, so an event older than the snapshot is ignored and replays are harmless.
 * Returns the new snapshot, or null when the event does not concern this ticket.
 */
export function applyEvent(ticket: TicketDto, event: DomainEvent): TicketDto | null {
  if (event.ticketId !== ticket.id) return null;
  const data = event.data as Record<string, unknown> & Versioned;
  const version = data.version ?? data.ticketVersion;
  if (version !== undefined && version <= ticket.version) return null;
  const next: TicketDto = { ...ticket, version: version ?? ticket.version, updatedAt: event.at };
  switch (event.type) {
    case 'ticket.updated': {
      const changes = (data.changes ?? {}) as Record<string, { to: unknown }>;
      for (const [field, change] of Object.entries(changes)) (next as unknown as Record<string, unknown>)[field] = change.to;
      return next;
    }
    case 'ticket.status_changed':
      next.status = data.to as TicketStatus;
      if (next.status === 'solved') next.solvedAt = event.at;
      return next;
    case 'ticket.assigned': {
      const to = data.to as { assigneeId: string | null; teamId: string | null };
      next.assigneeId = to.assigneeId;
      next.teamId = to.teamId;
      return next;
    }
    case 'ticket.merged':
      next.status = 'closed';
      next.mergedIntoId = data.into as string;
      return next;
    case 'entry.added': {
      const entry = data.entry as { kind: string; createdAt: string } | undefined;
      next.entryCount += 1;
      if (entry?.kind === 'message') next.lastCustomerMessageAt = entry.createdAt;
      if (entry?.kind === 'reply') {
        next.lastAgentReplyAt = entry.createdAt;
        next.firstResponseAt ??= entry.createdAt;
      }
      return next;
    }
    case 'ticket.categorized': {
      const ai = data.ai as TicketDto['ai'];
      if (ai) next.ai = ai;
      if (typeof data.categoryId === 'string' || data.categoryId === null) next.categoryId = data.categoryId as string | null;
      if (typeof data.teamId === 'string') next.teamId = data.teamId;
      if (typeof data.assigneeId === 'string') next.assigneeId = data.assigneeId;
      return next;
    }
    default:
      return next;
  }
}

/** Custom saved filters, per browser. */
export function loadSavedViews(tenant: string): Array<{ id: string; name: string; filter: TicketFilter }> {
  try {
    return JSON.parse(localStorage.getItem(`sb:views:${tenant}`) ?? '[]') as Array<{ id: string; name: string; filter: TicketFilter }>;
  } catch {
    return [];
  }
}

/** Saves custom filters. */
export function storeSavedViews(tenant: string, views: Array<{ id: string; name: string; filter: TicketFilter }>): void {
  localStorage.setItem(`sb:views:${tenant}`, JSON.stringify(views));
}
