import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { connectMongo } from '../db/connection.ts';
import { createDomain, type Domain } from '../domain.ts';
import { InProcessPublisher } from '../events/publisher.ts';
import { createLogger } from '../lib/logger.ts';
import { testMongoUri, testRedisUrl } from './services.ts';

/** A domain on a fresh test database and the test Redis, as services' tests build it. */
export interface TestDomain {
  connection: Connection;
  redis: Redis;
  domain: Domain;
}

/**
 * The domain a service test works with: a fresh database named after `label` on the
 * provisioned MongoDB-compatible server, the test Redis, silent logs, and `publisher`
 * (by default one nobody listens to). Close `connection` and `redis` in `afterAll`.
 */
export async function startTestDomain(label: string, publisher = new InProcessPublisher()): Promise<TestDomain> {
  const connection = await connectMongo(testMongoUri(label));
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  const domain = await createDomain({
    connection,
    redis,
    publisher,
    logger: createLogger({ level: 'silent' }),
    signupOpen: true,
    publicUrl: 'http://127.0.0.1:3999',
  });
  return { connection, redis, domain };
}
