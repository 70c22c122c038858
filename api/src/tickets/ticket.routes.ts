import { z } from 'zod';
import { isStaff } from '../context.ts';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, page } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { entryDtoSchema } from '../conversation/conversation.schema.ts';
import {
  ticketAssignSchema,
  ticketCreateSchema,
  ticketDtoSchema,
  ticketFilterSchema,
  ticketListQuerySchema,
  ticketMergeSchema,
  ticketPatchSchema,
  ticketStatusSchema,
} from './ticket.schema.ts';

/** Tickets: list with filters and cursor, get, create, update fields, status, assign, merge. */
export function ticketRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/tickets',
    {
      schema: {
        tags: ['tickets'],
        summary: 'List tickets the caller may see',
        querystring: ticketListQuerySchema,
        response: { 200: page(ticketDtoSchema), ...errorResponses },
      },
    },
    async (request) => domain.tickets.list(ctxOf(request), request.query),
  );
  app.get(
    '/tickets/count',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Count tickets matching the filters (queue view counts)',
        querystring: ticketFilterSchema,
        response: { 200: z.object({ count: z.number() }), ...errorResponses },
      },
    },
    async (request) => ({ count: await domain.tickets.count(ctxOf(request), request.query) }),
  );
  app.post(
    '/tickets',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Open a ticket with its first message',
        body: ticketCreateSchema,
        response: { 201: z.object({ ticket: ticketDtoSchema, entry: entryDtoSchema }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = ctxOf(request);
      const channel = request.principal?.via === 'token' || isStaff(ctx.actor) ? 'api' : 'portal';
      const { ticket, entry } = await domain.tickets.create(ctx, request.body, channel);
      return reply.status(201).send({ ticket, entry });
    },
  );
  app.get(
    '/tickets/:id',
    { schema: { tags: ['tickets'], summary: 'One ticket', params: idParams, response: { 200: ticketDtoSchema, ...errorResponses } } },
    async (request) => domain.tickets.get(ctxOf(request), oid(request.params.id)),
  );
  app.patch(
    '/tickets/:id',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Change subject, priority, category, tags or custom fields',
        params: idParams,
        body: ticketPatchSchema,
        response: { 200: ticketDtoSchema, ...errorResponses },
      },
    },
    async (request) => (await domain.tickets.update(ctxOf(request), oid(request.params.id), request.body)).ticket,
  );
  app.post(
    '/tickets/:id/status',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Change status (allowed transitions only)',
        params: idParams,
        body: ticketStatusSchema,
        response: { 200: ticketDtoSchema, ...errorResponses },
      },
    },
    async (request) => (await domain.tickets.changeStatus(ctxOf(request), oid(request.params.id), request.body.status)).ticket,
  );
  app.post(
    '/tickets/:id/assign',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Assign to an agent and/or team',
        params: idParams,
        body: ticketAssignSchema,
        response: { 200: ticketDtoSchema, ...errorResponses },
      },
    },
    async (request) => (await domain.tickets.assign(ctxOf(request), oid(request.params.id), request.body)).ticket,
  );
  app.post(
    '/tickets/:id/merge',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Merge this ticket into another',
        params: idParams,
        body: ticketMergeSchema,
        response: { 200: ticketDtoSchema, ...errorResponses },
      },
    },
    async (request) => (await domain.tickets.merge(ctxOf(request), oid(request.params.id), oid(request.body.intoId))).ticket,
  );
}
