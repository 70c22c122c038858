import { describe, expect, it } from 'vitest';
import { findDuplicates } from './duplicates.service.ts';
import { normalize } from './vector.util.ts';

const v = (...xs: number[]) => normalize(xs);

describe('findDuplicates', () => {
  const open = [
    { ticketId: 'a', requesterId: 'r1', vector: v(1, 0.05, 0) },
    { ticketId: 'b', requesterId: 'r1', vector: v(1, 0.2, 0) },
    { ticketId: 'c', requesterId: 'r2', vector: v(1, 0, 0) },
    { ticketId: 'd', requesterId: 'r1', vector: v(0, 1, 0) },
    { ticketId: 'e', requesterId: 'r1', vector: [1, 0] },
  ];

  it('matches only the same requester above the threshold, most similar first', () => {
    expect(findDuplicates({ requesterId: 'r1', vector: v(1, 0, 0) }, open).map((m) => m.ticketId)).toEqual(['a', 'b']);
  });

  it('respects threshold and limit', () => {
    expect(findDuplicates({ requesterId: 'r1', vector: v(1, 0, 0) }, open, { threshold: 0.99 }).map((m) => m.ticketId)).toEqual(['a']);
    expect(findDuplicates({ requesterId: 'r1', vector: v(1, 0, 0) }, open, { limit: 1 }).map((m) => m.ticketId)).toEqual(['a']);
  });

  it('never matches the ticket itself or vectors of another size', () => {
    const matches = findDuplicates({ ticketId: 'a', requesterId: 'r1', vector: v(1, 0.05, 0) }, open);
    expect(matches.map((m) => m.ticketId)).toEqual(['b']);
    expect(matches[0]!.similarity).toBeGreaterThan(0.93);
  });

  it('returns nothing for a requester without open tickets', () => {
    expect(findDuplicates({ requesterId: 'r9', vector: v(1, 0, 0) }, open)).toEqual([]);
  });
});
