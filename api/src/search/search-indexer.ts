import { Types } from 'mongoose';
import type { Entry } from '../conversation/entry.model.ts';
import type { Models } from '../db/models.ts';
import type { KbArticle } from '../kb/kb.model.ts';
import { AppError } from '../lib/errors.ts';
import type { Organisation } from '../organisations/organisation.model.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { User } from '../users/user.model.ts';
import {
  MAX_UPSERT_BATCH,
  type ArticleSearchDocument,
  type SearchBackend,
  type SearchKind,
  type TicketSearchDocument,
} from './search.port.ts';

/** Documents loaded from MongoDB per round trip while indexing. */
export const SYNC_BATCH = 500;

/** Longest conversation text indexed per ticket (the engines cut there too). */
const MAX_BODY_CHARS = 100_000;

/** What a sync did. */
export interface SyncResult {
  upserted: number;
  deleted: number;
}

/** Progress of a reindex, reported after every batch. */
export interface ReindexProgress {
  kind: SearchKind;
  done: number;
  total: number;
}

/** Counts of one tenant in MongoDB and in the index. */
export interface ConsistencyReport {
  tenantId: string;
  ticket: { mongo: number; index: number };
  article: { mongo: number; index: number };
  consistent: boolean;
}

/** What a reindex did. */
export interface ReindexResult {
  tenantId: string;
  ticket: number;
  article: number;
  /** The index held documents MongoDB no longer has; the tenant was purged and rebuilt. */
  rebuiltFromScratch: boolean;
  /** The tenant no longer exists: its documents were purged. */
  purged: boolean;
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const toIds = (ids: readonly string[]) =>
  ids.filter((id) => Types.ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id)).map((id) => new Types.ObjectId(id));

/**
 * Keeps the search index in step with MongoDB. Every operation reloads the documents it
 * names from MongoDB and upserts what exists or deletes what does not, so it can run any
 * number of times, in any order, with the same end state (the `index` jobs rely on that).
 * Tickets carry their conversation as plain text; articles carry their published version
 * when they are published (the version readers see) and the latest draft otherwise.
 */
export class SearchIndexer {
  constructor(
    private readonly models: Models,
    private readonly backend: SearchBackend | null,
  ) {}

  /** The engine, or `unavailable` when this process has none. */
  engine(): SearchBackend {
    if (!this.backend)
      throw new AppError('unavailable', 'This process has no search engine (see search/README.md: where the engine lives).');
    return this.backend;
  }

  /** Ticket documents for tickets of one tenant (missing ids are left out). */
  async ticketDocuments(tenantId: Types.ObjectId, ids: readonly Types.ObjectId[]): Promise<TicketSearchDocument[]> {
    if (ids.length === 0) return [];
    const tickets = await this.models.Ticket.find({ tenantId, _id: { $in: ids } }).lean<Ticket[]>();
    if (tickets.length === 0) return [];
    const ticketIds = tickets.map((t) => t._id);
    const [entries, people, organisations] = await Promise.all([
      this.models.Entry.find({ tenantId, ticketId: { $in: ticketIds } }, { ticketId: 1, bodyText: 1, createdAt: 1 })
        .sort({ createdAt: 1 })
        .lean<Array<Pick<Entry, 'ticketId' | 'bodyText'>>>(),
      this.models.User.find(
        { tenantId, _id: { $in: [...new Set(tickets.map((t) => t.requesterId.toHexString()))].map((id) => new Types.ObjectId(id)) } },
        { name: 1, email: 1 },
      ).lean<Array<Pick<User, '_id' | 'name' | 'email'>>>(),
      this.models.Organisation.find(
        { tenantId, _id: { $in: tickets.flatMap((t) => (t.organisationId ? [t.organisationId] : [])) } },
        { name: 1 },
      ).lean<Array<Pick<Organisation, '_id' | 'name'>>>(),
    ]);
    const text = new Map<string, string[]>();
    for (const entry of entries) {
      const key = entry.ticketId.toHexString();
      const parts = text.get(key) ?? [];
      parts.push(entry.bodyText);
      text.set(key, parts);
    }
    const person = new Map(people.map((p) => [p._id.toHexString(), p]));
    const organisation = new Map(organisations.map((o) => [o._id.toHexString(), o.name]));
    return tickets.map((ticket) => {
      const requester = person.get(ticket.requesterId.toHexString());
      return {
        tenantId: tenantId.toHexString(),
        id: ticket._id.toHexString(),
        number: ticket.number,
        subject: ticket.subject,
        body: (text.get(ticket._id.toHexString()) ?? []).join('\n\n').slice(0, MAX_BODY_CHARS),
        status: ticket.status,
        priority: ticket.priority,
        teamId: ticket.teamId?.toHexString() ?? null,
        assigneeId: ticket.assigneeId?.toHexString() ?? null,
        categoryId: ticket.categoryId?.toHexString() ?? null,
        tags: ticket.tags,
        requesterName: requester?.name ?? '',
        requesterEmail: requester?.email ?? '',
        organisationName: ticket.organisationId ? (organisation.get(ticket.organisationId.toHexString()) ?? null) : null,
        createdAt: ticket.createdAt,
        updatedAt: ticket.updatedAt,
      };
    });
  }

  /** Article documents for articles of one tenant (missing ids are left out). */
  async articleDocuments(tenantId: Types.ObjectId, ids: readonly Types.ObjectId[]): Promise<ArticleSearchDocument[]> {
    if (ids.length === 0) return [];
    const articles = await this.models.KbArticle.find({ tenantId, _id: { $in: ids } }).lean<KbArticle[]>();
    return articles.map((article) => {
      // Readers search what they can read: the live version of a published article.
      const live = article.status === 'published' && article.published ? article.published : article;
      return {
        tenantId: tenantId.toHexString(),
        id: article._id.toHexString(),
        title: live.title,
        body: live.bodyText.slice(0, MAX_BODY_CHARS),
        locale: article.locale,
        status: article.status,
        visibility: article.visibility,
        sectionId: article.sectionId?.toHexString() ?? null,
        tags: live.tags,
        updatedAt: article.updatedAt,
      };
    });
  }

  /**
   * Brings the named documents of one tenant up to date: reloads them from MongoDB,
   * upserts those that exist and deletes the others from the index.
   */
  async sync(tenantId: string, kind: SearchKind, ids: readonly string[]): Promise<SyncResult> {
    const engine = this.engine();
    const tenant = new Types.ObjectId(tenantId);
    const result: SyncResult = { upserted: 0, deleted: 0 };
    for (const batch of chunks(toIds(ids), SYNC_BATCH)) {
      const documents: Array<TicketSearchDocument | ArticleSearchDocument> =
        kind === 'ticket' ? await this.ticketDocuments(tenant, batch) : await this.articleDocuments(tenant, batch);
      for (const part of chunks(documents, MAX_UPSERT_BATCH)) await engine.upsert(tenantId, kind, part);
      const present = new Set(documents.map((d) => d.id));
      const gone = batch.map((id) => id.toHexString()).filter((id) => !present.has(id));
      if (gone.length > 0) await engine.delete(tenantId, kind, gone);
      result.upserted += documents.length;
      result.deleted += gone.length;
    }
    return result;
  }

  /** Removes every indexed document of a tenant. */
  async purgeTenant(tenantId: string): Promise<void> {
    await this.engine().purgeTenant(tenantId);
  }

  private model(kind: SearchKind) {
    return kind === 'ticket' ? this.models.Ticket : this.models.KbArticle;
  }

  private async indexAll(tenantId: string, kind: SearchKind, onProgress: (progress: ReindexProgress) => void): Promise<number> {
    const tenant = new Types.ObjectId(tenantId);
    const model = this.model(kind) as typeof this.models.Ticket;
    const total = await model.countDocuments({ tenantId: tenant });
    let done = 0;
    let after: Types.ObjectId | null = null;
    onProgress({ kind, done, total });
    for (;;) {
      const filter: Record<string, unknown> = { tenantId: tenant, ...(after ? { _id: { $gt: after } } : {}) };
      const page = await model.find(filter, { _id: 1 }).sort({ _id: 1 }).limit(SYNC_BATCH).lean<Array<{ _id: Types.ObjectId }>>();
      if (page.length === 0) break;
      await this.sync(
        tenantId,
        kind,
        page.map((d) => d._id.toHexString()),
      );
      after = page.at(-1)!._id;
      done += page.length;
      // Documents created while this runs make `done` pass the count taken at the start.
      onProgress({ kind, done, total: Math.max(total, done) });
    }
    return done;
  }

  /**
   * Rebuilds one tenant's index from MongoDB: upserts every ticket and article, then
   * compares counts. When the index holds more than MongoDB (documents deleted while
   * indexing was down), the tenant is purged and indexed again. A tenant that no longer
   * exists is purged.
   */
  async reindexTenant(tenantId: string, onProgress: (progress: ReindexProgress) => void = () => undefined): Promise<ReindexResult> {
    const engine = this.engine();
    if (!(await this.models.Tenant.exists({ _id: new Types.ObjectId(tenantId) }))) {
      await engine.purgeTenant(tenantId);
      return { tenantId, ticket: 0, article: 0, rebuiltFromScratch: false, purged: true };
    }
    const run = async () => ({
      ticket: await this.indexAll(tenantId, 'ticket', onProgress),
      article: await this.indexAll(tenantId, 'article', onProgress),
    });
    let counts = await run();
    const report = await this.check(tenantId);
    const stale = report.ticket.index > report.ticket.mongo || report.article.index > report.article.mongo;
    if (stale) {
      await engine.purgeTenant(tenantId);
      counts = await run();
    }
    return { tenantId, ...counts, rebuiltFromScratch: stale, purged: false };
  }

  /** Compares the numbers of tickets and articles in MongoDB and in the index. */
  async check(tenantId: string): Promise<ConsistencyReport> {
    const engine = this.engine();
    const tenant = new Types.ObjectId(tenantId);
    const [ticketMongo, articleMongo, ticketIndex, articleIndex] = await Promise.all([
      this.models.Ticket.countDocuments({ tenantId: tenant }),
      this.models.KbArticle.countDocuments({ tenantId: tenant }),
      engine.count(tenantId, 'ticket'),
      engine.count(tenantId, 'article'),
    ]);
    return {
      tenantId,
      ticket: { mongo: ticketMongo, index: ticketIndex },
      article: { mongo: articleMongo, index: articleIndex },
      consistent: ticketMongo === ticketIndex && articleMongo === articleIndex,
    };
  }

  /** Every tenant (id and slug), for the reindex and check commands. */
  async tenants(): Promise<Array<{ id: string; slug: string }>> {
    const tenants = await this.models.Tenant.find({}, { slug: 1 }).sort({ _id: 1 }).lean<Array<{ _id: Types.ObjectId; slug: string }>>();
    return tenants.map((t) => ({ id: t._id.toHexString(), slug: t.slug }));
  }
}
