import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { objectIdSchema, oid } from '../lib/ids.ts';
import { timeEntryCreateSchema, timeEntryDtoSchema } from './time-entry.schema.ts';

/** Time entries on tickets. */
export function timeEntryRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/tickets/:id/time-entries',
    {
      schema: {
        tags: ['time'],
        summary: 'Time logged on a ticket',
        params: idParams,
        response: {
          200: z.object({ items: z.array(timeEntryDtoSchema), totalMinutes: z.number(), billableMinutes: z.number() }),
          ...errorResponses,
        },
      },
    },
    async (request) => domain.timeEntries.list(ctxOf(request), oid(request.params.id)),
  );
  app.post(
    '/tickets/:id/time-entries',
    {
      schema: {
        tags: ['time'],
        summary: 'Log time on a ticket',
        params: idParams,
        body: timeEntryCreateSchema,
        response: { 201: timeEntryDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send((await domain.timeEntries.create(ctxOf(request), oid(request.params.id), request.body)).entry),
  );
  app.delete(
    '/tickets/:id/time-entries/:entryId',
    {
      schema: {
        tags: ['time'],
        summary: 'Remove a time entry',
        params: z.object({ id: objectIdSchema, entryId: objectIdSchema }).strict(),
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.timeEntries.remove(ctxOf(request), oid(request.params.id), oid(request.params.entryId));
      return { ok: true as const };
    },
  );
}
