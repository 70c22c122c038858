import { z } from 'zod';
import { AppError } from '@switchboard/api/lib/errors';
import {
  articleStatuses,
  articleVisibilities,
  keywordSchema,
  kindSpecs,
  searchIdSchema,
  ticketPriorities,
  ticketStatuses,
  type DocumentKind,
} from './search-documents.ts';

/** Longest query text used, in characters; longer input is cut (not refused). */
export const MAX_QUERY_CHARS = 200;

/** At most this many words of a query are matched (Meilisearch's own limit is 10 too). */
export const MAX_QUERY_TERMS = 10;

/** Largest page a search returns. */
export const MAX_HITS_PER_PAGE = 100;

/**
 * Deepest result reachable by paging, and the cap of `total`. Meilisearch's
 * `pagination.maxTotalHits` is set to the same value so both engines agree.
 */
export const MAX_TOTAL_HITS = 10_000;

/** Most values one filter field may list. */
export const MAX_FILTER_VALUES = 100;

const valueList = <T extends z.ZodType>(value: T) => z.array(value).min(1).max(MAX_FILTER_VALUES);
const idOrNull = z.union([searchIdSchema, z.null()]);

/** A date range: `from` inclusive, `to` exclusive; either may be left out. */
export const dateRangeSchema = z.strictObject({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});

/** A date range filter. */
export type DateRange = z.output<typeof dateRangeSchema>;

/** Filters of a ticket search. Values of one field are OR-ed, fields are AND-ed; `null` matches an empty field. */
export const ticketFiltersSchema = z.strictObject({
  status: valueList(z.enum(ticketStatuses)).optional(),
  priority: valueList(z.enum(ticketPriorities)).optional(),
  teamId: valueList(idOrNull).optional(),
  assigneeId: valueList(idOrNull).optional(),
  categoryId: valueList(idOrNull).optional(),
  tags: valueList(keywordSchema).optional(),
  createdAt: dateRangeSchema.optional(),
  updatedAt: dateRangeSchema.optional(),
});

/** Filters of an article search (same rules as {@link ticketFiltersSchema}). */
export const articleFiltersSchema = z.strictObject({
  locale: valueList(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/)).optional(),
  status: valueList(z.enum(articleStatuses)).optional(),
  visibility: valueList(z.enum(articleVisibilities)).optional(),
  sectionId: valueList(idOrNull).optional(),
  tags: valueList(keywordSchema).optional(),
  updatedAt: dateRangeSchema.optional(),
});

/** Cuts query text to {@link MAX_QUERY_CHARS} without splitting a character; says whether it cut. */
export function truncateQuery(raw: string): { q: string; truncated: boolean } {
  const collapsed = raw.replace(/\s+/g, ' ').trimStart();
  const chars = Array.from(collapsed);
  if (chars.length <= MAX_QUERY_CHARS) return { q: collapsed, truncated: false };
  return { q: chars.slice(0, MAX_QUERY_CHARS).join(''), truncated: true };
}

function querySchema<K extends DocumentKind, F extends z.ZodType>(kind: K, filters: F) {
  const spec = kindSpecs[kind];
  const facetNames = spec.keywordFields as unknown as [string, ...string[]];
  const sortNames = ['relevance', ...spec.sortable] as [string, ...string[]];
  return z
    .strictObject({
      /** Free text; empty lists everything that matches the filters. */
      q: z.string().default(''),
      filters: filters.optional(),
      facets: z.array(z.enum(facetNames)).max(facetNames.length).default([]),
      sort: z
        .strictObject({ field: z.enum(sortNames), order: z.enum(['asc', 'desc']).default('desc') })
        .default({ field: 'relevance', order: 'desc' }),
      page: z.number().int().min(1).default(1),
      hitsPerPage: z.number().int().min(1).max(MAX_HITS_PER_PAGE).default(20),
    })
    .refine((query) => query.page * query.hitsPerPage <= MAX_TOTAL_HITS + query.hitsPerPage - 1, {
      message: `page * hitsPerPage must not pass ${MAX_TOTAL_HITS}`,
      path: ['page'],
    });
}

/** Search request for tickets (before defaults). */
export const ticketSearchQuerySchema = querySchema('ticket', ticketFiltersSchema);

/** Search request for articles (before defaults). */
export const articleSearchQuerySchema = querySchema('article', articleFiltersSchema);

/** Query schemas by kind. */
export const searchQuerySchemas = { ticket: ticketSearchQuerySchema, article: articleSearchQuerySchema } as const;

type FiltersOf<K extends DocumentKind> = K extends 'ticket' ? z.output<typeof ticketFiltersSchema> : z.output<typeof articleFiltersSchema>;

/** A validated search with defaults applied; `q` is already truncated. */
export interface SearchQuery<K extends DocumentKind> {
  q: string;
  filters: FiltersOf<K>;
  facets: Array<(typeof kindSpecs)[K]['keywordFields'][number]>;
  sort: { field: 'relevance' | (typeof kindSpecs)[K]['sortable'][number]; order: 'asc' | 'desc' };
  page: number;
  hitsPerPage: number;
}

/** What callers pass to `search` (everything optional except what they need). */
export type SearchQueryInput<K extends DocumentKind> = K extends 'ticket'
  ? z.input<typeof ticketSearchQuerySchema>
  : z.input<typeof articleSearchQuerySchema>;

/**
 * Validates a search request. Unknown filter, facet or sort names and malformed values
 * are refused with `validation_failed`; over-long query text is cut to
 * {@link MAX_QUERY_CHARS} characters and reported through `truncated`.
 */
export function parseSearchQuery<K extends DocumentKind>(kind: K, input: unknown): { query: SearchQuery<K>; truncated: boolean } {
  const result = searchQuerySchemas[kind].safeParse(input ?? {});
  if (!result.success) {
    throw new AppError(
      'validation_failed',
      `Invalid ${kind} search: ${result.error.issues.map((issue) => `${issue.path.join('.') || '(query)'}: ${issue.message}`).join('; ')}`,
      { issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) },
    );
  }
  const { q, truncated } = truncateQuery(result.data.q);
  return { query: { ...result.data, filters: result.data.filters ?? {}, q } as unknown as SearchQuery<K>, truncated };
}
