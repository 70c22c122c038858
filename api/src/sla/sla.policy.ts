import { isStaff, type Actor } from '../context.ts';
import { authorize, hasRole } from '../lib/authorize.ts';

/** Staff may read calendars and policies (they explain the countdowns on tickets). */
export function assertCanReadSla(actor: Actor): void {
  authorize(isStaff(actor), 'Only staff can see SLA settings.');
}

/** Admins and managers configure calendars and policies. */
export function assertCanManageSla(actor: Actor): void {
  authorize(hasRole(actor, 'admin', 'manager'), 'Only admins and managers can change SLA settings.');
}

/** Admins and managers see the SLA reports. */
export function assertCanSeeSlaReports(actor: Actor): void {
  authorize(hasRole(actor, 'admin', 'manager'), 'Only admins and managers can see SLA reports.');
}
