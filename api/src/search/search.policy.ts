import { isStaff, type Actor } from '../context.ts';
import { authorize } from '../lib/authorize.ts';

/** Ticket search is for staff: it reaches every ticket of the tenant, internal notes included. */
export function assertCanSearchTickets(actor: Actor): void {
  authorize(isStaff(actor), 'Only staff can search tickets; customers see their requests in the portal.');
}

/**
 * What part of the knowledge base an actor may search: staff everything, anyone else
 * published public articles only (the engine gets these filters from the server, never
 * from the client).
 */
export function articleScopeOf(actor: Actor | null): 'all' | 'public' {
  return actor && isStaff(actor) ? 'all' : 'public';
}
