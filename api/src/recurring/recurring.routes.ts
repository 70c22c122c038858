import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { scheduleCreateSchema, scheduleDtoSchema, schedulePatchSchema } from './recurring.schema.ts';

/** Recurring ticket schedules. */
export function recurringRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/recurring-schedules',
    {
      schema: {
        tags: ['recurring'],
        summary: 'Schedules that open maintenance tickets',
        response: { 200: z.object({ items: z.array(scheduleDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await domain.recurring.list(ctxOf(request)) }),
  );
  app.post(
    '/recurring-schedules',
    {
      schema: {
        tags: ['recurring'],
        summary: 'Open a ticket from a template for an organisation at every occurrence of an RRULE or cron rule',
        body: scheduleCreateSchema,
        response: { 201: scheduleDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.recurring.create(ctxOf(request), request.body)),
  );
  app.patch(
    '/recurring-schedules/:id',
    {
      schema: {
        tags: ['recurring'],
        summary: 'Change a schedule (a new rule applies from now on)',
        params: idParams,
        body: schedulePatchSchema,
        response: { 200: scheduleDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.recurring.update(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/recurring-schedules/:id',
    {
      schema: {
        tags: ['recurring'],
        summary: 'Remove a schedule (its tickets stay)',
        params: idParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.recurring.remove(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
}
