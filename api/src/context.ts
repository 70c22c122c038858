import type { Types } from 'mongoose';

/** Roles, from most to least privileged on the staff side; customers are outside staff. */
export const ROLES = ['admin', 'manager', 'agent', 'customer'] as const;
/** A user's role inside one tenant. */
export type Role = (typeof ROLES)[number];
/** Roles that work tickets (see internal notes, the whole queue). */
export const STAFF_ROLES: readonly Role[] = ['admin', 'manager', 'agent'];

/** Who performs an action: a signed-in user (or API token), or the system itself (workers, AI). */
export type Actor =
  | { kind: 'user'; userId: Types.ObjectId; role: Role; name: string; organisationId?: Types.ObjectId | null }
  | { kind: 'system'; name: string };

/**
 * Everything a domain service needs to know about the caller. Built only from a
 * server-side session, API token or worker job — never from request bodies — so a client
 * can never choose its tenant or role.
 */
export interface Ctx {
  tenantId: Types.ObjectId;
  actor: Actor;
  requestId?: string;
}

/** True for admin, manager and agent. */
export function isStaff(actor: Actor): boolean {
  return actor.kind === 'system' || STAFF_ROLES.includes(actor.role);
}

/** The user id of a user actor, else undefined. */
export function actorUserId(actor: Actor): Types.ObjectId | undefined {
  return actor.kind === 'user' ? actor.userId : undefined;
}

/** A context for background work inside one tenant. */
export function systemCtx(tenantId: Types.ObjectId, name = 'system'): Ctx {
  return { tenantId, actor: { kind: 'system', name } };
}
