import { afterEach, describe, expect, it, vi } from 'vitest';
import { SeqTracker } from './seq-tracker.ts';

const ev = (seq: number) => ({ seq });

describe('SeqTracker', () => {
  afterEach(() => vi.useRealTimers());

  it('applies in-order events immediately', () => {
    const applied: number[] = [];
    const tracker = new SeqTracker({ last: 0, apply: (e) => applied.push(e.seq), onGap: () => undefined });
    tracker.receive([ev(1), ev(2), ev(3)]);
    expect(applied).toEqual([1, 2, 3]);
    expect(tracker.last).toBe(3);
  });

  it('holds back an event after a gap and asks for a resync once the wait passes', () => {
    vi.useFakeTimers();
    const applied: number[] = [];
    const gaps: number[] = [];
    const tracker = new SeqTracker({ last: 4, apply: (e) => applied.push(e.seq), onGap: (after) => gaps.push(after), gapWaitMs: 500 });
    tracker.receive(ev(6));
    expect(applied).toEqual([]);
    vi.advanceTimersByTime(499);
    expect(gaps).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(gaps).toEqual([4]);
    tracker.receive([ev(5), ev(6)]);
    expect(applied).toEqual([5, 6]);
  });

  it('does not report a gap that fills itself in time (out-of-order delivery)', () => {
    vi.useFakeTimers();
    const gaps: number[] = [];
    const applied: number[] = [];
    const tracker = new SeqTracker({ last: 0, apply: (e) => applied.push(e.seq), onGap: (a) => gaps.push(a), gapWaitMs: 500 });
    tracker.receive(ev(2));
    tracker.receive(ev(1));
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([1, 2]);
    expect(gaps).toEqual([]);
  });

  it('drops duplicates from overlapping live delivery and resync pages', () => {
    const applied: number[] = [];
    const tracker = new SeqTracker({ last: 0, apply: (e) => applied.push(e.seq), onGap: () => undefined });
    tracker.receive([ev(1), ev(2)]);
    tracker.receive([ev(1), ev(2), ev(3)]);
    tracker.receive(ev(2));
    expect(applied).toEqual([1, 2, 3]);
  });

  it('skips seqs a filtered stream will never contain', () => {
    const applied: number[] = [];
    const tracker = new SeqTracker({ last: 0, apply: (e) => applied.push(e.seq), onGap: () => undefined });
    tracker.receive(ev(4));
    tracker.skipTo(3);
    expect(applied).toEqual([4]);
    expect(tracker.last).toBe(4);
  });
});
