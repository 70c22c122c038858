import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { attachmentRoutes } from '../attachments/attachment.routes.ts';
import { auditRoutes } from '../audit/audit.routes.ts';
import { boardRoutes } from '../boards/board.routes.ts';
import { authRoutes } from '../auth/auth.routes.ts';
import { categoryRoutes } from '../categories/category.routes.ts';
import { conversationRoutes } from '../conversation/conversation.routes.ts';
import { csatRoutes } from '../csat/csat.routes.ts';
import type { Domain } from '../domain.ts';
import { eventRoutes } from '../events/events.routes.ts';
import { kbRoutes } from '../kb/kb.routes.ts';
import { macroRoutes } from '../macros/macro.routes.ts';
import { mailRoutes } from '../mail/mail.routes.ts';
import { notificationRoutes } from '../notifications/notification.routes.ts';
import { organisationRoutes } from '../organisations/organisation.routes.ts';
import { recurringRoutes } from '../recurring/recurring.routes.ts';
import { searchRoutes } from '../search/search.routes.ts';
import { slaRoutes } from '../sla/sla.routes.ts';
import { teamRoutes } from '../teams/team.routes.ts';
import { tenantRoutes } from '../tenants/tenant.routes.ts';
import { ticketRoutes } from '../tickets/ticket.routes.ts';
import { timeEntryRoutes } from '../time-entries/time-entry.routes.ts';
import { triageRoutes } from '../triage/triage.routes.ts';
import { userRoutes } from '../users/user.routes.ts';
import { webhookRoutes } from '../webhooks/webhook.routes.ts';
import { widgetRoutes } from '../widget/widget.routes.ts';
import { portalRoutes } from '../portal/portal.routes.ts';
import { errorBody } from '../lib/errors.ts';
import { registerAuth } from './auth.plugin.ts';
import type { HttpServer } from './server.ts';

/** Every route module, in one list (the OpenAPI test checks each route is documented). */
export const ROUTE_MODULES = [
  tenantRoutes,
  authRoutes,
  userRoutes,
  organisationRoutes,
  teamRoutes,
  categoryRoutes,
  macroRoutes,
  ticketRoutes,
  conversationRoutes,
  timeEntryRoutes,
  eventRoutes,
  auditRoutes,
  triageRoutes,
  widgetRoutes,
  portalRoutes,
  slaRoutes,
  boardRoutes,
  attachmentRoutes,
  mailRoutes,
  notificationRoutes,
  webhookRoutes,
  recurringRoutes,
  csatRoutes,
  kbRoutes,
  searchRoutes,
];

/** Options of the REST API. */
export interface ApiOptions {
  domain: Domain;
  redis: Redis;
  /** Extra origins (besides the request's own host) accepted for cookie-authenticated mutations. */
  allowedHosts: string[];
  /** Requests per minute per client before 429 (login and sign-up have tighter limits). */
  rateLimitPerMinute?: number;
}

/**
 * Mounts the REST API at /api/v1: OpenAPI 3.1 at /api/v1/openapi.json and a docs page at
 * /api/v1/docs, rate limits kept in Redis (shared by every API node), security headers,
 * and authentication on every route that does not opt out.
 */
export async function registerApi(app: HttpServer, options: ApiOptions): Promise<void> {
  await app.register(
    async (api) => {
      // JSON only: a text/plain body is a wrong content type (415), not a malformed object (400).
      api.removeContentTypeParser('text/plain');
      // Security headers on every answer under /api/v1: the document, the docs page and the
      // 404s of unknown paths too (those are answered by this context's handler, below).
      await api.register(helmet, { contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-origin' } });
      api.setNotFoundHandler((request, reply) => {
        reply.status(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, request.id));
      });
      await api.register(swagger, {
        openapi: {
          openapi: '3.1.0',
          info: {
            title: 'Switchboard API',
            version: '1.0.0',
            description:
              'REST API of Switchboard, the real-time helpdesk. Errors: `{ "error": { "code", "message", "details", "request_id" } }`.',
          },
          components: {
            securitySchemes: {
              session: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
              token: { type: 'http', scheme: 'bearer', description: 'Personal API token (sbp_…)' },
            },
          },
          security: [{ session: [] }, { token: [] }],
        },
        transform: jsonSchemaTransform,
      });
      await api.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
      api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());

      await api.register(async (secured) => {
        await secured.register(rateLimit, {
          global: true,
          max: options.rateLimitPerMinute ?? 1200,
          timeWindow: '1 minute',
          redis: options.redis,
          nameSpace: 'sb:rl:',
          // After authentication, so a signed-in user is limited as themselves, not by IP.
          hook: 'preHandler',
          // Public routes (sign-in, sign-up, resets) always count per address: a session
          // cookie of some other account must not buy an attacker fresh login attempts.
          keyGenerator: (request) =>
            request.routeOptions.config?.auth?.mode === 'none' ? request.ip : (request.principal?.user.id ?? request.ip),
        });
        registerAuth(secured as unknown as HttpServer, options.domain.auth, options.allowedHosts);
        for (const routes of ROUTE_MODULES) routes(secured as unknown as HttpServer, options.domain);
      });
    },
    { prefix: '/api/v1' },
  );
}
