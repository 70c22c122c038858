/**
 * `npm run search:reindex -- [--tenant <slug|id>]`: rebuilds the search index from MongoDB
 * (every tenant, or one) with a progress bar and an ETA.
 * `npm run search:check -- [--tenant <slug|id>]`: compares the numbers of tickets and
 * articles in MongoDB and in the index; exits 1 when they differ.
 *
 * Both talk to the engine directly when they can open it: always with Meilisearch, and
 * with the embedded engine when no server holds its directory. When a running server owns
 * the embedded directory, the work goes through that server's `index` queue instead and
 * the command follows the jobs' progress. Without MONGODB_URI / REDIS_URL they use the
 * services `npm start` provisions.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectMongo } from '@switchboard/api/db/connection';
import { createModels } from '@switchboard/api/db/models';
import { parseEnv } from '@switchboard/api/lib/config';
import { createLogger } from '@switchboard/api/lib/logger';
import { SearchIndexer, type ConsistencyReport, type ReindexProgress, type ReindexResult } from '@switchboard/api/search/search-indexer';
import { createSearchEngine, EmbeddedSearchEngine, searchEnvSchema, type SearchEngine } from '@switchboard/search';
import { queueRedisUrl, workersEnvSchema } from '@switchboard/workers/env';
import { indexJob } from '@switchboard/workers/search/index.jobs';
import { requestRebuild } from '@switchboard/workers/search/index.processor';
import { QueueRegistry } from '@switchboard/workers/queues/registry';
import type Bull from 'bull';
import type { Connection } from 'mongoose';
import { ProvisionError } from '../services/errors.ts';
import { devStateDir } from '../services/paths.ts';
import { ProgressBar } from './progress.ts';
import { reportFailure, step } from './output.ts';

/** A job that makes no progress for this long is reported as stuck (the server may be down). */
const STALL_MS = 10 * 60_000;

type Tenant = { id: string; slug: string };

/** The dev services' addresses unless the environment names others. */
function withDevDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    MONGODB_URI: env.MONGODB_URI || `mongodb://127.0.0.1:${env.SWITCHBOARD_MONGO_PORT || 27027}/switchboard`,
    REDIS_URL: env.REDIS_URL || `redis://127.0.0.1:${env.SWITCHBOARD_REDIS_PORT || 6390}`,
    SEARCH_DATA_DIR: env.SEARCH_DATA_DIR || path.join(env.SWITCHBOARD_STATE_DIR || devStateDir, 'search'),
  };
}

function usage(): never {
  throw new ProvisionError(
    'usage: npm run search:reindex -- [--tenant <slug|id>]  |  npm run search:check -- [--tenant <slug|id>]',
    'pass reindex or check',
  );
}

async function resolveTenants(indexer: SearchIndexer, wanted: string | undefined): Promise<Tenant[]> {
  const all = await indexer.tenants();
  if (!wanted) return all;
  const found = all.find((t) => t.slug === wanted || t.id === wanted);
  if (found) return [found];
  // A tenant gone from MongoDB can still be named by id: its documents are purged.
  if (/^[0-9a-f]{24}$/.test(wanted)) return [{ id: wanted, slug: `(deleted ${wanted})` }];
  throw new ProvisionError(`no tenant ${wanted}`, 'pass a tenant slug or id (see the tenants collection)');
}

/** Total documents to index, for the bar and the ETA. */
async function totalOf(connection: Connection, tenants: Tenant[]): Promise<number> {
  const models = createModels(connection);
  let total = 0;
  for (const t of tenants) {
    if (!/^[0-9a-f]{24}$/.test(t.id)) continue;
    total += (await models.Ticket.countDocuments({ tenantId: t.id })) + (await models.KbArticle.countDocuments({ tenantId: t.id }));
  }
  return total;
}

function describeResult(slug: string, result: ReindexResult): string {
  if (result.purged) return `✓ ${slug}: tenant no longer exists, its documents were purged`;
  const rebuilt = result.rebuiltFromScratch ? ' (the index held documents MongoDB no longer has: rebuilt from scratch)' : '';
  return `✓ ${slug}: ${result.ticket} tickets, ${result.article} articles${rebuilt}`;
}

/** Tracks overall progress across tenants and kinds from per-kind reports. */
function tracker(bar: ProgressBar) {
  let tenantsDone = 0;
  let kindsDone = 0;
  let current: ReindexProgress | null = null;
  return {
    report(progress: ReindexProgress) {
      if (current && current.kind !== progress.kind) kindsDone += current.done;
      current = progress;
      bar.update(tenantsDone + kindsDone + progress.done);
    },
    /** A tenant finished: its own counts replace whatever progress was (or was not) reported. */
    tenantDone(result: ReindexResult) {
      tenantsDone += result.ticket + result.article;
      kindsDone = 0;
      current = null;
      bar.update(tenantsDone);
    },
  };
}

async function reindexDirect(indexer: SearchIndexer, engine: SearchEngine, tenants: Tenant[], total: number): Promise<void> {
  const bar = new ProgressBar(process.stdout, 'reindex', total);
  const progress = tracker(bar);
  for (const t of tenants) {
    const result = await indexer.reindexTenant(t.id, (p) => progress.report(p));
    progress.tenantDone(result);
    if (engine instanceof EmbeddedSearchEngine) {
      engine.markRebuilt(t.id, 'ticket');
      engine.markRebuilt(t.id, 'article');
    }
    bar.log(describeResult(t.slug, result));
  }
  bar.finish('reindexed');
}

/** Follows one job until it completes; failed attempts that will be retried keep it going. */
async function follow(registry: QueueRegistry, jobId: Bull.JobId, onProgress: (progress: unknown) => void): Promise<unknown> {
  let lastChange = Date.now();
  let last = '';
  for (;;) {
    const job = await registry.queue(indexJob).getJob(jobId);
    if (!job) throw new Error(`job ${jobId} disappeared from the queue`);
    const state = await job.getState();
    // The job was read before its state: one that completed in between is read again for its result.
    if (state === 'completed') return ((await registry.queue(indexJob).getJob(jobId)) ?? job).returnvalue as unknown;
    if (state === 'failed') throw new Error(`job ${jobId} failed: ${job.failedReason ?? 'no reason given'}`);
    const seen = `${state} ${JSON.stringify(job.progress())}`;
    if (seen !== last) {
      last = seen;
      lastChange = Date.now();
      onProgress(job.progress());
    }
    if (Date.now() - lastChange > STALL_MS)
      throw new Error(
        `job ${jobId} made no progress for ${STALL_MS / 60_000} minutes (state ${state}); is the server that owns the index running?`,
      );
    await sleep(300);
  }
}

async function reindexThroughQueue(registry: QueueRegistry, tenants: Tenant[], total: number): Promise<void> {
  const bar = new ProgressBar(process.stdout, 'reindex', total);
  const progress = tracker(bar);
  for (const t of tenants) {
    const job = await requestRebuild(registry, t.id);
    const result = (await follow(registry, job.id, (p) => {
      if (p && typeof p === 'object' && 'kind' in p) progress.report(p as ReindexProgress);
    })) as ReindexResult;
    progress.tenantDone(result);
    bar.log(describeResult(t.slug, result));
  }
  bar.finish('reindexed');
}

function printReport(slug: string, report: ConsistencyReport): void {
  const cell = (name: string, c: { mongo: number; index: number }) =>
    `${name} ${c.index}/${c.mongo}${c.index === c.mongo ? '' : c.index > c.mongo ? ` (+${c.index - c.mongo} stale)` : ` (${c.mongo - c.index} missing)`}`;
  console.log(
    `${report.consistent ? '✓' : '✖'} ${slug.padEnd(24)} ${cell('tickets', report.ticket)}   ${cell('articles', report.article)}`,
  );
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'reindex' && command !== 'check') usage();
  const flag = rest.indexOf('--tenant');
  const wanted = flag >= 0 ? rest[flag + 1] : rest.find((a) => a.startsWith('--tenant='))?.slice('--tenant='.length);
  if (flag >= 0 && !wanted) usage();

  const env = withDevDefaults(process.env);
  const searchEnv = parseEnv(searchEnvSchema, env);
  const workersEnv = parseEnv(workersEnvSchema, env);
  const logger = createLogger({ level: 'warn', name: 'search-cli' });
  const mongoUri = env.MONGODB_URI!;
  const connection = await connectMongo(mongoUri).catch((error: unknown) => {
    throw new ProvisionError(
      `cannot reach MongoDB at ${mongoUri} (${(error as Error).message})`,
      'start Switchboard (npm start) or the services (npm run provision), or set MONGODB_URI',
    );
  });
  let engine: SearchEngine | undefined;
  let registry: QueueRegistry | undefined;
  try {
    engine = await createSearchEngine(searchEnv, { logger }).catch((error: unknown) => {
      // A running server owns the embedded directory: the work goes through its queue.
      if (/is used by process/.test((error as Error).message)) return undefined;
      throw error;
    });
    const indexer = new SearchIndexer(createModels(connection), engine ?? null);
    const tenants = await resolveTenants(indexer, wanted);
    if (!engine) {
      step(`the search index at ${searchEnv.SEARCH_DATA_DIR} belongs to a running server: working through its index queue`);
      registry = new QueueRegistry(queueRedisUrl(workersEnv), workersEnv.QUEUE_PREFIX, logger);
    } else {
      step(`search engine: ${engine.name}${engine.name === 'embedded' ? ` at ${path.resolve(searchEnv.SEARCH_DATA_DIR)}` : ''}`);
    }

    if (command === 'reindex') {
      const total = await totalOf(connection, tenants);
      step(`reindexing ${tenants.length} tenant(s), ${total.toLocaleString('en')} documents`);
      if (engine) await reindexDirect(indexer, engine, tenants, total);
      else await reindexThroughQueue(registry!, tenants, total);
      return 0;
    }

    let inconsistent = 0;
    for (const t of tenants) {
      const report = engine
        ? await indexer.check(t.id)
        : ((await follow(
            registry!,
            (await registry!.enqueue(indexJob, { op: 'check', tenantId: t.id })).id,
            () => undefined,
          )) as ConsistencyReport);
      printReport(t.slug, report);
      if (!report.consistent) inconsistent++;
    }
    if (inconsistent > 0) {
      console.log(
        `\n${inconsistent} tenant(s) differ (a sync may still be pending); repair with: npm run search:reindex -- --tenant <slug>`,
      );
      return 1;
    }
    console.log(`\nall ${tenants.length} tenant(s) consistent`);
    return 0;
  } finally {
    await registry?.close();
    await engine?.close();
    await connection.close();
  }
}

try {
  process.exit(await main());
} catch (error) {
  process.exit(reportFailure(error));
}
