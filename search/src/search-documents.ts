import { z } from 'zod';

/**
 * Identifiers that reach a search engine (tenant ids, document ids, team ids, ...).
 * A closed alphabet keeps them safe as file names, Meilisearch document keys and
 * filter literals; Mongo ObjectIds and UUIDs fit.
 */
export const searchIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');

/** A tag or other free keyword used as a facet value. */
export const keywordSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters');

/** Longest body text an engine indexes per document; the rest is cut (characters). */
export const MAX_BODY_CHARS = 100_000;

/** Private-use characters the Meilisearch engine uses as highlight markers; never indexed. */
export const HIGHLIGHT_MARKERS = { pre: '\uE000', post: '\uE001' } as const;

const markerPattern = /[\uE000\uE001]/g;

const text = (max: number) => z.string().transform((value) => value.replace(markerPattern, '').slice(0, max));

/** Ticket statuses, in workflow order. */
export const ticketStatuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;

/** Ticket priorities, lowest first. */
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;

/** A ticket as the search engines index it (one per ticket, conversation flattened into `body`). */
export const ticketDocumentSchema = z.object({
  tenantId: searchIdSchema,
  id: searchIdSchema,
  number: z.number().int().nonnegative(),
  subject: text(1_000),
  /** The conversation's text (customer and agent messages, newest last), plain text. */
  body: text(MAX_BODY_CHARS),
  status: z.enum(ticketStatuses),
  priority: z.enum(ticketPriorities),
  teamId: searchIdSchema.nullable(),
  assigneeId: searchIdSchema.nullable(),
  categoryId: searchIdSchema.nullable(),
  tags: z.array(keywordSchema).max(50),
  requesterName: text(200),
  requesterEmail: text(320),
  organisationName: text(200).nullable(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});

/** A ticket document (validated). */
export type TicketDocument = z.output<typeof ticketDocumentSchema>;

/** Input accepted for a ticket document (dates may be ISO strings). */
export type TicketDocumentInput = z.input<typeof ticketDocumentSchema>;

/** Publication states of a knowledge-base article. */
export const articleStatuses = ['draft', 'published'] as const;

/** Who may read a knowledge-base article. */
export const articleVisibilities = ['public', 'internal'] as const;

/** A knowledge-base article as the search engines index it. */
export const articleDocumentSchema = z.object({
  tenantId: searchIdSchema,
  id: searchIdSchema,
  title: text(1_000),
  /** The article's text without markup. */
  body: text(MAX_BODY_CHARS),
  locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as en or pt-BR'),
  status: z.enum(articleStatuses),
  visibility: z.enum(articleVisibilities),
  sectionId: searchIdSchema.nullable(),
  tags: z.array(keywordSchema).max(50),
  updatedAt: z.coerce.date(),
});

/** A knowledge-base article document (validated). */
export type ArticleDocument = z.output<typeof articleDocumentSchema>;

/** Input accepted for an article document (dates may be ISO strings). */
export type ArticleDocumentInput = z.input<typeof articleDocumentSchema>;

/** The two kinds of documents the search package indexes. */
export const documentKinds = ['ticket', 'article'] as const;

/** `ticket` or `article`. */
export type DocumentKind = (typeof documentKinds)[number];

/** The validated document type of a kind. */
export type DocumentOf<K extends DocumentKind> = K extends 'ticket' ? TicketDocument : ArticleDocument;

/** The input document type of a kind. */
export type DocumentInputOf<K extends DocumentKind> = K extends 'ticket' ? TicketDocumentInput : ArticleDocumentInput;

/**
 * Everything an engine must know about one kind: which fields are searched (with boosts),
 * filtered, faceted, sorted and highlighted. Both engines are configured from this table,
 * so they cannot drift apart.
 */
export interface KindSpec {
  schema: z.ZodType;
  /** Searched text fields, most important first, with relative weights. */
  searchable: ReadonlyArray<{ field: string; boost: number }>;
  /** Keyword fields usable in filters and facets (single value or list). */
  keywordFields: readonly string[];
  /** Date fields usable as range filters. */
  dateFields: readonly string[];
  /** Fields a search may sort on besides relevance. */
  sortable: readonly string[];
  /** Text fields that get highlight snippets. */
  highlighted: readonly string[];
}

/** The field table of each kind. */
export const kindSpecs = {
  ticket: {
    schema: ticketDocumentSchema,
    searchable: [
      { field: 'subject', boost: 3 },
      { field: 'requesterName', boost: 2 },
      { field: 'requesterEmail', boost: 2 },
      { field: 'organisationName', boost: 1.5 },
      { field: 'tags', boost: 1.5 },
      { field: 'body', boost: 1 },
    ],
    keywordFields: ['status', 'priority', 'teamId', 'assigneeId', 'categoryId', 'tags'],
    dateFields: ['createdAt', 'updatedAt'],
    sortable: ['createdAt', 'updatedAt', 'number'],
    highlighted: ['subject', 'body'],
  },
  article: {
    schema: articleDocumentSchema,
    searchable: [
      { field: 'title', boost: 3 },
      { field: 'tags', boost: 1.5 },
      { field: 'body', boost: 1 },
    ],
    keywordFields: ['locale', 'status', 'visibility', 'sectionId', 'tags'],
    dateFields: ['updatedAt'],
    sortable: ['updatedAt'],
    highlighted: ['title', 'body'],
  },
} as const satisfies Record<DocumentKind, KindSpec>;

/** Facet (keyword) field names of a kind. */
export type FacetFieldOf<K extends DocumentKind> = (typeof kindSpecs)[K]['keywordFields'][number];

/** Sortable field names of a kind. */
export type SortFieldOf<K extends DocumentKind> = (typeof kindSpecs)[K]['sortable'][number];

/** Date field names of a kind. */
export type DateFieldOf<K extends DocumentKind> = (typeof kindSpecs)[K]['dateFields'][number];

/** Highlighted field names of a kind. */
export type HighlightFieldOf<K extends DocumentKind> = (typeof kindSpecs)[K]['highlighted'][number];
