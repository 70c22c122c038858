import type { Logger } from '@switchboard/api/lib/logger';
import { createSearchEngine, EmbeddedSearchEngine, type SearchEngine, type SearchEnv } from '@switchboard/search';
import type { QueueRegistry } from '@switchboard/workers/queues/registry';
import { requestRebuild } from '@switchboard/workers/search/index.processor';
import type { ServiceName } from './env.ts';

/** Which search duties a process takes on. */
export interface SearchPlacement {
  /** Open a search engine (queries, and writes if `indexing`). */
  engine: boolean;
  /** Process the `index` queue. */
  indexing: boolean;
}

/**
 * Where the search engine lives. Queries are answered by `api`, so every api process
 * opens the engine. The embedded engine is a directory one process owns, so that process
 * also runs the `index` queue (with or without `workers`): split deployments with several
 * api processes need Meilisearch. With Meilisearch (`MEILI_URL`) the engine is a shared
 * server: api processes query it and `workers` processes index into it.
 */
export function searchPlacement(services: readonly ServiceName[], env: Pick<SearchEnv, 'MEILI_URL'>): SearchPlacement {
  const api = services.includes('api');
  const workers = services.includes('workers');
  if (!env.MEILI_URL) return { engine: api, indexing: api };
  return { engine: api || workers, indexing: workers };
}

/**
 * Opens the configured engine. A failure is logged and leaves the process without search
 * (search answers 503, everything else works and readiness is unaffected) instead of
 * stopping it. A collection whose files were damaged is rebuilt through the `index` queue.
 */
export async function openSearchEngine(
  env: SearchEnv,
  logger: Logger,
  registry: QueueRegistry | undefined,
): Promise<SearchEngine | undefined> {
  const log = logger.child({ service: 'search' });
  try {
    return await createSearchEngine(env, {
      logger: log,
      onIndexLost: (lost) => {
        if (!registry) return;
        requestRebuild(registry, lost.tenantId).catch((error: unknown) =>
          log.error({ err: error, tenantId: lost.tenantId }, 'could not ask for a rebuild of a lost search index'),
        );
      },
    });
  } catch (error) {
    log.error({ err: error }, `search is unavailable in this process (searches answer 503): ${(error as Error).message}`);
    return undefined;
  }
}

/** After a rebuild from MongoDB, the embedded engine stops reporting the tenant's index as lost. */
export function markRebuilt(engine: SearchEngine, tenantId: string): void {
  if (!(engine instanceof EmbeddedSearchEngine)) return;
  engine.markRebuilt(tenantId, 'ticket');
  engine.markRebuilt(tenantId, 'article');
}
