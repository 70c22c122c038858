export { searchEnvSchema, meiliReady, type SearchEnv } from './env.ts';
