/**
 * The real provisioned model for tests. Provisions it when missing (about a minute on a
 * fresh machine) instead of skipping, and fails with the provisioning error otherwise.
 */
// infra is not a declared dependency of ai (infra -> workers -> ai would make a cycle);
// only tests reach into it, through the workspace link.
import { ensureModel } from '@switchboard/infra/services/model';
import { getEmbedder, type Embedder } from '../embedder.service.ts';
import { loadAiEnv } from '../env.ts';

/** Settings the tests run the model with (the same defaults production uses). */
export function testModelConfig() {
  const env = loadAiEnv();
  return { modelsDir: env.AI_MODELS_DIR, modelId: env.AI_MODEL, threads: env.AI_THREADS, maxTokens: env.AI_MAX_TOKENS };
}

/** The process-wide embedder over the real model, provisioned first if needed. */
export async function testEmbedder(): Promise<Embedder> {
  const config = testModelConfig();
  await ensureModel({ modelsDir: config.modelsDir, modelId: config.modelId, log: (line) => console.log(`[model] ${line}`) });
  return getEmbedder(config);
}
