import path from 'node:path';
import type { Logger } from '@switchboard/api/lib/logger';
import type { SearchEnv } from './env.ts';
import type { SearchEngine } from './search-engine.ts';
import { EmbeddedSearchEngine, type LostIndex } from './embedded-engine.ts';
import { MeiliSearchEngine } from './meili-engine.ts';

/** Options of {@link createSearchEngine}. */
export interface CreateSearchEngineOptions {
  logger?: Logger;
  /** Embedded engine only: a tenant's index was damaged and needs a reindex from MongoDB. */
  onIndexLost?: (lost: LostIndex) => void;
}

/**
 * The engine the settings ask for: Meilisearch when MEILI_URL is set, else the embedded
 * engine on SEARCH_DATA_DIR. Fails with `AppError('unavailable')` when it cannot start.
 */
export async function createSearchEngine(env: SearchEnv, options: CreateSearchEngineOptions = {}): Promise<SearchEngine> {
  if (env.MEILI_URL) {
    const engine = await MeiliSearchEngine.open({ url: env.MEILI_URL, ...(env.MEILI_MASTER_KEY ? { apiKey: env.MEILI_MASTER_KEY } : {}) });
    options.logger?.info({ engine: engine.name, url: env.MEILI_URL }, 'search engine ready');
    return engine;
  }
  const dataDir = path.resolve(env.SEARCH_DATA_DIR);
  const engine = await EmbeddedSearchEngine.open({
    dataDir,
    maxResidentDocuments: env.SEARCH_MAX_RESIDENT_DOCS,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onIndexLost ? { onIndexLost: options.onIndexLost } : {}),
  });
  options.logger?.info({ engine: engine.name, dataDir }, 'search engine ready');
  return engine;
}
