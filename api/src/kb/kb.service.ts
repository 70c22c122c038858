import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import type { Attachment } from '../attachments/attachment.model.ts';
import type { AttachmentService, UploadPart } from '../attachments/attachment.service.ts';
import type { BlobStore } from '../attachments/blob-store.ts';
import { actorUserId, type Ctx } from '../context.ts';
import type { Leases } from '../db/lease.model.ts';
import type { Models } from '../db/models.ts';
import type { EventType } from '../events/event-types.ts';
import type { EventLog } from '../events/event-log.ts';
import { AppError } from '../lib/errors.ts';
import { hex, oid } from '../lib/ids.ts';
import { htmlToText, sanitizeRichText } from '../lib/sanitize.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { ArticleContent, KbArticle, KbArticleVersion, KbSection } from './kb.model.ts';
import { assertCanManageSections, assertCanPublishArticles, assertCanReadKb, assertCanWriteArticles } from './kb.policy.ts';
import type {
  ArticleDto,
  ArticleInput,
  ArticleListQuery,
  ArticlePatch,
  ArticleSummaryDto,
  HelpArticleDto,
  HelpArticleListQuery,
  HelpArticleSummaryDto,
  SectionDto,
  SectionInput,
  SectionPatch,
  VersionDto,
  VersionSummaryDto,
} from './kb.schema.ts';

/** Most files one article carries. */
export const MAX_ARTICLE_FILES = 20;

/** A file ready to stream to a reader. */
export interface OpenedFile {
  stream: Readable;
  contentType: string;
  size: number;
  filename: string;
  inline: boolean;
}

/** A page of a list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Filter of the articles the help center serves: published and public, nothing else, ever. */
const PUBLIC = { status: 'published', visibility: 'public' } as const;

const leaseKey = (id: Types.ObjectId) => `kb-article:${id.toHexString()}`;

function toSummary(article: KbArticle): ArticleSummaryDto {
  return {
    id: article._id.toHexString(),
    title: article.title,
    sectionId: hex(article.sectionId),
    locale: article.locale,
    visibility: article.visibility,
    status: article.status,
    version: article.version,
    publishedVersion: article.published?.version ?? null,
    hasUnpublishedChanges: article.published ? article.published.version !== article.version : false,
    tags: article.tags,
    helpful: { yes: article.helpfulYes, no: article.helpfulNo },
    updatedAt: article.updatedAt.toISOString(),
  };
}

function toArticleDto(article: KbArticle): ArticleDto {
  return {
    ...toSummary(article),
    bodyHtml: article.bodyHtml,
    published: article.published
      ? {
          version: article.published.version,
          title: article.published.title,
          at: article.published.at.toISOString(),
          by: article.published.by,
        }
      : null,
    files: article.files.map((f) => ({ id: f.id.toHexString(), filename: f.filename, contentType: f.contentType, size: f.size })),
    createdAt: article.createdAt.toISOString(),
  };
}

function toHelpSummary(article: KbArticle): HelpArticleSummaryDto {
  const live = article.published!;
  return {
    id: article._id.toHexString(),
    title: live.title,
    sectionId: hex(article.sectionId),
    locale: article.locale,
    tags: live.tags,
    updatedAt: live.at.toISOString(),
  };
}

function toVersionSummary(version: KbArticleVersion, article: KbArticle): VersionSummaryDto {
  return {
    version: version.version,
    title: version.title,
    tags: version.tags,
    authorName: version.authorName,
    note: version.note,
    live: article.published?.version === version.version,
    createdAt: version.createdAt.toISOString(),
  };
}

function content(title: string, body: string, format: 'html' | 'text', tags: string[]): ArticleContent {
  const bodyHtml = sanitizeRichText(body, format);
  return { title, bodyHtml, bodyText: htmlToText(bodyHtml), tags: [...new Set(tags)] };
}

function sameContent(a: ArticleContent, b: ArticleContent): boolean {
  return a.title === b.title && a.bodyHtml === b.bodyHtml && a.tags.join('\n') === b.tags.join('\n');
}

/**
 * The knowledge base: a tree of categories and sections, articles with an append-only
 * version history, a draft → published workflow (readers only ever get the published
 * version), public or internal visibility, a locale, files, and "was this helpful"
 * counters. Staff author through the `Ctx` methods; the public help center reads by
 * tenant slug and serves published public articles only.
 *
 * Article changes run under the article's lease (FerretDB updates are not atomic) and
 * emit `article.*` events, which the search index follows.
 */
export class KbService {
  constructor(
    private readonly models: Models,
    private readonly events: EventLog,
    private readonly leases: Leases,
    private readonly attachments: AttachmentService,
    private readonly blobs: BlobStore,
  ) {}

  // ── sections ──────────────────────────────────────────────────────────────

  private async sectionsWithCounts(tenantId: Types.ObjectId, match: Record<string, unknown>): Promise<SectionDto[]> {
    const [sections, counts] = await Promise.all([
      this.models.KbSection.find({ tenantId }).sort({ position: 1, name: 1 }).lean<KbSection[]>(),
      this.models.KbArticle.aggregate<{ _id: Types.ObjectId | null; n: number }>([
        { $match: { tenantId, ...match } },
        { $group: { _id: '$sectionId', n: { $sum: 1 } } },
      ]),
    ]);
    const countOf = new Map(counts.map((c) => [hex(c._id), c.n]));
    return sections.map((s) => ({
      id: s._id.toHexString(),
      parentId: hex(s.parentId),
      name: s.name,
      description: s.description,
      position: s.position,
      articleCount: countOf.get(s._id.toHexString()) ?? 0,
    }));
  }

  /** Every category and section, with the number of articles in each (staff). */
  async listSections(ctx: Ctx): Promise<SectionDto[]> {
    assertCanReadKb(ctx.actor);
    return this.sectionsWithCounts(ctx.tenantId, {});
  }

  /** A parent must be a category of this tenant (two levels: a section cannot hold sections). */
  private async checkParent(
    ctx: Ctx,
    parentId: string | null | undefined,
    self?: Types.ObjectId,
  ): Promise<Types.ObjectId | null | undefined> {
    if (parentId === undefined || parentId === null) return parentId;
    const id = oid(parentId);
    const parent = await this.models.KbSection.findOne({ tenantId: ctx.tenantId, _id: id }, { parentId: 1 }).lean<
      Pick<KbSection, 'parentId'>
    >();
    if (!parent) throw new AppError('validation_failed', 'Unknown parent section.', [{ path: '/parentId', message: 'not found' }]);
    if (parent.parentId || (self && id.equals(self)))
      throw new AppError('validation_failed', 'Sections nest two levels deep: the parent must be a top-level category.', [
        { path: '/parentId', message: 'not a category' },
      ]);
    if (self && (await this.models.KbSection.exists({ tenantId: ctx.tenantId, parentId: self })))
      throw new AppError('validation_failed', 'This category holds sections, so it cannot move under another one.', [
        { path: '/parentId', message: 'has sections' },
      ]);
    return id;
  }

  private async sectionDto(ctx: Ctx, id: Types.ObjectId): Promise<SectionDto> {
    const found = (await this.sectionsWithCounts(ctx.tenantId, {})).find((s) => s.id === id.toHexString());
    if (!found) throw new AppError('not_found', 'No such section.');
    return found;
  }

  /** Creates a category (no parent) or a section. */
  async createSection(ctx: Ctx, input: SectionInput): Promise<SectionDto> {
    assertCanManageSections(ctx.actor);
    const parentId = await this.checkParent(ctx, input.parentId);
    const [section] = await this.models.KbSection.create([{ tenantId: ctx.tenantId, ...input, parentId }]);
    return this.sectionDto(ctx, section!._id);
  }

  /** Renames, describes, reorders or moves a section. */
  async updateSection(ctx: Ctx, id: Types.ObjectId, patch: SectionPatch): Promise<SectionDto> {
    assertCanManageSections(ctx.actor);
    if (!(await this.models.KbSection.exists({ tenantId: ctx.tenantId, _id: id }))) throw new AppError('not_found', 'No such section.');
    const set: Record<string, unknown> = { ...patch };
    if (patch.parentId !== undefined) set.parentId = await this.checkParent(ctx, patch.parentId, id);
    await this.models.KbSection.updateOne({ tenantId: ctx.tenantId, _id: id }, { $set: set });
    return this.sectionDto(ctx, id);
  }

  /** Deletes an empty section; one that still holds articles or sections is a `conflict`. */
  async removeSection(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    assertCanManageSections(ctx.actor);
    if (!(await this.models.KbSection.exists({ tenantId: ctx.tenantId, _id: id }))) throw new AppError('not_found', 'No such section.');
    const [articles, children] = await Promise.all([
      this.models.KbArticle.countDocuments({ tenantId: ctx.tenantId, sectionId: id }),
      this.models.KbSection.countDocuments({ tenantId: ctx.tenantId, parentId: id }),
    ]);
    if (articles > 0 || children > 0)
      throw new AppError('conflict', 'Move or delete what this section holds first.', { articles, sections: children });
    await this.models.KbSection.deleteOne({ tenantId: ctx.tenantId, _id: id });
  }

  private async checkSection(ctx: Ctx, sectionId: string | null | undefined): Promise<Types.ObjectId | null | undefined> {
    if (sectionId === undefined || sectionId === null) return sectionId;
    const id = oid(sectionId);
    if (!(await this.models.KbSection.exists({ tenantId: ctx.tenantId, _id: id })))
      throw new AppError('validation_failed', 'Unknown section.', [{ path: '/sectionId', message: 'not found' }]);
    return id;
  }

  /** The filter of a section: a category covers the sections inside it too. */
  private async inSection(tenantId: Types.ObjectId, sectionId: string): Promise<Types.ObjectId | { $in: Types.ObjectId[] }> {
    const id = oid(sectionId);
    const children = await this.models.KbSection.find({ tenantId, parentId: id }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
    return children.length === 0 ? id : { $in: [id, ...children.map((c) => c._id)] };
  }

  // ── articles (staff) ──────────────────────────────────────────────────────

  private async find(tenantId: Types.ObjectId, id: Types.ObjectId): Promise<KbArticle> {
    const article = await this.models.KbArticle.findOne({ tenantId, _id: id }).lean<KbArticle>();
    if (!article) throw new AppError('not_found', 'No such article.');
    return article;
  }

  private async emit(
    ctx: Ctx,
    type: EventType,
    article: Pick<KbArticle, '_id' | 'version' | 'status' | 'visibility'>,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.events.append(ctx, [
      {
        type,
        ticketId: null,
        // Drafts and internal articles are staff business; customers learn about articles from the help center.
        audience: 'staff',
        data: {
          articleId: article._id.toHexString(),
          version: article.version,
          status: article.status,
          visibility: article.visibility,
          ...extra,
        },
      },
    ]);
  }

  /** Articles, newest first, with filters (staff see drafts and internal articles). */
  async list(ctx: Ctx, query: ArticleListQuery): Promise<Page<ArticleSummaryDto>> {
    assertCanReadKb(ctx.actor);
    const filter: Record<string, unknown> = { tenantId: ctx.tenantId };
    if (query.sectionId) filter.sectionId = await this.inSection(ctx.tenantId, query.sectionId);
    if (query.status) filter.status = query.status;
    if (query.visibility) filter.visibility = query.visibility;
    if (query.locale) filter.locale = query.locale;
    if (query.after) filter._id = { $lt: oid(query.after) };
    const found = await this.models.KbArticle.find(filter, { bodyHtml: 0, bodyText: 0, 'published.bodyHtml': 0, 'published.bodyText': 0 })
      .sort({ _id: -1 })
      .limit(query.limit + 1)
      .lean<KbArticle[]>();
    const items = found.slice(0, query.limit);
    return { items: items.map(toSummary), nextCursor: found.length > query.limit ? items.at(-1)!._id.toHexString() : null };
  }

  /** One article: the latest draft and what is published. */
  async get(ctx: Ctx, id: Types.ObjectId): Promise<ArticleDto> {
    assertCanReadKb(ctx.actor);
    return toArticleDto(await this.find(ctx.tenantId, id));
  }

  private async appendVersion(ctx: Ctx, articleId: Types.ObjectId, version: number, body: ArticleContent, note: string): Promise<void> {
    try {
      await this.models.KbArticleVersion.create([
        { tenantId: ctx.tenantId, articleId, version, ...body, authorId: actorUserId(ctx.actor) ?? null, authorName: ctx.actor.name, note },
      ]);
    } catch (error) {
      if ((error as { code?: number }).code === 11000)
        throw new AppError('conflict', 'Someone else saved this article at the same moment; reload it.');
      throw error;
    }
  }

  /** Creates an article as a draft (version 1). */
  async create(ctx: Ctx, input: ArticleInput): Promise<ArticleDto> {
    assertCanWriteArticles(ctx.actor);
    const sectionId = await this.checkSection(ctx, input.sectionId);
    const body = content(input.title, input.body, input.format, input.tags);
    const _id = new Types.ObjectId();
    await this.appendVersion(ctx, _id, 1, body, input.note);
    const by = actorUserId(ctx.actor) ?? null;
    const [created] = await this.models.KbArticle.create([
      {
        _id,
        tenantId: ctx.tenantId,
        ...body,
        sectionId,
        locale: input.locale,
        visibility: input.visibility,
        status: 'draft',
        version: 1,
        published: null,
        createdBy: by,
        updatedBy: by,
      },
    ]);
    const article = created!.toObject<KbArticle>();
    await this.emit(ctx, 'article.created', article);
    return toArticleDto(article);
  }

  /**
   * Edits an article: a change of title, body or tags becomes a new draft version (readers
   * keep the published one until it is published); section, locale and visibility apply
   * at once. `baseVersion` older than the latest is a `conflict` (someone saved meanwhile).
   */
  async update(ctx: Ctx, id: Types.ObjectId, patch: ArticlePatch): Promise<ArticleDto> {
    assertCanWriteArticles(ctx.actor);
    const sectionId = await this.checkSection(ctx, patch.sectionId);
    return this.leases.run(ctx.tenantId, leaseKey(id), async () => {
      const article = await this.find(ctx.tenantId, id);
      if (patch.baseVersion !== undefined && patch.baseVersion !== article.version)
        throw new AppError('conflict', `This article is at version ${article.version} now; reload it before saving.`, {
          version: article.version,
        });
      const body =
        patch.body === undefined
          ? { bodyHtml: article.bodyHtml, bodyText: article.bodyText }
          : content('', patch.body, patch.format ?? 'html', []);
      const next: ArticleContent = {
        title: patch.title ?? article.title,
        bodyHtml: body.bodyHtml,
        bodyText: body.bodyText,
        tags: [...new Set(patch.tags ?? article.tags)],
      };
      const set: Record<string, unknown> = {};
      const changes: string[] = [];
      if (!sameContent(next, article)) {
        set.version = article.version + 1;
        Object.assign(set, next);
        changes.push('content');
      }
      const sameSection = sectionId === null ? article.sectionId === null : article.sectionId?.equals(sectionId ?? '') === true;
      if (sectionId !== undefined && !sameSection) {
        set.sectionId = sectionId;
        changes.push('sectionId');
      }
      for (const field of ['locale', 'visibility'] as const) {
        if (patch[field] !== undefined && patch[field] !== article[field]) {
          set[field] = patch[field];
          changes.push(field);
        }
      }
      if (changes.length === 0) return toArticleDto(article);
      if (set.version) await this.appendVersion(ctx, id, set.version as number, next, patch.note ?? '');
      set.updatedBy = actorUserId(ctx.actor) ?? null;
      const updated = await this.models.KbArticle.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id },
        { $set: set },
        { returnDocument: 'after' },
      ).lean<KbArticle>();
      if (!updated) throw new AppError('not_found', 'No such article.');
      await this.emit(ctx, 'article.updated', updated, { changes });
      return toArticleDto(updated);
    });
  }

  /** Makes a version (default: the latest) the one readers get. */
  async publish(ctx: Ctx, id: Types.ObjectId, version?: number): Promise<ArticleDto> {
    assertCanPublishArticles(ctx.actor);
    return this.leases.run(ctx.tenantId, leaseKey(id), async () => {
      const article = await this.find(ctx.tenantId, id);
      const wanted = version ?? article.version;
      const source = await this.models.KbArticleVersion.findOne({
        tenantId: ctx.tenantId,
        articleId: id,
        version: wanted,
      }).lean<KbArticleVersion>();
      if (!source)
        throw new AppError('validation_failed', `This article has no version ${wanted}.`, [{ path: '/version', message: 'not found' }]);
      const published = {
        version: wanted,
        title: source.title,
        bodyHtml: source.bodyHtml,
        bodyText: source.bodyText,
        tags: source.tags,
        at: new Date(),
        by: ctx.actor.name,
      };
      const updated = await this.models.KbArticle.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id },
        { $set: { status: 'published', published, updatedBy: actorUserId(ctx.actor) ?? null } },
        { returnDocument: 'after' },
      ).lean<KbArticle>();
      if (!updated) throw new AppError('not_found', 'No such article.');
      await this.emit(ctx, 'article.published', updated, { publishedVersion: wanted });
      return toArticleDto(updated);
    });
  }

  /** Takes an article off the help center (it stays as a draft with its history). */
  async unpublish(ctx: Ctx, id: Types.ObjectId): Promise<ArticleDto> {
    assertCanPublishArticles(ctx.actor);
    return this.leases.run(ctx.tenantId, leaseKey(id), async () => {
      const article = await this.find(ctx.tenantId, id);
      if (article.status === 'draft') return toArticleDto(article);
      const updated = await this.models.KbArticle.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id },
        { $set: { status: 'draft', published: null, updatedBy: actorUserId(ctx.actor) ?? null } },
        { returnDocument: 'after' },
      ).lean<KbArticle>();
      if (!updated) throw new AppError('not_found', 'No such article.');
      await this.emit(ctx, 'article.unpublished', updated);
      return toArticleDto(updated);
    });
  }

  /** Deletes an article with its versions, votes and files. */
  async remove(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    assertCanPublishArticles(ctx.actor);
    await this.leases.run(ctx.tenantId, leaseKey(id), async () => {
      const article = await this.find(ctx.tenantId, id);
      await this.models.KbArticle.deleteOne({ tenantId: ctx.tenantId, _id: id });
      await this.models.KbArticleVersion.deleteMany({ tenantId: ctx.tenantId, articleId: id });
      await this.models.KbArticleVote.deleteMany({ tenantId: ctx.tenantId, articleId: id });
      const files = await this.models.Attachment.find({ tenantId: ctx.tenantId, _id: { $in: article.files.map((f) => f.id) } }).lean<
        Attachment[]
      >();
      await this.attachments.discard(ctx, files);
      await this.emit(ctx, 'article.deleted', article);
    });
  }

  /** The version history, newest first (without bodies). */
  async versions(ctx: Ctx, id: Types.ObjectId): Promise<VersionSummaryDto[]> {
    assertCanReadKb(ctx.actor);
    const article = await this.find(ctx.tenantId, id);
    const versions = await this.models.KbArticleVersion.find({ tenantId: ctx.tenantId, articleId: id }, { bodyHtml: 0, bodyText: 0 })
      .sort({ version: -1 })
      .lean<KbArticleVersion[]>();
    return versions.map((v) => toVersionSummary(v, article));
  }

  /** One version with its content. */
  async version(ctx: Ctx, id: Types.ObjectId, version: number): Promise<VersionDto> {
    assertCanReadKb(ctx.actor);
    const article = await this.find(ctx.tenantId, id);
    const found = await this.models.KbArticleVersion.findOne({ tenantId: ctx.tenantId, articleId: id, version }).lean<KbArticleVersion>();
    if (!found) throw new AppError('not_found', `This article has no version ${version}.`);
    return { ...toVersionSummary(found, article), bodyHtml: found.bodyHtml };
  }

  // ── files ─────────────────────────────────────────────────────────────────

  /** Stores uploaded files and attaches them to an article (multipart `file` parts). */
  async addFiles(ctx: Ctx, id: Types.ObjectId, parts: AsyncIterable<UploadPart>): Promise<ArticleDto> {
    assertCanWriteArticles(ctx.actor);
    const before = await this.find(ctx.tenantId, id);
    const stored: Attachment[] = [];
    try {
      for await (const part of parts) {
        if (part.kind === 'field')
          throw new AppError('validation_failed', `Unexpected field ${part.name}: send only file parts.`, [
            { path: `/${part.name}`, message: 'unknown field', where: 'body' },
          ]);
        if (before.files.length + stored.length >= MAX_ARTICLE_FILES) {
          part.stream.resume();
          throw new AppError('payload_too_large', `An article carries at most ${MAX_ARTICLE_FILES} files.`, {
            maxFiles: MAX_ARTICLE_FILES,
          });
        }
        stored.push(
          await this.attachments.ingest(ctx, null, {
            filename: part.filename,
            stream: part.stream,
            source: 'upload',
            onBadImage: 'refuse',
          }),
        );
      }
      if (stored.length === 0)
        throw new AppError('validation_failed', 'Attach at least one file.', [{ path: '/file', message: 'required', where: 'body' }]);
      return await this.leases.run(ctx.tenantId, leaseKey(id), async () => {
        const article = await this.find(ctx.tenantId, id);
        if (article.files.length + stored.length > MAX_ARTICLE_FILES)
          throw new AppError('payload_too_large', `An article carries at most ${MAX_ARTICLE_FILES} files.`, {
            maxFiles: MAX_ARTICLE_FILES,
          });
        const files = [
          ...article.files,
          ...stored.map((a) => ({ id: a._id, filename: a.filename, contentType: a.contentType, size: a.size })),
        ];
        const updated = await this.models.KbArticle.findOneAndUpdate(
          { tenantId: ctx.tenantId, _id: id },
          { $set: { files } },
          { returnDocument: 'after' },
        ).lean<KbArticle>();
        if (!updated) throw new AppError('not_found', 'No such article.');
        return toArticleDto(updated);
      });
    } catch (error) {
      await this.attachments.discard(ctx, stored);
      throw error;
    }
  }

  /** Removes a file from an article and from storage. */
  async removeFile(ctx: Ctx, id: Types.ObjectId, fileId: Types.ObjectId): Promise<ArticleDto> {
    assertCanWriteArticles(ctx.actor);
    return this.leases.run(ctx.tenantId, leaseKey(id), async () => {
      const article = await this.find(ctx.tenantId, id);
      if (!article.files.some((f) => f.id.equals(fileId))) throw new AppError('not_found', 'No such file on this article.');
      const updated = await this.models.KbArticle.findOneAndUpdate(
        { tenantId: ctx.tenantId, _id: id },
        { $set: { files: article.files.filter((f) => !f.id.equals(fileId)) } },
        { returnDocument: 'after' },
      ).lean<KbArticle>();
      const attachment = await this.models.Attachment.findOne({ tenantId: ctx.tenantId, _id: fileId }).lean<Attachment>();
      if (attachment) await this.attachments.discard(ctx, [attachment]);
      if (!updated) throw new AppError('not_found', 'No such article.');
      return toArticleDto(updated);
    });
  }

  private async openFile(tenantId: Types.ObjectId, article: KbArticle, fileId: Types.ObjectId): Promise<OpenedFile> {
    const listed = article.files.find((f) => f.id.equals(fileId));
    const attachment = listed ? await this.models.Attachment.findOne({ tenantId, _id: fileId }).lean<Attachment>() : null;
    if (!attachment) throw new AppError('not_found', 'No such file.');
    const stream = await this.blobs.open(attachment.blobKey);
    if (!stream) throw new AppError('unavailable', 'The file is missing from storage.');
    return {
      stream,
      contentType: attachment.contentType,
      size: attachment.size,
      filename: attachment.filename,
      inline: attachment.image !== null,
    };
  }

  /** A file of any article (staff). */
  async file(ctx: Ctx, id: Types.ObjectId, fileId: Types.ObjectId): Promise<OpenedFile> {
    assertCanReadKb(ctx.actor);
    return this.openFile(ctx.tenantId, await this.find(ctx.tenantId, id), fileId);
  }

  // ── the public help center ────────────────────────────────────────────────

  /** The tenant behind a help-center slug; an unknown slug is `not_found`. */
  async tenantBySlug(slug: string): Promise<Tenant> {
    const tenant = await this.models.Tenant.findOne({ slug }).lean<Tenant>();
    if (!tenant) throw new AppError('not_found', 'No such help center.');
    return tenant;
  }

  private async publicArticle(tenantId: Types.ObjectId, id: Types.ObjectId): Promise<KbArticle> {
    const article = await this.models.KbArticle.findOne({ tenantId, _id: id, ...PUBLIC }).lean<KbArticle>();
    if (!article?.published) throw new AppError('not_found', 'No such article.');
    return article;
  }

  /** Categories and sections that hold published public articles (directly or below), with their counts. */
  async helpSections(slug: string): Promise<SectionDto[]> {
    const tenant = await this.tenantBySlug(slug);
    const all = await this.sectionsWithCounts(tenant._id, PUBLIC);
    const withChildren = new Set(all.filter((s) => s.articleCount > 0 && s.parentId).map((s) => s.parentId));
    return all.filter((s) => s.articleCount > 0 || withChildren.has(s.id));
  }

  /** Published public articles, newest first. */
  async helpArticles(query: HelpArticleListQuery): Promise<Page<HelpArticleSummaryDto>> {
    const tenant = await this.tenantBySlug(query.tenant);
    const filter: Record<string, unknown> = { tenantId: tenant._id, ...PUBLIC };
    if (query.sectionId) filter.sectionId = await this.inSection(tenant._id, query.sectionId);
    if (query.locale) filter.locale = query.locale;
    if (query.after) filter._id = { $lt: oid(query.after) };
    const found = await this.models.KbArticle.find(filter, { bodyHtml: 0, bodyText: 0, 'published.bodyHtml': 0, 'published.bodyText': 0 })
      .sort({ _id: -1 })
      .limit(query.limit + 1)
      .lean<KbArticle[]>();
    const items = found.slice(0, query.limit);
    return { items: items.map(toHelpSummary), nextCursor: found.length > query.limit ? items.at(-1)!._id.toHexString() : null };
  }

  /** One published public article: its live version only. */
  async helpArticle(slug: string, id: Types.ObjectId): Promise<HelpArticleDto> {
    const tenant = await this.tenantBySlug(slug);
    const article = await this.publicArticle(tenant._id, id);
    return {
      ...toHelpSummary(article),
      bodyHtml: article.published!.bodyHtml,
      files: article.files.map((f) => ({ id: f.id.toHexString(), filename: f.filename, contentType: f.contentType, size: f.size })),
      helpful: { yes: article.helpfulYes, no: article.helpfulNo },
    };
  }

  /** A file of a published public article. */
  async helpFile(slug: string, id: Types.ObjectId, fileId: Types.ObjectId): Promise<OpenedFile> {
    const tenant = await this.tenantBySlug(slug);
    return this.openFile(tenant._id, await this.publicArticle(tenant._id, id), fileId);
  }

  /**
   * Records "was this helpful?". One vote per reader and article: a signed-in person of
   * this tenant by id, anyone else by a hash of their address (never stored as such);
   * answering again changes the vote. The counters are recounted under the article's lease.
   */
  async vote(
    slug: string,
    id: Types.ObjectId,
    reader: { userId?: Types.ObjectId; tenantId?: Types.ObjectId; ip: string },
    helpful: boolean,
  ): Promise<{ yes: number; no: number }> {
    const tenant = await this.tenantBySlug(slug);
    await this.publicArticle(tenant._id, id);
    const voter =
      reader.userId && reader.tenantId?.equals(tenant._id)
        ? `user:${reader.userId.toHexString()}`
        : `addr:${createHash('sha256').update(`${tenant._id.toHexString()}:${id.toHexString()}:${reader.ip}`).digest('hex').slice(0, 32)}`;
    return this.leases.run(tenant._id, leaseKey(id), async () => {
      const filter = { tenantId: tenant._id, articleId: id, voter };
      const existing = await this.models.KbArticleVote.findOne(filter, { _id: 1 }).lean();
      if (existing) await this.models.KbArticleVote.updateOne({ tenantId: tenant._id, _id: existing._id }, { $set: { helpful } });
      else await this.models.KbArticleVote.create([{ ...filter, helpful }]);
      const [yes, no] = await Promise.all([
        this.models.KbArticleVote.countDocuments({ tenantId: tenant._id, articleId: id, helpful: true }),
        this.models.KbArticleVote.countDocuments({ tenantId: tenant._id, articleId: id, helpful: false }),
      ]);
      // A vote is not an edit: the article's updatedAt stays.
      await this.models.KbArticle.updateOne(
        { tenantId: tenant._id, _id: id },
        { $set: { helpfulYes: yes, helpfulNo: no } },
        { timestamps: false },
      );
      return { yes, no };
    });
  }

  /** Whether an id names a published public article of the tenant (widget feedback). */
  async isPublicArticle(tenantId: Types.ObjectId, id: string): Promise<boolean> {
    if (!/^[0-9a-f]{24}$/i.test(id)) return false;
    return (await this.models.KbArticle.exists({ tenantId, _id: oid(id), ...PUBLIC })) !== null;
  }
}
