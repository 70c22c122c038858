import { z } from 'zod';

/** Settings of the search package. Without MEILI_URL the embedded engine is used. */
export const searchEnvSchema = z.object({
  MEILI_URL: z
    .string()
    .url()
    .optional()
    .meta({ description: 'Meilisearch base URL; when unset the embedded engine serves search.', example: 'http://127.0.0.1:7700' }),
  MEILI_MASTER_KEY: z
    .string()
    .min(16)
    .optional()
    .meta({ description: 'Meilisearch master key (needed to mint tenant tokens).', example: 'a-long-random-master-key' }),
  SEARCH_DATA_DIR: z.string().min(1).default('.switchboard/dev/search').meta({
    description:
      'Directory of the embedded search engine (snapshots and journals; one process owns it). Relative paths resolve from the working directory.',
    example: '/var/lib/switchboard/search',
  }),
  SEARCH_MAX_RESIDENT_DOCS: z.coerce.number().int().min(1_000).default(250_000).meta({
    description: 'Embedded engine: most documents kept in memory; least recently used tenants are reloaded from disk past it.',
    example: '250000',
  }),
});

/** Validated search settings. */
export type SearchEnv = z.output<typeof searchEnvSchema>;

/** True when Meilisearch answers /health (readiness check). */
export async function meiliReady(url: string): Promise<boolean> {
  const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) });
  return response.ok;
}
