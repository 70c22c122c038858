import { describe, expect, it } from 'vitest';
import { evaluate, NO_PREDICTION, percentile, splitLabelled } from './metrics.util.ts';

describe('evaluate', () => {
  it('computes accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix', () => {
    const m = evaluate(
      [
        { gold: 'a', predicted: 'a' },
        { gold: 'a', predicted: 'b' },
        { gold: 'b', predicted: 'b' },
        { gold: 'b', predicted: null },
      ],
      ['a', 'b'],
    );
    expect(m.accuracy).toBe(0.5);
    expect(m.perClass).toEqual([
      { label: 'a', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { label: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
    ]);
    expect(m.macroF1).toBeCloseTo((2 / 3 + 0.5) / 2, 10);
    expect(m.confusion).toEqual({ a: { a: 1, b: 1 }, b: { b: 1, [NO_PREDICTION]: 1 } });
  });

  it('leaves classes without support out of macro-F1 and handles no data', () => {
    expect(evaluate([{ gold: 'a', predicted: 'a' }], ['a', 'b']).macroF1).toBe(1);
    expect(evaluate([], ['a'])).toMatchObject({ scored: 0, accuracy: 0, macroF1: 0 });
  });
});

describe('percentile', () => {
  it('uses nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });
});

describe('splitLabelled', () => {
  it('takes the first N of each category in file order', () => {
    const tickets = ['a1', 'b1', 'a2', 'a3', 'b2', 'c1'].map((id) => ({ id, category: id[0]! }));
    const { labelled, scored } = splitLabelled(tickets, 2);
    expect(labelled.map((t) => t.id)).toEqual(['a1', 'b1', 'a2', 'b2', 'c1']);
    expect(scored.map((t) => t.id)).toEqual(['a3']);
    expect(splitLabelled(tickets, 0).scored).toHaveLength(6);
  });
});
