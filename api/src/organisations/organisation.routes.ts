import { textQuery } from '../lib/text-query.ts';
import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { organisationCreateSchema, organisationDtoSchema, organisationPatchSchema } from './organisation.schema.ts';

/** Organisations (client companies). Contacts: GET /users?organisationId=…; tickets: GET /tickets?organisationId=…. */
export function organisationRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/organisations',
    {
      schema: {
        tags: ['organisations'],
        summary: 'List organisations (staff)',
        querystring: z.object({ q: textQuery(100).optional() }).strict(),
        response: { 200: z.object({ items: z.array(organisationDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await domain.organisations.list(ctxOf(request), request.query.q) }),
  );
  app.post(
    '/organisations',
    {
      schema: {
        tags: ['organisations'],
        summary: 'Create an organisation',
        body: organisationCreateSchema,
        response: { 201: organisationDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.organisations.create(ctxOf(request), request.body)),
  );
  app.get(
    '/organisations/:id',
    {
      schema: {
        tags: ['organisations'],
        summary: 'One organisation',
        params: idParams,
        response: { 200: organisationDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.organisations.get(ctxOf(request), oid(request.params.id)),
  );
  app.patch(
    '/organisations/:id',
    {
      schema: {
        tags: ['organisations'],
        summary: 'Edit an organisation',
        params: idParams,
        body: organisationPatchSchema,
        response: { 200: organisationDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.organisations.update(ctxOf(request), oid(request.params.id), request.body),
  );
}
