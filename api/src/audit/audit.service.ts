import type { Types } from 'mongoose';
import type { Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import type { AuditAction, AuditRecord } from './audit.model.ts';

/** Filters of the audit log view. */
export interface AuditQuery {
  action?: AuditAction;
  actorId?: Types.ObjectId;
  from?: Date;
  to?: Date;
  before?: Date;
  limit?: number;
}

/** Records and lists security-relevant actions. Append-only: there is no update or delete. */
export class AuditService {
  constructor(private readonly models: Models) {}

  /** Appends one record. `ip` comes from the request, never from a body. */
  async record(
    tenantId: Types.ObjectId,
    action: AuditAction,
    actor: { id?: Types.ObjectId | null; name: string },
    details: { targetId?: Types.ObjectId | null; ip?: string | null; data?: Record<string, unknown> } = {},
  ): Promise<void> {
    await this.models.Audit.create({
      tenantId,
      action,
      actorId: actor.id ?? null,
      actorName: actor.name,
      targetId: details.targetId ?? null,
      ip: details.ip ?? null,
      details: details.data ?? {},
      at: new Date(),
    });
  }

  /** Newest first, filtered; `before` pages backwards. Admins only. */
  async list(ctx: Ctx, query: AuditQuery): Promise<AuditRecord[]> {
    authorize(hasRole(ctx.actor, 'admin'), 'Only admins can read the audit log.');
    const at: Record<string, Date> = {};
    if (query.from) at.$gte = query.from;
    if (query.to) at.$lte = query.to;
    if (query.before) at.$lt = query.before;
    const filter: Record<string, unknown> = { tenantId: ctx.tenantId };
    if (query.action) filter.action = query.action;
    if (query.actorId) filter.actorId = query.actorId;
    if (Object.keys(at).length > 0) filter.at = at;
    return this.models.Audit.find(filter)
      .sort({ at: -1 })
      .limit(Math.min(query.limit ?? 50, 200))
      .lean<AuditRecord[]>();
  }
}
