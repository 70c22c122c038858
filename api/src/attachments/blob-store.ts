import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mongoose, { type Connection } from 'mongoose';

/** What a stored blob is, as far as the store cares (the Attachment document holds the rest). */
export interface BlobInfo {
  tenantId: string;
  contentType: string;
  filename: string;
}

/**
 * Where attachment bytes (and raw inbound mails) live. MongoDB GridFS by default; an
 * S3-compatible store implements the same three calls (a key per object, streamed in
 * and out), so nothing else changes when a deployment moves files to object storage.
 * Callers reach blobs only through tenant-checked documents that hold their keys.
 */
export interface BlobStore {
  /** Streams `source` into a new blob. When the source fails, nothing is left behind. */
  put(source: Readable, info: BlobInfo): Promise<{ key: string; size: number }>;
  /** Opens a blob for reading; null when there is no such blob. */
  open(key: string): Promise<Readable | null>;
  /** Removes a blob; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{24}$/;

/** The default store: GridFS buckets on the application's own MongoDB connection. */
export class GridFsBlobStore implements BlobStore {
  private readonly bucket: mongoose.mongo.GridFSBucket;

  constructor(connection: Connection, bucketName = 'blobs') {
    if (!connection.db) throw new Error('GridFsBlobStore needs an open connection');
    this.bucket = new mongoose.mongo.GridFSBucket(connection.db, { bucketName });
  }

  async put(source: Readable, info: BlobInfo): Promise<{ key: string; size: number }> {
    const upload = this.bucket.openUploadStream(info.filename, { metadata: { tenantId: info.tenantId, contentType: info.contentType } });
    try {
      await pipeline(source, upload);
    } catch (error) {
      // GridFS writes chunks as they come; abort removes the ones already written.
      await upload.abort().catch(() => undefined);
      throw error;
    }
    return { key: upload.id.toHexString(), size: upload.length };
  }

  async open(key: string): Promise<Readable | null> {
    if (!KEY.test(key)) return null;
    const id = new mongoose.mongo.ObjectId(key);
    const [file] = await this.bucket.find({ _id: id }).limit(1).toArray();
    return file ? this.bucket.openDownloadStream(id) : null;
  }

  async delete(key: string): Promise<void> {
    if (!KEY.test(key)) return;
    try {
      await this.bucket.delete(new mongoose.mongo.ObjectId(key));
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
    }
  }
}
