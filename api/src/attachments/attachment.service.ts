import { Readable, Transform } from 'node:stream';
import { Types } from 'mongoose';
import { z } from 'zod';
import { actorUserId, isStaff, type Ctx } from '../context.ts';
import { assertCanAddEntry, visibleEntryKinds } from '../conversation/conversation.policy.ts';
import type { EntryDto } from '../conversation/conversation.schema.ts';
import type { ConversationService } from '../conversation/conversation.service.ts';
import type { AttachmentMeta, Entry } from '../conversation/entry.model.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../lib/errors.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { Attachment } from './attachment.model.ts';
import type { BlobStore } from './blob-store.ts';
import { peek, SNIFF_BYTES, safeFilename, sniffContentType, withExtension } from './files.ts';
import { ImageTooLargeError, isReencodedImage, processImage, UnreadableImageError } from './image.ts';

/** Limits of what is stored. */
export interface AttachmentLimits {
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Largest image, in pixels (width × height × frames), checked before decoding. */
  maxPixels: number;
  /** Files per upload. */
  maxFiles: number;
}

/** Defaults of {@link AttachmentLimits}. */
export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = { maxBytes: 25 * 1024 * 1024, maxPixels: 40_000_000, maxFiles: 10 };

/** One part of a multipart upload, independent of the HTTP library. */
export type UploadPart = { kind: 'file'; filename: string; stream: Readable } | { kind: 'field'; name: string; value: string };

/** What a file to store is and where it came from. */
export interface IncomingFile {
  filename: string | null | undefined;
  stream: Readable;
  source: Attachment['source'];
  /**
   * What to do with an image that does not decode or is too big: refuse the upload (API),
   * or keep the bytes as an opaque download (mail, where refusing would lose them).
   */
  onBadImage: 'refuse' | 'keep';
}

/** The non-file fields of an upload. */
const uploadFieldsSchema = z
  .object({
    kind: z.enum(['message', 'reply', 'note']).optional(),
    body: z.string().max(100_000).optional(),
    format: z.enum(['html', 'text']).default('text'),
    clientKey: z.string().min(8).max(100).optional(),
  })
  .strict();

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `A file may be at most ${maxBytes} bytes.`, { maxBytes });
}

/** Passes bytes through and fails once more than `max` went by. */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(tooLarge(max));
      else callback(null, chunk);
    },
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Attachments: files stream into the blob store with their type sniffed from the bytes
 * and their size capped; images are decoded, re-encoded without metadata and thumbnailed
 * (pixel limit checked first). Files are served only to people who may see the entry
 * they belong to: never a customer for an internal note.
 */
export class AttachmentService {
  constructor(
    private readonly models: Models,
    private readonly store: BlobStore,
    private readonly tickets: TicketService,
    private readonly conversation: ConversationService,
    readonly limits: AttachmentLimits = DEFAULT_ATTACHMENT_LIMITS,
  ) {}

  /** The entry form of an attachment. */
  static toMeta(attachment: Attachment): AttachmentMeta {
    return { id: attachment._id.toHexString(), filename: attachment.filename, contentType: attachment.contentType, size: attachment.size };
  }

  /**
   * Adds a conversation entry carrying the uploaded files (multipart: files plus the
   * fields `kind`, `body`, `format`, `clientKey`). Files are stored as they arrive; if the
   * entry is then refused, they are removed again. Idempotent by `clientKey`.
   */
  async uploadEntry(
    ctx: Ctx,
    ticketId: Types.ObjectId,
    parts: AsyncIterable<UploadPart>,
  ): Promise<{ entry: EntryDto; duplicate: boolean }> {
    const ticket = await this.tickets.requireVisible(ctx, ticketId);
    const defaultKind = isStaff(ctx.actor) ? 'reply' : 'message';
    assertCanAddEntry(ctx.actor, defaultKind);
    if (ticket.status === 'closed')
      throw new AppError('invalid_transition', `Ticket #${ticket.number} is closed; open a new ticket to follow up.`);
    const stored: Attachment[] = [];
    try {
      const fields: Record<string, string> = {};
      for await (const part of parts) {
        if (part.kind === 'field') {
          fields[part.name] = part.value;
          continue;
        }
        if (stored.length >= this.limits.maxFiles) {
          part.stream.resume();
          throw new AppError('payload_too_large', `At most ${this.limits.maxFiles} files per upload.`, { maxFiles: this.limits.maxFiles });
        }
        stored.push(
          await this.ingest(ctx, ticketId, { filename: part.filename, stream: part.stream, source: 'upload', onBadImage: 'refuse' }),
        );
      }
      const parsed = uploadFieldsSchema.safeParse(fields);
      if (!parsed.success) {
        throw new AppError(
          'validation_failed',
          'The upload fields are not valid.',
          parsed.error.issues.map((issue) => ({ path: `/${issue.path.join('/')}`, message: issue.message, where: 'body' })),
        );
      }
      if (stored.length === 0)
        throw new AppError('validation_failed', 'Attach at least one file.', [{ path: '/file', message: 'required', where: 'body' }]);
      const input = parsed.data;
      const body = input.body?.trim() ? input.body : `Attached: ${stored.map((a) => a.filename).join(', ')}`;
      // Linked first: the moment the entry is announced, its files can be fetched.
      const entryId = new Types.ObjectId();
      await this.link(ctx, stored, ticketId, entryId);
      const result = await this.conversation.add(
        ctx,
        ticketId,
        {
          kind: input.kind ?? defaultKind,
          body,
          format: input.body?.trim() ? input.format : 'text',
          ...(input.clientKey ? { clientKey: input.clientKey } : {}),
        },
        { attachments: stored.map(AttachmentService.toMeta), channel: 'api', entryId },
      );
      if (result.duplicate) await this.discard(ctx, stored);
      return { entry: result.entry, duplicate: result.duplicate };
    } catch (error) {
      await this.discard(ctx, stored);
      throw error;
    }
  }

  /** Stores one file (not yet linked to an entry, so not yet served). */
  async ingest(ctx: Ctx, ticketId: Types.ObjectId | null, file: IncomingFile): Promise<Attachment> {
    const filename = safeFilename(file.filename);
    const limited = byteLimit(this.limits.maxBytes);
    // Over the limit: stop storing, but drain the rest so the request (or mail) can finish.
    limited.on('error', () => {
      file.stream.unpipe(limited);
      file.stream.resume();
    });
    file.stream.on('error', (error) => limited.destroy(error));
    file.stream.pipe(limited);
    const { head, stream } = await peek(limited, SNIFF_BYTES);
    const contentType = await sniffContentType(head, filename);
    const tenantId = ctx.tenantId.toHexString();
    const keys: string[] = [];
    try {
      const base = { tenantId: ctx.tenantId, ticketId, entryId: null, source: file.source, uploadedBy: actorUserId(ctx.actor) ?? null };
      if (isReencodedImage(contentType)) {
        const original = await collect(stream);
        try {
          const image = await processImage(original, contentType, this.limits.maxPixels);
          const name = withExtension(filename, image.extension);
          const main = await this.store.put(Readable.from([image.data]), { tenantId, contentType: image.contentType, filename: name });
          keys.push(main.key);
          const thumb = await this.store.put(Readable.from([image.thumbnail.data]), {
            tenantId,
            contentType: image.thumbnail.contentType,
            filename: `thumb-${name}`,
          });
          keys.push(thumb.key);
          const [doc] = await this.models.Attachment.create([
            {
              ...base,
              filename: name,
              contentType: image.contentType,
              size: main.size,
              blobKey: main.key,
              image: { width: image.width, height: image.height },
              thumbnail: {
                blobKey: thumb.key,
                contentType: image.thumbnail.contentType,
                size: thumb.size,
                width: image.thumbnail.width,
                height: image.thumbnail.height,
              },
            },
          ]);
          return doc!.toObject<Attachment>();
        } catch (error) {
          if (!(error instanceof ImageTooLargeError || error instanceof UnreadableImageError)) throw error;
          if (file.onBadImage === 'refuse') {
            if (error instanceof ImageTooLargeError)
              throw new AppError(
                'payload_too_large',
                `An image may have at most ${error.maxPixels} pixels; this one has ${error.pixels}.`,
                { maxPixels: error.maxPixels },
              );
            throw new AppError('validation_failed', 'The image could not be read.', [
              { path: '/file', message: error.message, where: 'body' },
            ]);
          }
          // Kept, never decoded again: an opaque download.
          const blob = await this.store.put(Readable.from([original]), { tenantId, contentType: 'application/octet-stream', filename });
          keys.push(blob.key);
          const [doc] = await this.models.Attachment.create([
            {
              ...base,
              filename,
              contentType: 'application/octet-stream',
              size: blob.size,
              blobKey: blob.key,
              image: null,
              thumbnail: null,
            },
          ]);
          return doc!.toObject<Attachment>();
        }
      }
      const blob = await this.store.put(stream, { tenantId, contentType, filename });
      keys.push(blob.key);
      const [doc] = await this.models.Attachment.create([
        { ...base, filename, contentType, size: blob.size, blobKey: blob.key, image: null, thumbnail: null },
      ]);
      return doc!.toObject<Attachment>();
    } catch (error) {
      for (const key of keys) await this.store.delete(key);
      throw error;
    }
  }

  /** Ties stored files to the entry that carries them (from then on they are served). */
  async link(ctx: Ctx, attachments: Attachment[], ticketId: Types.ObjectId | string, entryId: Types.ObjectId | string): Promise<void> {
    if (attachments.length === 0) return;
    await this.models.Attachment.updateMany(
      { tenantId: ctx.tenantId, _id: { $in: attachments.map((a) => a._id) } },
      { $set: { ticketId: new Types.ObjectId(ticketId), entryId: new Types.ObjectId(entryId) } },
    );
  }

  /** Removes stored files and their blobs (an upload that was refused). */
  async discard(ctx: Ctx, attachments: Attachment[]): Promise<void> {
    for (const attachment of attachments) {
      await this.store.delete(attachment.blobKey);
      if (attachment.thumbnail) await this.store.delete(attachment.thumbnail.blobKey);
    }
    if (attachments.length > 0)
      await this.models.Attachment.deleteMany({ tenantId: ctx.tenantId, _id: { $in: attachments.map((a) => a._id) } });
  }

  /**
   * Opens a file (or its thumbnail) for someone who may see it: the ticket must be visible
   * to them and the entry one of the kinds they see. Anything else is not found.
   */
  async open(
    ctx: Ctx,
    id: Types.ObjectId,
    variant: 'original' | 'thumbnail',
  ): Promise<{ stream: Readable; contentType: string; size: number; filename: string; inline: boolean }> {
    const attachment = await this.models.Attachment.findOne({ tenantId: ctx.tenantId, _id: id }).lean<Attachment>();
    if (!attachment || !attachment.entryId || !attachment.ticketId) throw new AppError('not_found', 'No such attachment.');
    await this.tickets.requireVisible(ctx, attachment.ticketId).catch(() => {
      throw new AppError('not_found', 'No such attachment.');
    });
    const entry = await this.models.Entry.findOne({ tenantId: ctx.tenantId, _id: attachment.entryId }, { kind: 1 }).lean<
      Pick<Entry, 'kind'>
    >();
    if (!entry || !visibleEntryKinds(ctx.actor).includes(entry.kind)) throw new AppError('not_found', 'No such attachment.');
    const ref =
      variant === 'thumbnail'
        ? attachment.thumbnail
        : { blobKey: attachment.blobKey, contentType: attachment.contentType, size: attachment.size };
    if (!ref) throw new AppError('not_found', 'This attachment has no thumbnail.');
    const stream = await this.store.open(ref.blobKey);
    if (!stream) throw new AppError('unavailable', 'The file is missing from storage.');
    return {
      stream,
      contentType: ref.contentType,
      size: ref.size,
      filename: variant === 'thumbnail' ? withExtension(attachment.filename, 'webp') : attachment.filename,
      inline: attachment.image !== null,
    };
  }
}
