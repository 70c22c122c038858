import { z } from 'zod';
import { isStaff } from '../context.ts';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { AppError } from '../lib/errors.ts';
import { objectIdSchema, oid } from '../lib/ids.ts';
import { domainEventSchema } from './event-types.ts';

/**
 * GET /events?after=SEQ — the resync path. Staff read the tenant's whole log; customers
 * must name a ticket they can see and get its public events only.
 */
export function eventRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Events after a sequence number (gap-free; resume from `cursor`)',
        querystring: z
          .object({
            after: z.coerce.number().int().min(0).default(0),
            limit: z.coerce.number().int().min(1).max(500).default(200),
            ticketId: objectIdSchema.optional(),
          })
          .strict(),
        response: { 200: z.object({ events: z.array(domainEventSchema), cursor: z.number(), more: z.boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = ctxOf(request);
      const staff = isStaff(ctx.actor);
      if (!staff && !request.query.ticketId)
        throw new AppError('validation_failed', 'Customers read events of one ticket: pass ticketId.', [
          { path: '/ticketId', message: 'required' },
        ]);
      const ticketId = request.query.ticketId ? oid(request.query.ticketId) : undefined;
      if (ticketId) await domain.tickets.requireVisible(ctx, ticketId);
      return domain.events.readAfter(ctx.tenantId, request.query.after, {
        limit: request.query.limit,
        ticketId,
        audience: staff ? undefined : 'public',
      });
    },
  );
}
