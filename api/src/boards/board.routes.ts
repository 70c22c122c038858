import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { toBoardDto } from './board.service.ts';
import { boardCreatedSchema, boardCreateSchema, boardDataSchema, boardDtoSchema } from './board.schema.ts';

/** The kiosk token from `Authorization: Board sbb_…`. */
function boardToken(header: string | undefined): string | null {
  return header?.startsWith('Board ') ? header.slice(6).trim() : null;
}

/** Wall boards: management for admins and managers, and the figures a kiosk reads with its board token. */
export function boardRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/boards',
    {
      schema: {
        tags: ['boards'],
        summary: 'List wall boards (admins and managers)',
        response: { 200: z.object({ items: z.array(boardDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await domain.boards.list(ctxOf(request))).map(toBoardDto) }),
  );
  app.post(
    '/boards',
    {
      schema: {
        tags: ['boards'],
        summary: 'Create a wall board; its token is shown this once',
        body: boardCreateSchema,
        response: { 201: boardCreatedSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.boards.createFromApi(ctxOf(request), request.body)),
  );
  app.delete(
    '/boards/:id',
    {
      schema: {
        tags: ['boards'],
        summary: 'Revoke a wall board (its display disconnects)',
        params: idParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.boards.revoke(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
  app.get(
    '/boards/data',
    {
      schema: {
        tags: ['boards'],
        summary: 'Figures of the board whose token is sent as `Authorization: Board sbb_…` (kiosks; no sign-in)',
        response: { 200: boardDataSchema, ...errorResponses },
      },
      config: {
        auth: { mode: 'none' },
        // Every display of an office may sit behind one address: count per board, not per address.
        rateLimit: {
          keyGenerator: (request) => {
            const token = boardToken(request.headers.authorization);
            return token ? `board:${createHash('sha256').update(token).digest('hex').slice(0, 32)}` : request.ip;
          },
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return domain.boards.data(boardToken(request.headers.authorization));
    },
  );
}
