import type { Types } from 'mongoose';
import type { Ctx } from '../context.ts';
import type { KbService } from '../kb/kb.service.ts';
import { articleScopeOf, assertCanSearchTickets } from './search.policy.ts';
import type { SearchAnswer, SearchHitOf, SearchKind, SearchRequest } from './search.port.ts';
import type { SearchIndexer } from './search-indexer.ts';
import {
  ARTICLE_FACETS,
  TICKET_FACETS,
  type ArticleHitDto,
  type ArticleSearchQuery,
  type ArticleSearchResult,
  type HelpSearchQuery,
  type TicketHitDto,
  type TicketSearchQuery,
  type TicketSearchResult,
} from './search.schema.ts';

const SORTS: Record<string, SearchRequest['sort']> = {
  relevance: { field: 'relevance', order: 'desc' },
  updated_desc: { field: 'updatedAt', order: 'desc' },
  updated_asc: { field: 'updatedAt', order: 'asc' },
  created_desc: { field: 'createdAt', order: 'desc' },
  created_asc: { field: 'createdAt', order: 'asc' },
  number_desc: { field: 'number', order: 'desc' },
  number_asc: { field: 'number', order: 'asc' },
};

/** The article filters a scope forces: readers outside staff get published public articles only. */
const PUBLIC_SCOPE = { status: ['published'], visibility: ['public'] } as const;

const noneToNull = (values: readonly string[] | undefined) => values?.map((v) => (v === 'none' ? null : v));
const iso = (value: unknown) => new Date(value as string | Date).toISOString();
const str = (value: unknown) => (typeof value === 'string' ? value : null);

/** Values the client asked for, narrowed to what the scope allows; an empty list means "nothing can match". */
function narrow(asked: readonly string[] | undefined, allowed: readonly string[]): string[] {
  return asked ? asked.filter((value) => allowed.includes(value)) : [...allowed];
}

function withoutUndefined(filters: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
}

function pickFacets<F extends string>(
  answer: SearchAnswer,
  names: readonly F[],
): Partial<Record<F, Array<{ value: string; count: number }>>> {
  const out: Partial<Record<F, Array<{ value: string; count: number }>>> = {};
  for (const name of names) {
    const values = answer.facets[name];
    if (values) out[name] = values;
  }
  return out;
}

function toTicketHit(hit: SearchHitOf): TicketHitDto {
  const d = hit.document;
  const subject = String(d.subject ?? '');
  return {
    ticket: {
      id: String(d.id),
      number: Number(d.number),
      subject,
      status: d.status as TicketHitDto['ticket']['status'],
      priority: d.priority as TicketHitDto['ticket']['priority'],
      teamId: str(d.teamId),
      assigneeId: str(d.assigneeId),
      categoryId: str(d.categoryId),
      tags: (d.tags as string[] | undefined) ?? [],
      requesterName: String(d.requesterName ?? ''),
      requesterEmail: String(d.requesterEmail ?? ''),
      organisationName: str(d.organisationName),
      createdAt: iso(d.createdAt),
      updatedAt: iso(d.updatedAt),
    },
    highlights: { subject: hit.highlights.subject ?? [{ text: subject, match: false }], body: hit.highlights.body ?? [] },
  };
}

function toArticleHit(hit: SearchHitOf): ArticleHitDto {
  const d = hit.document;
  const title = String(d.title ?? '');
  return {
    article: {
      id: String(d.id),
      title,
      locale: String(d.locale),
      status: d.status as ArticleHitDto['article']['status'],
      visibility: d.visibility as ArticleHitDto['article']['visibility'],
      sectionId: str(d.sectionId),
      tags: (d.tags as string[] | undefined) ?? [],
      updatedAt: iso(d.updatedAt),
    },
    highlights: { title: hit.highlights.title ?? [{ text: title, match: false }], body: hit.highlights.body ?? [] },
  };
}

/**
 * Search for the console, the portal and the widget. The tenant always comes from the
 * caller's session (or, for the public help center, from the slug it names, with the
 * public scope forced); clients choose text, filters and facets within that, never the
 * tenant or a wider scope. An engine outage surfaces as `unavailable` (503) here only.
 */
export class SearchService {
  constructor(
    private readonly indexer: SearchIndexer,
    private readonly kb: KbService,
  ) {}

  /**
   * Runs a search and counts each filtered facet as if its own filter were not set
   * (one more query per such facet), so a person who ticked "urgent" still sees how many
   * "high" tickets there are and can tick that too.
   */
  private async withFacets(tenantId: string, kind: SearchKind, request: SearchRequest): Promise<SearchAnswer> {
    const engine = this.indexer.engine();
    const filters = request.filters ?? {};
    const filtered = (request.facets ?? []).filter((facet) => filters[facet] !== undefined);
    const [answer, ...own] = await Promise.all([
      engine.search(tenantId, kind, request),
      ...filtered.map((facet) => {
        const { [facet]: _own, ...others } = filters;
        return engine.search(tenantId, kind, { q: request.q ?? '', filters: others, facets: [facet], page: 1, hitsPerPage: 1 });
      }),
    ]);
    filtered.forEach((facet, i) => (answer!.facets[facet] = own[i]!.facets[facet] ?? []));
    return answer!;
  }

  /** Ticket search with facets and highlights (staff). */
  async tickets(ctx: Ctx, query: TicketSearchQuery): Promise<TicketSearchResult> {
    assertCanSearchTickets(ctx.actor);
    const answer = await this.withFacets(ctx.tenantId.toHexString(), 'ticket', {
      q: query.q,
      filters: withoutUndefined({
        status: query.status,
        priority: query.priority,
        teamId: noneToNull(query.teamId),
        assigneeId: noneToNull(query.assigneeId),
        categoryId: noneToNull(query.categoryId),
        tags: query.tags,
      }),
      facets: query.facets ?? [],
      sort: SORTS[query.sort]!,
      page: query.page,
      hitsPerPage: query.hitsPerPage,
    });
    return { ...answer, hits: answer.hits.map(toTicketHit), facets: pickFacets(answer, TICKET_FACETS) };
  }

  /** Article search of the caller's tenant: staff search everything, customers published public articles. */
  async articles(ctx: Ctx, query: ArticleSearchQuery): Promise<ArticleSearchResult> {
    return this.searchArticles(ctx.tenantId, articleScopeOf(ctx.actor), query);
  }

  /** The public help center's search: published public articles of the tenant named by slug. */
  async helpCenter(query: HelpSearchQuery): Promise<ArticleSearchResult> {
    const tenant = await this.kb.tenantBySlug(query.tenant);
    return this.searchArticles(tenant._id, 'public', { ...query, sort: 'relevance' });
  }

  /** Article search within a scope the server chose. */
  async searchArticles(
    tenantId: Types.ObjectId,
    scope: 'all' | 'public',
    query: Omit<ArticleSearchQuery, 'status' | 'visibility' | 'sectionId'> & {
      status?: string[];
      visibility?: string[];
      sectionId?: string[];
    },
  ): Promise<ArticleSearchResult> {
    // An outage is a 503 even for a request that could match nothing.
    this.indexer.engine();
    const status = scope === 'public' ? narrow(query.status, PUBLIC_SCOPE.status) : query.status;
    const visibility = scope === 'public' ? narrow(query.visibility, PUBLIC_SCOPE.visibility) : query.visibility;
    if (status?.length === 0 || visibility?.length === 0) {
      // The client asked for drafts or internal articles outside its scope: nothing matches.
      return {
        hits: [],
        total: 0,
        page: query.page,
        hitsPerPage: query.hitsPerPage,
        totalPages: 0,
        facets: {},
        q: query.q.slice(0, 200),
        truncated: query.q.length > 200,
      };
    }
    const answer = await this.withFacets(tenantId.toHexString(), 'article', {
      q: query.q,
      filters: withoutUndefined({ status, visibility, locale: query.locale, sectionId: noneToNull(query.sectionId), tags: query.tags }),
      facets: query.facets ?? [],
      sort: SORTS[query.sort]!,
      page: query.page,
      hitsPerPage: query.hitsPerPage,
    });
    return { ...answer, hits: answer.hits.map(toArticleHit), facets: pickFacets(answer, ARTICLE_FACETS) };
  }
}
