import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { tenantSlugSchema } from '../tenants/tenant.schema.ts';
import { tagSchema } from '../tickets/ticket.schema.ts';
import { ARTICLE_STATUSES, ARTICLE_VISIBILITIES } from './kb.model.ts';

/** A BCP 47 language tag such as `en` or `pt-BR` (the form the search engines accept). */
export const localeSchema = z
  .string()
  .max(35)
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en or pt-BR');

/** Longest article body accepted (characters of HTML). */
export const MAX_ARTICLE_BODY = 200_000;

const sectionFields = {
  name: z.string().trim().min(1).max(120),
  description: z.string().max(1000),
  parentId: objectIdSchema.nullable(),
  position: z.number().int().min(0).max(100_000),
};

/** POST /api/v1/kb/sections body. */
export const sectionCreateSchema = z
  .object({
    ...sectionFields,
    description: sectionFields.description.default(''),
    parentId: sectionFields.parentId.default(null),
    position: sectionFields.position.default(0),
  })
  .strict();
/** PATCH /api/v1/kb/sections/:id body (only what it names changes). */
export const sectionPatchSchema = z.object(sectionFields).partial().strict();
/** Section input. */
export type SectionInput = z.infer<typeof sectionCreateSchema>;
/** Section patch. */
export type SectionPatch = z.infer<typeof sectionPatchSchema>;

/** A section as staff see it. */
export const sectionDtoSchema = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  name: z.string(),
  description: z.string(),
  position: z.number(),
  /** Articles directly in this section (staff: all; help center: published public ones). */
  articleCount: z.number(),
});
/** Section DTO. */
export type SectionDto = z.infer<typeof sectionDtoSchema>;

const articleFields = {
  title: z.string().trim().min(1).max(250),
  body: z.string().max(MAX_ARTICLE_BODY),
  /** `html` is sanitised; `text` is escaped and its paragraphs kept. */
  format: z.enum(['html', 'text']),
  sectionId: objectIdSchema.nullable(),
  locale: localeSchema,
  visibility: z.enum(ARTICLE_VISIBILITIES),
  tags: z.array(tagSchema).max(20),
  /** What changed, for the version history. */
  note: z.string().trim().max(500),
};

/** POST /api/v1/kb/articles body: the first version (a draft). */
export const articleCreateSchema = z
  .object({
    ...articleFields,
    body: articleFields.body.default(''),
    format: articleFields.format.default('html'),
    sectionId: articleFields.sectionId.default(null),
    locale: articleFields.locale.default('en'),
    visibility: articleFields.visibility.default('public'),
    tags: articleFields.tags.default([]),
    note: articleFields.note.default(''),
  })
  .strict();
/**
 * PATCH /api/v1/kb/articles/:id body. Title, body and tags make a new draft version;
 * section, locale and visibility apply at once. `baseVersion` (the version the author
 * started from) refuses an edit made on top of someone else's newer version.
 */
export const articlePatchSchema = z
  .object({ ...articleFields, baseVersion: z.number().int().min(1) })
  .partial()
  .strict();
/** Article input. */
export type ArticleInput = z.infer<typeof articleCreateSchema>;
/** Article patch. */
export type ArticlePatch = z.infer<typeof articlePatchSchema>;

/** POST /api/v1/kb/articles/:id/publish body: which version goes live (default the latest). */
export const articlePublishSchema = z.object({ version: z.number().int().min(1).optional() }).strict();

const fileDtoSchema = z.object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number() });

/** An article in lists (no body). */
export const articleSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  sectionId: z.string().nullable(),
  locale: z.string(),
  visibility: z.enum(ARTICLE_VISIBILITIES),
  status: z.enum(ARTICLE_STATUSES),
  version: z.number(),
  publishedVersion: z.number().nullable(),
  /** The latest version is newer than the published one. */
  hasUnpublishedChanges: z.boolean(),
  tags: z.array(z.string()),
  helpful: z.object({ yes: z.number(), no: z.number() }),
  updatedAt: z.string(),
});
/** Article summary DTO. */
export type ArticleSummaryDto = z.infer<typeof articleSummarySchema>;

/** An article as staff see it: the latest draft, and what is published. */
export const articleDtoSchema = articleSummarySchema.extend({
  bodyHtml: z.string(),
  published: z.object({ version: z.number(), title: z.string(), at: z.string(), by: z.string() }).nullable(),
  files: z.array(fileDtoSchema),
  createdAt: z.string(),
});
/** Article DTO. */
export type ArticleDto = z.infer<typeof articleDtoSchema>;

/** One version in the history (without its body). */
export const versionSummarySchema = z.object({
  version: z.number(),
  title: z.string(),
  tags: z.array(z.string()),
  authorName: z.string(),
  note: z.string(),
  /** This version is the one readers get. */
  live: z.boolean(),
  createdAt: z.string(),
});
/** Version summary DTO. */
export type VersionSummaryDto = z.infer<typeof versionSummarySchema>;

/** One version with its content. */
export const versionDtoSchema = versionSummarySchema.extend({ bodyHtml: z.string() });
/** Version DTO. */
export type VersionDto = z.infer<typeof versionDtoSchema>;

/** GET /api/v1/kb/articles query (a category's `sectionId` covers the sections inside it). */
export const articleListQuerySchema = z
  .object({
    sectionId: objectIdSchema.optional(),
    status: z.enum(ARTICLE_STATUSES).optional(),
    visibility: z.enum(ARTICLE_VISIBILITIES).optional(),
    locale: localeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    /** Continue after this article (the last id of the previous page). */
    after: objectIdSchema.optional(),
  })
  .strict();
/** Article list query. */
export type ArticleListQuery = z.infer<typeof articleListQuerySchema>;

/** `:id` + `:version` path parameters. */
export const versionParams = z.object({ id: objectIdSchema, version: z.coerce.number().int().min(1).max(1_000_000) }).strict();

/** `:id` + `:fileId` path parameters. */
export const fileParams = z.object({ id: objectIdSchema, fileId: objectIdSchema }).strict();

/** The help center a public request reads: the tenant's slug (public, like the widget key). */
export const helpTenantSchema = z.object({ tenant: tenantSlugSchema }).strict();

/** GET /api/v1/help/articles query. */
export const helpArticleListQuerySchema = z
  .object({
    tenant: tenantSlugSchema,
    sectionId: objectIdSchema.optional(),
    locale: localeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    after: objectIdSchema.optional(),
  })
  .strict();
/** Help-center list query. */
export type HelpArticleListQuery = z.infer<typeof helpArticleListQuerySchema>;

/** A published public article in help-center lists. */
export const helpArticleSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  sectionId: z.string().nullable(),
  locale: z.string(),
  tags: z.array(z.string()),
  updatedAt: z.string(),
});
/** Help-center summary DTO. */
export type HelpArticleSummaryDto = z.infer<typeof helpArticleSummarySchema>;

/** A published public article as readers get it (the live version only). */
export const helpArticleSchema = helpArticleSummarySchema.extend({
  bodyHtml: z.string(),
  files: z.array(fileDtoSchema),
  helpful: z.object({ yes: z.number(), no: z.number() }),
});
/** Help-center article DTO. */
export type HelpArticleDto = z.infer<typeof helpArticleSchema>;

/** POST /api/v1/help/articles/:id/feedback body. */
export const feedbackSchema = z.object({ helpful: z.boolean() }).strict();
