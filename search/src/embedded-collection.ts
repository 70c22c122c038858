import MiniSearch, { type Options, type SearchResult as MiniSearchResult } from 'minisearch';
import { kindSpecs, type DocumentKind, type DocumentOf } from './search-documents.ts';
import { MAX_TOTAL_HITS, type DateRange, type SearchQuery } from './search-query.ts';
import { MAX_FACET_VALUES, toHitDocument, type FacetCount, type SearchHit, type SearchResult } from './search-engine.ts';
import { highlight, normalizeTerm, queryTerms, snippet, tokenize } from './text-analysis.ts';

/** Documents indexed between two yields to the event loop when a collection is rebuilt from disk. */
const REBUILD_SLICE = 200;

/** Allowed typos for a word of this length, as Meilisearch counts them (1 from 5 letters, 2 from 9). */
export function typoBudget(length: number): number {
  return length >= 9 ? 2 : length >= 5 ? 1 : 0;
}

interface Candidate<K extends DocumentKind> {
  document: DocumentOf<K>;
  score: number;
  terms: readonly string[];
  /** Value of the sort field (0 when sorting by relevance), read once instead of per comparison. */
  key: number;
}

type Compare<T> = (a: T, b: T) => number;

/** The best `k` items by `compare` (best first), without sorting everything. */
export function topK<T>(items: readonly T[], k: number, compare: Compare<T>): T[] {
  if (k <= 0) return [];
  if (k * 4 >= items.length) return [...items].sort(compare).slice(0, k);
  // Max-heap on "worse": the root is the worst of the kept items.
  const heap: T[] = [];
  const worse = (i: number, j: number) => compare(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const down = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(l, m)) m = l;
      if (r < heap.length && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else if (compare(item, heap[0]!) < 0) {
      heap[0] = item;
      down(0);
    }
  }
  return heap.sort(compare);
}

function inRange(value: Date, range: DateRange): boolean {
  const time = value.getTime();
  return (range.from === undefined || time >= range.from.getTime()) && (range.to === undefined || time < range.to.getTime());
}

/**
 * One tenant's documents of one kind, in memory: a MiniSearch full-text index plus the
 * documents themselves (for filters, facets, sorting and highlights). Not thread-safe by
 * design: the engine serialises writes per collection; reads are synchronous and so
 * always see a whole batch or none of it.
 */
export class EmbeddedCollection<K extends DocumentKind> {
  private readonly index: MiniSearch<DocumentOf<K>>;
  private readonly documents = new Map<string, DocumentOf<K>>();
  private readonly spec: (typeof kindSpecs)[K];

  constructor(readonly kind: K) {
    this.spec = kindSpecs[kind];
    this.index = new MiniSearch(this.options());
  }

  /**
   * Rebuilds a collection from stored documents, yielding to the event loop every
   * {@link REBUILD_SLICE} documents so other tenants' searches keep being served.
   */
  static async rebuild<K extends DocumentKind>(
    kind: K,
    stored: readonly unknown[],
    pause: () => Promise<void>,
  ): Promise<EmbeddedCollection<K>> {
    const collection = new EmbeddedCollection(kind);
    for (let i = 0; i < stored.length; i += REBUILD_SLICE) {
      collection.upsert(stored.slice(i, i + REBUILD_SLICE).map((raw) => collection.revive(raw)));
      await pause();
    }
    return collection;
  }

  private options(): Options<DocumentOf<K>> {
    return {
      idField: 'id',
      fields: this.spec.searchable.map((s) => s.field),
      storeFields: [],
      extractField: (document, field) => {
        const value = (document as Record<string, unknown>)[field];
        return Array.isArray(value) ? value.join(' ') : (value ?? '');
      },
      tokenize: (text) => tokenize(text),
      processTerm: (term) => normalizeTerm(term) || null,
    };
  }

  /** Turns a document read back from JSON (dates as strings) into a document. */
  revive(raw: unknown): DocumentOf<K> {
    const document = { ...(raw as Record<string, unknown>) };
    for (const field of this.spec.dateFields) document[field] = new Date(document[field] as string);
    return document as unknown as DocumentOf<K>;
  }

  /** Number of documents. */
  get size(): number {
    return this.documents.size;
  }

  /** Inserts or replaces documents (already validated). */
  upsert(documents: ReadonlyArray<DocumentOf<K>>): void {
    for (const document of documents) {
      const previous = this.documents.get(document.id);
      // remove() with the exact indexed content is immediate; discard() would leave dirt to vacuum.
      if (previous) this.index.remove(previous);
      this.index.add(document);
      this.documents.set(document.id, document);
    }
  }

  /** Removes documents by id; unknown ids are ignored. */
  delete(ids: readonly string[]): void {
    for (const id of ids) {
      const previous = this.documents.get(id);
      if (!previous) continue;
      this.index.remove(previous);
      this.documents.delete(id);
    }
  }

  /** The documents as of now, for a snapshot (documents are replaced on update, never mutated). */
  snapshotDocuments(): Array<DocumentOf<K>> {
    return [...this.documents.values()];
  }

  private filterPredicate(query: SearchQuery<K>): (document: DocumentOf<K>) => boolean {
    const checks: Array<(document: Record<string, unknown>) => boolean> = [];
    for (const [field, condition] of Object.entries(query.filters as Record<string, unknown>)) {
      if (condition === undefined) continue;
      if ((this.spec.dateFields as readonly string[]).includes(field)) {
        const range = condition as DateRange;
        checks.push((document) => inRange(document[field] as Date, range));
        continue;
      }
      const allowed = new Set(condition as Array<string | null>);
      checks.push((document) => {
        const value = document[field];
        if (Array.isArray(value)) return value.some((item) => allowed.has(item as string));
        return allowed.has(value as string | null);
      });
    }
    if (checks.length === 0) return () => true;
    return (document) => {
      for (const check of checks) if (!check(document as unknown as Record<string, unknown>)) return false;
      return true;
    };
  }

  private comparator(query: SearchQuery<K>): Compare<Candidate<K>> {
    const byId: Compare<Candidate<K>> = (a, b) => (a.document.id < b.document.id ? -1 : a.document.id > b.document.id ? 1 : 0);
    if (query.sort.field === 'relevance') return (a, b) => b.score - a.score || byId(a, b);
    const sign = query.sort.order === 'asc' ? 1 : -1;
    return (a, b) => sign * (a.key - b.key) || b.score - a.score || byId(a, b);
  }

  private sortKey(query: SearchQuery<K>): (document: DocumentOf<K>) => number {
    if (query.sort.field === 'relevance') return () => 0;
    const field = query.sort.field as string;
    return (document) => {
      const raw = (document as unknown as Record<string, unknown>)[field];
      return raw instanceof Date ? raw.getTime() : (raw as number);
    };
  }

  /** Runs a validated search. */
  search(query: SearchQuery<K>, truncated: boolean): SearchResult<K> {
    const accept = this.filterPredicate(query);
    const facetCounts = new Map<string, Map<string, number>>(query.facets.map((f) => [f as string, new Map()]));
    const candidates: Array<Candidate<K>> = [];
    const keyOf = this.sortKey(query);
    const take = (document: DocumentOf<K>, score: number, terms: readonly string[]) => {
      if (!accept(document)) return;
      candidates.push({ document, score, terms, key: keyOf(document) });
      for (const [field, counts] of facetCounts) {
        const value = (document as unknown as Record<string, unknown>)[field];
        if (Array.isArray(value)) for (const item of value as string[]) counts.set(item, (counts.get(item) ?? 0) + 1);
        else if (typeof value === 'string') counts.set(value, (counts.get(value) ?? 0) + 1);
      }
    };

    const { terms, lastIsPrefix } = queryTerms(query.q);
    if (terms.length === 0) {
      for (const document of this.documents.values()) take(document, 0, []);
    } else {
      const boost = Object.fromEntries(this.spec.searchable.map((s) => [s.field, s.boost]));
      this.index.search(terms.join(' '), {
        boost,
        combineWith: 'AND',
        fuzzy: (term) => typoBudget(term.length),
        prefix: (_term, i, all) => lastIsPrefix && i === all.length - 1,
        // Collect here and answer false: MiniSearch then skips building and sorting its own
        // result list, which is most of its cost on broad queries.
        filter: (result: MiniSearchResult) => {
          const document = this.documents.get(result.id as string);
          if (document) take(document, result.score, result.terms);
          return false;
        },
      });
    }

    const total = Math.min(candidates.length, MAX_TOTAL_HITS);
    const offset = (query.page - 1) * query.hitsPerPage;
    const best = topK(candidates, Math.min(offset + query.hitsPerPage, total), this.comparator(query));
    const hits = best.slice(offset).map((candidate) => this.hit(candidate));
    const facets: Partial<Record<string, FacetCount[]>> = {};
    for (const [field, counts] of facetCounts) {
      facets[field] = [...counts]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
        .slice(0, MAX_FACET_VALUES);
    }
    return {
      hits,
      total,
      page: query.page,
      hitsPerPage: query.hitsPerPage,
      totalPages: Math.ceil(total / query.hitsPerPage),
      facets: facets as SearchResult<K>['facets'],
      q: query.q,
      truncated,
    };
  }

  private hit(candidate: Candidate<K>): SearchHit<K> {
    const matched = new Set(candidate.terms);
    const isMatch = (term: string) => matched.has(term);
    const highlights: Record<string, ReturnType<typeof highlight>> = {};
    const document = candidate.document as unknown as Record<string, string>;
    for (const field of this.spec.highlighted) {
      const text = document[field] ?? '';
      highlights[field] = field === 'body' ? snippet(text, isMatch) : highlight(text, isMatch);
    }
    return { document: toHitDocument(candidate.document), highlights: highlights as SearchHit<K>['highlights'] };
  }
}
