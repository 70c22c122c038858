import { Readable } from 'node:stream';
import type { UploadPart } from '../attachments/attachment.service.ts';
import { peek, SNIFF_BYTES, sniffContentType } from '../attachments/files.ts';
import { AppError } from '../lib/errors.ts';

/** Largest image a visitor may send through the chat widget, in bytes. */
export const WIDGET_MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** Images a visitor may send per upload. */
export const WIDGET_MAX_IMAGES = 5;

/**
 * Lets only images through (judged by their bytes, never by name or claimed type), at most
 * {@link WIDGET_MAX_IMAGE_BYTES} each: the chat widget accepts photos and screenshots, not
 * arbitrary files. Anything else fails the whole upload before it is stored.
 */
export async function* imagesOnly(parts: AsyncIterable<UploadPart>): AsyncGenerator<UploadPart> {
  let images = 0;
  for await (const part of parts) {
    if (part.kind === 'field') {
      yield part;
      continue;
    }
    if (++images > WIDGET_MAX_IMAGES) {
      part.stream.resume();
      throw new AppError('payload_too_large', `At most ${WIDGET_MAX_IMAGES} images at once.`, { maxFiles: WIDGET_MAX_IMAGES });
    }
    const { head, stream } = await peek(part.stream, SNIFF_BYTES);
    const type = await sniffContentType(head, part.filename ?? '');
    if (!type.startsWith('image/')) {
      stream.resume();
      throw new AppError('unsupported_media_type', 'Only images (photos, screenshots) can be sent in the chat.', { contentType: type });
    }
    let seen = 0;
    async function* limited(): AsyncGenerator<Buffer> {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > WIDGET_MAX_IMAGE_BYTES)
          throw new AppError('payload_too_large', `An image may be at most ${WIDGET_MAX_IMAGE_BYTES / 1024 / 1024} MB.`, {
            maxBytes: WIDGET_MAX_IMAGE_BYTES,
          });
        yield chunk;
      }
    }
    yield { kind: 'file', filename: part.filename, stream: Readable.from(limited()) };
  }
}
