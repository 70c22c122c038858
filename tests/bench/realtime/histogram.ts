/**
 * A fixed-size log histogram of latencies in microseconds (2 % wide buckets from 1 µs to
 * ~100 s): millions of samples cost a few kilobytes and merge across processes by adding.
 */
const GROWTH = Math.log(1.02);
const BUCKETS = 940;

/** Latency histogram; `counts` is what crosses process boundaries. */
export class Histogram {
  readonly counts: Float64Array;
  total = 0;
  maxUs = 0;

  constructor() {
    this.counts = new Float64Array(BUCKETS);
  }

  record(us: number): void {
    const index = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(us) / GROWTH));
    this.counts[index]! += 1;
    this.total += 1;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Adds another histogram given as {@link sparse} pairs. */
  add(pairs: Array<[number, number]>, maxUs: number): void {
    for (const [index, count] of pairs) {
      this.counts[index]! += count;
      this.total += count;
    }
    if (maxUs > this.maxUs) this.maxUs = maxUs;
  }

  /** Non-empty buckets as `[index, count]` pairs (compact for IPC). */
  sparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.counts.forEach((count, index) => {
      if (count > 0) out.push([index, count]);
    });
    return out;
  }

  /** The p-th percentile in milliseconds (bucket midpoint), or NaN when empty. */
  percentileMs(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.exp((i + 0.5) * GROWTH) / 1000;
    }
    return this.maxUs / 1000;
  }
}
