import fs from 'node:fs/promises';
import { AppError } from '@switchboard/api/lib/errors';
import { createLogger, type Logger } from '@switchboard/api/lib/logger';
import { documentKinds, type DocumentInputOf, type DocumentKind, type DocumentOf } from './search-documents.ts';
import { parseSearchQuery, type SearchQueryInput } from './search-query.ts';
import {
  assertKind,
  assertTenantId,
  validateDocuments,
  validateIds,
  type SearchEngine,
  type SearchHealth,
  type SearchResult,
} from './search-engine.ts';
import { EmbeddedCollection } from './embedded-collection.ts';
import {
  claimDataDir,
  CollectionFiles,
  CorruptIndexError,
  listCollections,
  yieldToEventLoop,
  type JournalEntry,
  type JournalOp,
} from './embedded-store.ts';

/** Options of the embedded engine. */
export interface EmbeddedEngineOptions {
  /** Directory owned by this process (snapshots and journals). */
  dataDir: string;
  /**
   * Most documents kept in memory over all tenants; the least recently used tenants are
   * dropped from memory past it and reloaded from disk on their next use. One tenant
   * larger than this still loads alone.
   */
  maxResidentDocuments?: number;
  /** Journal size (documents written since the last snapshot) that triggers a new snapshot, at least. */
  snapshotAfterDocuments?: number;
  /**
   * Load the collections found on disk in the background after opening, most recently
   * written first, until the memory budget is reached (default true), so the first
   * search of a tenant after a restart does not wait for its index to be rebuilt.
   */
  warmUp?: boolean;
  logger?: Logger;
  /**
   * Called when a tenant's index files were damaged and set aside: that tenant's
   * collection starts empty and must be rebuilt from MongoDB by the caller.
   */
  onIndexLost?: (lost: LostIndex) => void;
}

/** A collection whose files were damaged and that now needs a rebuild. */
export interface LostIndex {
  tenantId: string;
  kind: DocumentKind;
  reason: string;
  /** Where the damaged files were moved. */
  quarantined: string[];
}

/** Default of {@link EmbeddedEngineOptions.maxResidentDocuments}. */
export const DEFAULT_MAX_RESIDENT_DOCUMENTS = 250_000;

/** Default of {@link EmbeddedEngineOptions.snapshotAfterDocuments}. */
export const DEFAULT_SNAPSHOT_AFTER_DOCUMENTS = 5_000;

interface Slot<K extends DocumentKind = DocumentKind> {
  tenantId: string;
  kind: K;
  files: CollectionFiles;
  collection?: EmbeddedCollection<K>;
  /** Tail of this slot's write queue; every disk or state change runs in it, one at a time. */
  queue: Promise<unknown>;
  pending: number;
  seq: number;
  journalDocuments: number;
  lastUsed: number;
}

/**
 * The in-process search engine: one MiniSearch index per tenant and kind, so a query can
 * only ever see the tenant's own documents and words (typo and prefix expansion included).
 *
 * Durability: a write returns after its batch is appended to the collection's journal;
 * snapshots are taken after {@link EmbeddedEngineOptions.snapshotAfterDocuments} (or half
 * the collection) and at close. Memory: bounded by `maxResidentDocuments`.
 * Concurrency: writes of one collection run one after another; searches are synchronous
 * over in-memory state and never see half a batch. One process owns a data directory.
 */
export class EmbeddedSearchEngine implements SearchEngine {
  readonly name = 'embedded';
  private readonly slots = new Map<string, Slot>();
  private readonly lost: LostIndex[] = [];
  private readonly logger: Logger;
  private readonly maxResident: number;
  private readonly snapshotAfter: number;
  private closed = false;
  private clock = 0;
  /** Settles when the background warm-up has finished (immediately when it is off). */
  readonly warmedUp: Promise<void>;

  private constructor(
    private readonly options: EmbeddedEngineOptions,
    private readonly release: () => Promise<void>,
  ) {
    this.logger = options.logger ?? createLogger({ level: 'warn', name: 'search' });
    this.maxResident = options.maxResidentDocuments ?? DEFAULT_MAX_RESIDENT_DOCUMENTS;
    this.snapshotAfter = options.snapshotAfterDocuments ?? DEFAULT_SNAPSHOT_AFTER_DOCUMENTS;
    this.warmedUp = options.warmUp === false ? Promise.resolve() : this.warmUp();
  }

  private async warmUp(): Promise<void> {
    try {
      for (const { tenantId, kind } of await listCollections(this.options.dataDir)) {
        if (this.closed || this.residentDocuments() >= this.maxResident) return;
        await this.loaded(this.slot(tenantId, kind));
      }
    } catch (error) {
      if (!this.closed) this.logger.warn({ err: error }, 'search warm-up stopped; tenants load on first use');
    }
  }

  private residentDocuments(): number {
    let total = 0;
    for (const slot of this.slots.values()) total += slot.collection?.size ?? 0;
    return total;
  }

  /** Opens (and claims) a data directory. Tenants load lazily on first use. */
  static async open(options: EmbeddedEngineOptions): Promise<EmbeddedSearchEngine> {
    try {
      const release = await claimDataDir(options.dataDir);
      return new EmbeddedSearchEngine(options, release);
    } catch (error) {
      throw new AppError('unavailable', `Embedded search cannot use ${options.dataDir}: ${(error as Error).message}`);
    }
  }

  private slot<K extends DocumentKind>(tenantId: string, kind: K): Slot<K> {
    if (this.closed) throw new AppError('unavailable', 'The search engine is closed');
    const key = `${kind}:${tenantId}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = {
        tenantId,
        kind,
        files: new CollectionFiles(this.options.dataDir, tenantId, kind),
        queue: Promise.resolve(),
        pending: 0,
        seq: 0,
        journalDocuments: 0,
        lastUsed: 0,
      };
      this.slots.set(key, slot);
    }
    slot.lastUsed = ++this.clock;
    return slot as Slot<K>;
  }

  /** Runs `task` after everything queued on the slot; a failure does not block later tasks. */
  private serial<T>(slot: Pick<Slot, 'queue' | 'pending'>, task: () => Promise<T>): Promise<T> {
    slot.pending++;
    const run = slot.queue.then(task, task);
    slot.queue = run.catch(() => undefined).finally(() => slot.pending--);
    return run;
  }

  private async loaded<K extends DocumentKind>(slot: Slot<K>): Promise<EmbeddedCollection<K>> {
    if (slot.collection) return slot.collection;
    return this.serial(slot, async () => slot.collection ?? (await this.load(slot)));
  }

  /** Runs inside the slot's queue. */
  private async load<K extends DocumentKind>(slot: Slot<K>): Promise<EmbeddedCollection<K>> {
    let collection: EmbeddedCollection<K>;
    try {
      const files = await slot.files.load();
      collection = await EmbeddedCollection.rebuild(slot.kind, files.documents, yieldToEventLoop);
      for (const entry of files.entries) {
        this.apply(collection, entry);
        await yieldToEventLoop();
      }
      slot.seq = files.lastSeq;
      slot.journalDocuments = files.entries.reduce((n, e) => n + (e.op === 'upsert' ? e.documents.length : e.ids.length), 0);
      if (files.tornTail)
        this.logger.warn(
          { tenantId: slot.tenantId, kind: slot.kind },
          'search journal had a torn last entry (crash during a write); dropped it',
        );
    } catch (error) {
      if (!(error instanceof CorruptIndexError) && !(error instanceof SyntaxError) && !(error instanceof TypeError)) {
        throw new AppError('unavailable', `Cannot read the search index of a tenant: ${(error as Error).message}`);
      }
      const quarantined = await slot.files.quarantine();
      const lost: LostIndex = { tenantId: slot.tenantId, kind: slot.kind, reason: (error as Error).message, quarantined };
      this.lost.push(lost);
      this.logger.error(lost, 'search index files are damaged: set aside, the tenant starts empty and needs a reindex');
      this.options.onIndexLost?.(lost);
      collection = new EmbeddedCollection(slot.kind);
      slot.seq = 0;
      slot.journalDocuments = 0;
    }
    slot.collection = collection;
    this.evictBeyondBudget(slot);
    return collection;
  }

  private apply<K extends DocumentKind>(collection: EmbeddedCollection<K>, entry: JournalEntry): void {
    if (entry.op === 'upsert') collection.upsert(entry.documents.map((raw) => collection.revive(raw)));
    else collection.delete(entry.ids);
  }

  /** Drops the least recently used idle collections from memory while over budget. */
  private evictBeyondBudget(keep: object): void {
    let resident = 0;
    const candidates: Slot[] = [];
    for (const slot of this.slots.values()) {
      if (!slot.collection) continue;
      resident += slot.collection.size;
      if (slot !== keep) candidates.push(slot);
    }
    if (resident <= this.maxResident) return;
    candidates.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const slot of candidates) {
      if (resident <= this.maxResident) break;
      // Work queued on a slot expects its collection in memory.
      if (slot.pending > 0) continue;
      resident -= slot.collection!.size;
      slot.collection = undefined;
      this.logger.debug({ tenantId: slot.tenantId, kind: slot.kind }, 'search collection evicted from memory');
    }
  }

  private async write<K extends DocumentKind>(slot: Slot<K>, entry: JournalOp, size: number): Promise<void> {
    await this.serial(slot, async () => {
      const collection = slot.collection ?? (await this.load(slot));
      const numbered: JournalEntry = { ...entry, seq: slot.seq + 1 };
      try {
        await slot.files.append(numbered);
      } catch (error) {
        throw new AppError('unavailable', `Cannot write the search journal: ${(error as Error).message}`);
      }
      slot.seq = numbered.seq;
      this.apply(collection, numbered);
      slot.journalDocuments += size;
      this.evictBeyondBudget(slot);
    });
    if (slot.journalDocuments >= Math.max(this.snapshotAfter, (slot.collection?.size ?? 0) / 2)) {
      this.serial(slot, () => this.snapshot(slot)).catch((error: unknown) =>
        this.logger.error(
          { err: error, tenantId: slot.tenantId, kind: slot.kind },
          'search snapshot failed; the journal still holds every write',
        ),
      );
    }
  }

  /** Runs inside the slot's queue. */
  private async snapshot<K extends DocumentKind>(slot: Slot<K>): Promise<void> {
    if (!slot.collection || slot.journalDocuments === 0) return;
    await slot.files.writeSnapshot(slot.collection.snapshotDocuments(), slot.seq);
    slot.journalDocuments = 0;
  }

  /** {@inheritDoc SearchEngine.upsert} */
  async upsert<K extends DocumentKind>(tenantId: string, kind: K, documents: ReadonlyArray<DocumentInputOf<K>>): Promise<void> {
    const valid: Array<DocumentOf<K>> = validateDocuments(tenantId, kind, documents);
    if (valid.length === 0) return;
    await this.write(this.slot(tenantId, kind), { op: 'upsert', documents: valid }, valid.length);
  }

  /** {@inheritDoc SearchEngine.delete} */
  async delete(tenantId: string, kind: DocumentKind, ids: readonly string[]): Promise<void> {
    const valid = validateIds(tenantId, kind, ids);
    if (valid.length === 0) return;
    await this.write(this.slot(tenantId, kind), { op: 'delete', ids: valid }, valid.length);
  }

  /** {@inheritDoc SearchEngine.purgeTenant} */
  async purgeTenant(tenantId: string): Promise<void> {
    assertTenantId(tenantId);
    await Promise.all(
      documentKinds.map((kind) => {
        const slot = this.slot(tenantId, kind);
        return this.serial(slot, async () => {
          await slot.files.remove();
          slot.collection = new EmbeddedCollection(kind);
          slot.seq = 0;
          slot.journalDocuments = 0;
        });
      }),
    );
  }

  /** {@inheritDoc SearchEngine.search} */
  async search<K extends DocumentKind>(tenantId: string, kind: K, input: SearchQueryInput<K>): Promise<SearchResult<K>> {
    assertTenantId(tenantId);
    assertKind(kind);
    const { query, truncated } = parseSearchQuery(kind, input);
    const collection = await this.loaded(this.slot(tenantId, kind));
    return collection.search(query, truncated);
  }

  /** {@inheritDoc SearchEngine.count} */
  async count(tenantId: string, kind: DocumentKind): Promise<number> {
    assertTenantId(tenantId);
    assertKind(kind);
    return (await this.loaded(this.slot(tenantId, kind))).size;
  }

  /** Tenants whose index files were damaged and that still await a rebuild. */
  rebuildNeeded(): LostIndex[] {
    return [...this.lost];
  }

  /** Records that the caller has reindexed a lost collection, so health stops reporting it. */
  markRebuilt(tenantId: string, kind: DocumentKind): void {
    for (let i = this.lost.length - 1; i >= 0; i--) {
      if (this.lost[i]!.tenantId === tenantId && this.lost[i]!.kind === kind) this.lost.splice(i, 1);
    }
  }

  /** {@inheritDoc SearchEngine.health} */
  async health(): Promise<SearchHealth> {
    let residentCollections = 0;
    let residentDocuments = 0;
    for (const slot of this.slots.values()) {
      if (!slot.collection) continue;
      residentCollections++;
      residentDocuments += slot.collection.size;
    }
    const details: Record<string, unknown> = {
      dataDir: this.options.dataDir,
      residentCollections,
      residentDocuments,
      maxResidentDocuments: this.maxResident,
      rebuildNeeded: this.lost.map(({ tenantId, kind, reason }) => ({ tenantId, kind, reason })),
    };
    if (this.closed) return { engine: this.name, ok: false, details: { ...details, reason: 'closed' } };
    try {
      await fs.access(this.options.dataDir, fs.constants.W_OK);
      return { engine: this.name, ok: true, details };
    } catch (error) {
      return { engine: this.name, ok: false, details: { ...details, reason: (error as Error).message } };
    }
  }

  /** Writes a snapshot of every collection with journal entries, then releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.warmedUp;
    await Promise.all(
      [...this.slots.values()].map((slot) =>
        this.serial(slot, () => this.snapshot(slot)).catch((error: unknown) =>
          this.logger.error(
            { err: error, tenantId: slot.tenantId, kind: slot.kind },
            'search snapshot at close failed; the journal still holds every write',
          ),
        ),
      ),
    );
    this.slots.clear();
    await this.release();
  }
}
