import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { mailSettingsDtoSchema, mailSettingsPatchSchema } from './mail.schema.ts';

/** The tenant's mail channel settings. */
export function mailRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/mail-settings',
    {
      schema: {
        tags: ['mail'],
        summary: 'Inbound addresses and who may open tickets by mail',
        response: { 200: mailSettingsDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.mail.getSettings(ctxOf(request)),
  );
  app.patch(
    '/mail-settings',
    {
      schema: {
        tags: ['mail'],
        summary: 'Open or close the helpdesk to unknown senders, set an extra inbound address or the sender name',
        body: mailSettingsPatchSchema,
        response: { 200: mailSettingsDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.mail.updateSettings(ctxOf(request), request.body),
  );
}
