/**
 * Evaluation of the ticket classifier on a labelled set:
 *
 *   npm run ai:eval -- --categories categories.json --data tickets.jsonl [--labelled-per-category N] [--json]
 *
 * Without N the classifier is zero-shot (category descriptions only). With N, the first N
 * tickets of each category in file order act as agent-confirmed labels and only the rest
 * are scored. Latency is measured per scored ticket: text preparation, embedding (one
 * ticket at a time) and classification. With --json the last line is one JSON object.
 * It needs the provisioned model and says how to get it when it is missing.
 */
import { parseArgs } from 'node:util';
import { categoryText, TicketClassifier } from '../classifier.service.ts';
import { getEmbedder } from '../embedder.service.ts';
import { loadAiEnv } from '../env.ts';
import { ModelUnavailableError } from '../errors.ts';
import { detectLanguage } from '../language.service.ts';
import { prepareTicketText } from '../ticket-text.util.ts';
import { readCategories, readTickets, type EvalTicket } from '../eval/dataset.ts';
import { evaluate, percentile, splitLabelled, type EvaluationMetrics } from '../eval/metrics.util.ts';

const usage = 'usage: npm run ai:eval -- --categories categories.json --data tickets.jsonl [--labelled-per-category N] [--json]';

function fail(message: string): never {
  console.error(`✖ ${message}`);
  process.exit(1);
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function textOf(ticket: EvalTicket): string {
  const prepared = prepareTicketText(ticket.text !== undefined ? { body: ticket.text } : { subject: ticket.subject, body: ticket.body });
  return prepared.ok ? prepared.text : '';
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        categories: { type: 'string' },
        data: { type: 'string' },
        'labelled-per-category': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  if (args.help) {
    console.log(usage);
    return;
  }
  if (!args.categories || !args.data) fail(`--categories and --data are required\n${usage}`);
  const perCategory = args['labelled-per-category'] === undefined ? 0 : Number(args['labelled-per-category']);
  if (!Number.isInteger(perCategory) || perCategory < 0)
    fail(`--labelled-per-category must be a whole number, got ${args['labelled-per-category']}`);

  let categories, tickets;
  try {
    categories = readCategories(args.categories);
    tickets = readTickets(args.data, new Set(categories.map((c) => c.id)));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const config = (() => {
    try {
      return loadAiEnv();
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  })();

  const loadStarted = performance.now();
  const embedder = await getEmbedder({
    modelsDir: config.AI_MODELS_DIR,
    modelId: config.AI_MODEL,
    allowRemote: config.AI_ALLOW_REMOTE_MODELS,
    threads: config.AI_THREADS,
    maxTokens: config.AI_MAX_TOKENS,
  }).catch((error: unknown) => {
    if (error instanceof ModelUnavailableError) {
      fail(
        `${error.message}\n  fix: ${error.reason === 'missing' ? 'run `npm test` or `npm start` first (they provision the model)' : error.fix}`,
      );
    }
    throw error;
  });
  const loadMs = performance.now() - loadStarted;

  const { labelled, scored } = splitLabelled(tickets, perCategory);
  const categoryVectors = await embedder.embedBatch(categories.map(categoryText));
  const labelledVectors = await embedder.embedBatch(labelled.map(textOf));
  const classifier = new TicketClassifier(
    categories.map((c, i) => ({ ...c, vector: categoryVectors[i]! })),
    labelled.map((t, i) => ({ categoryId: t.category, vector: labelledVectors[i]! })),
  );

  const latencies: number[] = [];
  const results: Array<{ gold: string; predicted: string | null; lang?: string; decision: string; detectedLang: string }> = [];
  for (const ticket of scored) {
    const started = performance.now();
    const text = textOf(ticket);
    const vector = text ? await embedder.embed(text) : null;
    const outcome = classifier.classify(vector);
    latencies.push(performance.now() - started);
    results.push({
      gold: ticket.category,
      predicted: outcome.categoryId,
      lang: ticket.lang,
      decision: outcome.decision,
      detectedLang: detectLanguage(text).lang,
    });
  }

  const labels = categories.map((c) => c.id);
  const metrics = evaluate(results, labels);
  const languages = [...new Set(results.map((r) => r.lang).filter((l): l is string => l !== undefined))].sort();
  const perLanguage: Record<string, Pick<EvaluationMetrics, 'scored' | 'accuracy' | 'macroF1'> & { languageDetected: number }> = {};
  for (const lang of languages) {
    const subset = results.filter((r) => r.lang === lang);
    const m = evaluate(subset, labels);
    perLanguage[lang] = {
      scored: m.scored,
      accuracy: m.accuracy,
      macroF1: m.macroF1,
      languageDetected: subset.filter((r) => r.detectedLang === lang).length / subset.length,
    };
  }
  const applied = results.filter((r) => r.decision === 'apply');
  const summary = {
    model: embedder.modelId,
    quantized: embedder.quantized,
    mode: perCategory > 0 ? `blended, ${perCategory} labels per category` : 'zero-shot',
    labelledPerCategory: perCategory,
    labelled: labelled.length,
    scored: metrics.scored,
    accuracy: metrics.accuracy,
    macroF1: metrics.macroF1,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    modelLoadMs: loadMs,
    applyThreshold: classifier.options.applyThreshold,
    appliedShare: results.length === 0 ? 0 : applied.length / results.length,
    appliedPrecision: applied.length === 0 ? 0 : applied.filter((r) => r.predicted === r.gold).length / applied.length,
    perLanguage,
    perCategory: Object.fromEntries(
      metrics.perClass.map((c) => [c.label, { precision: c.precision, recall: c.recall, f1: c.f1, support: c.support }]),
    ),
    confusion: metrics.confusion,
  };

  console.log(`model ${summary.model} (${summary.quantized ? 'int8' : 'fp32'}), loaded in ${loadMs.toFixed(0)} ms; ${summary.mode}`);
  console.log(`scored ${summary.scored} tickets (${labelled.length} used as labels)\n`);
  console.log(`accuracy  ${pct(summary.accuracy)}`);
  console.log(`macro-F1  ${pct(summary.macroF1)}`);
  console.log(
    `latency   p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms per ticket (prepare + embed + classify, one at a time)`,
  );
  console.log(
    `apply ≥ ${summary.applyThreshold}: ${pct(summary.appliedShare)} of tickets auto-applied, ${pct(summary.appliedPrecision)} of those correct\n`,
  );
  printTable([
    ['category', 'precision', 'recall', 'F1', 'n'],
    ...metrics.perClass.map((c) => [c.label, pct(c.precision), pct(c.recall), pct(c.f1), String(c.support)]),
  ]);
  if (languages.length > 0) {
    console.log('');
    printTable([
      ['language', 'accuracy', 'macro-F1', 'n', 'lang detected'],
      ...languages.map((l) => [
        l,
        pct(perLanguage[l]!.accuracy),
        pct(perLanguage[l]!.macroF1),
        String(perLanguage[l]!.scored),
        pct(perLanguage[l]!.languageDetected),
      ]),
    ]);
  }
  console.log('\nconfusion (rows: gold, columns: predicted)');
  const columns = [...labels, ...(results.some((r) => r.predicted === null) ? ['(none)'] : [])];
  printTable([
    ['', ...columns.map((c) => c.slice(0, 8))],
    ...labels.map((gold) => [gold, ...columns.map((p) => String(metrics.confusion[gold]?.[p] ?? 0))]),
  ]);
  if (args.json) console.log(JSON.stringify(summary));
  await embedder.dispose();
}

await main();
