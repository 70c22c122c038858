import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { macroCreateSchema, macroDtoSchema, macroPatchSchema } from './macro.schema.ts';

/** Macros (canned responses). */
export function macroRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/macros',
    {
      schema: {
        tags: ['macros'],
        summary: 'Shared and my personal macros',
        response: { 200: z.object({ items: z.array(macroDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await domain.macros.list(ctxOf(request)) }),
  );
  app.post(
    '/macros',
    {
      schema: {
        tags: ['macros'],
        summary: 'Create a macro',
        body: macroCreateSchema,
        response: { 201: macroDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.macros.create(ctxOf(request), request.body)),
  );
  app.patch(
    '/macros/:id',
    {
      schema: {
        tags: ['macros'],
        summary: 'Edit a macro',
        params: idParams,
        body: macroPatchSchema,
        response: { 200: macroDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.macros.update(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/macros/:id',
    { schema: { tags: ['macros'], summary: 'Delete a macro', params: idParams, response: { 200: okSchema, ...errorResponses } } },
    async (request) => {
      await domain.macros.remove(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
}
