import type { Actor } from '../context.ts';
import { authorize, hasRole } from '../lib/authorize.ts';

/** Tenant settings: admins only. */
export function assertCanConfigureTenant(actor: Actor): void {
  authorize(hasRole(actor, 'admin'), 'Only admins can change tenant settings.');
}

/** Reading tenant settings: staff. Customers see only public widget settings elsewhere. */
export function assertCanReadTenant(actor: Actor): void {
  authorize(hasRole(actor, 'admin', 'manager', 'agent'), 'Only staff can read tenant settings.');
}
