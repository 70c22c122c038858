import { describe, expect, it } from 'vitest';
import { HIGHLIGHT_MARKERS, ticketDocumentSchema } from './search-documents.ts';
import { MAX_TOTAL_HITS } from './search-query.ts';
import {
  buildFilter,
  documentKey,
  filterLiteral,
  fromMeiliDocument,
  indexSettings,
  markedToSegments,
  tenantFilter,
  toMeiliDocument,
} from './meili-mapping.ts';

/**
 * Reads one double-quoted literal the way Meilisearch's filter parser does (a backslash
 * escapes the next character; an unescaped quote ends the literal). Returns the value
 * and what follows the literal.
 */
function readLiteral(source: string): { value: string; rest: string } {
  expect(source[0]).toBe('"');
  let value = '';
  for (let i = 1; i < source.length; i++) {
    const char = source[i]!;
    if (char === '\\') {
      value += source[++i] ?? '';
      continue;
    }
    if (char === '"') return { value, rest: source.slice(i + 1) };
    value += char;
  }
  throw new Error(`unterminated literal: ${source}`);
}

const hostile = [
  'x" OR tenantId = "other',
  '"',
  '\\',
  '\\"',
  'a\\" OR tenantId = \\"b',
  '" OR "1" = "1',
  "x' OR tenantId = 'other",
  ') OR (tenantId EXISTS',
  'x"]) OR tenantId IN (["other',
  'ends with backslash \\',
];

describe('filterLiteral', () => {
  it('keeps hostile values inside one literal, unchanged', () => {
    for (const value of hostile) {
      const literal = filterLiteral(value);
      expect(readLiteral(literal), value).toEqual({ value, rest: '' });
    }
  });

  it('round-trips any mix of quotes, backslashes and operators', () => {
    const alphabet = ['"', '\\', "'", ' ', 'OR', 'AND', '=', '(', ')', '[', ']', 'x', 'tenantId'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 500; n++) {
      const value = Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('');
      expect(readLiteral(filterLiteral(value))).toEqual({ value, rest: '' });
    }
  });
});

describe('buildFilter', () => {
  it('puts the tenant clause first and on its own', () => {
    const filter = buildFilter('acme', 'ticket', { tags: ['x" OR tenantId = "other'] });
    expect(filter[0]).toBe('tenantId = "acme"');
    expect(filter[1]).toEqual(['tags IN ["x\\" OR tenantId = \\"other"]']);
    expect(tenantFilter('acme')).toBe(filter[0]);
  });

  it('ORs the values of a field, ANDs fields, maps null and date ranges', () => {
    const filter = buildFilter('acme', 'ticket', {
      status: ['open', 'pending'],
      teamId: ['team_1', null],
      createdAt: { from: new Date(1000), to: new Date(2000) },
    });
    expect(filter).toEqual([
      'tenantId = "acme"',
      ['status IN ["open", "pending"]'],
      ['teamId IN ["team_1"]', 'teamId IS NULL'],
      'createdAt >= 1000',
      'createdAt < 2000',
    ]);
    expect(buildFilter('acme', 'ticket', { assigneeId: [null] })).toEqual(['tenantId = "acme"', ['assigneeId IS NULL']]);
  });

  it('refuses a field that is not configured for the kind', () => {
    expect(() => buildFilter('acme', 'article', { priority: ['high'] } as never)).toThrow(/not configured/);
  });
});

describe('documents and settings', () => {
  it('makes keys unique across tenants from Meilisearch-safe characters', () => {
    expect(documentKey('a_b', 'c')).not.toBe(documentKey('a', 'b_c'));
    expect(documentKey('a-b', 'c')).not.toBe(documentKey('a', 'b-c'));
    expect(documentKey('65f0c0ffee', 'ticket-1')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('stores dates as epoch milliseconds and reads them back', () => {
    const document = ticketDocumentSchema.parse({
      tenantId: 'acme',
      id: 't1',
      number: 1,
      subject: `Broken ${HIGHLIGHT_MARKERS.pre}printer${HIGHLIGHT_MARKERS.post}`,
      body: 'text',
      status: 'open',
      priority: 'low',
      teamId: null,
      assigneeId: null,
      categoryId: null,
      tags: ['a'],
      requesterName: 'Ada',
      requesterEmail: 'ada@example.org',
      organisationName: null,
      createdAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-02T00:00:00.000Z',
    });
    expect(document.subject).toBe('Broken printer');
    const stored = toMeiliDocument('ticket', document);
    expect(stored).toMatchObject({ key: documentKey('acme', 't1'), createdAt: Date.UTC(2024, 0, 1) });
    expect(fromMeiliDocument('ticket', { ...stored, _formatted: {} })).toEqual(document);
  });

  it('configures tenant filtering, strict sorting and the same caps as the embedded engine', () => {
    const settings = indexSettings('ticket');
    expect(settings.filterableAttributes).toContain('tenantId');
    expect(settings.searchableAttributes[0]).toBe('subject');
    expect(settings.searchableAttributes).not.toContain('tenantId');
    expect(settings.rankingRules[0]).toBe('sort');
    expect(settings.pagination.maxTotalHits).toBe(MAX_TOTAL_HITS);
    expect(indexSettings('article').sortableAttributes).toEqual(['updatedAt']);
  });

  it('turns marked text into segments', () => {
    const { pre, post } = HIGHLIGHT_MARKERS;
    expect(markedToSegments(`…the ${pre}password${post} reset ${pre}link${post}`)).toEqual([
      { text: '…the ', match: false },
      { text: 'password', match: true },
      { text: ' reset ', match: false },
      { text: 'link', match: true },
    ]);
    expect(markedToSegments('')).toEqual([]);
  });
});
