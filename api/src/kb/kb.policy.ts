import { isStaff, type Actor } from '../context.ts';
import { authorize, hasRole } from '../lib/authorize.ts';

/**
 * Who may do what in the knowledge base. Staff read everything and write drafts; admins
 * and managers decide what readers get (publish, unpublish, delete) and shape the tree.
 * Customers and anonymous readers use the help center, which serves published public
 * articles only.
 */

/** Staff read every article, internal ones and drafts included. */
export function assertCanReadKb(actor: Actor): void {
  authorize(isStaff(actor), 'Only staff can open the knowledge base editor; customers read the help center.');
}

/** Staff write drafts (new articles, edits, attachments). */
export function assertCanWriteArticles(actor: Actor): void {
  authorize(isStaff(actor), 'Only staff can write knowledge-base articles.');
}

/** Admins and managers publish, unpublish and delete articles. */
export function assertCanPublishArticles(actor: Actor): void {
  authorize(hasRole(actor, 'admin', 'manager'), 'Only admins and managers can publish, unpublish or delete articles.');
}

/** Admins and managers manage categories and sections. */
export function assertCanManageSections(actor: Actor): void {
  authorize(hasRole(actor, 'admin', 'manager'), 'Only admins and managers can manage knowledge-base sections.');
}
