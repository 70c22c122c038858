import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';

/** Bytes file-type needs to recognise every format it knows. */
export const SNIFF_BYTES = 4100;

/**
 * Types a browser would execute or render as a document with scripts. Whatever the bytes
 * say, such files are stored and served as opaque downloads.
 */
const ACTIVE_TYPES = new Set([
  'text/html',
  'application/xhtml+xml',
  'image/svg+xml',
  'application/xml',
  'text/xml',
  'application/javascript',
  'text/javascript',
  'application/x-shockwave-flash',
]);

const TEXT_NAME = /\.(txt|log|csv|md|json|ya?ml|ini|conf)$/i;

function isUtf8Text(head: Buffer): boolean {
  if (head.includes(0)) return false;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The head may end inside a multi-byte character: allow up to three bytes of it to be cut.
  for (let cut = 0; cut <= Math.min(3, head.length); cut++) {
    try {
      decoder.decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      continue;
    }
  }
  return false;
}

/**
 * The content type of a file, from its first bytes (never from what the client or the
 * mail claimed). Unknown binaries are `application/octet-stream`; text files keep
 * `text/plain` when their name says so and their bytes are UTF-8 text.
 */
export async function sniffContentType(head: Buffer, filename: string): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return ACTIVE_TYPES.has(detected.mime) ? 'application/octet-stream' : detected.mime;
  if (head.length > 0 && TEXT_NAME.test(filename) && isUtf8Text(head)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** A file name safe to store and show: no directories, control characters or quotes; at most 200 characters. */
export function safeFilename(name: string | null | undefined, fallback = 'file'): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = [...base.normalize('NFC')]
    .filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f && c !== '"')
    .join('')
    .trim()
    .slice(0, 200);
  return cleaned && cleaned !== '.' && cleaned !== '..' ? cleaned : fallback;
}

/** Replaces a file name's extension (re-encoded images may change format). */
export function withExtension(filename: string, extension: string): string {
  const dot = filename.lastIndexOf('.');
  const stem = dot > 0 ? filename.slice(0, dot) : filename;
  return `${stem}.${extension}`;
}

/** A Content-Disposition header with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Reads the first bytes of a stream (to sniff its type) and gives back a stream that still starts at byte 0. */
export async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }) };
}
