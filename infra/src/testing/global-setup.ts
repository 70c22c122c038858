import { provision } from '../provision.ts';

/**
 * Vitest global setup: real Redis and a real MongoDB-compatible server for the run.
 * `npm test` provisions them before vitest starts and passes them in the environment;
 * running vitest directly provisions here instead, on free ports with throwaway data.
 */
export default async function setup(): Promise<(() => Promise<void>) | void> {
  if (process.env.SWITCHBOARD_TEST_MONGO_BASE && process.env.SWITCHBOARD_TEST_REDIS_URL) return;
  const services = await provision({
    profile: 'test',
    env: { ...process.env, REDIS_URL: process.env.TEST_REDIS_URL, MONGODB_URI: process.env.TEST_MONGODB_URI },
    log: (line) => console.log(`[provision] ${line}`),
  });
  process.env.SWITCHBOARD_TEST_MONGO_BASE = services.mongoBaseUri;
  process.env.SWITCHBOARD_TEST_MONGO_KIND = services.mongoKind;
  process.env.SWITCHBOARD_TEST_REDIS_URL = services.redisUrl;
  process.env.AI_MODELS_DIR = services.modelsDir;
  return () => services.stop();
}
