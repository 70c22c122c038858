import { z } from 'zod';
import { boardFiguresSchema, overviewQuerySchema } from '../boards/board.schema.ts';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import {
  slaCalendarBodySchema,
  slaCalendarDtoSchema,
  slaPolicyBodySchema,
  slaPolicyDtoSchema,
  slaReportDtoSchema,
  slaReportQuerySchema,
} from './sla-config.schema.ts';

/** SLA calendars and policies (staff read, admins and managers change), reports and the live overview. */
export function slaRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/sla/calendars',
    {
      schema: {
        tags: ['sla'],
        summary: 'List business calendars',
        response: { 200: z.object({ items: z.array(slaCalendarDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await domain.sla.listCalendars(ctxOf(request)) }),
  );
  app.post(
    '/sla/calendars',
    {
      schema: {
        tags: ['sla'],
        summary: 'Create a business calendar',
        body: slaCalendarBodySchema,
        response: { 201: slaCalendarDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.sla.createCalendar(ctxOf(request), request.body)),
  );
  app.put(
    '/sla/calendars/:id',
    {
      schema: {
        tags: ['sla'],
        summary: 'Replace a business calendar',
        params: idParams,
        body: slaCalendarBodySchema,
        response: { 200: slaCalendarDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.sla.replaceCalendar(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/sla/calendars/:id',
    {
      schema: {
        tags: ['sla'],
        summary: 'Delete a business calendar no policy uses',
        params: idParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.sla.removeCalendar(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
  app.get(
    '/sla/policies',
    {
      schema: {
        tags: ['sla'],
        summary: 'List SLA policies in matching order',
        response: { 200: z.object({ items: z.array(slaPolicyDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await domain.sla.listPolicies(ctxOf(request)) }),
  );
  app.post(
    '/sla/policies',
    {
      schema: {
        tags: ['sla'],
        summary: 'Create an SLA policy',
        body: slaPolicyBodySchema,
        response: { 201: slaPolicyDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.sla.createPolicy(ctxOf(request), request.body)),
  );
  app.put(
    '/sla/policies/:id',
    {
      schema: {
        tags: ['sla'],
        summary: 'Replace an SLA policy (open tickets follow it from now on)',
        params: idParams,
        body: slaPolicyBodySchema,
        response: { 200: slaPolicyDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.sla.replacePolicy(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/sla/policies/:id',
    { schema: { tags: ['sla'], summary: 'Delete an SLA policy', params: idParams, response: { 200: okSchema, ...errorResponses } } },
    async (request) => {
      await domain.sla.removePolicy(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
  app.get(
    '/sla/report',
    {
      schema: {
        tags: ['sla'],
        summary: 'Daily history, SLA attainment per metric, team and agent (admins and managers)',
        querystring: slaReportQuerySchema,
        response: { 200: slaReportDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.sla.report(ctxOf(request), request.query.days, request.query.teamId ? oid(request.query.teamId) : undefined),
  );
  app.get(
    '/sla/overview',
    {
      schema: {
        tags: ['sla'],
        summary: "Today's live figures, as wall boards show them (admins and managers)",
        querystring: overviewQuerySchema,
        response: { 200: boardFiguresSchema, ...errorResponses },
      },
    },
    async (request) => domain.boards.overview(ctxOf(request), request.query.teamId ? oid(request.query.teamId) : undefined),
  );
}
