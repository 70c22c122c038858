import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema, page } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import {
  deliveryListQuerySchema,
  webhookCreateSchema,
  webhookDeliveryDtoSchema,
  webhookDtoSchema,
  webhookPatchSchema,
} from './webhook.schema.ts';

/** Webhook subscriptions and their delivery log (admins). */
export function webhookRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Webhooks of this helpdesk',
        response: { 200: z.object({ items: z.array(webhookDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await domain.webhooks.list(ctxOf(request)) }),
  );
  app.post(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Subscribe a URL to events (deliveries are signed with the returned secret)',
        body: webhookCreateSchema,
        response: { 201: webhookDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.webhooks.create(ctxOf(request), request.body)),
  );
  app.patch(
    '/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Change a webhook, turn it on or off, or rotate its secret',
        params: idParams,
        body: webhookPatchSchema,
        response: { 200: webhookDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.webhooks.update(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Remove a webhook and its delivery log',
        params: idParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.webhooks.remove(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delivery log of a webhook, newest first (every attempt with its status or error)',
        params: idParams,
        querystring: deliveryListQuerySchema,
        response: { 200: page(webhookDeliveryDtoSchema), ...errorResponses },
      },
    },
    async (request) =>
      domain.webhooks.deliveries(ctxOf(request), oid(request.params.id), {
        limit: request.query.limit,
        ...(request.query.before ? { before: oid(request.query.before) } : {}),
      }),
  );
}
