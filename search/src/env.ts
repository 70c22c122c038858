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
});

/** Validated search settings. */
export type SearchEnv = z.output<typeof searchEnvSchema>;

/** True when Meilisearch answers /health (readiness check). */
export async function meiliReady(url: string): Promise<boolean> {
  const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) });
  return response.ok;
}
