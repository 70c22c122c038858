import { describe, expect, it } from 'vitest';
import { categoryText, TicketClassifier, type EmbeddedCategory } from './classifier.service.ts';
import { cosine, normalize } from './vector.util.ts';

// Pure logic on hand-made vectors; the real model is exercised in triage.test.ts.
const axis = (i: number, dims = 4, noise: number[] = []) =>
  normalize(Array.from({ length: dims }, (_, d) => (d === i ? 1 : 0) + (noise[d] ?? 0)));

const categories: EmbeddedCategory[] = [
  { id: 'billing', name: 'Billing', description: 'money', vector: axis(0) },
  { id: 'login', name: 'Login', description: 'access', vector: axis(1) },
  { id: 'bug', name: 'Bug', description: 'broken', vector: axis(2) },
];

describe('TicketClassifier', () => {
  it('zero-shot picks the closest category description', () => {
    const c = new TicketClassifier(categories);
    const result = c.classify(axis(1, 4, [0.1, 0, 0.1, 0]));
    expect(result).toMatchObject({ categoryId: 'login', decision: 'apply', supervisedWeight: 0 });
    expect(result.confidence).toBeGreaterThan(0.9);
    expect(result.runnerUps.map((r) => r.categoryId)).toHaveLength(2);
    expect(result.runnerUps[0]!.supervised).toBeUndefined();
    expect(result.runnerUps[0]!.zeroShot).toBe(result.runnerUps[0]!.score);
  });

  it('scores sum to one and are sorted', () => {
    const scores = new TicketClassifier(categories).score([0.5, 0.4, 0.3, 0.2]);
    expect(scores.reduce((a, s) => a + s.score, 0)).toBeCloseTo(1, 6);
    expect(scores.map((s) => s.categoryId)).toEqual(['billing', 'login', 'bug']);
  });

  it('suggests instead of applying below the threshold', () => {
    const c = new TicketClassifier(categories, [], { applyThreshold: 0.9 });
    const result = c.classify([0.5, 0.499, 0.2, 0]);
    expect(result.decision).toBe('suggest');
    expect(result.categoryId).toBe('billing');
    expect(result.margin).toBeGreaterThan(0);
  });

  it('gives unknown for a missing vector', () => {
    expect(new TicketClassifier(categories).classify(null)).toEqual({
      decision: 'unknown',
      categoryId: null,
      confidence: 0,
      margin: 0,
      runnerUps: [],
      supervisedWeight: 0,
    });
  });

  it('lets labelled examples overrule misleading descriptions, more so with more labels', () => {
    // Tickets about "refund" sit near the bug description, but agents label them billing.
    const refund = (k: number) => axis(3, 4, [0, 0, 0.6, 0.01 * k]);
    const probe = axis(3, 4, [0, 0, 0.6, 0]);
    const zeroShot = new TicketClassifier(categories).classify(probe);
    expect(zeroShot.categoryId).toBe('bug');
    const few = new TicketClassifier(
      categories,
      [1, 2].map((k) => ({ categoryId: 'billing', vector: refund(k) })),
    );
    const many = new TicketClassifier(
      categories,
      Array.from({ length: 20 }, (_, k) => ({ categoryId: 'billing', vector: refund(k) })),
    );
    const fewResult = few.classify(probe);
    const manyResult = many.classify(probe);
    expect(manyResult.categoryId).toBe('billing');
    expect(fewResult.categoryId).toBe('bug');
    expect(manyResult.supervisedWeight).toBeCloseTo(20 / 25, 6);
    const billingScore = (r: typeof fewResult) =>
      [{ categoryId: r.categoryId, score: r.confidence }, ...r.runnerUps].find((s) => s.categoryId === 'billing')!.score;
    expect(billingScore(manyResult)).toBeGreaterThan(billingScore(fewResult));
  });

  it('keeps unlabelled categories competing through their descriptions', () => {
    const c = new TicketClassifier(
      categories,
      Array.from({ length: 10 }, () => ({ categoryId: 'billing', vector: axis(0) })),
    );
    expect(c.classify(axis(2)).categoryId).toBe('bug');
    expect(c.classify(axis(2)).supervisedWeight).toBe(0);
    expect(c.classify(axis(0)).runnerUps[0]!.supervised).toBe(0);
  });

  it('ignores examples of unknown categories or the wrong dimension', () => {
    const c = new TicketClassifier(categories, [
      { categoryId: 'ghost', vector: axis(0) },
      { categoryId: 'billing', vector: [1, 0] },
    ]);
    expect(c.labelCount).toBe(0);
    expect(c.classify(axis(0)).supervisedWeight).toBe(0);
  });

  it('accepts plain number arrays and Float32Array alike', () => {
    const fromArrays = new TicketClassifier(categories.map((c) => ({ ...c, vector: Array.from(c.vector) })));
    expect(fromArrays.score(Float32Array.from([0, 0, 1, 0]))).toEqual(new TicketClassifier(categories).score([0, 0, 1, 0]));
  });

  it('rejects no categories and duplicate ids', () => {
    expect(() => new TicketClassifier([])).toThrow(RangeError);
    expect(() => new TicketClassifier([categories[0]!, categories[0]!])).toThrow(/duplicate category id billing/);
  });

  it('embeds name and description together', () => {
    expect(categoryText({ id: 'x', name: 'Billing', description: 'Invoices and refunds.' })).toBe('Billing: Invoices and refunds.');
  });

  it('normalises vectors it is given', () => {
    expect(cosine([3, 4], [6, 8])).toBeCloseTo(1, 6);
  });
});
