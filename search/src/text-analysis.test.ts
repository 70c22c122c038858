import { describe, expect, it } from 'vitest';
import { MAX_QUERY_TERMS } from './search-query.ts';
import { highlight, normalizeTerm, queryTerms, snippet, tokenize } from './text-analysis.ts';

describe('terms', () => {
  it('folds case and diacritics', () => {
    expect(normalizeTerm('García')).toBe('garcia');
    expect(normalizeTerm('MÜNCHEN')).toBe('munchen');
    expect(tokenize('chloé.garcía@acme.example, v2.1!')).toEqual(['chloé', 'garcía', 'acme', 'example', 'v2', '1']);
  });

  it('caps, dedupes and marks the last query word as a prefix unless it is finished', () => {
    expect(queryTerms('Refund REFUND invoice')).toEqual({ terms: ['refund', 'invoice'], lastIsPrefix: true });
    expect(queryTerms('refund ').lastIsPrefix).toBe(false);
    const many = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    expect(queryTerms(many).terms).toHaveLength(MAX_QUERY_TERMS);
    expect(queryTerms('"" OR * --').terms).toEqual(['or']);
  });
});

describe('highlight and snippet', () => {
  const matches =
    (...terms: string[]) =>
    (term: string) =>
      terms.includes(term);

  it('marks matched words in place and keeps the text intact', () => {
    const segments = highlight('Password reset: new PASSWORD!', matches('password'));
    expect(segments).toEqual([
      { text: 'Password', match: true },
      { text: ' reset: new ', match: false },
      { text: 'PASSWORD', match: true },
      { text: '!', match: false },
    ]);
    expect(segments.map((s) => s.text).join('')).toBe('Password reset: new PASSWORD!');
  });

  it('cuts long text around the densest matches with ellipses', () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`);
    words[60] = 'refund';
    words[62] = 'invoice';
    const segments = snippet(words.join(' '), matches('refund', 'invoice'), 10);
    const text = segments.map((s) => s.text).join('');
    expect(text.startsWith('…w57 ')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(segments.filter((s) => s.match).map((s) => s.text)).toEqual(['refund', 'invoice']);
    expect(text.split(' ')).toHaveLength(10);
  });

  it('starts at the beginning when nothing matches and keeps short text whole', () => {
    const long = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    expect(snippet(long, matches('zzz'), 5)).toEqual([{ text: 'w0 w1 w2 w3 w4…', match: false }]);
    expect(snippet('short text', matches('short'), 5)).toEqual([
      { text: 'short', match: true },
      { text: ' text', match: false },
    ]);
    expect(snippet('', matches('x'))).toEqual([]);
  });
});
