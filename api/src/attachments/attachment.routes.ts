import multipart from '@fastify/multipart';
import { multipartParts } from './multipart-parts.ts';
import type { FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Ctx } from '../context.ts';
import { entryDtoSchema } from '../conversation/conversation.schema.ts';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, idParams } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { oid } from '../lib/ids.ts';
import { contentDisposition } from './files.ts';

const fileResponse = z.unknown().describe('The file itself, with its sniffed Content-Type.');

async function send(domain: Domain, ctx: Ctx, id: string, reply: FastifyReply, variant: 'original' | 'thumbnail') {
  const file = await domain.attachments.open(ctx, oid(id), variant);
  return reply
    .header('content-type', file.contentType)
    .header('content-length', String(file.size))
    .header('content-disposition', contentDisposition(file.inline ? 'inline' : 'attachment', file.filename))
    .header('cache-control', 'private, max-age=3600')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(file.stream);
}

/** Uploads onto a ticket's conversation and downloads of attachments. */
export function attachmentRoutes(app: HttpServer, domain: Domain): void {
  const limits = domain.attachments.limits;
  // Multipart is parsed only here: every other route keeps answering 415 to form posts.
  void app.register(async (scope) => {
    const uploads = scope.withTypeProvider<ZodTypeProvider>();
    await uploads.register(multipart, {
      limits: {
        fileSize: limits.maxBytes + 1,
        files: limits.maxFiles + 1,
        fields: 10,
        fieldSize: 200_000,
        parts: limits.maxFiles + 11,
        headerPairs: 100,
      },
      throwFileSizeLimit: true,
    });
    uploads.post(
      '/tickets/:id/attachments',
      {
        schema: {
          tags: ['attachments'],
          summary: 'Add an entry with files (multipart: one or more `file` parts; optional fields `kind`, `body`, `format`, `clientKey`)',
          params: idParams,
          response: { 201: entryDtoSchema, 200: entryDtoSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { entry, duplicate } = await domain.attachments.uploadEntry(ctxOf(request), oid(request.params.id), multipartParts(request));
        return reply.status(duplicate ? 200 : 201).send(entry);
      },
    );
  });
  app.get(
    '/attachments/:id',
    {
      schema: {
        tags: ['attachments'],
        summary: 'Download an attachment (images inline, everything else as a download)',
        params: idParams,
        response: { 200: fileResponse, ...errorResponses },
      },
    },
    async (request, reply) => send(domain, ctxOf(request), request.params.id, reply, 'original'),
  );
  app.get(
    '/attachments/:id/thumbnail',
    {
      schema: {
        tags: ['attachments'],
        summary: 'Thumbnail of an image attachment (WebP, at most 320 px on its longest side)',
        params: idParams,
        response: { 200: fileResponse, ...errorResponses },
      },
    },
    async (request, reply) => send(domain, ctxOf(request), request.params.id, reply, 'thumbnail'),
  );
}
