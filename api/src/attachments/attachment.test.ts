import { Readable } from 'node:stream';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '../context.ts';
import { oid } from '../lib/ids.ts';
import { ApiHarness, expectError, type Person, type TenantFixture } from '../testing/api-harness.ts';
import { multipartBody, type FilePart } from '../testing/multipart.ts';
import { AttachmentService } from './attachment.service.ts';
import { GridFsBlobStore } from './blob-store.ts';

/** A PNG chunk with its CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid-looking PNG of `width`×`height` RGB pixels whose data is a few bytes: a decompression bomb. */
function pngBomb(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-file ZIP archive (stored deflated): `content` may be huge, the archive stays small. */
function zipOf(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content);
  const fileName = Buffer.from(name);
  const u16 = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const common = [
    u16(20),
    u16(0),
    u16(8),
    u16(0),
    u16(0),
    u32(crc32(content)),
    u32(data.length),
    u32(content.length),
    u16(fileName.length),
    u16(0),
  ];
  const local = Buffer.concat([u32(0x04034b50), ...common, fileName, data]);
  const central = Buffer.concat([u32(0x02014b50), u16(20), ...common, u16(0), u16(0), u16(0), u32(0), u32(0), fileName]);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(1), u16(1), u32(central.length), u32(local.length), u16(0)]);
  return Buffer.concat([local, central, end]);
}

describe('attachments', () => {
  let h: ApiHarness;
  let tenant: TenantFixture;
  let agent: Person;
  let customer: Person;
  let stranger: Person;
  let other: TenantFixture;
  let ticketId: string;

  const upload = (who: Person | TenantFixture['admin'], ticket: string, files: FilePart[], fields: Record<string, string> = {}) => {
    const { payload, headers } = multipartBody(files, fields);
    return h.request(who.auth, { method: 'POST', url: `/tickets/${ticket}/attachments`, payload, headers });
  };
  const blobCount = () => h.connection.db!.collection('blobs.files').countDocuments();

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'attachments' });
    tenant = await h.signUpTenant();
    other = await h.signUpTenant();
    const organisation = await h.ok<{ id: string }>(tenant.admin, 'POST', '/organisations', { name: 'Acme' });
    [agent, customer, stranger] = await Promise.all([
      h.createPerson(tenant, 'agent'),
      h.createPerson(tenant, 'customer', { organisationId: organisation.id }),
      h.createPerson(tenant, 'customer'),
    ]);
    ticketId = (await h.ok<{ ticket: { id: string } }>(customer, 'POST', '/tickets', { subject: 'Photos', body: 'See attached' })).ticket
      .id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('re-encodes a photo without its EXIF data, applies its orientation, thumbnails it and serves it inline', async () => {
    const photo = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#c00' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Make: 'SpyCam', Model: 'X1' } })
      .toBuffer();
    // Bytes appended after the image (a polyglot trick) must not survive either.
    const tampered = Buffer.concat([photo, Buffer.from('<script>alert(1)</script>')]);
    expect((await sharp(photo).metadata()).exif).toBeDefined();

    const response = await upload(
      customer,
      ticketId,
      [{ filename: '../../etc/holiday.jpeg', content: tampered, contentType: 'text/html' }],
      { body: 'Here' },
    );
    expect(response.statusCode, response.body).toBe(201);
    const entry = response.json() as {
      id: string;
      kind: string;
      attachments: Array<{ id: string; filename: string; contentType: string; size: number }>;
    };
    expect(entry.kind).toBe('message');
    expect(entry.attachments).toHaveLength(1);
    const [meta] = entry.attachments;
    expect(meta).toMatchObject({ filename: 'holiday.jpg', contentType: 'image/jpeg' });

    const file = await h.request(agent.auth, { method: 'GET', url: `/attachments/${meta!.id}` });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/jpeg');
    expect(file.headers['content-disposition']).toMatch(/^inline; filename="holiday.jpg"/);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(file.headers['content-length'])).toBe(meta!.size);
    const served = file.rawPayload;
    expect(served.length).toBe(meta!.size);
    expect(served.includes(Buffer.from('SpyCam'))).toBe(false);
    expect(served.includes(Buffer.from('<script>'))).toBe(false);
    const metadata = await sharp(served).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    expect([metadata.width, metadata.height]).toEqual([32, 64]);

    const thumb = await h.request(customer.auth, { method: 'GET', url: `/attachments/${meta!.id}/thumbnail` });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const thumbMeta = await sharp(thumb.rawPayload).metadata();
    expect(thumbMeta.format).toBe('webp');
    expect(Math.max(thumbMeta.width!, thumbMeta.height!)).toBeLessThanOrEqual(320);
  });

  it('refuses an image bomb before decoding it, and stores nothing', async () => {
    const bomb = pngBomb(50_000, 50_000);
    expect(bomb.length).toBeLessThan(2000);
    const before = await blobCount();
    const error = expectError(
      await upload(customer, ticketId, [{ filename: 'bomb.png', content: bomb, contentType: 'image/png' }]),
      413,
      'payload_too_large',
    );
    expect(error.message).toMatch(/pixels/);
    expect(await blobCount()).toBe(before);
    expect(await h.domain.models.Attachment.countDocuments({ tenantId: tenant.id, filename: 'bomb.png' })).toBe(0);
  });

  it('refuses an image that does not decode', async () => {
    const broken = Buffer.concat([pngBomb(10, 10).subarray(0, 33), Buffer.from('garbage that is not a PNG stream')]);
    const before = await blobCount();
    expectError(await upload(customer, ticketId, [{ filename: 'broken.png', content: broken }]), 400, 'validation_failed');
    expect(await blobCount()).toBe(before);
  });

  it('sniffs the type from the bytes: HTML posing as a PDF is an opaque download, a real PDF stays a PDF', async () => {
    const response = await upload(agent, ticketId, [
      {
        filename: 'invoice.pdf',
        content: Buffer.from('<html><script>alert(document.cookie)</script></html>'),
        contentType: 'application/pdf',
      },
      { filename: 'manual.pdf', content: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'), contentType: 'text/html' },
      { filename: 'notes.txt', content: Buffer.from('Grüße aus Köln\n'), contentType: 'application/x-msdownload' },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const entry = response.json() as {
      kind: string;
      bodyText: string;
      attachments: Array<{ id: string; filename: string; contentType: string }>;
    };
    expect(entry.kind).toBe('reply');
    expect(entry.bodyText).toBe('Attached: invoice.pdf, manual.pdf, notes.txt');
    expect(entry.attachments.map((a) => a.contentType)).toEqual([
      'application/octet-stream',
      'application/pdf',
      'text/plain; charset=utf-8',
    ]);
    const html = await h.request(customer.auth, { method: 'GET', url: `/attachments/${entry.attachments[0]!.id}` });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toBe('application/octet-stream');
    expect(html.headers['content-disposition']).toMatch(/^attachment; filename="invoice.pdf"/);
    expect(html.headers['content-security-policy']).toContain('sandbox');
    expect(html.body).toContain('<script>');
    expect(await h.request(customer.auth, { method: 'GET', url: `/attachments/${entry.attachments[0]!.id}/thumbnail` })).toMatchObject({
      statusCode: 404,
    });
  });

  it('stores an archive as it is: a zip bomb is never unpacked', async () => {
    const bomb = zipOf('zeros.bin', Buffer.alloc(200 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const response = await upload(agent, ticketId, [{ filename: 'logs.zip', content: bomb }]);
    expect(response.statusCode, response.body).toBe(201);
    const [meta] = (response.json() as { attachments: Array<{ id: string; contentType: string; size: number }> }).attachments;
    expect(meta).toMatchObject({ contentType: 'application/zip', size: bomb.length });
    const file = await h.request(customer.auth, { method: 'GET', url: `/attachments/${meta!.id}` });
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="logs.zip"/);
    expect(file.rawPayload.equals(bomb)).toBe(true);
  });

  it('serves files only to those who may see their entry', async () => {
    const noteUpload = await upload(agent, ticketId, [{ filename: 'internal.txt', content: Buffer.from('internal only\n') }], {
      kind: 'note',
      body: 'For the team',
    });
    expect(noteUpload.statusCode, noteUpload.body).toBe(201);
    const noteFile = (noteUpload.json() as { attachments: Array<{ id: string }> }).attachments[0]!.id;
    const message = await upload(customer, ticketId, [{ filename: 'mine.txt', content: Buffer.from('mine\n') }]);
    const customerFile = (message.json() as { attachments: Array<{ id: string }> }).attachments[0]!.id;

    expect((await h.request(agent.auth, { method: 'GET', url: `/attachments/${noteFile}` })).statusCode).toBe(200);
    expectError(await h.request(customer.auth, { method: 'GET', url: `/attachments/${noteFile}` }), 404, 'not_found');
    expectError(await h.request(stranger.auth, { method: 'GET', url: `/attachments/${customerFile}` }), 404, 'not_found');
    expectError(await h.request(other.admin.auth, { method: 'GET', url: `/attachments/${customerFile}` }), 404, 'not_found');
    expectError(await h.request(null, { method: 'GET', url: `/attachments/${customerFile}` }), 401, 'unauthenticated');
    expect((await h.request(customer.auth, { method: 'GET', url: `/attachments/${customerFile}` })).body).toBe('mine\n');

    // A customer may not upload internal notes, nor onto tickets they cannot see.
    expectError(await upload(customer, ticketId, [{ filename: 'x.txt', content: Buffer.from('x') }], { kind: 'note' }), 403, 'forbidden');
    expectError(await upload(stranger, ticketId, [{ filename: 'x.txt', content: Buffer.from('x') }]), 404, 'not_found');
    expectError(await upload(other.admin, ticketId, [{ filename: 'x.txt', content: Buffer.from('x') }]), 404, 'not_found');
  });

  it('refuses uploads that are not multipart, without files, with unknown fields, or onto a closed ticket', async () => {
    const before = await blobCount();
    expectError(
      await h.request(customer.auth, { method: 'POST', url: `/tickets/${ticketId}/attachments`, body: { body: 'json' } }),
      415,
      'unsupported_media_type',
    );
    expectError(await upload(customer, ticketId, [], { body: 'no files' }), 400, 'validation_failed');
    expectError(
      await upload(customer, ticketId, [{ filename: 'a.txt', content: Buffer.from('a') }], { isAdmin: 'true' }),
      400,
      'validation_failed',
    );
    const closed = (
      await h.ok<{ ticket: { id: string } }>(agent, 'POST', '/tickets', { subject: 'Done', body: 'x', requesterId: customer.id })
    ).ticket.id;
    await h.ok(agent, 'POST', `/tickets/${closed}/status`, { status: 'solved' });
    await h.ok(agent, 'POST', `/tickets/${closed}/status`, { status: 'closed' });
    expectError(await upload(customer, closed, [{ filename: 'late.txt', content: Buffer.from('late') }]), 409, 'invalid_transition');
    expect(await blobCount()).toBe(before);
  });

  it('caps the size while streaming and leaves nothing behind', async () => {
    const ctx = systemCtx(oid(tenant.id));
    const store = new GridFsBlobStore(h.connection);
    const small = new AttachmentService(h.domain.models, store, h.domain.tickets, h.domain.conversation, {
      maxBytes: 64 * 1024,
      maxPixels: 1_000_000,
      maxFiles: 2,
    });
    const before = await blobCount();
    // A stream that would go on for 10 MB: the cap stops it at 64 KB.
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 16 * 1024;
        this.push(produced > 10 * 1024 * 1024 ? null : Buffer.alloc(16 * 1024, 'z'));
      },
    });
    await expect(
      small.ingest(ctx, oid(ticketId), { filename: 'huge.log', stream: endless, source: 'upload', onBadImage: 'refuse' }),
    ).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    expect(await blobCount()).toBe(before);
    const fits = await small.ingest(ctx, oid(ticketId), {
      filename: 'fits.log',
      stream: Readable.from([Buffer.alloc(64 * 1024, 'a')]),
      source: 'upload',
      onBadImage: 'refuse',
    });
    expect(fits.size).toBe(64 * 1024);
    await small.discard(ctx, [fits]);
    expect(await blobCount()).toBe(before);
  });

  it('keeps a bad image from a mail as an opaque download instead of losing it', async () => {
    const ctx = systemCtx(oid(tenant.id));
    const kept = await h.domain.attachments.ingest(ctx, null, {
      filename: 'scan.png',
      stream: Readable.from([pngBomb(60_000, 60_000)]),
      source: 'email',
      onBadImage: 'keep',
    });
    expect(kept).toMatchObject({ contentType: 'application/octet-stream', image: null, thumbnail: null, entryId: null });
    await h.domain.attachments.discard(ctx, [kept]);
  });
});
