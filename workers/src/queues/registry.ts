import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@switchboard/api/lib/logger';
import Bull from 'bull';
import { Redis, type RedisOptions } from 'ioredis';
import type { z } from 'zod';
import type { JobDefinition, PayloadOf } from './definition.ts';

/** Runs one job; throw to fail (bull retries per the definition). */
export type JobHandler<D extends JobDefinition> = (payload: PayloadOf<D>, job: Bull.Job) => Promise<unknown>;

/** Enqueue options; `jobId` makes an enqueue idempotent (same id = same job). */
export interface EnqueueOptions {
  jobId?: string;
  delayMs?: number;
  /** Overrides the definition's attempts (policies configured at run time, e.g. webhooks). */
  attempts?: number;
  /** Overrides the definition's first backoff delay (same backoff type). */
  backoffMs?: number;
}

/** A job that failed for good (no attempt left): the dead-letter view. */
export interface DeadLetter {
  queue: string;
  jobId: string;
  attemptsMade: number;
  failedReason: string;
  failedAt: Date | null;
  data: unknown;
}

/**
 * The queues of this deployment. Processes that only enqueue (api, hub) create it
 * without handlers; worker processes register handlers and start processing.
 */
export class QueueRegistry {
  private readonly queues = new Map<string, Bull.Queue>();
  private client?: Redis;
  private subscriber?: Redis;
  private readonly extra: Redis[] = [];

  /** Set by {@link close}: errors of processing that stops then are expected. */
  private closing = false;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Bull shares one client and one subscriber; blocking clients are per queue. */
  private createClient = (type: 'client' | 'subscriber' | 'bclient', options?: RedisOptions): Redis => {
    const base: RedisOptions = { ...options, maxRetriesPerRequest: null, enableReadyCheck: false };
    // Every queue adds its listeners to the two shared clients; the catalogue has more than 10.
    if (type === 'client') return (this.client ??= new Redis(this.redisUrl, base).setMaxListeners(100));
    if (type === 'subscriber') return (this.subscriber ??= new Redis(this.redisUrl, base).setMaxListeners(100));
    const blocking = new Redis(this.redisUrl, base);
    this.extra.push(blocking);
    return blocking;
  };

  /** The bull queue of a definition (created on first use). */
  queue(definition: JobDefinition): Bull.Queue {
    let queue = this.queues.get(definition.name);
    if (!queue) {
      queue = new Bull(definition.name, {
        prefix: this.prefix,
        createClient: this.createClient,
        defaultJobOptions: {
          attempts: definition.attempts,
          backoff: { type: definition.backoff.type, delay: definition.backoff.delayMs },
          removeOnComplete: definition.keepCompleted ?? 1000,
          removeOnFail: false,
        },
      });
      queue.on('error', (error) => this.logger.error({ err: error, queue: definition.name }, 'queue error'));
      this.queues.set(definition.name, queue);
    }
    return queue;
  }

  /** Validates the payload and adds a job. */
  async enqueue<D extends JobDefinition>(definition: D, payload: z.input<D['payload']>, options: EnqueueOptions = {}): Promise<Bull.Job> {
    const data = definition.payload.parse(payload);
    return this.queue(definition).add(
      { v: definition.version, data },
      {
        jobId: options.jobId,
        delay: options.delayMs,
        ...(options.attempts ? { attempts: options.attempts } : {}),
        ...(options.backoffMs ? { backoff: { type: definition.backoff.type, delay: options.backoffMs } } : {}),
      },
    );
  }

  /** Runs a sweep every `everyMs` (one repeatable job per name, whichever process adds it). */
  async repeat(definition: JobDefinition, everyMs: number): Promise<void> {
    await this.queue(definition).add({ v: definition.version, data: {} }, { repeat: { every: everyMs }, jobId: definition.name });
  }

  /** Starts processing a job type in this process. */
  process<D extends JobDefinition>(definition: D, handler: JobHandler<D>): void {
    const queue = this.queue(definition);
    // The promise ends when processing stops: with an error when the connection closes
    // under it (a shutdown right after start, Redis gone). Never an unhandled rejection.
    queue
      .process(definition.concurrency, async (job: Bull.Job<{ v: number; data: unknown }>) => {
        if (job.data.v !== definition.version) {
          throw new Error(`job ${definition.name}#${job.id} has payload version ${job.data.v}, this worker handles ${definition.version}`);
        }
        const payload = definition.payload.parse(job.data.data) as PayloadOf<D>;
        return handler(payload, job);
      })
      .catch((error: unknown) => {
        if (this.closing) return;
        this.logger.error({ err: error, queue: definition.name }, 'processing stopped');
      });
    queue.on('failed', (job, error) =>
      this.logger.warn({ queue: definition.name, jobId: job.id, attempt: job.attemptsMade, err: error }, 'job failed'),
    );
  }

  /** All queues created so far (for the dashboard and shutdown). */
  all(): Bull.Queue[] {
    return [...this.queues.values()];
  }

  /**
   * Jobs that failed for good, newest first, across the given job types (bull keeps a job
   * in its failed set only once no attempt is left; retries wait in `delayed`).
   */
  async deadLetters(definitions: readonly JobDefinition[], limit = 100): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const definition of definitions) {
      const failed = await this.queue(definition).getFailed(0, limit - 1);
      for (const job of failed) {
        letters.push({
          queue: definition.name,
          jobId: String(job.id),
          attemptsMade: job.attemptsMade,
          failedReason: job.failedReason ?? '',
          failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
          data: (job.data as { data?: unknown }).data ?? job.data,
        });
      }
    }
    return letters.sort((a, b) => (b.failedAt?.getTime() ?? 0) - (a.failedAt?.getTime() ?? 0)).slice(0, limit);
  }

  /**
   * False while the shared Redis client is known to be disconnected (an outage): commands
   * would wait in its offline queue until Redis is back. True before the first connect.
   */
  connected(): boolean {
    return !this.client || this.client.status === 'ready' || this.client.status === 'connect' || this.client.status === 'wait';
  }

  /** True when the shared Redis client answers. */
  async ready(): Promise<boolean> {
    const client = this.createClient('client');
    return (await client.ping()) === 'PONG';
  }

  /** Lets active jobs finish (up to the caller's deadline), then closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    // bull 4 names each blocking connection (CLIENT SETNAME) when a processor starts and does
    // not handle that promise: closing before it lands is an unhandled rejection. Commands on
    // a connection run in order, so a PING answered means the name was set (one blocked in
    // BRPOPLPUSH has set it long ago: hence the short bound).
    await Promise.all(this.extra.map((client) => Promise.race([client.ping().catch(() => undefined), sleep(500)])));
    await Promise.all(this.all().map((queue) => queue.close()));
    for (const redis of [this.client, this.subscriber, ...this.extra]) redis?.disconnect();
  }
}
