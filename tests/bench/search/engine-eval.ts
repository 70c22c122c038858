/**
 * Side-by-side evaluation of the two in-process search libraries we considered for the
 * embedded engine (minisearch and @orama/orama), on the benchmark's 100k tickets: index
 * time, heap, snapshot size and time, and query latency with the features we need
 * (typo, prefix, filter, facets, sort). Run: `npx tsx tests/bench/search/engine-eval.ts`.
 * Bounded: a fixed ticket count and, per query, a count and a time cap.
 */
import { create, insertMultiple, load, save, search, type AnyOrama } from '@orama/orama';
import MiniSearch from 'minisearch';
import { benchTenants, generateTickets } from './ticket-generator.ts';

const COUNT = Number(process.argv[2] ?? 100_000);
const RUNS = 60;
const RUN_CAP_MS = 20_000;

type Flat = {
  id: string;
  subject: string;
  body: string;
  status: string;
  priority: string;
  teamId: string;
  tags: string[];
  updatedAt: number;
};

function heapMb(): number {
  global.gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(run: () => unknown | Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  const deadline = performance.now() + RUN_CAP_MS;
  for (let i = 0; i < RUNS && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

const byTenant = new Map<string, Flat[]>();
for (const t of generateTickets({ count: COUNT, seed: 42, tenants: benchTenants })) {
  const list = byTenant.get(t.tenantId) ?? [];
  list.push({
    id: t.id,
    subject: t.subject,
    body: t.body,
    status: t.status,
    priority: t.priority,
    teamId: t.teamId ?? '',
    tags: t.tags,
    updatedAt: t.updatedAt.getTime(),
  });
  byTenant.set(t.tenantId, list);
}
const biggest = benchTenants[0].id;
const queries = {
  word: 'refund',
  twoWords: 'invoice address',
  typo: 'pasword',
  prefix: 'synchron',
};

async function evalMiniSearch() {
  const before = heapMb();
  const t0 = performance.now();
  const indexes = new Map<string, MiniSearch<Flat>>();
  for (const [tenant, docs] of byTenant) {
    const ms = new MiniSearch<Flat>({ fields: ['subject', 'body'], storeFields: [] });
    ms.addAll(docs);
    indexes.set(tenant, ms);
  }
  const indexMs = performance.now() - t0;
  const heap = heapMb() - before;
  const docs = new Map(byTenant.get(biggest)!.map((d) => [d.id, d]));
  const ms = indexes.get(biggest)!;
  const typo = (term: string) => (term.length >= 9 ? 2 : term.length >= 5 ? 1 : 0);
  const run = (q: string, filter?: (d: Flat) => boolean, facets = false, sort = false) => {
    const hits = ms.search(q, {
      boost: { subject: 3 },
      fuzzy: typo,
      prefix: (_t, i, all) => i === all.length - 1,
      combineWith: 'AND',
    });
    const matching = filter ? hits.filter((h) => filter(docs.get(h.id)!)) : hits;
    if (facets) {
      const counts = new Map<string, number>();
      for (const h of matching) {
        const d = docs.get(h.id)!;
        counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
        counts.set(d.priority, (counts.get(d.priority) ?? 0) + 1);
      }
    }
    if (sort) matching.sort((a, b) => docs.get(b.id)!.updatedAt - docs.get(a.id)!.updatedAt);
    return matching.slice(0, 20);
  };
  const results = {
    word: await measure(() => run(queries.word)),
    twoWords: await measure(() => run(queries.twoWords)),
    typo: await measure(() => run(queries.typo)),
    prefix: await measure(() => run(queries.prefix)),
    filter: await measure(() => run(queries.word, (d) => d.status === 'open')),
    facets: await measure(() => run(queries.word, undefined, true)),
    sorted: await measure(() => run(queries.word, undefined, false, true)),
  };
  const s0 = performance.now();
  const json = JSON.stringify(ms);
  const saveMs = performance.now() - s0;
  const l0 = performance.now();
  MiniSearch.loadJSON(json, { fields: ['subject', 'body'], storeFields: [] });
  const loadMs = performance.now() - l0;
  const hitCount = run(queries.typo).length;
  return { indexMs, heapMb: heap, snapshotMb: json.length / 1e6, saveMs, loadMs, results, typoHits: hitCount };
}

async function evalOrama() {
  const schema = {
    id: 'string',
    subject: 'string',
    body: 'string',
    status: 'enum',
    priority: 'enum',
    teamId: 'enum',
    tags: 'enum[]',
    updatedAt: 'number',
  } as const;
  const before = heapMb();
  const t0 = performance.now();
  const dbs = new Map<string, AnyOrama>();
  for (const [tenant, docs] of byTenant) {
    const db = create({ schema });
    await insertMultiple(db, docs, 1000);
    dbs.set(tenant, db);
  }
  const indexMs = performance.now() - t0;
  const heap = heapMb() - before;
  const db = dbs.get(biggest)!;
  const run = (term: string, extra: Record<string, unknown> = {}) =>
    search(db, { term, properties: ['subject', 'body'], boost: { subject: 3 }, tolerance: 1, limit: 20, ...extra });
  const results = {
    word: await measure(() => run(queries.word)),
    wordWithoutTypos: await measure(() => run(queries.word, { tolerance: 0 })),
    twoWords: await measure(() => run(queries.twoWords)),
    typo: await measure(() => run(queries.typo)),
    prefix: await measure(() => run(queries.prefix)),
    filter: await measure(() => run(queries.word, { where: { status: { eq: 'open' } } })),
    facets: await measure(() => run(queries.word, { facets: { status: {}, priority: {} } })),
    sorted: await measure(() => run(queries.word, { sortBy: { property: 'updatedAt', order: 'DESC' } })),
  };
  const s0 = performance.now();
  const json = JSON.stringify(save(db));
  const saveMs = performance.now() - s0;
  const l0 = performance.now();
  const copy = create({ schema });
  load(copy, JSON.parse(json));
  const loadMs = performance.now() - l0;
  const typoHits = (await run(queries.typo)).count;
  return { indexMs, heapMb: heap, snapshotMb: json.length / 1e6, saveMs, loadMs, results, typoHits };
}

const which = process.argv[3] ?? 'both';
const report: Record<string, unknown> = { count: COUNT, biggestTenantDocs: byTenant.get(biggest)!.length };
if (which !== 'orama') report.minisearch = await evalMiniSearch();
if (which !== 'minisearch') report.orama = await evalOrama();
console.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v), 2));
