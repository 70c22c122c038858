import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** Who may read an article: everyone (the public help center) or staff only. */
export const ARTICLE_VISIBILITIES = ['public', 'internal'] as const;
/** One of {@link ARTICLE_VISIBILITIES}. */
export type ArticleVisibility = (typeof ARTICLE_VISIBILITIES)[number];

/** `draft` until first published; `published` while a published version is live. */
export const ARTICLE_STATUSES = ['draft', 'published'] as const;
/** One of {@link ARTICLE_STATUSES}. */
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];

/**
 * A place in the knowledge base's tree: a top-level section (no parent) is a category,
 * its children are sections. Two levels, like most help centers.
 */
export interface KbSection {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  parentId: Types.ObjectId | null;
  name: string;
  description: string;
  /** Order among siblings (ascending). */
  position: number;
  createdAt: Date;
  updatedAt: Date;
}

const sectionSchema = new Schema<KbSection>(
  {
    parentId: { type: Schema.Types.ObjectId, default: null },
    name: { type: String, required: true, trim: true },
    description: { type: String, default: '' },
    position: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);
sectionSchema.plugin(tenantScoped);
sectionSchema.index({ tenantId: 1, parentId: 1, position: 1 });

/** The content of one version: what authors edit and readers read. */
export interface ArticleContent {
  title: string;
  /** Sanitised HTML. */
  bodyHtml: string;
  /** Plain text of the body (search, suggestions). */
  bodyText: string;
  tags: string[];
}

/** The live version of a published article (what customers read). */
export interface PublishedContent extends ArticleContent {
  version: number;
  at: Date;
  by: string;
}

/** A file attached to an article (bytes in the attachment store; no ticket). */
export interface ArticleFile {
  id: Types.ObjectId;
  filename: string;
  contentType: string;
  size: number;
}

/**
 * A knowledge-base article. The top-level content is the latest draft (version
 * `version`); `published` is the version readers get, so editing a published article
 * never changes what customers see until it is published again. Section, locale and
 * visibility apply at once. Every content change appends a {@link KbArticleVersion}.
 */
export interface KbArticle extends ArticleContent {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  sectionId: Types.ObjectId | null;
  /** BCP 47 language tag (`en`, `pt-BR`). */
  locale: string;
  visibility: ArticleVisibility;
  status: ArticleStatus;
  /** Number of the latest version. */
  version: number;
  published: PublishedContent | null;
  files: ArticleFile[];
  helpfulYes: number;
  helpfulNo: number;
  createdBy: Types.ObjectId | null;
  updatedBy: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

const contentFields = {
  title: { type: String, required: true },
  bodyHtml: { type: String, default: '' },
  bodyText: { type: String, default: '' },
  tags: { type: [String], default: [] },
};

const publishedSchema = new Schema<PublishedContent>(
  { ...contentFields, version: { type: Number, required: true }, at: { type: Date, required: true }, by: { type: String, required: true } },
  { _id: false },
);
const fileSchema = new Schema<ArticleFile>(
  { id: { type: Schema.Types.ObjectId, required: true }, filename: String, contentType: String, size: Number },
  { _id: false },
);

const articleSchema = new Schema<KbArticle>(
  {
    ...contentFields,
    sectionId: { type: Schema.Types.ObjectId, default: null },
    locale: { type: String, required: true },
    visibility: { type: String, enum: ARTICLE_VISIBILITIES, required: true },
    status: { type: String, enum: ARTICLE_STATUSES, required: true, default: 'draft' },
    version: { type: Number, required: true, default: 1 },
    published: { type: publishedSchema, default: null },
    files: { type: [fileSchema], default: [] },
    helpfulYes: { type: Number, default: 0 },
    helpfulNo: { type: Number, default: 0 },
    createdBy: { type: Schema.Types.ObjectId, default: null },
    updatedBy: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
articleSchema.plugin(tenantScoped);
articleSchema.index({ tenantId: 1, sectionId: 1, updatedAt: -1 });
articleSchema.index({ tenantId: 1, status: 1, visibility: 1, locale: 1 });

/** One saved version of an article's content. Append-only: never updated or removed while the article exists. */
export interface KbArticleVersion extends ArticleContent {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  articleId: Types.ObjectId;
  version: number;
  authorId: Types.ObjectId | null;
  authorName: string;
  /** What the author said about the change. */
  note: string;
  createdAt: Date;
}

const versionSchema = new Schema<KbArticleVersion>(
  {
    ...contentFields,
    articleId: { type: Schema.Types.ObjectId, required: true },
    version: { type: Number, required: true },
    authorId: { type: Schema.Types.ObjectId, default: null },
    authorName: { type: String, required: true },
    note: { type: String, default: '' },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
versionSchema.plugin(tenantScoped);
versionSchema.index({ tenantId: 1, articleId: 1, version: 1 }, { unique: true });

/**
 * One reader's "was this helpful?" answer. One per reader and article (a signed-in
 * person by id, anyone else by a hash of their address and the article), so answering
 * again changes the vote instead of adding one.
 */
export interface KbArticleVote {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  articleId: Types.ObjectId;
  voter: string;
  helpful: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const voteSchema = new Schema<KbArticleVote>(
  {
    articleId: { type: Schema.Types.ObjectId, required: true },
    voter: { type: String, required: true },
    helpful: { type: Boolean, required: true },
  },
  { timestamps: true, versionKey: false },
);
voteSchema.plugin(tenantScoped);
voteSchema.index({ tenantId: 1, articleId: 1, voter: 1 }, { unique: true });
voteSchema.index({ tenantId: 1, articleId: 1, helpful: 1 });

/** Registers the knowledge base's models on a connection. */
export function kbModels(connection: Connection): {
  KbSection: Model<KbSection>;
  KbArticle: Model<KbArticle>;
  KbArticleVersion: Model<KbArticleVersion>;
  KbArticleVote: Model<KbArticleVote>;
} {
  return {
    KbSection: connection.model<KbSection>('KbSection', sectionSchema, 'kb_sections'),
    KbArticle: connection.model<KbArticle>('KbArticle', articleSchema, 'kb_articles'),
    KbArticleVersion: connection.model<KbArticleVersion>('KbArticleVersion', versionSchema, 'kb_article_versions'),
    KbArticleVote: connection.model<KbArticleVote>('KbArticleVote', voteSchema, 'kb_article_votes'),
  };
}
