/**
 * The channels of a workers process against the real provisioned services, for tests: the
 * domain on a fresh database, bull queues under a key prefix of their own, the inbound SMTP
 * server on a free loopback port, and outgoing mail going to a loopback SMTP sink.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemCtx, type Ctx } from '@switchboard/api/context';
import { connectMongo } from '@switchboard/api/db/connection';
import { createDomain, type Domain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import type { Tenant } from '@switchboard/api/tenants/tenant.model';
import type { User } from '@switchboard/api/users/user.model';
import type { UserCreate } from '@switchboard/api/users/user.schema';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { enqueueChannelJobs, startChannels, type Channels, type ChannelsConfig } from '../channels.ts';
import { MailAccountNotifier } from '../mail/account-notifier.ts';
import { startMailSink, type MailSink } from '../mail/mail-sink.ts';
import { QueueRegistry } from '../queues/registry.ts';

/** The mail domain of test tenants' support addresses. */
export const TEST_MAIL_DOMAIN = 'mail.switchboard.test';

/** Polls `probe` until it returns something other than undefined (bounded in time and tries). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs = 15_000, everyMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A tenant with people, made through the domain. */
export interface TestTenant {
  tenant: Tenant;
  admin: User;
  ctx: Ctx;
  /** A context acting as a user of this tenant. */
  as(user: User): Ctx;
  person(role: User['role'], name: string, email?: string): Promise<User>;
  supportAddress: string;
}

/** A running channels process. */
export interface ChannelsHarness {
  domain: Domain;
  registry: QueueRegistry;
  connection: Connection;
  redis: Redis;
  sink: MailSink | null;
  channels: Channels;
  inboundPort: number;
  tenant(slugPrefix?: string): Promise<TestTenant>;
  /** Stops the workers (as a crash or deploy would) but keeps the database. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startChannelsHarness}. */
export interface ChannelsHarnessOptions {
  label: string;
  /** Run without an SMTP sink (SMTP_URL unset). */
  noSmtp?: boolean;
  config?: Partial<ChannelsConfig>;
  /** Reuse a database and queue prefix of an earlier harness (a worker restart). */
  reuse?: { mongoUri: string; prefix: string };
  logLevel?: string;
}

/** Starts domain + registry + channels (+ a sink) for one test file. */
export async function startChannelsHarness(
  options: ChannelsHarnessOptions,
): Promise<ChannelsHarness & { prefix: string; mongoUri: string }> {
  const logger = createLogger({ level: options.logLevel ?? 'silent' });
  const mongoUri = options.reuse?.mongoUri ?? testMongoUri(options.label);
  const connection = await connectMongo(mongoUri);
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  const prefix = options.reuse?.prefix ?? `t${randomBytes(5).toString('hex')}`;
  const registry = new QueueRegistry(testRedisUrl(), prefix, logger);
  const publisher = new InProcessPublisher((error) => logger.warn({ err: error }, 'listener failed'));
  publisher.subscribe((batch) => enqueueChannelJobs(registry, batch));
  const notifier = new MailAccountNotifier(registry);
  const domain = await createDomain({
    connection,
    redis,
    publisher,
    logger,
    signupOpen: true,
    publicUrl: 'http://desk.switchboard.test',
    notifier,
    mailDomain: TEST_MAIL_DOMAIN,
  });
  notifier.bind(domain);
  const sink = options.noSmtp ? null : await startMailSink();
  const channels = await startChannels({
    domain,
    registry,
    redis,
    logger,
    config: {
      SMTP_URL: sink?.url,
      MAIL_FROM: undefined,
      SMTP_INBOUND_HOST: '127.0.0.1',
      SMTP_INBOUND_PORT: 0,
      MAIL_MAX_BYTES: 5 * 1024 * 1024,
      MAIL_DIGEST_WINDOW_MS: 0,
      WEBHOOK_ALLOW_PRIVATE: true,
      WEBHOOK_TIMEOUT_MS: 2_000,
      WEBHOOK_MAX_ATTEMPTS: 3,
      WEBHOOK_RETRY_BASE_MS: 50,
      WEBHOOK_DISABLE_AFTER: 25,
      RECURRING_SWEEP_MS: 3_600_000,
      ...options.config,
    },
  });
  let workersStopped = false;
  const stopWorkers = async () => {
    if (workersStopped) return;
    workersStopped = true;
    await channels.close();
    await registry.close();
  };
  return {
    prefix,
    mongoUri,
    domain,
    registry,
    connection,
    redis,
    sink,
    channels,
    inboundPort: channels.inboundPort ?? 0,
    async tenant(slugPrefix = 't') {
      const suffix = randomBytes(4).toString('hex');
      const { tenant, admin } = await domain.tenants.signUp({
        slug: `${slugPrefix}-${suffix}`,
        name: `Helpdesk ${suffix}`,
        timezone: 'UTC',
        admin: { name: 'Ada Admin', email: `admin-${suffix}@example.test`, password: `pw-admin-${suffix}` },
      });
      const as = (user: User): Ctx => ({
        tenantId: tenant._id,
        actor: { kind: 'user', userId: user._id, role: user.role, name: user.name, organisationId: user.organisationId ?? null },
      });
      return {
        tenant,
        admin,
        ctx: systemCtx(tenant._id),
        as,
        supportAddress: domain.mail.supportAddress(tenant),
        person: (role, name, email) =>
          domain.users.create(as(admin), {
            role,
            name,
            email: email ?? `${role}-${randomBytes(4).toString('hex')}@example.test`,
          } satisfies UserCreate),
      };
    },
    stopWorkers,
    async close() {
      await stopWorkers();
      await sink?.close();
      // The first harness of a database drops it; a restarted one leaves that to it.
      if (!options.reuse) await connection.dropDatabase();
      await connection.close();
      await redis.quit();
    },
  };
}
