import {
  Meilisearch,
  MeilisearchApiError,
  MeilisearchRequestError,
  MeilisearchRequestTimeOutError,
  MeilisearchTaskTimeOutError,
  type EnqueuedTaskPromise,
  type Index,
  type Task,
} from 'meilisearch';
import { generateTenantToken } from 'meilisearch/token';
import { AppError } from '@switchboard/api/lib/errors';
import { HIGHLIGHT_MARKERS, kindSpecs, type DocumentInputOf, type DocumentKind } from './search-documents.ts';
import { parseSearchQuery, type SearchQueryInput } from './search-query.ts';
import {
  SNIPPET_WORDS,
  assertKind,
  assertTenantId,
  toHitDocument,
  validateDocuments,
  validateIds,
  type FacetCount,
  type SearchEngine,
  type SearchHealth,
  type SearchHit,
  type SearchResult,
} from './search-engine.ts';
import {
  PRIMARY_KEY,
  buildFilter,
  documentKey,
  filterLiteral,
  fromMeiliDocument,
  indexSettings,
  markedToSegments,
  tenantFilter,
  toMeiliDocument,
} from './meili-mapping.ts';

/** Options of the Meilisearch engine. */
export interface MeiliEngineOptions {
  url: string;
  /** Master key or an admin API key (settings, documents, keys). */
  apiKey?: string;
  /** Prefix of our index names, so several deployments (or test runs) can share a server. */
  indexPrefix?: string;
  /** Longest wait for one HTTP request (ms). */
  requestTimeoutMs?: number;
  /** Longest wait for one indexing task (ms); past it the write fails as `unavailable`. */
  taskTimeoutMs?: number;
  /** Documents per indexing request. */
  batchSize?: number;
}

/** Who a tenant token is for. */
export type TenantTokenScope = 'agent' | 'portal';

/** Name of the API key we create to sign tenant tokens. */
export const TENANT_TOKEN_KEY_NAME = 'switchboard-tenant-search';

/** Longest life of a tenant token. */
export const MAX_TENANT_TOKEN_SECONDS = 24 * 3600;

/**
 * Maps a Meilisearch client failure to our error codes: the server being unreachable,
 * slow or failing (5xx) is `unavailable`; a refused request is our bug (`internal`).
 */
export function toAppError(error: unknown, action: string): AppError {
  if (error instanceof AppError) return error;
  if (
    error instanceof MeilisearchRequestError ||
    error instanceof MeilisearchRequestTimeOutError ||
    error instanceof MeilisearchTaskTimeOutError
  )
    return new AppError('unavailable', `Search is unavailable: ${action} failed (${error.message})`);
  if (error instanceof MeilisearchApiError) {
    const status = error.response.status;
    if (status >= 500 || status === 429) return new AppError('unavailable', `Search is unavailable: ${action} failed with HTTP ${status}`);
    return new AppError('internal', `Meilisearch refused ${action}: ${error.cause?.code ?? status}: ${error.message}`);
  }
  return new AppError('internal', `${action} failed: ${(error as Error)?.message ?? String(error)}`);
}

function splitEvery<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Search on a Meilisearch server: one index per kind shared by all tenants, `tenantId`
 * filterable and forced into every query by us (server side) or by a tenant token
 * (client side).
 */
export class MeiliSearchEngine implements SearchEngine {
  readonly name = 'meilisearch';
  private readonly client: Meilisearch;
  private readonly indexUids: Record<DocumentKind, string>;
  private readonly taskTimeoutMs: number;
  private readonly batchSize: number;
  private signingKey?: Promise<{ key: string; uid: string }>;

  private constructor(private readonly options: MeiliEngineOptions) {
    this.client = new Meilisearch({
      host: options.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      timeout: options.requestTimeoutMs ?? 5_000,
    });
    const prefix = options.indexPrefix ?? 'switchboard_';
    this.indexUids = { ticket: `${prefix}tickets`, article: `${prefix}articles` };
    this.taskTimeoutMs = options.taskTimeoutMs ?? 60_000;
    this.batchSize = options.batchSize ?? 1_000;
  }

  /** Connects, creates the indexes if missing and applies their settings (idempotent). */
  static async open(options: MeiliEngineOptions): Promise<MeiliSearchEngine> {
    const engine = new MeiliSearchEngine(options);
    await engine.ensureIndexes();
    return engine;
  }

  /** Index uid of a kind. */
  indexUid(kind: DocumentKind): string {
    return this.indexUids[kind];
  }

  private index(kind: DocumentKind): Index {
    return this.client.index(this.indexUids[kind]);
  }

  /** Waits for a task and turns a failed one into an error. */
  private async settle(enqueued: EnqueuedTaskPromise, action: string): Promise<Task> {
    const task = await enqueued.waitTask({ timeout: this.taskTimeoutMs, interval: 50 });
    if (task.status !== 'succeeded') {
      const detail = task.error ? `${task.error.code}: ${task.error.message}` : task.status;
      throw new AppError('internal', `Meilisearch task ${task.uid} (${action}) ${task.status}: ${detail}`);
    }
    return task;
  }

  private async guard<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toAppError(error, action);
    }
  }

  private async ensureIndexes(): Promise<void> {
    await this.guard('index setup', async () => {
      for (const kind of Object.keys(this.indexUids) as DocumentKind[]) {
        const uid = this.indexUids[kind];
        try {
          await this.client.getRawIndex(uid);
        } catch (error) {
          if (!(error instanceof MeilisearchApiError) || error.cause?.code !== 'index_not_found') throw error;
          const task = await this.client.createIndex(uid, { primaryKey: PRIMARY_KEY }).waitTask({ timeout: this.taskTimeoutMs });
          if (task.status !== 'succeeded' && task.error?.code !== 'index_already_exists')
            throw new AppError('internal', `Creating index ${uid} failed: ${task.error?.message ?? task.status}`);
        }
        await this.settle(this.index(kind).updateSettings(indexSettings(kind)), `settings of ${uid}`);
      }
    });
  }

  /** {@inheritDoc SearchEngine.upsert} */
  async upsert<K extends DocumentKind>(tenantId: string, kind: K, documents: ReadonlyArray<DocumentInputOf<K>>): Promise<void> {
    const valid = validateDocuments(tenantId, kind, documents);
    if (valid.length === 0) return;
    const payload = valid.map((document) => toMeiliDocument(kind, document));
    await this.guard('indexing', async () => {
      const tasks = splitEvery(payload, this.batchSize).map((chunk) => this.index(kind).addDocuments(chunk, { primaryKey: PRIMARY_KEY }));
      for (const task of tasks) await this.settle(task, 'indexing');
    });
  }

  /** {@inheritDoc SearchEngine.delete} */
  async delete(tenantId: string, kind: DocumentKind, ids: readonly string[]): Promise<void> {
    const valid = validateIds(tenantId, kind, ids);
    if (valid.length === 0) return;
    await this.guard('deleting documents', () =>
      this.settle(this.index(kind).deleteDocuments(valid.map((id) => documentKey(tenantId, id))), 'deleting documents'),
    );
  }

  /** {@inheritDoc SearchEngine.purgeTenant} */
  async purgeTenant(tenantId: string): Promise<void> {
    assertTenantId(tenantId);
    await this.guard('purging a tenant', async () => {
      for (const kind of Object.keys(this.indexUids) as DocumentKind[])
        await this.settle(this.index(kind).deleteDocuments({ filter: tenantFilter(tenantId) }), 'purging a tenant');
    });
  }

  /** {@inheritDoc SearchEngine.search} */
  async search<K extends DocumentKind>(tenantId: string, kind: K, input: SearchQueryInput<K>): Promise<SearchResult<K>> {
    assertTenantId(tenantId);
    assertKind(kind);
    const { query, truncated } = parseSearchQuery(kind, input);
    const spec = kindSpecs[kind];
    const body = spec.highlighted[1];
    const response = await this.guard('search', () =>
      this.index(kind).search(query.q, {
        filter: buildFilter(tenantId, kind, query.filters),
        facets: query.facets.length > 0 ? [...query.facets] : undefined,
        sort: query.sort.field === 'relevance' ? undefined : [`${query.sort.field}:${query.sort.order}`],
        page: query.page,
        hitsPerPage: query.hitsPerPage,
        matchingStrategy: 'all',
        // Cropping alone does not mark matches: the body is listed for highlighting too.
        attributesToHighlight: [...spec.highlighted],
        attributesToCrop: [body],
        cropLength: SNIPPET_WORDS,
        cropMarker: '…',
        highlightPreTag: HIGHLIGHT_MARKERS.pre,
        highlightPostTag: HIGHLIGHT_MARKERS.post,
      }),
    );
    const hits: Array<SearchHit<K>> = response.hits.map((raw) => {
      const formatted = (raw._formatted ?? {}) as Record<string, unknown>;
      const highlights: Record<string, ReturnType<typeof markedToSegments>> = {};
      for (const field of spec.highlighted) highlights[field] = markedToSegments(String(formatted[field] ?? ''));
      return {
        document: toHitDocument(fromMeiliDocument(kind, raw as Record<string, unknown>)),
        highlights: highlights as SearchHit<K>['highlights'],
      };
    });
    const facets: Record<string, FacetCount[]> = {};
    for (const field of query.facets as string[]) {
      const distribution = response.facetDistribution?.[field] ?? {};
      facets[field] = Object.entries(distribution)
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    }
    const total = response.totalHits ?? 0;
    return {
      hits,
      total,
      page: query.page,
      hitsPerPage: query.hitsPerPage,
      totalPages: response.totalPages ?? Math.ceil(total / query.hitsPerPage),
      facets: facets as SearchResult<K>['facets'],
      q: query.q,
      truncated,
    };
  }

  /** {@inheritDoc SearchEngine.count} */
  async count(tenantId: string, kind: DocumentKind): Promise<number> {
    assertTenantId(tenantId);
    assertKind(kind);
    const page = await this.guard('counting documents', () =>
      this.index(kind).getDocuments({ filter: tenantFilter(tenantId), limit: 1, fields: [PRIMARY_KEY] }),
    );
    return page.total;
  }

  /** {@inheritDoc SearchEngine.health} */
  async health(): Promise<SearchHealth> {
    try {
      const health = await this.client.health();
      return { engine: this.name, ok: health.status === 'available', details: { url: this.options.url, status: health.status } };
    } catch (error) {
      return { engine: this.name, ok: false, details: { url: this.options.url, reason: toAppError(error, 'health check').message } };
    }
  }

  /** Nothing to release: the client keeps no connections open between requests. */
  async close(): Promise<void> {}

  /** The API key that signs tenant tokens: ours by name, created on first use (search only, our indexes only). */
  private async tokenSigningKey(): Promise<{ key: string; uid: string }> {
    this.signingKey ??= this.guard('preparing tenant tokens', async () => {
      const keys = await this.client.getKeys({ limit: 1000 });
      const existing = keys.results.find((k) => k.name === TENANT_TOKEN_KEY_NAME);
      if (existing) return { key: existing.key, uid: existing.uid };
      const created = await this.client.createKey({
        name: TENANT_TOKEN_KEY_NAME,
        description: 'Signs Switchboard tenant tokens (search only).',
        actions: ['search'],
        indexes: Object.values(this.indexUids),
        expiresAt: null,
      });
      return { key: created.key, uid: created.uid };
    }).catch((error: unknown) => {
      this.signingKey = undefined;
      throw error;
    });
    return this.signingKey;
  }

  /**
   * A tenant token for searching from the browser, scoped to one tenant by a search rule
   * the browser cannot change. `agent` may search the tenant's tickets and articles;
   * `portal` only its published public articles.
   */
  async tenantToken(
    tenantId: string,
    options: { scope: TenantTokenScope; expiresInSeconds?: number },
  ): Promise<{ token: string; expiresAt: Date; indexes: Partial<Record<DocumentKind, string>> }> {
    assertTenantId(tenantId);
    if (!this.options.apiKey) throw new AppError('internal', 'Tenant tokens need MEILI_MASTER_KEY');
    const seconds = Math.min(Math.max(options.expiresInSeconds ?? 3600, 60), MAX_TENANT_TOKEN_SECONDS);
    const expiresAt = new Date(Date.now() + seconds * 1000);
    const { key, uid } = await this.tokenSigningKey();
    const scoped = tenantFilter(tenantId);
    const searchRules =
      options.scope === 'agent'
        ? { [this.indexUids.ticket]: { filter: scoped }, [this.indexUids.article]: { filter: scoped } }
        : {
            [this.indexUids.article]: {
              filter: `${scoped} AND status = ${filterLiteral('published')} AND visibility = ${filterLiteral('public')}`,
            },
          };
    const token = await generateTenantToken({ apiKey: key, apiKeyUid: uid, searchRules, expiresAt });
    const indexes = options.scope === 'agent' ? { ...this.indexUids } : { article: this.indexUids.article };
    return { token, expiresAt, indexes };
  }
}
