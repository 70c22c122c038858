import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProvisionError } from './services/errors.ts';
import { checkMeili } from './services/meili.ts';
import { ensureMongo, resolveMongoServer, type MongoService } from './services/mongo.ts';
import { freePort } from './services/net.ts';
import { DEFAULT_MODEL_ID, ensureModel } from './services/model.ts';
import { cacheDir, devStateDir } from './services/paths.ts';
import { reapOrphans } from './services/process.ts';
import { checkRedisUrl, ensureRedisBinary, startRedis, type RedisService } from './services/redis.ts';

/** What provisioning hands to the processes and tests it serves. */
export interface Provisioned {
  redisUrl: string;
  /** MongoDB URI without a database; append `/<db>`. */
  mongoBaseUri: string;
  mongoKind: MongoService['kind'];
  meiliUrl?: string;
  /** Directory of provisioned models (AI_MODELS_DIR for the processes). */
  modelsDir: string;
  dataDir: string;
  /** Stops what we started (never an external server), in reverse order. */
  stop(): Promise<void>;
}

/** Options for {@link provision}. */
export interface ProvisionOptions {
  /** `dev`: fixed ports, data kept in .switchboard/dev. `test`: free ports, throwaway data. */
  profile: 'dev' | 'test';
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/**
 * Brings up the local services Switchboard needs. Idempotent across runs; never leaves a
 * half-started set behind: if one service fails, the others are stopped before throwing.
 */
export async function provision({ profile, env = process.env, log = () => undefined }: ProvisionOptions): Promise<Provisioned> {
  const reaped = reapOrphans();
  if (reaped > 0) log(`stopped ${reaped} service process(es) left behind by a crashed run`);
  const dataDir =
    profile === 'dev' ? (env.SWITCHBOARD_STATE_DIR ?? devStateDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const redisPort = profile === 'dev' ? Number(env.SWITCHBOARD_REDIS_PORT ?? 6390) : await freePort();
  const mongoPort = profile === 'dev' ? Number(env.SWITCHBOARD_MONGO_PORT ?? 27027) : await freePort();

  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    started.length = 0;
    if (profile === 'test') fs.rmSync(dataDir, { recursive: true, force: true });
  };

  // Installs and builds first (they may take minutes and block), then start in parallel.
  const redisBinary = env.REDIS_URL ? undefined : ensureRedisBinary(log);
  const mongoBinary = env.MONGODB_URI ? undefined : await resolveMongoServer(log);
  const modelsDir = env.AI_MODELS_DIR || path.join(cacheDir(env), 'models');
  // With remote downloads allowed, transformers.js fetches the model itself on first use.
  if (env.AI_ALLOW_REMOTE_MODELS !== 'true') await ensureModel({ modelsDir, modelId: env.AI_MODEL || DEFAULT_MODEL_ID, log });
  const redisTask: Promise<RedisService> = redisBinary
    ? startRedis({ port: redisPort, dataDir: path.join(dataDir, 'redis'), persist: profile === 'dev', log, binary: redisBinary })
    : checkRedisUrl(env.REDIS_URL!).then(() => ({ url: env.REDIS_URL!, stop: async () => undefined }));
  const mongoTask = ensureMongo({ uri: env.MONGODB_URI, port: mongoPort, dataDir: path.join(dataDir, 'mongo'), log, binary: mongoBinary });
  const meiliTask = env.MEILI_URL ? checkMeili(env.MEILI_URL) : Promise.resolve();

  const results = await Promise.allSettled([redisTask, mongoTask, meiliTask]);
  for (const result of results) {
    if (result.status === 'fulfilled' && result.value && typeof result.value === 'object') started.push(result.value);
  }
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await stopAll();
    throw failure.reason instanceof ProvisionError ? failure.reason : new ProvisionError(String(failure.reason), 'see the message above');
  }
  const redis = (results[0] as PromiseFulfilledResult<RedisService>).value;
  const mongo = (results[1] as PromiseFulfilledResult<MongoService>).value;
  return {
    redisUrl: redis.url,
    mongoBaseUri: mongo.baseUri,
    mongoKind: mongo.kind,
    meiliUrl: env.MEILI_URL,
    modelsDir,
    dataDir,
    stop: stopAll,
  };
}
