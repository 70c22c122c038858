import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { notificationPreferencesSchema } from './notification.schema.ts';

/** The caller's mail notification preferences. */
export function notificationRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/me/notification-preferences',
    {
      schema: {
        tags: ['me'],
        summary: 'Which notifications I get by mail',
        response: { 200: notificationPreferencesSchema, ...errorResponses },
      },
    },
    async (request) => domain.notifications.mine(ctxOf(request)),
  );
  app.put(
    '/me/notification-preferences',
    {
      schema: {
        tags: ['me'],
        summary: 'Choose which notifications I get by mail, and whether bursts are digested',
        body: notificationPreferencesSchema,
        response: { 200: notificationPreferencesSchema, ...errorResponses },
      },
    },
    async (request) => domain.notifications.setMine(ctxOf(request), request.body),
  );
}
