import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { hex, objectIdSchema, oid } from '../lib/ids.ts';
import { AUDIT_ACTIONS } from './audit.model.ts';

const auditDtoSchema = z.object({
  id: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  actorId: z.string().nullable(),
  actorName: z.string(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  at: z.string(),
});

/** The audit log (admins). */
export function auditRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Security-relevant actions, newest first (admins)',
        querystring: z
          .object({
            action: z.enum(AUDIT_ACTIONS).optional(),
            actorId: objectIdSchema.optional(),
            from: z.iso.datetime().optional(),
            to: z.iso.datetime().optional(),
            before: z.iso.datetime().optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          })
          .strict(),
        response: { 200: z.object({ items: z.array(auditDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await domain.audit.list(ctxOf(request), {
        action: q.action,
        actorId: q.actorId ? oid(q.actorId) : undefined,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        before: q.before ? new Date(q.before) : undefined,
        limit: q.limit,
      });
      return {
        items: rows.map((r) => ({
          id: r._id.toHexString(),
          action: r.action,
          actorId: hex(r.actorId),
          actorName: r.actorName,
          targetId: hex(r.targetId),
          ip: r.ip ?? null,
          details: r.details,
          at: r.at.toISOString(),
        })),
      };
    },
  );
}
