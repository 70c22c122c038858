import { AppError } from '@switchboard/api/lib/errors';
import {
  kindSpecs,
  searchIdSchema,
  documentKinds,
  type DocumentInputOf,
  type DocumentKind,
  type DocumentOf,
  type FacetFieldOf,
  type HighlightFieldOf,
} from './search-documents.ts';
import type { SearchQueryInput } from './search-query.ts';

/** One piece of a highlighted text: matched words have `match: true`. Render as text, never as HTML. */
export interface HighlightSegment {
  text: string;
  match: boolean;
}

/** One facet value and how many matching documents carry it. */
export interface FacetCount {
  value: string;
  count: number;
}

/** A document as returned by a search: every field but the (long) body. */
export type HitDocumentOf<K extends DocumentKind> = Omit<DocumentOf<K>, 'body'>;

/** One search hit. */
export interface SearchHit<K extends DocumentKind> {
  document: HitDocumentOf<K>;
  /**
   * Highlighted fields: the title/subject in full, the body as a snippet of about
   * {@link SNIPPET_WORDS} words around the best match (from its start when nothing matched).
   */
  highlights: Partial<Record<HighlightFieldOf<K>, HighlightSegment[]>>;
}

/** Words in a body snippet. */
export const SNIPPET_WORDS = 24;

/** Most facet values returned per facet (the most frequent first). */
export const MAX_FACET_VALUES = 100;

/** The answer to a search. */
export interface SearchResult<K extends DocumentKind> {
  hits: Array<SearchHit<K>>;
  /** Matching documents, capped at `MAX_TOTAL_HITS`. */
  total: number;
  page: number;
  hitsPerPage: number;
  totalPages: number;
  /** Counts over all matching documents (filters applied), for the facets asked for. */
  facets: Partial<Record<FacetFieldOf<K>, FacetCount[]>>;
  /** The query text actually searched (after truncation). */
  q: string;
  /** True when the query text was longer than `MAX_QUERY_CHARS` and was cut. */
  truncated: boolean;
}

/** What `health()` reports; never throws. */
export interface SearchHealth {
  engine: 'embedded' | 'meilisearch';
  ok: boolean;
  /** Why it is not ok, or engine figures (resident tenants, documents, ...). */
  details: Record<string, unknown>;
}

/**
 * The one search interface of Switchboard. Every operation takes the tenant as its own
 * argument and the engine scopes the operation to that tenant itself: a caller cannot
 * reach another tenant's documents through a query, a filter or a document id.
 *
 * Errors: `AppError('validation_failed')` for bad input (unknown facet or sort names,
 * malformed ids, documents of another tenant), `AppError('unavailable')` when the
 * backing service cannot be reached (the API answers 503 for search only),
 * `AppError('internal')` for anything else.
 */
export interface SearchEngine {
  /** `embedded` or `meilisearch`. */
  readonly name: SearchHealth['engine'];
  /** Inserts or replaces documents (by id) of one tenant; every document's `tenantId` must be `tenantId`. */
  upsert<K extends DocumentKind>(tenantId: string, kind: K, documents: ReadonlyArray<DocumentInputOf<K>>): Promise<void>;
  /** Removes documents of one tenant by id; unknown ids are ignored. */
  delete(tenantId: string, kind: DocumentKind, ids: readonly string[]): Promise<void>;
  /** Removes every document (both kinds) of one tenant. */
  purgeTenant(tenantId: string): Promise<void>;
  /** Searches one tenant's documents of one kind. */
  search<K extends DocumentKind>(tenantId: string, kind: K, query: SearchQueryInput<K>): Promise<SearchResult<K>>;
  /** Number of indexed documents of one kind for one tenant (consistency check against MongoDB). */
  count(tenantId: string, kind: DocumentKind): Promise<number>;
  /** Whether the engine can serve; never throws. */
  health(): Promise<SearchHealth>;
  /** Flushes what needs flushing and releases resources. */
  close(): Promise<void>;
}

/** Refuses a malformed tenant id with `validation_failed`. */
export function assertTenantId(tenantId: unknown): asserts tenantId is string {
  if (!searchIdSchema.safeParse(tenantId).success)
    throw new AppError('validation_failed', 'Invalid tenant id: must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
}

/** Refuses an unknown document kind with `validation_failed`. */
export function assertKind(kind: unknown): asserts kind is DocumentKind {
  if (!documentKinds.includes(kind as DocumentKind))
    throw new AppError('validation_failed', `Unknown document kind ${JSON.stringify(kind)}: use ticket or article`);
}

/**
 * Most documents in one `upsert` call; larger imports are split by the caller. It bounds
 * how long the embedded engine applies one batch without yielding (a batch is applied
 * whole, so a search never sees half of it).
 */
export const MAX_UPSERT_BATCH = 1_000;

/** Most ids in one `delete` call. */
export const MAX_DELETE_BATCH = 10_000;

/**
 * Validates a batch for `upsert`: schema of the kind, every document belongs to the
 * tenant of the call, no id twice. Returns the parsed documents.
 */
export function validateDocuments<K extends DocumentKind>(
  tenantId: string,
  kind: K,
  documents: ReadonlyArray<DocumentInputOf<K>>,
): Array<DocumentOf<K>> {
  assertTenantId(tenantId);
  assertKind(kind);
  if (!Array.isArray(documents)) throw new AppError('validation_failed', 'documents must be an array');
  if (documents.length > MAX_UPSERT_BATCH)
    throw new AppError('validation_failed', `At most ${MAX_UPSERT_BATCH} documents per upsert, got ${documents.length}`);
  const schema = kindSpecs[kind].schema;
  const seen = new Set<string>();
  return documents.map((input, index) => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      throw new AppError(
        'validation_failed',
        `Invalid ${kind} document at index ${index}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const document = parsed.data as DocumentOf<K>;
    if (document.tenantId !== tenantId)
      throw new AppError('validation_failed', `Document ${document.id} belongs to another tenant than the one of this call`);
    if (seen.has(document.id)) throw new AppError('validation_failed', `Document ${document.id} appears twice in one batch`);
    seen.add(document.id);
    return document;
  });
}

/** Validates ids for `delete`. */
export function validateIds(tenantId: string, kind: DocumentKind, ids: readonly string[]): string[] {
  assertTenantId(tenantId);
  assertKind(kind);
  if (!Array.isArray(ids)) throw new AppError('validation_failed', 'ids must be an array');
  if (ids.length > MAX_DELETE_BATCH)
    throw new AppError('validation_failed', `At most ${MAX_DELETE_BATCH} ids per delete, got ${ids.length}`);
  for (const id of ids) {
    if (!searchIdSchema.safeParse(id).success) throw new AppError('validation_failed', `Invalid document id ${JSON.stringify(id)}`);
  }
  return [...new Set(ids)];
}

/** Removes the body from a document for a hit. */
export function toHitDocument<K extends DocumentKind>(document: DocumentOf<K>): HitDocumentOf<K> {
  const { body: _body, ...rest } = document;
  return rest as HitDocumentOf<K>;
}
