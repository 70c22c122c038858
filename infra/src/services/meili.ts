import { ProvisionError } from './errors.ts';
import { waitUntil } from './net.ts';

/**
 * Meilisearch is never started by us (no binary is reachable on our build machines):
 * when MEILI_URL is given we wait for its /health; otherwise the embedded engine is used.
 */
export async function checkMeili(url: string, timeoutMs = 15_000): Promise<void> {
  const result = await waitUntil(
    async () => {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) });
      return response.ok;
    },
    { timeoutMs, intervalMs: 250 },
  );
  if (!result.ok)
    throw new ProvisionError(
      `MEILI_URL ${url} does not answer /health (${result.lastError})`,
      'start Meilisearch there, or unset MEILI_URL to use the embedded search engine',
    );
}
