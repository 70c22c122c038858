import type { Domain } from '../domain.ts';
import { metaOf } from '../http/auth.plugin.ts';
import { errorResponses, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { portalSignupSchema } from './portal.schema.ts';

/** The customer portal's public routes. */
export function portalRoutes(app: HttpServer, domain: Domain): void {
  app.post(
    '/portal/signup',
    {
      config: { auth: { mode: 'none' }, rateLimit: { max: 5, timeWindow: '15 minutes' } },
      schema: {
        tags: ['portal'],
        summary: 'Customer sign-up: mails a link to set a password (always 202, whether or not the address is known)',
        body: portalSignupSchema,
        response: { 202: okSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await domain.portal.signUp(request.body, metaOf(request));
      if (issued) {
        const url = new URL(
          `/reset-password?tenant=${encodeURIComponent(request.body.tenant)}&token=${encodeURIComponent(issued.token)}&welcome=1`,
          domain.publicUrl,
        ).toString();
        await domain.notifier.passwordReset(issued.user, url);
      }
      return reply.status(202).send({ ok: true as const });
    },
  );
}
