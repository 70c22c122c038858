import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '@switchboard/api/lib/errors';
import { createLogger } from '@switchboard/api/lib/logger';
import type { TicketDocumentInput } from './search-documents.ts';
import { EmbeddedSearchEngine, type EmbeddedEngineOptions, type LostIndex } from './embedded-engine.ts';
import { CollectionFiles } from './embedded-store.ts';
import type { SearchEngine } from './search-engine.ts';
import { searchEngineContract } from './testing/search-engine-contract.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-search-'));
  dirs.push(dir);
  return dir;
}

const quiet = createLogger({ level: 'silent' });

describe('embedded engine: search contract', () => {
  let dataDir: string;
  searchEngineContract({
    create: async () => {
      dataDir = await tempDir();
      return EmbeddedSearchEngine.open({ dataDir, logger: quiet });
    },
    restart: async (engine: SearchEngine) => {
      await engine.close();
      return EmbeddedSearchEngine.open({ dataDir, logger: quiet });
    },
  });
});

function ticket(tenantId: string, n: number, subject: string): TicketDocumentInput {
  return {
    tenantId,
    id: `t${n}`,
    number: n,
    subject,
    body: `Conversation number ${n} about ${subject.toLowerCase()}.`,
    status: 'open',
    priority: 'normal',
    teamId: null,
    assigneeId: null,
    categoryId: null,
    tags: [],
    requesterName: 'Grace Hopper',
    requesterEmail: 'grace@example.org',
    organisationName: null,
    createdAt: new Date(Date.UTC(2024, 0, 1) + n * 60_000),
    updatedAt: new Date(Date.UTC(2024, 0, 2) + n * 60_000),
  };
}

describe('embedded engine: persistence and operation', () => {
  const engines: EmbeddedSearchEngine[] = [];
  const open = async (options: EmbeddedEngineOptions) => {
    const engine = await EmbeddedSearchEngine.open({ logger: quiet, ...options });
    engines.push(engine);
    return engine;
  };
  /** An engine that is never closed: stands for a process that crashed. */
  const crashed = (options: EmbeddedEngineOptions) => EmbeddedSearchEngine.open({ logger: quiet, ...options });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close();
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  it('replays the journal on top of the last snapshot after a restart', async () => {
    const dataDir = await tempDir();
    const first = await crashed({ dataDir, snapshotAfterDocuments: 10 });
    await first.upsert(
      'acme',
      'ticket',
      Array.from({ length: 25 }, (_, i) => ticket('acme', i, `Printer ${i} jammed`)),
    );
    await first.upsert('acme', 'ticket', [ticket('acme', 100, 'Scanner offline')]);
    await first.delete('acme', 'ticket', ['t0']);
    const files = new CollectionFiles(dataDir, 'acme', 'ticket');
    const loaded = await files.load();
    expect(loaded.documents).toHaveLength(25);
    expect(loaded.entries.length).toBeGreaterThan(0);
    await fs.rm(path.join(dataDir, 'LOCK'));
    const second = await open({ dataDir });
    expect(await second.count('acme', 'ticket')).toBe(25);
    expect((await second.search('acme', 'ticket', { q: 'scanner' })).hits.map((h) => h.document.id)).toEqual(['t100']);
    expect((await second.search('acme', 'ticket', { q: 'printer', hitsPerPage: 100 })).total).toBe(24);
  });

  it('drops a torn last journal line and keeps everything before it', async () => {
    const dataDir = await tempDir();
    const first = await crashed({ dataDir });
    await first.upsert('acme', 'ticket', [ticket('acme', 1, 'Printer jammed')]);
    await first.upsert('acme', 'ticket', [ticket('acme', 2, 'Scanner offline')]);
    const journal = new CollectionFiles(dataDir, 'acme', 'ticket').journalPath;
    await fs.appendFile(journal, '0badc0de {"seq":3,"op":"upsert","documents":[{"tenan');
    await fs.rm(path.join(dataDir, 'LOCK'));
    const second = await open({ dataDir });
    expect(await second.count('acme', 'ticket')).toBe(2);
    await second.upsert('acme', 'ticket', [ticket('acme', 3, 'Router down')]);
    await second.close();
    const third = await open({ dataDir });
    expect(await third.count('acme', 'ticket')).toBe(3);
  });

  it('detects a damaged snapshot, logs it, sets the files aside and reports the tenant for a rebuild', async () => {
    const dataDir = await tempDir();
    const first = await open({ dataDir });
    await first.upsert('acme', 'ticket', [ticket('acme', 1, 'Printer jammed')]);
    await first.upsert('other', 'ticket', [ticket('other', 1, 'Printer jammed')]);
    await first.close();
    const files = new CollectionFiles(dataDir, 'acme', 'ticket');
    const bytes = await fs.readFile(files.snapshotPath);
    bytes.writeUInt8(bytes.readUInt8(20) ^ 0x01, 20);
    await fs.writeFile(files.snapshotPath, bytes);

    const lost: LostIndex[] = [];
    const logged: string[] = [];
    const logger = createLogger({ level: 'error' }).child({});
    logger.error = ((obj: unknown, msg?: string) => logged.push(msg ?? String(obj))) as typeof logger.error;
    const second = await open({ dataDir, logger, onIndexLost: (l) => lost.push(l) });
    expect(await second.count('acme', 'ticket')).toBe(0);
    expect(await second.count('other', 'ticket')).toBe(1);
    expect(lost).toEqual([expect.objectContaining({ tenantId: 'acme', kind: 'ticket', reason: expect.stringContaining('checksum') })]);
    expect(logged.some((line) => line.includes('damaged'))).toBe(true);
    expect(lost[0]!.quarantined.length).toBeGreaterThan(0);
    for (const file of lost[0]!.quarantined) await expect(fs.stat(file)).resolves.toBeTruthy();
    expect((await second.health()).details.rebuildNeeded).toEqual([expect.objectContaining({ tenantId: 'acme', kind: 'ticket' })]);
    await second.upsert('acme', 'ticket', [ticket('acme', 1, 'Printer jammed')]);
    expect(await second.count('acme', 'ticket')).toBe(1);
    second.markRebuilt('acme', 'ticket');
    expect((await second.health()).details.rebuildNeeded).toEqual([]);
  });

  it('detects a snapshot cut short', async () => {
    const dataDir = await tempDir();
    const first = await open({ dataDir });
    await first.upsert('acme', 'ticket', [ticket('acme', 1, 'Printer jammed'), ticket('acme', 2, 'Scanner offline')]);
    await first.close();
    const files = new CollectionFiles(dataDir, 'acme', 'ticket');
    const { size } = await fs.stat(files.snapshotPath);
    await fs.truncate(files.snapshotPath, Math.floor(size / 2));
    const second = await open({ dataDir });
    expect(await second.count('acme', 'ticket')).toBe(0);
    expect(second.rebuildNeeded()).toEqual([
      expect.objectContaining({ tenantId: 'acme', reason: expect.stringMatching(/cut short|trailer/) }),
    ]);
  });

  it('treats a damaged entry inside the journal as corruption', async () => {
    const dataDir = await tempDir();
    const first = await crashed({ dataDir });
    await first.upsert('acme', 'ticket', [ticket('acme', 1, 'Printer jammed')]);
    await first.upsert('acme', 'ticket', [ticket('acme', 2, 'Scanner offline')]);
    const journal = new CollectionFiles(dataDir, 'acme', 'ticket').journalPath;
    const text = await fs.readFile(journal, 'utf8');
    await fs.writeFile(journal, text.replace('Printer', 'Prynter'));
    await fs.rm(path.join(dataDir, 'LOCK'));
    const lost: LostIndex[] = [];
    const second = await open({ dataDir, onIndexLost: (l) => lost.push(l) });
    expect(await second.count('acme', 'ticket')).toBe(0);
    expect(lost[0]?.reason).toContain('damaged entry on line 1');
  });

  it('keeps resident documents within the budget and reloads evicted tenants from disk', async () => {
    const dataDir = await tempDir();
    const engine = await open({ dataDir, maxResidentDocuments: 30 });
    for (const tenant of ['t1', 't2', 't3', 't4']) {
      await engine.upsert(
        tenant,
        'ticket',
        Array.from({ length: 12 }, (_, i) => ticket(tenant, i, `Invoice ${tenant} number ${i}`)),
      );
      const { details } = await engine.health();
      expect(details.residentDocuments as number).toBeLessThanOrEqual(30);
    }
    for (const tenant of ['t1', 't2', 't3', 't4']) {
      const result = await engine.search(tenant, 'ticket', { q: `invoice ${tenant}` });
      expect(result.total).toBe(12);
      expect(result.hits.every((h) => h.document.tenantId === tenant)).toBe(true);
    }
  });

  it('orders concurrent writes of one tenant and loses none', async () => {
    const dataDir = await tempDir();
    const engine = await open({ dataDir, snapshotAfterDocuments: 20 });
    const writes = Array.from({ length: 40 }, (_, i) => engine.upsert('acme', 'ticket', [ticket('acme', i, `Laptop ${i} broken`)]));
    const deletes = Array.from({ length: 10 }, (_, i) => engine.delete('acme', 'ticket', [`t${i * 4}`]));
    const reads = Array.from({ length: 10 }, () => engine.search('acme', 'ticket', { q: 'laptop' }));
    await Promise.all([...writes, ...deletes, ...reads]);
    await engine.close();
    const reopened = await open({ dataDir });
    expect(await reopened.count('acme', 'ticket')).toBe(30);
    expect((await reopened.search('acme', 'ticket', { q: 'laptop', hitsPerPage: 100 })).total).toBe(30);
  });

  it('refuses a data directory another live process owns', async () => {
    const dataDir = await tempDir();
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, 'LOCK'), String(process.ppid));
    const error = await EmbeddedSearchEngine.open({ dataDir, logger: quiet }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('unavailable');
    expect((error as AppError).message).toContain(`process ${process.ppid}`);
  });

  it('takes over the lock of a process that is gone and reports health', async () => {
    const dataDir = await tempDir();
    await fs.writeFile(path.join(dataDir, 'LOCK'), '999999999');
    const engine = await open({ dataDir });
    const health = await engine.health();
    expect(health).toMatchObject({ engine: 'embedded', ok: true, details: { dataDir } });
    await engine.close();
    expect((await engine.health()).ok).toBe(false);
    await expect(engine.search('acme', 'ticket', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('warms up the collections on disk after a start, within the memory budget', async () => {
    const dataDir = await tempDir();
    const first = await open({ dataDir, warmUp: false });
    for (const tenant of ['Upper_Case', 'lower', 'third']) {
      await first.upsert(
        tenant,
        'ticket',
        Array.from({ length: 10 }, (_, i) => ticket(tenant, i, `Modem ${i} down`)),
      );
    }
    await first.close();
    const second = await open({ dataDir, maxResidentDocuments: 20 });
    await second.warmedUp;
    expect((await second.health()).details).toMatchObject({ residentCollections: 2, residentDocuments: 20 });
    expect((await second.search('Upper_Case', 'ticket', { q: 'modem' })).total).toBe(10);
    expect((await second.health()).details.residentDocuments as number).toBeLessThanOrEqual(20);
  });

  it('removes every file of a purged tenant, set-aside copies included', async () => {
    const dataDir = await tempDir();
    const engine = await open({ dataDir });
    await engine.upsert('acme', 'ticket', [ticket('acme', 1, 'Printer jammed')]);
    const files = new CollectionFiles(dataDir, 'acme', 'ticket');
    await fs.writeFile(`${files.snapshotPath}.corrupt-2024`, 'old copy');
    await engine.purgeTenant('acme');
    await expect(fs.stat(files.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
