import { isStaff, type Actor } from '../context.ts';
import { authorize } from '../lib/authorize.ts';
import type { EntryKind } from './entry.model.ts';

/** Customers write messages; staff write public replies and internal notes. */
export function assertCanAddEntry(actor: Actor, kind: EntryKind): void {
  if (isStaff(actor)) authorize(kind === 'reply' || kind === 'note', 'Staff write replies or internal notes.');
  else authorize(kind === 'message', 'Customers can only send messages.');
}

/** Internal notes and their events never reach customers. */
export function visibleEntryKinds(actor: Actor): EntryKind[] {
  return isStaff(actor) ? ['message', 'reply', 'note', 'system'] : ['message', 'reply', 'system'];
}
