import type { Domain } from '@switchboard/api/domain';
import type { Logger } from '@switchboard/api/lib/logger';
import type { SearchKind } from '@switchboard/api/search/search.port';
import type { QueueRegistry } from '../queues/registry.ts';
import { indexJob } from './index.jobs.ts';
import { generationKey, pendingKey } from './index.listener.ts';

/** Most pending documents one sync job indexes; the rest go to the next job at once. */
export const SYNC_PER_JOB = 2_000;

/** Deletes each hash field whose value is still the one given (a change made meanwhile stays pending). */
const CLEAR_IF_UNCHANGED = `
local cleared = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    cleared = cleared + 1
  end
end
return cleared`;

/** What the indexing processor needs. */
export interface IndexingDeps {
  domain: Domain;
  registry: QueueRegistry;
  logger: Logger;
  /** Called after a tenant was rebuilt from MongoDB (the embedded engine then stops reporting its index as lost). */
  onRebuilt?: (tenantId: string) => void;
}

/** Asks for a tenant's index to be rebuilt from MongoDB (lost index files, the reindex command). */
export function requestRebuild(registry: QueueRegistry, tenantId: string) {
  return registry.enqueue(indexJob, { op: 'rebuild', tenantId }, { jobId: `rebuild:${tenantId}:${Date.now()}` });
}

/** Asks for every indexed document of a tenant to be removed (a deleted tenant). */
export function requestPurge(registry: QueueRegistry, tenantId: string) {
  return registry.enqueue(indexJob, { op: 'purge', tenantId }, { jobId: `purge:${tenantId}:${Date.now()}` });
}

async function syncPending({ domain, registry }: IndexingDeps, tenantId: string) {
  const redis = registry.queue(indexJob).client;
  const key = pendingKey(registry, tenantId);
  // From here on, new changes make a new job instead of joining this one.
  await redis.incr(generationKey(registry, tenantId));
  const pending = Object.entries(await redis.hgetall(key));
  const taken = pending.slice(0, SYNC_PER_JOB);
  const ids: Record<SearchKind, string[]> = { ticket: [], article: [] };
  for (const [field] of taken) {
    const [kind, id] = field.split(':') as [SearchKind, string];
    if (kind in ids && id) ids[kind].push(id);
  }
  const tickets = await domain.searchIndex.sync(tenantId, 'ticket', ids.ticket);
  const articles = await domain.searchIndex.sync(tenantId, 'article', ids.article);
  if (taken.length > 0) await redis.eval(CLEAR_IF_UNCHANGED, 1, key, ...taken.flat());
  const left = pending.length - taken.length;
  if (left > 0) {
    const generation = (await redis.get(generationKey(registry, tenantId))) ?? '0';
    await registry.enqueue(indexJob, { op: 'sync', tenantId }, { jobId: `index:${tenantId}:${generation}` });
  }
  return { tickets, articles, left };
}

/**
 * Enqueues a sync for every tenant with pending documents: work left by a crash between
 * marking and syncing, or by a sync that ran out of attempts while the engine was down.
 */
export async function sweepPending(registry: QueueRegistry): Promise<number> {
  const queue = registry.queue(indexJob);
  const prefix = pendingKey(registry, '');
  let tenants = 0;
  for await (const keys of queue.client.scanStream({ match: `${prefix}*`, count: 200 }) as AsyncIterable<string[]>) {
    for (const key of keys) {
      const tenantId = key.slice(prefix.length);
      const generation = (await queue.client.get(generationKey(registry, tenantId))) ?? '0';
      await registry.enqueue(indexJob, { op: 'sync', tenantId }, { jobId: `index:${tenantId}:${generation}` });
      tenants++;
    }
  }
  return tenants;
}

/**
 * Asks for a rebuild of every tenant whose index is empty for a kind while MongoDB holds
 * documents of it: a new engine directory, data that predates indexing, or a loss nobody
 * reported. Returns the tenants it asked for.
 */
export async function rebuildMissing({ domain, registry }: Pick<IndexingDeps, 'domain' | 'registry'>): Promise<string[]> {
  const asked: string[] = [];
  for (const tenant of await domain.searchIndex.tenants()) {
    const report = await domain.searchIndex.check(tenant.id);
    const missing = (report.ticket.index === 0 && report.ticket.mongo > 0) || (report.article.index === 0 && report.article.mongo > 0);
    if (!missing) continue;
    await requestRebuild(registry, tenant.id);
    asked.push(tenant.id);
  }
  return asked;
}

/**
 * Starts the `index` processor in this process, which must own the search engine
 * (`domain.searchIndex` has it): with the embedded engine that is the process serving the
 * API; with Meilisearch any workers process. Then sweeps up pending work, and in the
 * background rebuilds tenants whose index is empty although MongoDB is not.
 */
export async function startIndexing(deps: IndexingDeps): Promise<void> {
  const { domain, registry, logger } = deps;
  registry.process(indexJob, async (payload, job) => {
    const { tenantId } = payload;
    switch (payload.op) {
      case 'sync':
        return syncPending(deps, tenantId);
      case 'purge':
        await domain.searchIndex.purgeTenant(tenantId);
        return { purged: true };
      case 'rebuild': {
        const result = await domain.searchIndex.reindexTenant(tenantId, (progress) => void job.progress(progress));
        deps.onRebuilt?.(tenantId);
        logger.info({ ...result }, 'search index rebuilt from MongoDB');
        return result;
      }
      case 'check':
        return domain.searchIndex.check(tenantId);
    }
  });
  const swept = await sweepPending(registry);
  if (swept > 0) logger.info({ tenants: swept }, 'search: resumed pending indexing');
  rebuildMissing(deps).then(
    (tenants) => tenants.length > 0 && logger.info({ tenants: tenants.length }, 'search: rebuilding tenants whose index was empty'),
    (error: unknown) => logger.warn({ err: error }, 'search: could not look for tenants missing from the index'),
  );
}
