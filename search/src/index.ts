export { searchEnvSchema, meiliReady, type SearchEnv } from './env.ts';
export * from './search-documents.ts';
export * from './search-query.ts';
export * from './search-engine.ts';
export { createSearchEngine, type CreateSearchEngineOptions } from './create-search-engine.ts';
export { EmbeddedSearchEngine, type EmbeddedEngineOptions, type LostIndex } from './embedded-engine.ts';
export { MeiliSearchEngine, type MeiliEngineOptions, type TenantTokenScope } from './meili-engine.ts';
