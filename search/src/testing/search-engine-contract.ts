/**
 * The behaviour every search engine must show, as one vitest suite. Each engine's test
 * file calls {@link searchEngineContract} with a factory; the same assertions run on the
 * embedded engine and on Meilisearch.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@switchboard/api/lib/errors';
import type { ArticleDocumentInput, TicketDocumentInput } from '../search-documents.ts';
import { MAX_QUERY_CHARS } from '../search-query.ts';
import type { SearchEngine, SearchResult } from '../search-engine.ts';

/** What the contract needs from an engine under test. */
export interface ContractTarget {
  /** A ready engine. Calls may share a server; the suite uses tenant ids of its own. */
  create(): Promise<SearchEngine>;
  /** Closes `engine` and opens it again on the same data (persistence), when the engine has local state. */
  restart?(engine: SearchEngine): Promise<SearchEngine>;
}

const ids = (result: SearchResult<'ticket'> | SearchResult<'article'>) => result.hits.map((h) => h.document.id).sort();
const hostile = 'x" OR tenantId = "other';

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function ticket(tenantId: string, id: string, fields: Partial<TicketDocumentInput>): TicketDocumentInput {
  return {
    tenantId,
    id,
    number: 1,
    subject: '',
    body: '',
    status: 'open',
    priority: 'normal',
    teamId: null,
    assigneeId: null,
    categoryId: null,
    tags: [],
    requesterName: 'Ada Lovelace',
    requesterEmail: 'ada@example.org',
    organisationName: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-02T00:00:00.000Z',
    ...fields,
  };
}

function article(tenantId: string, id: string, fields: Partial<ArticleDocumentInput>): ArticleDocumentInput {
  return {
    tenantId,
    id,
    title: '',
    body: '',
    locale: 'en',
    status: 'published',
    visibility: 'public',
    sectionId: null,
    tags: [],
    updatedAt: '2024-03-01T00:00:00.000Z',
    ...fields,
  };
}

/** Registers the contract suite for one engine. */
export function searchEngineContract(target: ContractTarget): void {
  const run = randomBytes(4).toString('hex');
  const A = `ctr_${run}_a`;
  const B = `ctr_${run}_b`;
  let engine: SearchEngine;

  const ticketsA = [
    ticket(A, 'a1', {
      number: 101,
      subject: 'Refund for duplicate invoice',
      body: 'I was charged twice for the annual plan. Please refund the second payment to my card.',
      status: 'open',
      priority: 'high',
      teamId: 'team_billing',
      assigneeId: 'agent_1',
      tags: ['billing', 'refund'],
      createdAt: '2024-01-05T10:00:00.000Z',
      updatedAt: '2024-02-01T10:00:00.000Z',
    }),
    ticket(A, 'a2', {
      number: 102,
      subject: 'Password reset email never arrives',
      body: 'The password reset link does not arrive in my inbox, I checked the spam folder too.',
      status: 'pending',
      teamId: 'team_support',
      assigneeId: 'agent_2',
      tags: ['login'],
      createdAt: '2024-01-03T10:00:00.000Z',
      updatedAt: '2024-02-03T10:00:00.000Z',
    }),
    ticket(A, 'a3', {
      number: 103,
      subject: 'Calendar synchronisation stopped',
      body: 'Our calendar synchronisation stopped after the latest update of the mobile app.',
      priority: 'low',
      teamId: 'team_support',
      tags: ['sync'],
      createdAt: '2024-01-09T10:00:00.000Z',
      updatedAt: '2024-02-02T10:00:00.000Z',
    }),
    ticket(A, 'a4', {
      number: 104,
      subject: 'Invoice address is wrong',
      body: 'The document shows the old billing address of our Berlin office. Please correct it.',
      status: 'solved',
      teamId: 'team_billing',
      tags: ['billing', 'invoice'],
      organisationName: 'Globex GmbH',
      createdAt: '2024-01-01T10:00:00.000Z',
      updatedAt: '2024-02-05T10:00:00.000Z',
    }),
    ticket(A, 'a5', {
      number: 105,
      subject: 'Export to PDF fails',
      body: 'Exporting the monthly report as PDF fails with error 500 since Monday.',
      status: 'closed',
      priority: 'urgent',
      createdAt: '2024-01-07T10:00:00.000Z',
      updatedAt: '2024-02-04T10:00:00.000Z',
    }),
    ticket(A, 'a6', {
      number: 106,
      subject: 'Question about VAT',
      body: 'Where can I download the invoice for March? Our accountant needs it.',
      status: 'new',
      teamId: 'team_billing',
      tags: [hostile],
      createdAt: '2024-01-02T10:00:00.000Z',
      updatedAt: '2024-02-06T10:00:00.000Z',
    }),
  ];
  const ticketsB = [
    ticket(B, 'b1', {
      number: 7,
      subject: 'Zeppelin tracking broken',
      body: 'Our zeppelin fleet dashboard shows no positions since this morning.',
      teamId: 'team_ops',
      tags: ['zeppelin', 'outage'],
    }),
    ticket(B, 'b2', {
      number: 8,
      subject: 'Refund request for cancelled order',
      body: 'Please refund order 7781, it was cancelled before shipping.',
      teamId: 'team_billing',
      tags: ['billing', 'refund'],
      status: 'open',
    }),
    ticket(B, 'b3', {
      number: 9,
      subject: 'Password expired for warehouse scanner',
      body: 'The warehouse scanner password expired and the invoice printer is offline.',
      teamId: 'team_ops',
      tags: ['login'],
    }),
  ];
  const articlesA = [
    article(A, 'ka1', {
      title: 'How to request a refund',
      body: 'Refunds are issued within ten business days.',
      tags: ['billing'],
      sectionId: 'sec_billing',
    }),
    article(A, 'ka2', {
      title: 'Reset your password',
      body: 'Use the forgot password link on the sign-in page.',
      tags: ['login'],
      sectionId: 'sec_account',
    }),
    article(A, 'ka3', {
      title: 'Internal refund policy',
      body: 'Agents may refund up to 100 euros without approval.',
      visibility: 'internal',
      status: 'draft',
    }),
  ];
  const articlesB = [
    article(B, 'kb1', {
      title: 'Zeppelin maintenance schedule',
      body: 'Refund rules for delayed zeppelin flights.',
      locale: 'de',
      sectionId: 'sec_fleet',
    }),
  ];

  beforeAll(async () => {
    engine = await target.create();
    await engine.upsert(A, 'ticket', ticketsA);
    await engine.upsert(B, 'ticket', ticketsB);
    await engine.upsert(A, 'article', articlesA);
    await engine.upsert(B, 'article', articlesB);
  });

  afterAll(async () => {
    if (!engine) return;
    await engine.purgeTenant(A);
    await engine.purgeTenant(B);
    await engine.close();
  });

  describe('matching', () => {
    it('finds a word in subject or body', async () => {
      expect(ids(await engine.search(A, 'ticket', { q: 'refund' }))).toEqual(['a1']);
      expect(ids(await engine.search(A, 'ticket', { q: 'spam folder' }))).toEqual(['a2']);
    });

    it('tolerates typos the way Meilisearch counts them (1 from 5 letters, 2 from 9)', async () => {
      expect(ids(await engine.search(A, 'ticket', { q: 'pasword' }))).toEqual(['a2']);
      expect(ids(await engine.search(A, 'ticket', { q: 'refnd' }))).toEqual(['a1']);
      expect(ids(await engine.search(A, 'ticket', { q: 'synchronistaion' }))).toEqual(['a3']);
      expect(ids(await engine.search(A, 'ticket', { q: 'pdg' }))).toEqual([]);
    });

    it('completes the last word as a prefix while typing', async () => {
      expect(ids(await engine.search(A, 'ticket', { q: 'synchro' }))).toEqual(['a3']);
      expect(ids(await engine.search(A, 'ticket', { q: 'export pd' }))).toEqual(['a5']);
      expect(ids(await engine.search(A, 'ticket', { q: 'invo' }))).toEqual(['a1', 'a4', 'a6']);
    });

    it('requires every word of the query', async () => {
      expect(ids(await engine.search(A, 'ticket', { q: 'refund berlin' }))).toEqual([]);
      expect(ids(await engine.search(A, 'ticket', { q: 'invoice berlin' }))).toEqual(['a4']);
      expect(ids(await engine.search(A, 'ticket', { q: 'billing address berlin' }))).toEqual(['a4']);
    });

    it('ranks a subject match above a body-only match', async () => {
      const result = await engine.search(A, 'ticket', { q: 'invoice' });
      expect(ids(result)).toEqual(['a1', 'a4', 'a6']);
      expect(result.hits[result.hits.length - 1]!.document.id).toBe('a6');
    });

    it('searches requester and organisation fields', async () => {
      expect(ids(await engine.search(A, 'ticket', { q: 'globex' }))).toEqual(['a4']);
    });

    it('folds case and diacritics', async () => {
      await engine.upsert(A, 'ticket', [ticket(A, 'a7', { subject: 'Straße in München gesperrt', number: 107 })]);
      expect(ids(await engine.search(A, 'ticket', { q: 'MUNCHEN' }))).toEqual(['a7']);
      await engine.delete(A, 'ticket', ['a7']);
    });
  });

  describe('filters, facets, sort and pages', () => {
    it('filters on keyword fields: values OR-ed, fields AND-ed', async () => {
      expect(ids(await engine.search(A, 'ticket', { filters: { status: ['open'] } }))).toEqual(['a1', 'a3']);
      expect(ids(await engine.search(A, 'ticket', { filters: { status: ['open', 'closed'], priority: ['urgent'] } }))).toEqual(['a5']);
      expect(ids(await engine.search(A, 'ticket', { q: 'billing', filters: { teamId: ['team_billing'] } }))).toEqual(['a1', 'a4']);
      expect(ids(await engine.search(A, 'ticket', { filters: { tags: ['refund', 'sync'] } }))).toEqual(['a1', 'a3']);
    });

    it('filters on an empty field with null', async () => {
      expect(ids(await engine.search(A, 'ticket', { filters: { teamId: [null] } }))).toEqual(['a5']);
      expect(ids(await engine.search(A, 'ticket', { filters: { assigneeId: [null, 'agent_1'] } }))).toEqual(['a1', 'a3', 'a4', 'a5', 'a6']);
    });

    it('filters on date ranges (from inclusive, to exclusive)', async () => {
      const result = await engine.search(A, 'ticket', {
        filters: { createdAt: { from: '2024-01-03T10:00:00.000Z', to: '2024-01-07T10:00:00.000Z' } },
      });
      expect(ids(result)).toEqual(['a1', 'a2']);
    });

    it('counts facet values over all matches, filters applied', async () => {
      const result = await engine.search(A, 'ticket', { facets: ['status', 'teamId', 'tags'] });
      expect(result.total).toBe(6);
      expect(result.facets.status).toEqual(
        expect.arrayContaining([
          { value: 'open', count: 2 },
          { value: 'pending', count: 1 },
          { value: 'solved', count: 1 },
          { value: 'closed', count: 1 },
          { value: 'new', count: 1 },
        ]),
      );
      expect(result.facets.status).toHaveLength(5);
      expect(result.facets.teamId).toEqual([
        { value: 'team_billing', count: 3 },
        { value: 'team_support', count: 2 },
      ]);
      expect(result.facets.tags?.[0]).toEqual({ value: 'billing', count: 2 });
      const filtered = await engine.search(A, 'ticket', { q: 'billing', facets: ['status'] });
      expect(filtered.facets.status).toEqual(
        expect.arrayContaining([
          { value: 'open', count: 1 },
          { value: 'solved', count: 1 },
        ]),
      );
      expect(filtered.facets.status).toHaveLength(2);
    });

    it('sorts by a sortable field in both directions', async () => {
      const asc = await engine.search(A, 'ticket', { sort: { field: 'createdAt', order: 'asc' } });
      expect(asc.hits.map((h) => h.document.id)).toEqual(['a4', 'a6', 'a2', 'a1', 'a5', 'a3']);
      const desc = await engine.search(A, 'ticket', { q: 'billing', sort: { field: 'number', order: 'desc' } });
      expect(desc.hits.map((h) => h.document.id)).toEqual(['a4', 'a1']);
      const updated = await engine.search(A, 'ticket', { sort: { field: 'updatedAt' } });
      expect(updated.hits[0]!.document.id).toBe('a6');
      expect(updated.hits[0]!.document.updatedAt).toBeInstanceOf(Date);
    });

    it('pages through results without overlap', async () => {
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const result = await engine.search(A, 'ticket', { sort: { field: 'number', order: 'asc' }, page, hitsPerPage: 2 });
        expect(result.total).toBe(6);
        expect(result.totalPages).toBe(3);
        expect(result.hits).toHaveLength(2);
        seen.push(...result.hits.map((h) => h.document.id));
      }
      expect(seen).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
      expect((await engine.search(A, 'ticket', { page: 4, hitsPerPage: 2 })).hits).toEqual([]);
    });
  });

  describe('highlights', () => {
    it('marks matched words in the subject and in a body snippet, typos included', async () => {
      const [hit] = (await engine.search(A, 'ticket', { q: 'refund' })).hits;
      expect(hit!.highlights.subject).toEqual([
        { text: 'Refund', match: true },
        { text: ' for duplicate invoice', match: false },
      ]);
      const body = hit!.highlights.body!;
      expect(body.filter((s) => s.match).map((s) => s.text.toLowerCase())).toContain('refund');
      expect(body.map((s) => s.text).join('')).toContain('Please refund the second payment');
      const [typo] = (await engine.search(A, 'ticket', { q: 'pasword' })).hits;
      expect(typo!.highlights.subject?.[0]).toEqual({ text: 'Password', match: true });
    });

    it('returns hits without the body field', async () => {
      const [hit] = (await engine.search(A, 'ticket', { q: 'refund' })).hits;
      expect(hit!.document).not.toHaveProperty('body');
      expect(hit!.document).toMatchObject({ tenantId: A, id: 'a1', number: 101, tags: ['billing', 'refund'] });
    });
  });

  describe('writes', () => {
    it('replaces a document on upsert by id', async () => {
      const T = `${A}_w1`;
      await engine.upsert(T, 'ticket', [ticket(T, 'w1', { subject: 'Printer jammed' })]);
      await engine.upsert(T, 'ticket', [ticket(T, 'w1', { subject: 'Scanner jammed' })]);
      expect(ids(await engine.search(T, 'ticket', { q: 'printer' }))).toEqual([]);
      expect(ids(await engine.search(T, 'ticket', { q: 'scanner' }))).toEqual(['w1']);
      expect(await engine.count(T, 'ticket')).toBe(1);
      await engine.purgeTenant(T);
    });

    it('deletes by id and ignores unknown ids', async () => {
      const T = `${A}_w2`;
      await engine.upsert(T, 'ticket', [ticket(T, 'd1', { subject: 'Printer jammed' }), ticket(T, 'd2', { subject: 'Printer offline' })]);
      await engine.delete(T, 'ticket', ['d1', 'nope']);
      expect(ids(await engine.search(T, 'ticket', { q: 'printer' }))).toEqual(['d2']);
      expect(await engine.count(T, 'ticket')).toBe(1);
      await engine.purgeTenant(T);
    });

    it('purges one tenant, both kinds, and nothing else', async () => {
      const T = `${A}_w3`;
      await engine.upsert(T, 'ticket', [ticket(T, 'p1', { subject: 'Refund please' })]);
      await engine.upsert(T, 'article', [article(T, 'p2', { title: 'Refund policy' })]);
      await engine.purgeTenant(T);
      expect(await engine.count(T, 'ticket')).toBe(0);
      expect(await engine.count(T, 'article')).toBe(0);
      expect((await engine.search(T, 'ticket', { q: 'refund' })).total).toBe(0);
      expect(await engine.count(A, 'ticket')).toBe(6);
    });

    it('counts documents per tenant and kind', async () => {
      expect(await engine.count(A, 'ticket')).toBe(6);
      expect(await engine.count(B, 'ticket')).toBe(3);
      expect(await engine.count(A, 'article')).toBe(3);
      expect(await engine.count(B, 'article')).toBe(1);
    });
  });

  describe('articles', () => {
    it('searches, filters and facets articles', async () => {
      expect(ids(await engine.search(A, 'article', { q: 'refund' }))).toEqual(['ka1', 'ka3']);
      const visible = await engine.search(A, 'article', {
        q: 'refund',
        filters: { visibility: ['public'], status: ['published'] },
        facets: ['sectionId'],
      });
      expect(ids(visible)).toEqual(['ka1']);
      expect(visible.facets.sectionId).toEqual([{ value: 'sec_billing', count: 1 }]);
      expect(ids(await engine.search(A, 'article', { q: 'pasword' }))).toEqual(['ka2']);
      const [hit] = (await engine.search(A, 'article', { q: 'refund', filters: { visibility: ['public'] } })).hits;
      expect(hit!.highlights.title?.some((s) => s.match && s.text.toLowerCase() === 'refund')).toBe(true);
    });
  });

  describe('tenant isolation', () => {
    it('never returns another tenant’s tickets or articles, by word, typo or prefix', async () => {
      for (const q of ['zeppelin', 'zepelin', 'zepp', 'warehouse', 'scanner', '7781']) {
        expect((await engine.search(A, 'ticket', { q })).total, q).toBe(0);
        expect((await engine.search(A, 'article', { q })).total, q).toBe(0);
      }
      expect(ids(await engine.search(B, 'ticket', { q: 'zepelin' }))).toEqual(['b1']);
      expect(ids(await engine.search(B, 'ticket', { q: 'refund' }))).toEqual(['b2']);
      expect(ids(await engine.search(B, 'ticket', { q: 'invoice' }))).toEqual(['b3']);
    });

    it('keeps facet counts to the tenant', async () => {
      const result = await engine.search(A, 'ticket', { facets: ['tags', 'teamId'] });
      const tags = Object.fromEntries((result.facets.tags ?? []).map((f) => [f.value, f.count]));
      expect(tags).not.toHaveProperty('zeppelin');
      expect(tags.refund).toBe(1);
      expect((result.facets.teamId ?? []).map((f) => f.value)).not.toContain('team_ops');
      expect((await engine.search(A, 'ticket', { filters: { teamId: ['team_ops'] } })).total).toBe(0);
    });

    it('ignores ids of another tenant on delete', async () => {
      await engine.delete(A, 'ticket', ['b1', 'b2']);
      expect(await engine.count(B, 'ticket')).toBe(3);
    });

    it('refuses a document that names another tenant', async () => {
      const error = await appErrorOf(engine.upsert(A, 'ticket', [ticket(B, 'x1', { subject: 'sneaky' })]));
      expect(error.code).toBe('validation_failed');
      expect(await engine.count(B, 'ticket')).toBe(3);
    });

    it('treats hostile filter values as data', async () => {
      expect(ids(await engine.search(A, 'ticket', { filters: { tags: [hostile] } }))).toEqual(['a6']);
      expect((await engine.search(B, 'ticket', { filters: { tags: [hostile] } })).total).toBe(0);
      for (const value of ['"', '\\', '\\"', '" OR "1" = "1', `") OR tenantId = "${B}" OR ("`]) {
        expect((await engine.search(A, 'ticket', { filters: { tags: [value] } })).total, value).toBe(0);
      }
      const error = await appErrorOf(engine.search(A, 'ticket', { filters: { teamId: [hostile] } }));
      expect(error.code).toBe('validation_failed');
    });

    it('treats hostile query text as words', async () => {
      for (const q of [hostile, `tenantId = "${B}"`, '*', '" OR 1=1 --', '\\', '()[]{}', 'zeppelin OR refund', `${B} zeppelin`]) {
        const result = await engine.search(A, 'ticket', { q });
        for (const hit of result.hits) expect(hit.document.tenantId, q).toBe(A);
      }
      expect((await engine.search(A, 'ticket', { q: 'zeppelin OR refund' })).total).toBe(0);
    });
  });

  describe('input validation', () => {
    it('refuses unknown facet, sort and filter names', async () => {
      expect((await appErrorOf(engine.search(A, 'ticket', { facets: ['tenantId'] } as never))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.search(A, 'ticket', { sort: { field: 'subject' } } as never))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.search(A, 'ticket', { filters: { tenantId: [B] } } as never))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.search(A, 'ticket', { tenantId: B } as never))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.search(A, 'article', { facets: ['priority'] } as never))).code).toBe('validation_failed');
    });

    it('refuses malformed tenant ids and pages past the cap', async () => {
      expect((await appErrorOf(engine.search('a b', 'ticket', {}))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.count('../etc', 'ticket'))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.search(A, 'ticket', { page: 10_000, hitsPerPage: 100 }))).code).toBe('validation_failed');
      expect((await appErrorOf(engine.search(A, 'ticket', { hitsPerPage: 1000 }))).code).toBe('validation_failed');
    });

    it(`cuts query text at ${MAX_QUERY_CHARS} characters and says so`, async () => {
      const long = `refund ${'lorem '.repeat(500)}`;
      const result = await engine.search(A, 'ticket', { q: long });
      expect(result.truncated).toBe(true);
      expect(Array.from(result.q)).toHaveLength(MAX_QUERY_CHARS);
      expect((await engine.search(A, 'ticket', { q: 'refund' })).truncated).toBe(false);
    });
  });

  if (target.restart) {
    describe('persistence', () => {
      it('keeps documents, deletes and counts across a restart', async () => {
        const T = `${A}_p`;
        await engine.upsert(T, 'ticket', [
          ticket(T, 'r1', { subject: 'Kept after restart' }),
          ticket(T, 'r2', { subject: 'Removed before restart' }),
        ]);
        await engine.delete(T, 'ticket', ['r2']);
        engine = await target.restart!(engine);
        expect(ids(await engine.search(T, 'ticket', { q: 'restart' }))).toEqual(['r1']);
        expect(await engine.count(T, 'ticket')).toBe(1);
        expect(await engine.count(A, 'ticket')).toBe(6);
        expect(ids(await engine.search(A, 'ticket', { q: 'pasword' }))).toEqual(['a2']);
        await engine.purgeTenant(T);
      });
    });
  }
}
