import type { Actor, Role } from '../context.ts';
import { AppError } from './errors.ts';

/** Throws `forbidden` unless the condition holds. Policies call this; routes never decide. */
export function authorize(condition: boolean, message = 'You are not allowed to do this.'): asserts condition {
  if (!condition) throw new AppError('forbidden', message);
}

/** True when the actor is a user with one of the roles (system actors pass every check). */
export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return actor.kind === 'system' || roles.includes(actor.role);
}
