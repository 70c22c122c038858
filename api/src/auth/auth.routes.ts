import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf, metaOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import { toUserDto } from '../users/user.service.ts';
import { agentStatusSchema, userDtoSchema } from '../users/user.schema.ts';
import {
  apiTokenCreateSchema,
  apiTokenDtoSchema,
  loginSchema,
  mfaVerifySchema,
  passwordChangeSchema,
  passwordResetCompleteSchema,
  passwordResetRequestSchema,
} from './auth.schema.ts';

const meSchema = z.object({
  user: userDtoSchema,
  tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  mfaPending: z.boolean(),
});

/** Sign-in, sign-out, MFA, password reset, the current user and their API tokens. */
export function authRoutes(app: HttpServer, domain: Domain): void {
  app.post(
    '/auth/login',
    {
      config: { auth: { mode: 'none' }, rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password',
        body: loginSchema,
        response: { 200: z.object({ user: userDtoSchema, mfaRequired: z.boolean() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { cookie, mfaRequired, user } = await domain.auth.login(request.body, metaOf(request));
      reply.header('set-cookie', cookie);
      return { user: toUserDto(user), mfaRequired };
    },
  );
  app.post(
    '/auth/mfa/verify',
    {
      config: { auth: { allowMfaPending: true }, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Finish signing in with a TOTP code',
        body: mfaVerifySchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      reply.header('set-cookie', await domain.auth.verifyMfa(request.principal!, request.body.code, metaOf(request)));
      return { ok: true as const };
    },
  );
  app.post(
    '/auth/logout',
    {
      config: { auth: { allowMfaPending: true } },
      schema: { tags: ['auth'], summary: 'Sign out', response: { 200: okSchema, ...errorResponses } },
    },
    async (request, reply) => {
      reply.header('set-cookie', await domain.auth.logout(request.principal!, metaOf(request)));
      return { ok: true as const };
    },
  );
  app.post(
    '/auth/password-reset',
    {
      config: { auth: { mode: 'none' }, rateLimit: { max: 5, timeWindow: '15 minutes' } },
      schema: {
        tags: ['auth'],
        summary: 'Request a password reset link (always 202)',
        body: passwordResetRequestSchema,
        response: { 202: okSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await domain.auth.requestPasswordReset(request.body.tenant, request.body.email, metaOf(request));
      if (issued) {
        const url = new URL(
          `/reset-password?tenant=${encodeURIComponent(request.body.tenant)}&token=${encodeURIComponent(issued.token)}`,
          domain.publicUrl,
        ).toString();
        await domain.notifier.passwordReset(issued.user, url);
      }
      return reply.status(202).send({ ok: true as const });
    },
  );
  app.post(
    '/auth/password-reset/complete',
    {
      config: { auth: { mode: 'none' }, rateLimit: { max: 10, timeWindow: '15 minutes' } },
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with a reset token',
        body: passwordResetCompleteSchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.auth.completePasswordReset(request.body.tenant, request.body.token, request.body.password, metaOf(request));
      return { ok: true as const };
    },
  );

  app.get(
    '/me',
    {
      config: { auth: { allowMfaPending: true } },
      schema: { tags: ['me'], summary: 'The signed-in user and tenant', response: { 200: meSchema, ...errorResponses } },
    },
    async (request) => {
      const ctx = ctxOf(request);
      if (ctx.actor.kind !== 'user') throw new AppError('unauthenticated', 'Sign in to continue.');
      const [user, tenant] = await Promise.all([domain.users.require(ctx, ctx.actor.userId), domain.tenants.require(ctx)]);
      return {
        user: toUserDto(user),
        tenant: { id: tenant._id.toHexString(), slug: tenant.slug, name: tenant.name },
        mfaPending: request.principal!.mfaPending,
      };
    },
  );
  app.put(
    '/me/status',
    {
      schema: {
        tags: ['me'],
        summary: 'Set my agent status (online, away, offline)',
        body: agentStatusSchema,
        response: { 200: userDtoSchema, ...errorResponses },
      },
    },
    async (request) => toUserDto(await domain.users.setAgentStatus(ctxOf(request), request.body.status)),
  );
  app.post(
    '/me/password',
    { schema: { tags: ['me'], summary: 'Change my password', body: passwordChangeSchema, response: { 200: okSchema, ...errorResponses } } },
    async (request) => {
      await domain.auth.changePassword(request.principal!, request.body.currentPassword, request.body.newPassword, metaOf(request));
      return { ok: true as const };
    },
  );
  app.post(
    '/me/mfa/setup',
    {
      schema: {
        tags: ['me'],
        summary: 'Start TOTP enrolment',
        response: { 200: z.object({ secret: z.string(), uri: z.string() }), ...errorResponses },
      },
    },
    async (request) => domain.auth.beginMfaSetup(ctxOf(request)),
  );
  app.post(
    '/me/mfa/confirm',
    {
      schema: {
        tags: ['me'],
        summary: 'Confirm TOTP enrolment with a first code',
        body: mfaVerifySchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.auth.confirmMfaSetup(ctxOf(request), request.body.code, metaOf(request));
      return { ok: true as const };
    },
  );
  app.post(
    '/me/mfa/disable',
    {
      schema: {
        tags: ['me'],
        summary: 'Turn TOTP off (needs a current code)',
        body: mfaVerifySchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.auth.disableMfa(ctxOf(request), request.body.code, metaOf(request));
      return { ok: true as const };
    },
  );
  app.get(
    '/me/tokens',
    {
      schema: {
        tags: ['me'],
        summary: 'My API tokens',
        response: { 200: z.object({ items: z.array(apiTokenDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await domain.auth.listApiTokens(ctxOf(request))).map((t) => ({
        id: t._id.toHexString(),
        name: t.name,
        prefix: t.prefix,
        scopes: t.scopes,
        lastUsedAt: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
        expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
        createdAt: t.createdAt.toISOString(),
      })),
    }),
  );
  app.post(
    '/me/tokens',
    {
      schema: {
        tags: ['me'],
        summary: 'Create an API token (shown once)',
        body: apiTokenCreateSchema,
        response: { 201: z.object({ token: z.string(), id: z.string(), prefix: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { token, record } = await domain.auth.createApiToken(ctxOf(request), request.body);
      return reply.status(201).send({ token, id: record._id.toHexString(), prefix: record.prefix });
    },
  );
  app.delete(
    '/me/tokens/:id',
    { schema: { tags: ['me'], summary: 'Revoke an API token', params: idParams, response: { 200: okSchema, ...errorResponses } } },
    async (request) => {
      await domain.auth.revokeApiToken(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
}
