/** Precision, recall and F1 of one class. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Everything the evaluation reports about predictions against gold labels. */
export interface EvaluationMetrics {
  scored: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** `confusion[gold][predicted]` counts; `(none)` when the classifier gave no category. */
  confusion: Record<string, Record<string, number>>;
}

/** The label used when the classifier returned no category. */
export const NO_PREDICTION = '(none)';

/**
 * Accuracy, macro-F1 (unweighted mean over `labels`) and a confusion matrix. A missing
 * prediction counts as wrong. Precision of a class never predicted is 0.
 */
export function evaluate(pairs: ReadonlyArray<{ gold: string; predicted: string | null }>, labels: readonly string[]): EvaluationMetrics {
  const confusion: Record<string, Record<string, number>> = {};
  for (const gold of labels) confusion[gold] = {};
  let correct = 0;
  for (const { gold, predicted } of pairs) {
    const p = predicted ?? NO_PREDICTION;
    const row = (confusion[gold] ??= {});
    row[p] = (row[p] ?? 0) + 1;
    if (p === gold) correct++;
  }
  const perClass = labels.map((label) => {
    const tp = confusion[label]?.[label] ?? 0;
    const support = Object.values(confusion[label] ?? {}).reduce((a, b) => a + b, 0);
    const predictedAs = Object.values(confusion).reduce((sum, row) => sum + (row[label] ?? 0), 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  const withSupport = perClass.filter((c) => c.support > 0);
  return {
    scored: pairs.length,
    accuracy: pairs.length === 0 ? 0 : correct / pairs.length,
    macroF1: withSupport.length === 0 ? 0 : withSupport.reduce((sum, c) => sum + c.f1, 0) / withSupport.length,
    perClass,
    confusion,
  };
}

/** The q-quantile (0..1) by the nearest-rank method; 0 for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Splits tickets into labelled examples (the first `perCategory` of each category, in order) and the rest. */
export function splitLabelled<T extends { category: string }>(tickets: readonly T[], perCategory: number): { labelled: T[]; scored: T[] } {
  const seen = new Map<string, number>();
  const labelled: T[] = [];
  const scored: T[] = [];
  for (const ticket of tickets) {
    const count = seen.get(ticket.category) ?? 0;
    if (count < perCategory) {
      labelled.push(ticket);
      seen.set(ticket.category, count + 1);
    } else {
      scored.push(ticket);
    }
  }
  return { labelled, scored };
}
