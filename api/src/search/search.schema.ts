import { z } from 'zod';
import { localeSchema } from '../kb/kb.schema.ts';
import { ARTICLE_STATUSES, ARTICLE_VISIBILITIES } from '../kb/kb.model.ts';
import { objectIdSchema } from '../lib/ids.ts';
import { tenantSlugSchema } from '../tenants/tenant.schema.ts';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/ticket-status.ts';
import { tagSchema } from '../tickets/ticket.schema.ts';

/**
 * Longest query text accepted. The engines search the first 200 characters and say
 * `truncated: true`; anything past this is refused as a mistake or an attack.
 */
export const MAX_QUERY_LENGTH = 1_000;

/** Deepest page reachable (the engines stop at 10,000 results). */
const MAX_PAGE = 200;

/** Comma-separated values in one parameter (`status=open,pending`), each validated. */
const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (typeof value === 'string' ? value.split(',').filter(Boolean) : value), z.array(item).min(1).max(50));

/** An id filter value: an id, or `none` for "not set". */
const idOrNone = z.union([objectIdSchema, z.literal('none')]);

/** Facets a ticket search may ask for; any other name is refused. */
export const TICKET_FACETS = ['status', 'priority', 'teamId', 'assigneeId', 'categoryId', 'tags'] as const;
/** Facets an article search may ask for. */
export const ARTICLE_FACETS = ['status', 'visibility', 'locale', 'sectionId', 'tags'] as const;
/** Facets of the public help-center search. */
export const HELP_FACETS = ['locale', 'sectionId', 'tags'] as const;

const paging = {
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
  hitsPerPage: z.coerce.number().int().min(1).max(50).default(20),
};

/** GET /api/v1/search/tickets query. Filter values of one name are OR-ed, names AND-ed. */
export const ticketSearchQuerySchema = z
  .object({
    q: z.string().max(MAX_QUERY_LENGTH).default(''),
    status: csv(z.enum(TICKET_STATUSES)).optional(),
    priority: csv(z.enum(TICKET_PRIORITIES)).optional(),
    teamId: csv(idOrNone).optional(),
    assigneeId: csv(idOrNone).optional(),
    categoryId: csv(idOrNone).optional(),
    tags: csv(tagSchema).optional(),
    facets: csv(z.enum(TICKET_FACETS)).optional(),
    sort: z
      .enum(['relevance', 'updated_desc', 'updated_asc', 'created_desc', 'created_asc', 'number_desc', 'number_asc'])
      .default('relevance'),
    ...paging,
  })
  .strict();
/** Ticket search query. */
export type TicketSearchQuery = z.infer<typeof ticketSearchQuerySchema>;

/** GET /api/v1/search/articles query (customers get published public articles whatever they ask). */
export const articleSearchQuerySchema = z
  .object({
    q: z.string().max(MAX_QUERY_LENGTH).default(''),
    status: csv(z.enum(ARTICLE_STATUSES)).optional(),
    visibility: csv(z.enum(ARTICLE_VISIBILITIES)).optional(),
    locale: csv(localeSchema).optional(),
    sectionId: csv(idOrNone).optional(),
    tags: csv(tagSchema).optional(),
    facets: csv(z.enum(ARTICLE_FACETS)).optional(),
    sort: z.enum(['relevance', 'updated_desc', 'updated_asc']).default('relevance'),
    ...paging,
  })
  .strict();
/** Article search query. */
export type ArticleSearchQuery = z.infer<typeof articleSearchQuerySchema>;

/** GET /api/v1/help/search query: the public help center of the tenant named by slug. */
export const helpSearchQuerySchema = z
  .object({
    tenant: tenantSlugSchema,
    q: z.string().max(MAX_QUERY_LENGTH).default(''),
    locale: csv(localeSchema).optional(),
    sectionId: csv(objectIdSchema).optional(),
    tags: csv(tagSchema).optional(),
    facets: csv(z.enum(HELP_FACETS)).optional(),
    ...paging,
  })
  .strict();
/** Help-center search query. */
export type HelpSearchQuery = z.infer<typeof helpSearchQuerySchema>;

const segments = z.array(z.object({ text: z.string(), match: z.boolean() }));
const facetValues = z.array(z.object({ value: z.string(), count: z.number() }));

function resultSchema<H extends z.ZodType, F extends readonly [string, ...string[]]>(hit: H, facets: F) {
  return z.object({
    hits: z.array(hit),
    /** Matching documents (at most 10,000). */
    total: z.number(),
    page: z.number(),
    hitsPerPage: z.number(),
    totalPages: z.number(),
    /** Counts over every match, for the facets asked for; a filtered facet is counted without its own filter. */
    facets: z.object(
      Object.fromEntries(facets.map((f) => [f, facetValues.optional()])) as Record<F[number], z.ZodOptional<typeof facetValues>>,
    ),
    /** The text searched (cut to 200 characters). */
    q: z.string(),
    truncated: z.boolean(),
  });
}

/** A ticket hit: the ticket's searchable fields and highlighted subject and body snippet (render segments as text). */
export const ticketHitSchema = z.object({
  ticket: z.object({
    id: z.string(),
    number: z.number(),
    subject: z.string(),
    status: z.enum(TICKET_STATUSES),
    priority: z.enum(TICKET_PRIORITIES),
    teamId: z.string().nullable(),
    assigneeId: z.string().nullable(),
    categoryId: z.string().nullable(),
    tags: z.array(z.string()),
    requesterName: z.string(),
    requesterEmail: z.string(),
    organisationName: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
  highlights: z.object({ subject: segments, body: segments }),
});
/** Ticket hit DTO. */
export type TicketHitDto = z.infer<typeof ticketHitSchema>;

/** An article hit. */
export const articleHitSchema = z.object({
  article: z.object({
    id: z.string(),
    title: z.string(),
    locale: z.string(),
    status: z.enum(ARTICLE_STATUSES),
    visibility: z.enum(ARTICLE_VISIBILITIES),
    sectionId: z.string().nullable(),
    tags: z.array(z.string()),
    updatedAt: z.string(),
  }),
  highlights: z.object({ title: segments, body: segments }),
});
/** Article hit DTO. */
export type ArticleHitDto = z.infer<typeof articleHitSchema>;

/** GET /api/v1/search/tickets answer. */
export const ticketSearchResultSchema = resultSchema(ticketHitSchema, TICKET_FACETS);
/** Ticket search result. */
export type TicketSearchResult = z.infer<typeof ticketSearchResultSchema>;

/** GET /api/v1/search/articles and /help/search answer. */
export const articleSearchResultSchema = resultSchema(articleHitSchema, ARTICLE_FACETS);
/** Article search result. */
export type ArticleSearchResult = z.infer<typeof articleSearchResultSchema>;
