import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, page } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { userCreateSchema, userDtoSchema, userListQuerySchema, userPatchSchema } from './user.schema.ts';
import { toUserDto } from './user.service.ts';

/** People: staff and customers. */
export function userRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/users',
    {
      schema: {
        tags: ['people'],
        summary: 'List people (staff)',
        querystring: userListQuerySchema,
        response: { 200: page(userDtoSchema), ...errorResponses },
      },
    },
    async (request) => {
      const rows = await domain.users.list(ctxOf(request), request.query);
      const last = rows[rows.length - 1];
      return { items: rows.map(toUserDto), nextCursor: rows.length === request.query.limit && last ? last._id.toHexString() : null };
    },
  );
  app.post(
    '/users',
    {
      schema: { tags: ['people'], summary: 'Create a person', body: userCreateSchema, response: { 201: userDtoSchema, ...errorResponses } },
    },
    async (request, reply) => reply.status(201).send(toUserDto(await domain.users.create(ctxOf(request), request.body))),
  );
  app.get(
    '/users/:id',
    { schema: { tags: ['people'], summary: 'One person', params: idParams, response: { 200: userDtoSchema, ...errorResponses } } },
    async (request) => toUserDto(await domain.users.get(ctxOf(request), oid(request.params.id))),
  );
  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['people'],
        summary: 'Edit a person',
        params: idParams,
        body: userPatchSchema,
        response: { 200: userDtoSchema, ...errorResponses },
      },
    },
    async (request) => toUserDto(await domain.users.update(ctxOf(request), oid(request.params.id), request.body)),
  );
}
