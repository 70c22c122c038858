/**
 * On-disk format of the embedded engine: per tenant and kind, one snapshot plus an
 * append-only journal of the batches written since.
 *
 *   <dataDir>/FORMAT                           {"format":"switchboard-search-embedded","version":1}
 *   <dataDir>/LOCK                             pid of the process that owns the directory
 *   <dataDir>/tenants/<tenant>/<kind>.snapshot one JSON document per line, then a JSON trailer line
 *   <dataDir>/tenants/<tenant>/<kind>.journal  lines "<crc32 hex> <JSON entry>"
 *
 * Snapshots hold documents only, not the full-text index: the index is rebuilt on load,
 * so a change of tokenizer or library version never meets a stale index, the files are
 * about half the size, and both writing and loading proceed in slices that let other
 * work run in between. The trailer carries the byte length and SHA-256 of the lines
 * before it and the journal sequence number the snapshot covers. A snapshot is written
 * to a temporary file, fsynced and renamed, so a crash leaves either the old or the new
 * one. Journal entries at or below the snapshot's sequence are skipped on load, so a
 * crash between the rename and the journal truncation is harmless. A torn last journal
 * line (crash during an append) is dropped; any other damage is reported as
 * {@link CorruptIndexError}.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { DocumentKind } from './search-documents.ts';

/** Documents handled between two yields to the event loop while writing or reading a snapshot. */
const SLICE = 500;

/** Lets other queued work (searches of other tenants) run. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Version of the on-disk layout; a directory written by another version is refused. */
export const STORE_FORMAT = { format: 'switchboard-search-embedded', version: 1 } as const;

/** A batch of upserts or deletes. */
export type JournalOp = { op: 'upsert'; documents: unknown[] } | { op: 'delete'; ids: string[] };

/** One journal entry: a batch numbered per collection. */
export type JournalEntry = JournalOp & { seq: number };

/** The files of a collection could not be read back as written. */
export class CorruptIndexError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${path.basename(file)}: ${reason}`);
    this.name = 'CorruptIndexError';
  }
}

/** What a collection's files hold. */
export interface LoadedFiles {
  /** Documents of the snapshot as stored (dates as strings); empty without a snapshot. */
  documents: unknown[];
  /** Journal entries newer than the snapshot, in order. */
  entries: JournalEntry[];
  /** Highest sequence number seen (snapshot or journal). */
  lastSeq: number;
  /** True when a torn last journal line was dropped. */
  tornTail: boolean;
}

interface SnapshotTrailer {
  format: string;
  version: number;
  tenantId: string;
  kind: DocumentKind;
  seq: number;
  bytes: number;
  sha256: string;
  documents: number;
  writtenAt: string;
}

/** Directory name of a tenant: ids are case-sensitive, some file systems are not. */
export function tenantDirName(tenantId: string): string {
  return tenantId.replace(/[A-Z]/g, (c) => `^${c.toLowerCase()}`);
}

/** The tenant id of a directory name made by {@link tenantDirName}. */
export function tenantIdOfDir(name: string): string {
  return name.replace(/\^([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Collections that have files in a data directory, most recently written first (the
 * order in which to warm them up after a start).
 */
export async function listCollections(dataDir: string): Promise<Array<{ tenantId: string; kind: DocumentKind }>> {
  const root = path.join(dataDir, 'tenants');
  const found: Array<{ tenantId: string; kind: DocumentKind; mtime: number }> = [];
  for (const dir of await fs.readdir(root).catch(() => [] as string[])) {
    for (const kind of ['ticket', 'article'] as const) {
      let mtime = 0;
      for (const file of [`${kind}.snapshot`, `${kind}.journal`]) {
        const stat = await fs.stat(path.join(root, dir, file)).catch(() => undefined);
        if (stat) mtime = Math.max(mtime, stat.mtimeMs);
      }
      if (mtime > 0) found.push({ tenantId: tenantIdOfDir(dir), kind, mtime });
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map(({ tenantId, kind }) => ({ tenantId, kind }));
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function journalLine(entry: JournalEntry): string {
  const json = JSON.stringify(entry);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** Reads and writes the files of one tenant's collection of one kind. */
export class CollectionFiles {
  readonly dir: string;
  readonly snapshotPath: string;
  readonly journalPath: string;

  constructor(
    dataDir: string,
    readonly tenantId: string,
    readonly kind: DocumentKind,
  ) {
    this.dir = path.join(dataDir, 'tenants', tenantDirName(tenantId));
    this.snapshotPath = path.join(this.dir, `${kind}.snapshot`);
    this.journalPath = path.join(this.dir, `${kind}.journal`);
  }

  /** Reads snapshot and journal; throws {@link CorruptIndexError} on damage. */
  async load(): Promise<LoadedFiles> {
    const documents: unknown[] = [];
    let snapshotSeq = 0;
    const raw = await fs.readFile(this.snapshotPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (raw) {
      if (raw.length === 0 || raw[raw.length - 1] !== 0x0a) throw new CorruptIndexError(this.snapshotPath, 'cut short (no final newline)');
      const trailerStart = raw.length < 2 ? 0 : raw.lastIndexOf(0x0a, raw.length - 2) + 1;
      let trailer: SnapshotTrailer;
      try {
        trailer = JSON.parse(raw.subarray(trailerStart).toString('utf8')) as SnapshotTrailer;
      } catch {
        throw new CorruptIndexError(this.snapshotPath, 'unreadable trailer');
      }
      if (trailer.format !== STORE_FORMAT.format || trailer.version !== STORE_FORMAT.version)
        throw new CorruptIndexError(this.snapshotPath, `format ${trailer.format} v${trailer.version} is not ours`);
      if (trailer.tenantId !== this.tenantId || trailer.kind !== this.kind)
        throw new CorruptIndexError(this.snapshotPath, 'belongs to another tenant or kind');
      const payload = raw.subarray(0, trailerStart);
      if (payload.length !== trailer.bytes)
        throw new CorruptIndexError(this.snapshotPath, `payload is ${payload.length} bytes, trailer says ${trailer.bytes}`);
      if (createHash('sha256').update(payload).digest('hex') !== trailer.sha256)
        throw new CorruptIndexError(this.snapshotPath, 'checksum mismatch');
      let offset = 0;
      while (offset < payload.length) {
        const end = payload.indexOf(0x0a, offset);
        try {
          documents.push(JSON.parse(payload.subarray(offset, end).toString('utf8')));
        } catch {
          throw new CorruptIndexError(this.snapshotPath, `unreadable document ${documents.length + 1}`);
        }
        offset = end + 1;
        if (documents.length % SLICE === 0) await yieldToEventLoop();
      }
      if (documents.length !== trailer.documents)
        throw new CorruptIndexError(this.snapshotPath, `holds ${documents.length} documents, trailer says ${trailer.documents}`);
      snapshotSeq = trailer.seq;
    }

    const entries: JournalEntry[] = [];
    let lastSeq = snapshotSeq;
    let tornTail = false;
    const journal = await fs.readFile(this.journalPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    if (journal) {
      const lines = journal.split('\n');
      // A journal that does not end in a newline was cut during an append.
      tornTail = lines.pop() !== '';
      let goodBytes = 0;
      let previousSeq = 0;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        const entry = this.parseLine(line);
        if (!entry) {
          if (i === lines.length - 1) {
            tornTail = true;
            break;
          }
          throw new CorruptIndexError(this.journalPath, `damaged entry on line ${i + 1}`);
        }
        if (entry.seq <= previousSeq) throw new CorruptIndexError(this.journalPath, `sequence goes back on line ${i + 1}`);
        previousSeq = entry.seq;
        goodBytes += Buffer.byteLength(line) + 1;
        if (entry.seq <= snapshotSeq) continue;
        entries.push(entry);
        lastSeq = entry.seq;
      }
      if (tornTail) await fs.truncate(this.journalPath, goodBytes);
    }
    return { documents, entries, lastSeq, tornTail };
  }

  private parseLine(line: string): JournalEntry | undefined {
    const space = line.indexOf(' ');
    if (space !== 8) return undefined;
    const json = line.slice(9);
    if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
    try {
      const entry = JSON.parse(json) as JournalEntry;
      return Number.isInteger(entry.seq) && (entry.op === 'upsert' || entry.op === 'delete') ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** Appends one entry to the journal. */
  async append(entry: JournalEntry): Promise<number> {
    const line = journalLine(entry);
    try {
      await fs.appendFile(this.journalPath, line, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await fs.mkdir(this.dir, { recursive: true });
      await fs.appendFile(this.journalPath, line, 'utf8');
    }
    return Buffer.byteLength(line);
  }

  /**
   * Writes a snapshot of `documents` covering every journal entry up to `seq`, then
   * empties the journal. The documents must not change while it runs (the engine holds
   * the collection's write queue and replaces documents instead of mutating them).
   * Returns the snapshot's size in bytes.
   */
  async writeSnapshot(documents: readonly unknown[], seq: number): Promise<number> {
    await fs.mkdir(this.dir, { recursive: true });
    const temp = `${this.snapshotPath}.${process.pid}.tmp`;
    const hash = createHash('sha256');
    let bytes = 0;
    const handle = await fs.open(temp, 'w');
    try {
      for (let i = 0; i < documents.length; i += SLICE) {
        let chunk = '';
        for (const document of documents.slice(i, i + SLICE)) chunk += `${JSON.stringify(document)}\n`;
        const buffer = Buffer.from(chunk, 'utf8');
        hash.update(buffer);
        bytes += buffer.length;
        await handle.write(buffer);
      }
      const trailer: SnapshotTrailer = {
        ...STORE_FORMAT,
        tenantId: this.tenantId,
        kind: this.kind,
        seq,
        bytes,
        sha256: hash.digest('hex'),
        documents: documents.length,
        writtenAt: new Date().toISOString(),
      };
      await handle.write(`${JSON.stringify(trailer)}\n`);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    await fs.rename(temp, this.snapshotPath);
    await fsyncDir(this.dir);
    await fs.truncate(this.journalPath, 0).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return bytes;
  }

  /** Moves damaged files aside (kept for inspection) so the collection starts empty. */
  async quarantine(): Promise<string[]> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const moved: string[] = [];
    for (const file of [this.snapshotPath, this.journalPath]) {
      const target = `${file}.corrupt-${stamp}`;
      try {
        await fs.rename(file, target);
        moved.push(target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return moved;
  }

  /**
   * Deletes every file of the collection (set-aside damaged copies and temporary files
   * included: they hold the tenant's data too), and the tenant's directory once empty.
   */
  async remove(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(`${this.kind}.`)) await fs.rm(path.join(this.dir, name), { force: true });
    }
    await fs.rmdir(this.dir).catch(() => undefined);
  }
}

/**
 * Claims a data directory for this process: writes FORMAT on first use (refuses a
 * directory of another format) and a LOCK file with our pid (refuses one held by a live
 * process; takes over the lock of a dead one).
 */
export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(path.join(dataDir, 'tenants'), { recursive: true });
  const formatPath = path.join(dataDir, 'FORMAT');
  const existing = await fs.readFile(formatPath, 'utf8').catch(() => undefined);
  if (existing === undefined) {
    await fs.writeFile(formatPath, `${JSON.stringify(STORE_FORMAT)}\n`);
  } else {
    const found = JSON.parse(existing) as typeof STORE_FORMAT;
    if (found.format !== STORE_FORMAT.format || found.version !== STORE_FORMAT.version)
      throw new Error(`${dataDir} holds search data of format ${found.format} v${found.version}; move it away to rebuild the index`);
  }
  const lockPath = path.join(dataDir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return async () => {
        await fs.rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await fs.readFile(lockPath, 'utf8').catch(() => 'NaN'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))
        throw new Error(`${dataDir} is used by process ${holder}; one process owns an embedded search directory`);
      await fs.rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
