export { aiEnvSchema, type AiEnv } from './env.ts';
