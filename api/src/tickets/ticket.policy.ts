import type { Types } from 'mongoose';
import { isStaff, type Actor } from '../context.ts';
import { authorize } from '../lib/authorize.ts';
import type { Ticket } from './ticket.model.ts';

/**
 * The part of a ticket filter that limits what the actor may see: staff see the tenant's
 * tickets; customers their own, plus their organisation's when the tenant allows it.
 * Every ticket read goes through this (lists, gets, conversation, events).
 */
export function ticketVisibilityFilter(actor: Actor, customersSeeOrganisation: boolean): Record<string, unknown> {
  if (isStaff(actor) || actor.kind === 'system') return {};
  const mine: Record<string, unknown>[] = [{ requesterId: actor.userId }];
  if (customersSeeOrganisation && actor.organisationId) mine.push({ organisationId: actor.organisationId });
  return mine.length === 1 ? mine[0]! : { $or: mine };
}

/** In-memory twin of {@link ticketVisibilityFilter} for a loaded ticket. */
export function canSeeTicket(
  actor: Actor,
  ticket: Pick<Ticket, 'requesterId' | 'organisationId'>,
  customersSeeOrganisation: boolean,
): boolean {
  if (isStaff(actor) || actor.kind === 'system') return true;
  if (ticket.requesterId.equals(actor.userId)) return true;
  return (
    customersSeeOrganisation && !!actor.organisationId && !!ticket.organisationId && ticket.organisationId.equals(actor.organisationId)
  );
}

/** Field changes, status changes, assignment and merges: staff only. */
export function assertCanWorkTicket(actor: Actor): void {
  authorize(isStaff(actor), 'Only staff can change tickets.');
}

/** Customers create tickets for themselves only; staff for anyone. */
export function assertCanCreateFor(actor: Actor, requesterId: Types.ObjectId | undefined, staffFields: boolean): void {
  if (isStaff(actor)) return;
  authorize(!requesterId || (actor.kind === 'user' && requesterId.equals(actor.userId)), 'You can only open tickets for yourself.');
  authorize(!staffFields, 'Only staff can set team, assignee, category, tags, priority or custom fields.');
}
