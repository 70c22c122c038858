/**
 * Embedding benchmark on the evaluation tickets (tests/fixtures/ai/tickets.jsonl):
 * latency per ticket one at a time and in length-grouped batches, tickets/s of one
 * process, and RSS. Bounded: at most `--rounds` passes and `--seconds` per phase.
 *
 *   npm run bench:ai [-- --rounds 3 --seconds 60 --batch 16]
 *   AI_THREADS=2 npm run bench:ai      (onnxruntime threads of this process)
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Embedder, loadAiEnv, ModelUnavailableError, prepareTicketText } from '@switchboard/ai';
import { readCategories, readTickets } from '@switchboard/ai/eval/dataset';
import { percentile } from '@switchboard/ai/eval/metrics.util';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/ai');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '60' },
    batch: { type: 'string', default: '16' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const budgetMs = Math.max(1, Number(values.seconds)) * 1000;
const batchSize = Math.max(1, Number(values.batch));

const config = loadAiEnv();
const categories = readCategories(path.join(fixtures, 'categories.json'));
const texts = readTickets(path.join(fixtures, 'tickets.jsonl'), new Set(categories.map((c) => c.id))).map((t) => {
  const prepared = prepareTicketText(t.text !== undefined ? { body: t.text } : t);
  return prepared.ok ? prepared.text : '';
});

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rssBefore = process.memoryUsage().rss;
const loadStarted = performance.now();
const embedder = await Embedder.load({
  modelsDir: config.AI_MODELS_DIR,
  modelId: config.AI_MODEL,
  threads: config.AI_THREADS,
  maxTokens: config.AI_MAX_TOKENS,
  batchSize,
}).catch((error: unknown) => {
  if (error instanceof ModelUnavailableError) {
    console.error(`✖ ${error.message}\n  fix: ${error.fix}`);
    process.exit(1);
  }
  throw error;
});
const loadMs = performance.now() - loadStarted;
const rssLoaded = process.memoryUsage().rss;
const tokens = texts.map((t) => embedder.tokenize(t).length);

for (const text of texts.slice(0, 10)) await embedder.embed(text);

const single: number[] = [];
let singleStarted = performance.now();
const singleDeadline = singleStarted + budgetMs;
singleLoop: for (let round = 0; round < rounds; round++) {
  for (const text of texts) {
    if (performance.now() > singleDeadline) break singleLoop;
    const started = performance.now();
    await embedder.embed(text);
    single.push(performance.now() - started);
  }
}
const singleWallMs = performance.now() - singleStarted;

const batchedPerTicket: number[] = [];
let batchedCount = 0;
singleStarted = performance.now();
const batchDeadline = singleStarted + budgetMs;
batchLoop: for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < texts.length; i += batchSize * 4) {
    if (performance.now() > batchDeadline) break batchLoop;
    const chunk = texts.slice(i, i + batchSize * 4);
    const started = performance.now();
    await embedder.embedBatch(chunk);
    const perTicket = (performance.now() - started) / chunk.length;
    for (let k = 0; k < chunk.length; k++) batchedPerTicket.push(perTicket);
    batchedCount += chunk.length;
  }
}
const batchWallMs = performance.now() - singleStarted;
const rssPeak = process.memoryUsage().rss;

const row = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
console.log(`embedding benchmark, ${new Date().toISOString().slice(0, 10)}`);
row('machine', `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${mb(os.totalmem())} RAM, Node ${process.version}`);
row('load average at the end (1 min)', os.loadavg()[0]!.toFixed(2));
row('model', `${embedder.modelId} (${embedder.quantized ? 'int8' : 'fp32'}), dim ${embedder.dimension}`);
row('onnxruntime threads', String(config.AI_THREADS));
row('tickets', `${texts.length}, tokens p50 ${percentile(tokens, 0.5)} / p99 ${percentile(tokens, 0.99)} (cap ${config.AI_MAX_TOKENS})`);
row('model load', `${loadMs.toFixed(0)} ms`);
row('single: latency p50 / p99', `${percentile(single, 0.5).toFixed(1)} / ${percentile(single, 0.99).toFixed(1)} ms per ticket`);
row('single: throughput', `${((single.length / singleWallMs) * 1000).toFixed(0)} tickets/s (${single.length} tickets)`);
row(
  `batched (≤${batchSize}): per ticket p50 / p99`,
  `${percentile(batchedPerTicket, 0.5).toFixed(1)} / ${percentile(batchedPerTicket, 0.99).toFixed(1)} ms`,
);
row('batched: throughput', `${((batchedCount / batchWallMs) * 1000).toFixed(0)} tickets/s (${batchedCount} tickets)`);
row('RSS before load / loaded / peak', `${mb(rssBefore)} / ${mb(rssLoaded)} / ${mb(rssPeak)}`);
await embedder.dispose();
