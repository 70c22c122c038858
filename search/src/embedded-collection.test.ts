import { describe, expect, it } from 'vitest';
import { topK, typoBudget } from './embedded-collection.ts';

describe('topK', () => {
  it('returns the same items as a full sort, for any k', () => {
    let seed = 3;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const items = Array.from({ length: 5000 }, (_, i) => ({ id: i, score: next() % 1000 }));
    const compare = (a: { id: number; score: number }, b: { id: number; score: number }) => b.score - a.score || a.id - b.id;
    const sorted = [...items].sort(compare);
    for (const k of [0, 1, 7, 20, 100, 1250, 5000, 6000]) expect(topK(items, k, compare)).toEqual(sorted.slice(0, k));
  });
});

describe('typoBudget', () => {
  it('allows Meilisearch’s typo counts', () => {
    expect([1, 4, 5, 8, 9, 20].map(typoBudget)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});
