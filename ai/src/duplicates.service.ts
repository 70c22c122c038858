import { dot, normalize, type Vector } from './vector.util.ts';

/** An open ticket as stored: who asked and its embedding. */
export interface OpenTicketVector {
  ticketId: string;
  requesterId: string;
  vector: Vector;
}

/** A likely duplicate. */
export interface DuplicateMatch {
  ticketId: string;
  similarity: number;
}

/**
 * Open tickets of the same requester whose embedding is at least `threshold` cosine to
 * the new one, most similar first. Other requesters' tickets are never matched: a shared
 * outage is an incident, not a duplicate.
 */
export function findDuplicates(
  candidate: { requesterId: string; vector: Vector; ticketId?: string },
  open: readonly OpenTicketVector[],
  { threshold = 0.93, limit = 3 }: { threshold?: number; limit?: number } = {},
): DuplicateMatch[] {
  const v = normalize(candidate.vector);
  return open
    .filter((t) => t.requesterId === candidate.requesterId && t.ticketId !== candidate.ticketId && t.vector.length === v.length)
    .map((t) => ({ ticketId: t.ticketId, similarity: dot(v, normalize(t.vector)) }))
    .filter((m) => m.similarity >= threshold)
    .sort((a, b) => b.similarity - a.similarity || a.ticketId.localeCompare(b.ticketId))
    .slice(0, limit);
}
