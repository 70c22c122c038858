import { z } from 'zod';
import { defineJob } from '../queues/definition.ts';

const id = z.string().regex(/^[0-9a-f]{24}$/);

/**
 * The `index` queue: keeps the search engine in step with MongoDB.
 * - `sync`: index the documents marked pending for a tenant (see index.listener.ts); one
 *   job per tenant and generation, so a burst of changes becomes one batch.
 * - `purge`: remove every document of a tenant (a deleted tenant).
 * - `rebuild`: reindex a tenant from MongoDB (lost index files, the reindex command), with progress.
 * - `check`: count documents in MongoDB and in the engine (the check command).
 * Every operation reloads what it names from MongoDB, so running one twice is harmless.
 */
export const indexJob = defineJob({
  name: 'index',
  version: 1,
  payload: z.discriminatedUnion('op', [
    z.object({ op: z.literal('sync'), tenantId: id }).strict(),
    z.object({ op: z.literal('purge'), tenantId: id }).strict(),
    z.object({ op: z.literal('rebuild'), tenantId: id }).strict(),
    z.object({ op: z.literal('check'), tenantId: id }).strict(),
  ]),
  attempts: 8,
  backoff: { type: 'exponential', delayMs: 1000 },
  // Two at a time: a long rebuild never holds up the syncs of other tenants.
  concurrency: 2,
  keepCompleted: 200,
});
