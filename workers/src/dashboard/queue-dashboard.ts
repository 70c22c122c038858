import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { SESSION_COOKIE } from '@switchboard/api/auth/lucia';
import type { Domain } from '@switchboard/api/domain';
import type { HttpServer } from '@switchboard/api/http/server';
import { errorBody, type ErrorCode, errorCodes } from '@switchboard/api/lib/errors';
import { JOB_CATALOGUE } from '../queues/catalogue.ts';
import type { QueueRegistry } from '../queues/registry.ts';

/** Where the dashboard is mounted. */
export const QUEUE_DASHBOARD_PATH = '/api/v1/admin/queues';

/** Options of {@link registerQueueDashboard}. */
export interface QueueDashboardOptions {
  domain: Domain;
  registry: QueueRegistry;
  /** Tenants (slugs) whose admins may open it: it shows every tenant's jobs. */
  tenantSlugs: string[];
  /** Hosts accepted as Origin of mutations (besides the request's own). */
  allowedHosts: string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sessionIdFrom(cookieHeader: string | undefined): string | null {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=') || null;
  }
  return null;
}

/** The parts of a Fastify reply a refusal needs. */
interface Reply {
  status(code: number): { send(payload: unknown): unknown };
}

function refuse(request: { id: string }, reply: Reply, code: ErrorCode, message: string) {
  return reply.status(errorCodes[code].status).send(errorBody(code, message, request.id));
}

/** Whether an Origin (or Referer) names one of our hosts. */
function fromOurOrigin(origin: string | undefined, hosts: string[]): boolean {
  if (!origin) return false;
  try {
    return hosts.includes(new URL(origin).host);
  } catch {
    return false;
  }
}

/**
 * Mounts bull-board (every queue of the job catalogue: waiting, delayed, active, completed
 * and failed — the dead letters — with retry, promote and clean) at /api/v1/admin/queues.
 * Only admins of the operators' tenants get in, signed in as for the API (session cookie or
 * API token, MFA done); cookie-authenticated changes must come from our own origin.
 */
export async function registerQueueDashboard(app: HttpServer, options: QueueDashboardOptions): Promise<void> {
  const { domain, registry } = options;
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: JOB_CATALOGUE.map((definition) => new BullAdapter(registry.queue(definition))),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Switchboard queues' } },
  });
  const slugs = new Set(options.tenantSlugs);
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization;
      const principal = await domain.auth.authenticate({
        sessionId: sessionIdFrom(request.headers.cookie),
        bearer: header?.startsWith('Bearer ') ? header.slice(7).trim() : null,
      });
      if (!principal || principal.mfaPending) return refuse(request, reply, 'unauthenticated', 'Sign in as an admin to see the queues.');
      const tenant = await domain.models.Tenant.findOne({ _id: principal.ctx.tenantId }, { slug: 1 }).lean<{ slug: string }>();
      if (principal.user.role !== 'admin' || !tenant || !slugs.has(tenant.slug)) {
        return refuse(
          request,
          reply,
          'forbidden',
          'The queue dashboard is for admins of the operators’ tenants (QUEUE_DASHBOARD_TENANTS).',
        );
      }
      if (!SAFE_METHODS.has(request.method)) {
        if (principal.via === 'token' && !principal.scopes.includes('write'))
          return refuse(request, reply, 'forbidden', 'This API token is read-only.');
        const origin = request.headers.origin ?? request.headers.referer;
        if (principal.via === 'session' && !fromOurOrigin(origin, [request.headers.host ?? '', ...options.allowedHosts])) {
          return refuse(request, reply, 'forbidden', 'Cross-site request refused (missing or foreign Origin).');
        }
      }
    });
    await scope.register(adapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
}
