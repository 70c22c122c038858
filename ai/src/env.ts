import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** Settings of the local model runtime (see ai/README.md for the model choice). */
export const aiEnvSchema = z.object({
  AI_MODELS_DIR: z.string().min(1).optional().meta({
    description: 'Directory holding provisioned models (defaults to $XDG_CACHE_HOME/switchboard/models, else ~/.cache/switchboard/models).',
    example: '/var/lib/switchboard/models',
  }),
  AI_MODEL: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/)
    .default('Xenova/multilingual-e5-small')
    .meta({ description: 'Sentence-embedding model id, resolved inside AI_MODELS_DIR.', example: 'Xenova/multilingual-e5-small' }),
  AI_ALLOW_REMOTE_MODELS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: 'Allow downloading the model from the Hugging Face hub when it is not provisioned locally.', example: 'false' }),
  AI_THREADS: z.coerce.number().int().min(1).max(64).default(1).meta({
    description: 'onnxruntime intra-op threads per process; keep 1 when several workers share the cores.',
    example: '1',
  }),
  AI_MAX_TOKENS: z.coerce.number().int().min(16).max(512).default(128).meta({
    description: 'Tokens of ticket text the model reads; the rest is cut (the opening carries the topic, and cost grows with length).',
    example: '128',
  }),
});

/** Validated AI settings. */
export type AiEnv = z.output<typeof aiEnvSchema>;

/** Where provisioned models live when AI_MODELS_DIR is unset: the same cache infra provisions into. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'switchboard', 'models');
}

/**
 * Reads the AI settings from the environment (empty strings count as unset) and fills
 * in the models directory. Throws one message naming every bad variable.
 */
export function loadAiEnv(env: NodeJS.ProcessEnv = process.env): AiEnv & { AI_MODELS_DIR: string } {
  const input = Object.fromEntries(Object.keys(aiEnvSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]));
  const result = aiEnvSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new Error(`Invalid AI configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { ...result.data, AI_MODELS_DIR: result.data.AI_MODELS_DIR ?? defaultModelsDir(env) };
}
