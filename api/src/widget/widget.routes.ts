import multipart from '@fastify/multipart';
import { multipartParts } from '../attachments/multipart-parts.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contentDisposition } from '../attachments/files.ts';
import { entryDtoSchema } from '../conversation/conversation.schema.ts';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { AppError } from '../lib/errors.ts';
import { objectIdSchema, oid } from '../lib/ids.ts';
import { articleSuggestionSchema, widgetSecretSchema, widgetSessionRequestSchema, widgetSessionSchema } from './widget.schema.ts';
import { WIDGET_MAX_IMAGE_BYTES, WIDGET_MAX_IMAGES } from './widget-uploads.ts';

/** Images are shown by <img> on the tenant's own site (another origin): answers, errors included, must be readable there. */
async function embeddableAnywhere(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('cross-origin-resource-policy', 'cross-origin');
}

/** The widget's session token travels in this header on uploads (no cookies on other sites). */
const TOKEN_HEADER = 'x-widget-token';

const fileResponse = z.unknown().describe('The image (or its WebP thumbnail).');

/**
 * The session route is called from other sites' pages. It carries no cookie and answers
 * nothing private to the caller's origin, so any origin may read the answer (including a
 * refusal, which the widget shows); whether the site may use the widget is decided by the
 * tenant's origin list inside the service.
 */
async function allowAnyOrigin(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('access-control-allow-origin', '*');
}

/** The embeddable widget's REST side: visitor sessions, and the tenant's identity secret. */
export function widgetRoutes(app: HttpServer, domain: Domain): void {
  app.options(
    '/widget/session',
    {
      onRequest: allowAnyOrigin,
      config: { auth: { mode: 'none' } },
      schema: {
        tags: ['widget'],
        summary: 'CORS preflight of the widget session (any origin may ask)',
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (_request, reply) => {
      reply
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '600');
      return { ok: true as const };
    },
  );
  app.post(
    '/widget/session',
    {
      onRequest: allowAnyOrigin,
      config: { auth: { mode: 'none' }, rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        tags: ['widget'],
        summary: 'Start a chat widget session (public key; optional verified identity). Checks the page origin.',
        body: widgetSessionRequestSchema,
        response: { 200: widgetSessionSchema, ...errorResponses },
      },
    },
    async (request) => domain.widget.startSession(request.body, request.headers.origin ?? null),
  );
  app.options(
    '/widget/suggestions',
    {
      onRequest: allowAnyOrigin,
      config: { auth: { mode: 'none' } },
      schema: {
        tags: ['widget'],
        summary: 'CORS preflight of knowledge-base suggestions (any origin may ask)',
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (_request, reply) => {
      reply
        .header('access-control-allow-methods', 'GET')
        .header('access-control-allow-headers', TOKEN_HEADER)
        .header('access-control-max-age', '600');
      return { ok: true as const };
    },
  );
  app.get(
    '/widget/suggestions',
    {
      onRequest: allowAnyOrigin,
      config: { auth: { mode: 'none' }, rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        tags: ['widget'],
        summary: `Knowledge-base articles for what a visitor is typing, before their first message (header ${TOKEN_HEADER})`,
        querystring: z.object({ q: z.string().trim().min(3).max(200) }).strict(),
        response: { 200: z.object({ items: z.array(articleSuggestionSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const token = request.headers[TOKEN_HEADER];
      if (typeof token !== 'string') throw new AppError('unauthenticated', `Send the widget session token in ${TOKEN_HEADER}.`);
      const principal = await domain.widget.authenticate(token, request.headers.origin ?? null);
      return { items: await domain.widget.suggest(principal.tenantId, request.query.q) };
    },
  );
  app.options(
    '/widget/attachments',
    {
      onRequest: allowAnyOrigin,
      config: { auth: { mode: 'none' } },
      schema: {
        tags: ['widget'],
        summary: 'CORS preflight of widget image uploads (any origin may ask)',
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (_request, reply) => {
      reply
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', TOKEN_HEADER)
        .header('access-control-max-age', '600');
      return { ok: true as const };
    },
  );
  // Multipart is parsed only in this scope (as for staff uploads): every other route keeps answering 415 to form posts.
  void app.register(async (scope) => {
    const uploads = scope.withTypeProvider<ZodTypeProvider>();
    await uploads.register(multipart, {
      limits: {
        fileSize: WIDGET_MAX_IMAGE_BYTES + 1,
        files: WIDGET_MAX_IMAGES + 1,
        fields: 5,
        fieldSize: 10_000,
        parts: WIDGET_MAX_IMAGES + 6,
        headerPairs: 100,
      },
      throwFileSizeLimit: true,
    });
    uploads.post(
      '/widget/attachments',
      {
        onRequest: allowAnyOrigin,
        config: { auth: { mode: 'none' }, rateLimit: { max: 20, timeWindow: '1 minute' } },
        schema: {
          tags: ['widget'],
          summary: `A visitor sends images into their conversation (multipart \`file\` parts, images only, ${WIDGET_MAX_IMAGE_BYTES / 1024 / 1024} MB each; header ${TOKEN_HEADER})`,
          querystring: z.object({ ticketId: objectIdSchema }).strict(),
          response: { 201: entryDtoSchema, 200: entryDtoSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const token = request.headers[TOKEN_HEADER];
        if (typeof token !== 'string') throw new AppError('unauthenticated', `Send the widget session token in ${TOKEN_HEADER}.`);
        const principal = await domain.widget.authenticate(token, request.headers.origin ?? null);
        const { entry, duplicate } = await domain.widget.uploadImages(
          principal,
          oid(request.query.ticketId),
          multipartParts(request, 'images'),
        );
        return reply.status(duplicate ? 200 : 201).send(entry);
      },
    );
  });
  for (const variant of ['original', 'thumbnail'] as const) {
    app.get(
      variant === 'original' ? '/widget/attachments/:id' : '/widget/attachments/:id/thumbnail',
      {
        onRequest: embeddableAnywhere,
        config: { auth: { mode: 'none' } },
        schema: {
          tags: ['widget'],
          summary:
            variant === 'original'
              ? 'An image of the visitor’s conversation, for the widget (session token in ?token=)'
              : 'Thumbnail of an image of the visitor’s conversation (WebP, at most 320 px; session token in ?token=)',
          params: idParams,
          // `retry` only makes a retried <img> a new request; it is ignored.
          querystring: z.object({ token: z.string().min(1).max(2000), retry: z.coerce.number().int().min(0).max(20).optional() }).strict(),
          response: { 200: fileResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = await domain.widget.authenticate(request.query.token, null, { anyOrigin: true });
        const file = await domain.widget.openAttachment(principal, oid(request.params.id), variant);
        return reply
          .header('content-type', file.contentType)
          .header('content-length', String(file.size))
          .header('content-disposition', contentDisposition(file.inline ? 'inline' : 'attachment', file.filename))
          .header('cache-control', 'private, max-age=3600')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('referrer-policy', 'no-referrer')
          .send(file.stream);
      },
    );
  }
  app.post(
    '/tenant/widget-secret/rotate',
    {
      schema: {
        tags: ['widget'],
        summary: 'Replace the widget identity secret (admins); the new secret is shown only in this answer',
        response: { 200: widgetSecretSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { widgetSecret, rotatedAt } = await domain.widget.rotateSecret(ctxOf(request));
      return { widgetSecret, rotatedAt: rotatedAt.toISOString() };
    },
  );
}
