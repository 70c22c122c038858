import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { csatResponseSchema, csatSummaryQuerySchema, csatSummarySchema, csatSurveyDtoSchema, csatTokenParams } from './csat.schema.ts';

/** Satisfaction surveys: the one-click answer from the mail, the widget rating, the managers' figures. */
export function csatRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/csat/summary',
    {
      schema: {
        tags: ['csat'],
        summary: 'Satisfaction figures for a period: distribution, average, response rate, per agent',
        querystring: csatSummaryQuerySchema,
        response: { 200: csatSummarySchema, ...errorResponses },
      },
    },
    async (request) => domain.csat.summary(ctxOf(request), request.query),
  );
  app.get(
    '/csat/:token',
    {
      config: { auth: { mode: 'none' } },
      schema: {
        tags: ['csat'],
        summary: 'The survey a mail link opens (the token is the credential)',
        params: csatTokenParams,
        response: { 200: csatSurveyDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.csat.show(request.params.token),
  );
  app.post(
    '/csat/:token',
    {
      config: { auth: { mode: 'none' } },
      schema: {
        tags: ['csat'],
        summary: 'Rate from the mail link (a later answer replaces the earlier one while the survey is open)',
        params: csatTokenParams,
        body: csatResponseSchema,
        response: { 200: csatSurveyDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.csat.respondByToken(request.params.token, request.body),
  );
  app.post(
    '/tickets/:id/csat',
    {
      schema: {
        tags: ['csat'],
        summary: 'The requester rates their solved ticket (widget, portal)',
        params: idParams,
        body: csatResponseSchema,
        response: { 200: csatSurveyDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.csat.respondAsRequester(ctxOf(request), oid(request.params.id), request.body),
  );
}
