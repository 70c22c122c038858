import { z } from 'zod';

/** Settings of the local model runtime (see ai/README.md for the model choice). */
export const aiEnvSchema = z.object({
  AI_MODELS_DIR: z
    .string()
    .min(1)
    .optional()
    .meta({
      description: 'Directory holding provisioned models (defaults to ~/.cache/switchboard/models).',
      example: '/var/lib/switchboard/models',
    }),
  AI_MODEL: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/)
    .default('Xenova/paraphrase-multilingual-MiniLM-L12-v2')
    .meta({ description: 'Sentence-embedding model id, resolved inside AI_MODELS_DIR.', example: 'Xenova/all-MiniLM-L6-v2' }),
  AI_ALLOW_REMOTE_MODELS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: 'Allow downloading the model from the Hugging Face hub when it is not provisioned locally.', example: 'false' }),
});

/** Validated AI settings. */
export type AiEnv = z.output<typeof aiEnvSchema>;
