import { describe, expect, it } from 'vitest';
import { AppError } from '@switchboard/api/lib/errors';
import { MAX_QUERY_CHARS, parseSearchQuery, truncateQuery } from './search-query.ts';

describe('parseSearchQuery', () => {
  it('applies defaults', () => {
    expect(parseSearchQuery('ticket', {})).toEqual({
      query: { q: '', filters: {}, facets: [], sort: { field: 'relevance', order: 'desc' }, page: 1, hitsPerPage: 20 },
      truncated: false,
    });
  });

  it('refuses unknown names with validation_failed and names the problem', () => {
    const error = (() => {
      try {
        parseSearchQuery('ticket', { facets: ['subject'], sort: { field: 'tenantId' } });
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/facets\.0/);
    expect(error.message).toMatch(/sort\.field/);
    expect(error.details).toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ path: 'facets.0' })]) });
  });

  it('accepts hostile tag values as data but refuses malformed ids', () => {
    expect(parseSearchQuery('ticket', { filters: { tags: ['x" OR tenantId = "other'] } }).query.filters).toEqual({
      tags: ['x" OR tenantId = "other'],
    });
    expect(() => parseSearchQuery('ticket', { filters: { assigneeId: ['x" OR 1'] } })).toThrow(AppError);
    expect(() => parseSearchQuery('article', { filters: { tags: [] } })).toThrow(AppError);
  });
});

describe('truncateQuery', () => {
  it(`cuts at ${MAX_QUERY_CHARS} characters without splitting one`, () => {
    const { q, truncated } = truncateQuery('😀'.repeat(300));
    expect(truncated).toBe(true);
    expect(Array.from(q)).toHaveLength(MAX_QUERY_CHARS);
    expect(q.endsWith('😀')).toBe(true);
    expect(truncateQuery('  two   words ')).toEqual({ q: 'two words ', truncated: false });
  });
});
