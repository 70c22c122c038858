/**
 * What the domain needs from a search engine. The search package (`@switchboard/search`)
 * depends on api, so api cannot import it: the domain declares this port and the process
 * entry hands it the engine (`SearchEngine` satisfies it structurally). Every operation
 * takes the tenant as its own argument and the engine scopes the operation itself.
 *
 * Errors are `AppError`s: `validation_failed` for input the engine refuses, `unavailable`
 * when the engine cannot be reached (the API answers 503 for search only).
 */

import type { TicketPriority, TicketStatus } from '../tickets/ticket-status.ts';

/** The two kinds of indexed documents. */
export type SearchKind = 'ticket' | 'article';

/** A piece of highlighted text; render as text, never as HTML. */
export interface HighlightSegment {
  text: string;
  match: boolean;
}

/** A facet value and how many matching documents carry it. */
export interface FacetCount {
  value: string;
  count: number;
}

/** A ticket as the engine indexes it. */
export interface TicketSearchDocument {
  tenantId: string;
  id: string;
  number: number;
  subject: string;
  /** The conversation as plain text, oldest first (internal notes included: ticket search is staff-only). */
  body: string;
  status: TicketStatus;
  priority: TicketPriority;
  teamId: string | null;
  assigneeId: string | null;
  categoryId: string | null;
  tags: string[];
  requesterName: string;
  requesterEmail: string;
  organisationName: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A knowledge-base article as the engine indexes it. */
export interface ArticleSearchDocument {
  tenantId: string;
  id: string;
  title: string;
  body: string;
  locale: string;
  status: 'draft' | 'published';
  visibility: 'public' | 'internal';
  sectionId: string | null;
  tags: string[];
  updatedAt: Date;
}

/** A search as the engine takes it. Values of one filter are OR-ed, filters AND-ed; `null` matches an empty field. */
export interface SearchRequest {
  q?: string;
  filters?: Record<string, unknown>;
  facets?: string[];
  sort?: { field: string; order?: 'asc' | 'desc' };
  page?: number;
  hitsPerPage?: number;
}

/** One hit: the document without its body, and highlighted fields. */
export interface SearchHitOf {
  document: Record<string, unknown>;
  highlights: Record<string, HighlightSegment[] | undefined>;
}

/** The answer of the engine. */
export interface SearchAnswer {
  hits: SearchHitOf[];
  total: number;
  page: number;
  hitsPerPage: number;
  totalPages: number;
  facets: Record<string, FacetCount[] | undefined>;
  /** The query text actually searched (cut to the engine's limit). */
  q: string;
  truncated: boolean;
}

/** The engine's own view of its health; never throws. */
export interface SearchBackendHealth {
  engine: string;
  ok: boolean;
  details: Record<string, unknown>;
}

/** The search engine as the domain uses it. */
export interface SearchBackend {
  readonly name: string;
  /** Inserts or replaces documents of one tenant (at most {@link MAX_UPSERT_BATCH} per call). */
  upsert(tenantId: string, kind: SearchKind, documents: ReadonlyArray<TicketSearchDocument | ArticleSearchDocument>): Promise<void>;
  /** Removes documents of one tenant by id; unknown ids are ignored. */
  delete(tenantId: string, kind: SearchKind, ids: readonly string[]): Promise<void>;
  /** Removes every document of one tenant. */
  purgeTenant(tenantId: string): Promise<void>;
  search(tenantId: string, kind: SearchKind, query: SearchRequest): Promise<SearchAnswer>;
  count(tenantId: string, kind: SearchKind): Promise<number>;
  health(): Promise<SearchBackendHealth>;
}

/** Most documents per upsert call (the engines' own limit). */
export const MAX_UPSERT_BATCH = 1_000;
