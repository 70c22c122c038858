import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';
import type { UploadPart } from './attachment.service.ts';

/** A `boundary` parameter in a Content-Type header, quoted or not. */
const BOUNDARY = /;\s*boundary=(?:"[^"]+"|[^\s;]+)/i;

/**
 * A multipart request's parts as the upload services read them, lazily (the service checks
 * the ticket or article before the first part is read). Refuses a body that is not
 * multipart, and a multipart Content-Type without a boundary, with a clear error: the
 * parser would throw a bare error for the latter, which answered 500.
 */
export async function* multipartParts(request: FastifyRequest, what = 'files'): AsyncGenerator<UploadPart> {
  if (!request.isMultipart()) throw new AppError('unsupported_media_type', `Send the ${what} as multipart/form-data.`);
  if (!BOUNDARY.test(request.headers['content-type'] ?? ''))
    throw new AppError('bad_request', 'The multipart/form-data Content-Type names no boundary.');
  for await (const part of request.parts()) {
    if (part.type === 'file') yield { kind: 'file', filename: part.filename, stream: part.file };
    else yield { kind: 'field', name: part.fieldname, value: typeof part.value === 'string' ? part.value : String(part.value) };
  }
}
