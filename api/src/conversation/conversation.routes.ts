import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { objectIdSchema, oid } from '../lib/ids.ts';
import { entryCreateSchema, entryDtoSchema } from './conversation.schema.ts';

/** A ticket's conversation. */
export function conversationRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/tickets/:id/entries',
    {
      schema: {
        tags: ['conversation'],
        summary: 'Entries of a ticket (customers never see internal notes)',
        params: idParams,
        querystring: z.object({ after: objectIdSchema.optional(), limit: z.coerce.number().int().min(1).max(500).default(200) }).strict(),
        response: { 200: z.object({ items: z.array(entryDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: await domain.conversation.list(ctxOf(request), oid(request.params.id), {
        limit: request.query.limit,
        after: request.query.after ? oid(request.query.after) : undefined,
      }),
    }),
  );
  app.post(
    '/tickets/:id/entries',
    {
      schema: {
        tags: ['conversation'],
        summary: 'Add a message (customer), public reply or internal note (staff)',
        params: idParams,
        body: entryCreateSchema,
        response: { 201: entryDtoSchema, 200: entryDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { entry, duplicate } = await domain.conversation.add(ctxOf(request), oid(request.params.id), request.body, { channel: 'api' });
      return reply.status(duplicate ? 200 : 201).send(entry);
    },
  );
}
