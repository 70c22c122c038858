/** A stored embedding: what callers persist (plain arrays) or keep in memory (Float32Array). */
export type Vector = ArrayLike<number>;

/** Dot product; equals cosine similarity for unit vectors. */
export function dot(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Euclidean length. */
export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosine(a: Vector, b: Vector): number {
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : dot(a, b) / n;
}

/** A unit-length copy (all zeros stay zeros). */
export function normalize(a: Vector): Float32Array {
  const out = Float32Array.from(a);
  const n = norm(out);
  if (n > 0) for (let i = 0; i < out.length; i++) out[i]! /= n;
  return out;
}

/** Normalised mean of unit vectors (a centroid on the sphere). */
export function centroid(vectors: readonly Vector[]): Float32Array {
  if (vectors.length === 0) throw new RangeError('centroid of no vectors');
  const sum = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < sum.length; i++) sum[i]! += v[i]!;
  return normalize(sum);
}

/** Softmax of `scores / temperature`, numerically stable. */
export function softmax(scores: readonly number[], temperature: number): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp((s - max) / temperature));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
