import multipart from '@fastify/multipart';
import { multipartParts } from '../attachments/multipart-parts.ts';
import type { FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contentDisposition } from '../attachments/files.ts';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams, okSchema, page } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import {
  articleCreateSchema,
  articleDtoSchema,
  articleListQuerySchema,
  articlePatchSchema,
  articlePublishSchema,
  articleSummarySchema,
  feedbackSchema,
  fileParams,
  helpArticleListQuerySchema,
  helpArticleSchema,
  helpArticleSummarySchema,
  helpTenantSchema,
  sectionCreateSchema,
  sectionDtoSchema,
  sectionPatchSchema,
  versionDtoSchema,
  versionParams,
  versionSummarySchema,
} from './kb.schema.ts';
import { MAX_ARTICLE_FILES, type OpenedFile } from './kb.service.ts';

const fileResponse = z.unknown().describe('The file itself, with its sniffed Content-Type.');
/** Public routes answer to anyone: no session needed, rate-limited per address. */
const PUBLIC = { auth: { mode: 'none' as const } };

function sendFile(reply: FastifyReply, file: OpenedFile, cache: 'private' | 'public') {
  return reply
    .header('content-type', file.contentType)
    .header('content-length', String(file.size))
    .header('content-disposition', contentDisposition(file.inline ? 'inline' : 'attachment', file.filename))
    .header('cache-control', `${cache}, max-age=300`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(file.stream);
}

/**
 * The knowledge base: staff authoring under /kb (sections, articles, versions, publishing,
 * files) and the public help center under /help, which reads the tenant named by the
 * `tenant` slug and serves published public articles only.
 */
export function kbRoutes(app: HttpServer, domain: Domain): void {
  const tags = ['knowledge base'];
  app.get(
    '/kb/sections',
    {
      schema: {
        tags,
        summary: 'Categories and sections with their article counts',
        response: { 200: z.object({ items: z.array(sectionDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: await domain.kb.listSections(ctxOf(request)),
    }),
  );
  app.post(
    '/kb/sections',
    {
      schema: {
        tags,
        summary: 'Create a category (no parent) or a section',
        body: sectionCreateSchema,
        response: { 201: sectionDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.kb.createSection(ctxOf(request), request.body)),
  );
  app.patch(
    '/kb/sections/:id',
    {
      schema: {
        tags,
        summary: 'Rename, reorder or move a section',
        params: idParams,
        body: sectionPatchSchema,
        response: { 200: sectionDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.updateSection(ctxOf(request), oid(request.params.id), request.body),
  );
  app.delete(
    '/kb/sections/:id',
    { schema: { tags, summary: 'Delete an empty section', params: idParams, response: { 200: okSchema, ...errorResponses } } },
    async (request) => {
      await domain.kb.removeSection(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );

  app.get(
    '/kb/articles',
    {
      schema: {
        tags,
        summary: 'Articles, newest first (drafts and internal ones included)',
        querystring: articleListQuerySchema,
        response: { 200: page(articleSummarySchema), ...errorResponses },
      },
    },
    async (request) => domain.kb.list(ctxOf(request), request.query),
  );
  app.post(
    '/kb/articles',
    {
      schema: {
        tags,
        summary: 'Write a new article (a draft, version 1)',
        body: articleCreateSchema,
        response: { 201: articleDtoSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await domain.kb.create(ctxOf(request), request.body)),
  );
  app.get(
    '/kb/articles/:id',
    {
      schema: {
        tags,
        summary: 'One article: latest draft and published version',
        params: idParams,
        response: { 200: articleDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.get(ctxOf(request), oid(request.params.id)),
  );
  app.patch(
    '/kb/articles/:id',
    {
      schema: {
        tags,
        summary: 'Edit an article (content changes make a new draft version)',
        params: idParams,
        body: articlePatchSchema,
        response: { 200: articleDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.update(ctxOf(request), oid(request.params.id), request.body),
  );
  app.post(
    '/kb/articles/:id/publish',
    {
      schema: {
        tags,
        summary: 'Publish a version (default the latest)',
        params: idParams,
        body: articlePublishSchema,
        response: { 200: articleDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.publish(ctxOf(request), oid(request.params.id), request.body.version),
  );
  app.post(
    '/kb/articles/:id/unpublish',
    {
      schema: {
        tags,
        summary: 'Take an article off the help center',
        params: idParams,
        response: { 200: articleDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.unpublish(ctxOf(request), oid(request.params.id)),
  );
  app.delete(
    '/kb/articles/:id',
    {
      schema: {
        tags,
        summary: 'Delete an article with its history and files',
        params: idParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await domain.kb.remove(ctxOf(request), oid(request.params.id));
      return { ok: true as const };
    },
  );
  app.get(
    '/kb/articles/:id/versions',
    {
      schema: {
        tags,
        summary: 'Version history, newest first',
        params: idParams,
        response: { 200: z.object({ items: z.array(versionSummarySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: await domain.kb.versions(ctxOf(request), oid(request.params.id)),
    }),
  );
  app.get(
    '/kb/articles/:id/versions/:version',
    {
      schema: {
        tags,
        summary: 'One version with its content',
        params: versionParams,
        response: { 200: versionDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.version(ctxOf(request), oid(request.params.id), request.params.version),
  );

  const limits = domain.attachments.limits;
  // Multipart is parsed only in this scope: every other route keeps answering 415 to form posts.
  void app.register(async (scope) => {
    const uploads = scope.withTypeProvider<ZodTypeProvider>();
    await uploads.register(multipart, {
      limits: {
        fileSize: limits.maxBytes + 1,
        files: MAX_ARTICLE_FILES + 1,
        fields: 1,
        fieldSize: 1000,
        parts: MAX_ARTICLE_FILES + 2,
        headerPairs: 100,
      },
      throwFileSizeLimit: true,
    });
    uploads.post(
      '/kb/articles/:id/files',
      {
        schema: {
          tags,
          summary: 'Attach files to an article (multipart: one or more `file` parts)',
          params: idParams,
          response: { 201: articleDtoSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await domain.kb.addFiles(ctxOf(request), oid(request.params.id), multipartParts(request))),
    );
  });
  app.get(
    '/kb/articles/:id/files/:fileId',
    { schema: { tags, summary: 'Download a file of an article', params: fileParams, response: { 200: fileResponse, ...errorResponses } } },
    async (request, reply) =>
      sendFile(reply, await domain.kb.file(ctxOf(request), oid(request.params.id), oid(request.params.fileId)), 'private'),
  );
  app.delete(
    '/kb/articles/:id/files/:fileId',
    {
      schema: {
        tags,
        summary: 'Remove a file from an article',
        params: fileParams,
        response: { 200: articleDtoSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.removeFile(ctxOf(request), oid(request.params.id), oid(request.params.fileId)),
  );

  const help = ['help center'];
  app.get(
    '/help/sections',
    {
      config: PUBLIC,
      schema: {
        tags: help,
        summary: 'Categories and sections holding published public articles',
        querystring: helpTenantSchema,
        response: { 200: z.object({ items: z.array(sectionDtoSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: await domain.kb.helpSections(request.query.tenant),
    }),
  );
  app.get(
    '/help/articles',
    {
      config: PUBLIC,
      schema: {
        tags: help,
        summary: 'Published public articles, newest first',
        querystring: helpArticleListQuerySchema,
        response: { 200: page(helpArticleSummarySchema), ...errorResponses },
      },
    },
    async (request) => domain.kb.helpArticles(request.query),
  );
  app.get(
    '/help/articles/:id',
    {
      config: PUBLIC,
      schema: {
        tags: help,
        summary: 'A published public article',
        params: idParams,
        querystring: helpTenantSchema,
        response: { 200: helpArticleSchema, ...errorResponses },
      },
    },
    async (request) => domain.kb.helpArticle(request.query.tenant, oid(request.params.id)),
  );
  app.get(
    '/help/articles/:id/files/:fileId',
    {
      config: PUBLIC,
      schema: {
        tags: help,
        summary: 'A file of a published public article',
        params: fileParams,
        querystring: helpTenantSchema,
        response: { 200: fileResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendFile(reply, await domain.kb.helpFile(request.query.tenant, oid(request.params.id), oid(request.params.fileId)), 'public'),
  );
  app.post(
    '/help/articles/:id/feedback',
    {
      config: PUBLIC,
      schema: {
        tags: help,
        summary: 'Was this article helpful? (one vote per reader; answering again changes it)',
        params: idParams,
        querystring: helpTenantSchema,
        body: feedbackSchema,
        response: { 200: z.object({ helpful: z.object({ yes: z.number(), no: z.number() }) }), ...errorResponses },
      },
    },
    async (request) => {
      // A session still waiting for its TOTP code is not a signed-in reader yet.
      const principal = request.principal?.mfaPending ? null : request.principal;
      const reader = principal
        ? {
            userId: principal.ctx.actor.kind === 'user' ? principal.ctx.actor.userId : undefined,
            tenantId: principal.ctx.tenantId,
            ip: request.ip,
          }
        : { ip: request.ip };
      return { helpful: await domain.kb.vote(request.query.tenant, oid(request.params.id), reader, request.body.helpful) };
    },
  );
}
