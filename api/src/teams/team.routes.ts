import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { teamCreateSchema, teamDtoSchema, teamPatchSchema } from './team.schema.ts';

/** Teams. Membership is edited on the person (PATCH /users/:id teamIds). */
export function teamRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/teams',
    {
      schema: { tags: ['teams'], summary: 'List teams', response: { 200: z.object({ items: z.array(teamDtoSchema) }), ...errorResponses } },
    },
    async (request) => ({ items: await domain.teams.list(ctxOf(request)) }),
  );
  app.post(
    '/teams',
    { schema: { tags: ['teams'], summary: 'Create a team', body: teamCreateSchema, response: { 201: teamDtoSchema, ...errorResponses } } },
    async (request, reply) => reply.status(201).send(await domain.teams.create(ctxOf(request), request.body)),
  );
  app.patch(
    '/teams/:id',
    {
      schema: {
        tags: ['teams'],
        summary: 'Edit a team',
        params: idParams,
        body: teamPatchSchema,
        response: { 200: teamDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.teams.update(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/teams/:id',
    { schema: { tags: ['teams'], summary: 'Delete a team', params: idParams, response: { 200: okSchema, ...errorResponses } } },
    async (request) => {
      await domain.teams.remove(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
}
