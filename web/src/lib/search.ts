/**
 * Search and knowledge-base types of the REST API (type-only) and the query helpers the
 * console's search box and search page share.
 */
import type { ArticleSearchResult, TicketSearchResult } from '@switchboard/api/search/search.schema';

export type { ArticleSearchResult, TicketSearchResult, ArticleHitDto, TicketHitDto } from '@switchboard/api/search/search.schema';
export type { ArticleDto, ArticleSummaryDto, SectionDto, VersionDto, VersionSummaryDto } from '@switchboard/api/kb/kb.schema';

/** Ticket facets the console offers, in display order, with their labels. */
export const TICKET_FACETS = [
  { name: 'status', label: 'Status' },
  { name: 'priority', label: 'Priority' },
  { name: 'teamId', label: 'Team' },
  { name: 'categoryId', label: 'Category' },
  { name: 'tags', label: 'Tag' },
] as const;

/** A ticket facet name. */
export type TicketFacet = (typeof TICKET_FACETS)[number]['name'];

/** Facet values the person ticked, by facet. */
export type FacetSelection = Partial<Record<TicketFacet, string[]>>;

/** Wait after the last keystroke before searching (instant, without a request per key). */
export const SEARCH_DEBOUNCE_MS = 180;

/** The query string of a ticket search: text, ticked facet values, and the facets to count. */
export function ticketSearchQuery(
  q: string,
  selection: FacetSelection,
  page = 1,
  hitsPerPage = 20,
): Record<string, string | number | undefined> {
  const query: Record<string, string | number | undefined> = { q, page, hitsPerPage, facets: TICKET_FACETS.map((f) => f.name).join(',') };
  for (const { name } of TICKET_FACETS) {
    const values = selection[name];
    if (values && values.length > 0) query[name] = values.join(',');
  }
  return query;
}

/** Empty answers, for a cleared box. */
export const NO_TICKETS: TicketSearchResult = {
  hits: [],
  total: 0,
  page: 1,
  hitsPerPage: 20,
  totalPages: 0,
  facets: {},
  q: '',
  truncated: false,
};
/** Empty article answer. */
export const NO_ARTICLES: ArticleSearchResult = {
  hits: [],
  total: 0,
  page: 1,
  hitsPerPage: 20,
  totalPages: 0,
  facets: {},
  q: '',
  truncated: false,
};
