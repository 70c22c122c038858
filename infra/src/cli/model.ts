/**
 * `node --import tsx infra/src/cli/model.ts`: provisions only the sentence-embedding model
 * into AI_MODELS_DIR (the container image bakes it in at build time this way; see
 * infra/deploy/Dockerfile). Idempotent: a complete model directory is left untouched.
 */
import { defaultModelsDir } from '@switchboard/ai/env';
import { DEFAULT_MODEL_ID, ensureModel } from '../services/model.ts';
import { reportFailure, timed, step } from './output.ts';

try {
  const modelsDir = process.env.AI_MODELS_DIR || defaultModelsDir(process.env);
  const modelId = process.env.AI_MODEL || DEFAULT_MODEL_ID;
  const dir = await timed(`model ${modelId} ready`, () => ensureModel({ modelsDir, modelId, log: step }));
  step(`model files in ${dir}`);
} catch (error) {
  process.exit(reportFailure(error));
}
