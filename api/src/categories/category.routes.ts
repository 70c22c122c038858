import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { categoryCreateSchema, categoryDtoSchema, categoryPatchSchema } from './category.schema.ts';

/** Ticket categories. */
export function categoryRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/categories',
    {
      schema: {
        tags: ['categories'],
        summary: 'List categories',
        response: { 200: z.object({ items: z.array(categoryDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: await domain.categories.list(ctxOf(request)),
    }),
  );
  app.post(
    '/categories',
    {
      schema: {
        tags: ['categories'],
        summary: 'Create a category',
        body: categoryCreateSchema,
        response: { 201: categoryDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.categories.create(ctxOf(request), request.body)),
  );
  app.patch(
    '/categories/:id',
    {
      schema: {
        tags: ['categories'],
        summary: 'Edit a category',
        params: idParams,
        body: categoryPatchSchema,
        response: { 200: categoryDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.categories.update(ctxOf(request), oid(request.params.id), request.body),
  );
}
