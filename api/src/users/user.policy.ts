import type { Types } from 'mongoose';
import { actorUserId, isStaff, type Actor, type Role } from '../context.ts';
import { authorize, hasRole } from '../lib/authorize.ts';

/**
 * Who may create whom: admins anyone; managers agents and customers; agents customers
 * (contacts of organisations). Customers create nobody (portal sign-up is its own path).
 */
export function assertCanCreateUser(actor: Actor, role: Role): void {
  const allowed =
    hasRole(actor, 'admin') ||
    (hasRole(actor, 'manager') && role !== 'admin' && role !== 'manager') ||
    (hasRole(actor, 'agent') && role === 'customer');
  authorize(allowed, `You cannot create a user with role ${role}.`);
}

/** Listing people: staff. */
export function assertCanListUsers(actor: Actor): void {
  authorize(isStaff(actor), 'Only staff can list people.');
}

/** Reading a person: staff, or the person themselves. */
export function assertCanReadUser(actor: Actor, userId: Types.ObjectId): void {
  authorize(isStaff(actor) || actorUserId(actor)?.equals(userId) === true, 'You cannot see this person.');
}

/**
 * Editing a person: admins anyone; managers non-admins; agents customers' profile fields;
 * role changes only by admins; nobody demotes or deactivates themselves.
 */
export function assertCanUpdateUser(
  actor: Actor,
  target: { _id: Types.ObjectId; role: Role },
  patch: { role?: Role; active?: boolean },
): void {
  const self = actorUserId(actor)?.equals(target._id) === true;
  if (patch.role !== undefined && patch.role !== target.role) {
    authorize(hasRole(actor, 'admin') && !self, 'Only an admin can change roles, and not their own.');
  }
  if (patch.active === false) authorize(!self, 'You cannot deactivate yourself.');
  const allowed =
    hasRole(actor, 'admin') ||
    (hasRole(actor, 'manager') && target.role !== 'admin') ||
    (hasRole(actor, 'agent') && target.role === 'customer');
  authorize(allowed, 'You cannot edit this person.');
}
