/**
 * Pure translation between our search model and Meilisearch: index settings, document
 * shape, filter expressions and highlight markup. Kept free of I/O so it is unit-tested
 * without a server.
 */
import { HIGHLIGHT_MARKERS, kindSpecs, type DocumentKind, type DocumentOf } from './search-documents.ts';
import { MAX_TOTAL_HITS, type DateRange, type SearchQuery } from './search-query.ts';
import { MAX_FACET_VALUES, type HighlightSegment } from './search-engine.ts';

/** Primary key attribute of our Meilisearch documents. */
export const PRIMARY_KEY = 'key';

/**
 * A document key unique across tenants, made only of characters Meilisearch accepts
 * (A-Z a-z 0-9 - _). The tenant id's length prefix keeps it unambiguous.
 */
export function documentKey(tenantId: string, id: string): string {
  return `${tenantId.length}_${tenantId}_${id}`;
}

/**
 * A string literal of the Meilisearch filter language. Backslashes and double quotes are
 * escaped, so the value can never end the literal early: whatever it holds stays data.
 */
export function filterLiteral(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The filter that scopes everything to one tenant. */
export function tenantFilter(tenantId: string): string {
  return `tenantId = ${filterLiteral(tenantId)}`;
}

/**
 * The filter of a search as Meilisearch's array form (outer list AND-ed, inner lists
 * OR-ed). The tenant clause is its own first element: even a broken clause elsewhere
 * could only narrow the result, never widen it beyond the tenant.
 */
export function buildFilter<K extends DocumentKind>(
  tenantId: string,
  kind: K,
  filters: SearchQuery<K>['filters'],
): Array<string | string[]> {
  const spec = kindSpecs[kind];
  const out: Array<string | string[]> = [tenantFilter(tenantId)];
  for (const [field, condition] of Object.entries(filters as Record<string, unknown>)) {
    if (condition === undefined) continue;
    if (!(spec.keywordFields as readonly string[]).includes(field) && !(spec.dateFields as readonly string[]).includes(field))
      throw new Error(`filter on ${field} is not configured`);
    if ((spec.dateFields as readonly string[]).includes(field)) {
      const range = condition as DateRange;
      if (range.from !== undefined) out.push(`${field} >= ${range.from.getTime()}`);
      if (range.to !== undefined) out.push(`${field} < ${range.to.getTime()}`);
      continue;
    }
    const values = condition as Array<string | null>;
    const strings = values.filter((v): v is string => v !== null);
    const anyOf: string[] = [];
    if (strings.length > 0) anyOf.push(`${field} IN [${strings.map(filterLiteral).join(', ')}]`);
    if (strings.length < values.length) anyOf.push(`${field} IS NULL`);
    out.push(anyOf);
  }
  return out;
}

/** Index settings of a kind; applying them twice changes nothing. */
export function indexSettings(kind: DocumentKind) {
  const spec = kindSpecs[kind];
  return {
    // Attribute order is Meilisearch's field weighting; ours lists fields by boost.
    searchableAttributes: spec.searchable.map((s) => s.field),
    filterableAttributes: ['tenantId', ...spec.keywordFields, ...spec.dateFields],
    sortableAttributes: [...spec.sortable],
    // `sort` first: an explicit sort orders strictly by the field, relevance breaks ties (like the embedded engine).
    rankingRules: ['sort', 'words', 'typo', 'proximity', 'attribute', 'exactness'],
    typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
    faceting: { maxValuesPerFacet: MAX_FACET_VALUES, sortFacetValuesBy: { '*': 'count' as const } },
    pagination: { maxTotalHits: MAX_TOTAL_HITS },
  };
}

/** A document as stored in Meilisearch: dates as epoch milliseconds (sortable, range-filterable). */
export function toMeiliDocument<K extends DocumentKind>(kind: K, document: DocumentOf<K>): Record<string, unknown> {
  const out: Record<string, unknown> = { [PRIMARY_KEY]: documentKey(document.tenantId, document.id), ...document };
  for (const field of kindSpecs[kind].dateFields) out[field] = (document as unknown as Record<string, Date>)[field]!.getTime();
  return out;
}

/** A Meilisearch hit back as our document (without `key`, dates revived). */
export function fromMeiliDocument<K extends DocumentKind>(kind: K, raw: Record<string, unknown>): DocumentOf<K> {
  const { [PRIMARY_KEY]: _key, _formatted: _f, ...rest } = raw;
  for (const field of kindSpecs[kind].dateFields) rest[field] = new Date(rest[field] as number);
  return rest as unknown as DocumentOf<K>;
}

/** Splits text marked with our private-use highlight markers into segments. */
export function markedToSegments(marked: string): HighlightSegment[] {
  const out: HighlightSegment[] = [];
  let match = false;
  let text = '';
  for (const char of marked) {
    if (char === HIGHLIGHT_MARKERS.pre || char === HIGHLIGHT_MARKERS.post) {
      if (text) out.push({ text, match });
      text = '';
      match = char === HIGHLIGHT_MARKERS.pre;
      continue;
    }
    text += char;
  }
  if (text) out.push({ text, match });
  return out;
}
