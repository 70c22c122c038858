import { centroid, dot, normalize, softmax, type Vector } from './vector.util.ts';

/** A tenant's category as agents define it. */
export interface Category {
  id: string;
  name: string;
  description: string;
}

/** A category with the embedding of {@link categoryText}, computed once and stored by the caller. */
export interface EmbeddedCategory extends Category {
  vector: Vector;
}

/** An agent-confirmed ticket: its stored embedding and the category it belongs to. */
export interface LabelledExample {
  categoryId: string;
  vector: Vector;
}

/** Knobs of the classifier; the defaults were chosen on tests/fixtures/ai (see ai/README.md). */
export interface ClassifierOptions {
  /** Softmax temperature over cosine similarities (e5 cosines live in a narrow band). */
  temperature: number;
  /** Labels a category needs before its examples weigh as much as its description. */
  halfWeightLabels: number;
  /** Neighbours consulted by the kNN vote. */
  k: number;
  /** Weight of the kNN vote once every category is well labelled (it grows with labels from 0). */
  knnShare: number;
  /** Confidence at or above which the category is applied; below it is only suggested. */
  applyThreshold: number;
  /** Runner-ups returned besides the winner. */
  runnerUps: number;
}

/** Defaults for {@link ClassifierOptions}. */
export const defaultClassifierOptions: ClassifierOptions = {
  temperature: 0.01,
  halfWeightLabels: 5,
  k: 9,
  knnShare: 0.3,
  applyThreshold: 0.6,
  runnerUps: 2,
};

/** One category's standing for a ticket. */
export interface CategoryScore {
  categoryId: string;
  /** Blended probability, summing to 1 over all categories. */
  score: number;
  /** Probability from the category descriptions alone. */
  zeroShot: number;
  /** Share of the kNN vote over labelled examples; undefined without labels. */
  supervised?: number;
}

/** What the classifier decided for one ticket. */
export interface Classification {
  /** `apply`: set the category; `suggest`: show it to an agent; `unknown`: nothing to go on. */
  decision: 'apply' | 'suggest' | 'unknown';
  categoryId: string | null;
  /** The winner's blended probability (0 for `unknown`). */
  confidence: number;
  /** Winner's lead over the runner-up. */
  margin: number;
  runnerUps: CategoryScore[];
  /** How much the winner's prototype leans on labelled examples rather than its description (0..1). */
  supervisedWeight: number;
}

/** The text embedded for a category's zero-shot prototype. */
export function categoryText(category: Category): string {
  return `${category.name}: ${category.description}`;
}

interface CategoryModel {
  id: string;
  /** The embedded description. */
  prototype: Float32Array;
  /** Description and label centroid mixed by `weight`. */
  representative: Float32Array;
  /** n / (n + halfWeightLabels) for n labels. */
  weight: number;
}

/**
 * A per-tenant classifier built from stored vectors only: category prototypes (embedded
 * descriptions) and the embeddings of agent-confirmed tickets. Rebuilding it after new
 * labels never re-embeds anything. Pure and synchronous.
 *
 * Each category is represented by its description vector mixed with the centroid of its
 * labels, the labels weighing n / (n + halfWeightLabels) for n labels; a softmax over the
 * cosines to these representatives is blended with a similarity-weighted kNN vote over
 * the labels, whose weight grows with the mean label weight. With no labels this is pure
 * zero-shot; categories without labels keep competing through their descriptions.
 */
export class TicketClassifier {
  private readonly categories: CategoryModel[];
  private readonly examples: Array<{ index: number; vector: Float32Array }>;
  private readonly knnWeight: number;
  readonly options: ClassifierOptions;

  constructor(
    categories: readonly EmbeddedCategory[],
    examples: readonly LabelledExample[] = [],
    options: Partial<ClassifierOptions> = {},
  ) {
    if (categories.length === 0) throw new RangeError('a classifier needs at least one category');
    this.options = { ...defaultClassifierOptions, ...options };
    const byId = new Map<string, number>();
    categories.forEach((category, index) => {
      if (byId.has(category.id)) throw new RangeError(`duplicate category id ${category.id}`);
      byId.set(category.id, index);
    });
    const prototypes = categories.map((c) => normalize(c.vector));
    const dimension = prototypes[0]!.length;
    const grouped = categories.map(() => [] as Float32Array[]);
    this.examples = [];
    for (const example of examples) {
      const index = byId.get(example.categoryId);
      if (index === undefined || example.vector.length !== dimension) continue;
      const vector = normalize(example.vector);
      this.examples.push({ index, vector });
      grouped[index]!.push(vector);
    }
    const { halfWeightLabels } = this.options;
    this.categories = categories.map((category, i) => {
      const labels = grouped[i]!;
      const prototype = prototypes[i]!;
      if (labels.length === 0) return { id: category.id, prototype, representative: prototype, weight: 0 };
      const weight = labels.length / (labels.length + halfWeightLabels);
      const mean = centroid(labels);
      const representative = normalize(prototype.map((p, d) => (1 - weight) * p + weight * mean[d]!));
      return { id: category.id, prototype, representative, weight };
    });
    const meanWeight = this.categories.reduce((sum, c) => sum + c.weight, 0) / this.categories.length;
    this.knnWeight = this.examples.length > 0 ? this.options.knnShare * meanWeight : 0;
  }

  /** Number of labelled examples in use. */
  get labelCount(): number {
    return this.examples.length;
  }

  /** Scores every category for a ticket embedding, best first. */
  score(vector: Vector): CategoryScore[] {
    const v = normalize(vector);
    const { temperature } = this.options;
    const zeroShot = softmax(
      this.categories.map((c) => dot(v, c.prototype)),
      temperature,
    );
    const represented = softmax(
      this.categories.map((c) => dot(v, c.representative)),
      temperature,
    );
    const votes = this.knnVotes(v);
    return this.categories
      .map((c, i) => ({
        categoryId: c.id,
        score: votes ? (1 - this.knnWeight) * represented[i]! + this.knnWeight * votes[i]! : represented[i]!,
        zeroShot: zeroShot[i]!,
        ...(votes ? { supervised: votes[i]! } : {}),
      }))
      .sort((a, b) => b.score - a.score || a.categoryId.localeCompare(b.categoryId));
  }

  /** Classifies a ticket embedding; `null` (no usable text) gives `unknown`. */
  classify(vector: Vector | null): Classification {
    if (!vector || vector.length === 0) {
      return { decision: 'unknown', categoryId: null, confidence: 0, margin: 0, runnerUps: [], supervisedWeight: 0 };
    }
    const ranking = this.score(vector);
    const [best, second] = ranking as [CategoryScore, CategoryScore | undefined];
    return {
      decision: best.score >= this.options.applyThreshold ? 'apply' : 'suggest',
      categoryId: best.categoryId,
      confidence: best.score,
      margin: best.score - (second?.score ?? 0),
      runnerUps: ranking.slice(1, 1 + this.options.runnerUps),
      supervisedWeight: this.categories.find((c) => c.id === best.categoryId)!.weight,
    };
  }

  /** Similarity-weighted vote of the k nearest labelled examples; undefined without labels. */
  private knnVotes(v: Float32Array): number[] | undefined {
    if (this.examples.length === 0) return undefined;
    const { temperature, k } = this.options;
    const neighbours = this.examples
      .map((e) => ({ index: e.index, similarity: dot(v, e.vector) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
    const weights = softmax(
      neighbours.map((n) => n.similarity),
      temperature,
    );
    const votes = new Array<number>(this.categories.length).fill(0);
    neighbours.forEach((n, i) => (votes[n.index]! += weights[i]!));
    return votes;
  }
}
