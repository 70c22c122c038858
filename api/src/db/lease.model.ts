import { setTimeout as sleep } from 'node:timers/promises';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { AppError } from '../lib/errors.ts';
import { isDatabaseUnavailable } from './connection.ts';
import { tenantScoped } from './tenant-scope.ts';

/** A short exclusive hold on one key of a tenant (a ticket), arbitrated by a unique index. */
export interface LeaseDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  key: string;
  /** A holder that died frees the key at this time. */
  expiresAt: Date;
}

const leaseSchema = new Schema<LeaseDoc>(
  { key: { type: String, required: true }, expiresAt: { type: Date, required: true } },
  { versionKey: false },
);
leaseSchema.plugin(tenantScoped);
leaseSchema.index({ tenantId: 1, key: 1 }, { unique: true });

/** Registers the model on a connection. */
export function leaseModel(connection: Connection): Model<LeaseDoc> {
  return connection.model<LeaseDoc>('Lease', leaseSchema, 'leases');
}

/** Timing of {@link Leases}. */
export interface LeaseOptions {
  /** How long a lease outlives a holder that crashed. */
  ttlMs: number;
  /** How long a writer waits for a busy key before giving up with `conflict`. */
  waitMs: number;
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

/**
 * Serialises the writers of one key (one ticket) across every process. The test server
 * (FerretDB on SQLite) applies an update as read, modify, write back the whole document
 * without isolation, so two concurrent `$set`s or `$inc`s on one document lose one of
 * them; on MongoDB the update is atomic, but the events appended after it could still
 * reach the log out of version order. Holding the ticket's lease around "update, then
 * append" fixes both. Inserting into a unique index is atomic on both servers, so that is
 * the lock; writers of this process queue in memory first, so only one of them polls.
 *
 * During a database outage every operation waits for the driver's server selection timeout
 * before it fails. So that a request still fails within about one such wait: a writer whose
 * predecessor in the queue failed because the database is unavailable fails the same way at
 * once (it would only wait as long again), and a writer that failed that way does not wait
 * to release its lease (the release is still sent; the lease expires after `ttlMs` anyway).
 */
export class Leases {
  /** Per key, the turn of the last writer in line; it resolves with that writer's outage error, if any. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly leases: Model<LeaseDoc>,
    private readonly options: LeaseOptions = { ttlMs: 15_000, waitMs: 10_000 },
  ) {}

  /** Runs `work` while holding the lease on `key`; `conflict` when the key stays busy too long. */
  async run<T>(tenantId: Types.ObjectId, key: string, work: () => Promise<T>): Promise<T> {
    const queueKey = `${tenantId.toHexString()}:${key}`;
    const previous = this.queues.get(queueKey) ?? Promise.resolve(undefined);
    let done!: (outage: unknown) => void;
    const turn = new Promise<unknown>((resolve) => (done = resolve));
    const mine = previous.then(() => turn);
    this.queues.set(queueKey, mine);
    let outage: unknown;
    try {
      const ahead = await previous;
      if (ahead !== undefined) throw ahead;
      const lease = await this.acquire(tenantId, key);
      try {
        return await work();
      } catch (error) {
        if (isDatabaseUnavailable(error)) outage = error;
        throw error;
      } finally {
        const release = this.leases.deleteOne({ tenantId, _id: lease });
        if (outage === undefined) await release;
        else void release.catch(() => undefined);
      }
    } catch (error) {
      if (isDatabaseUnavailable(error)) outage = error;
      throw error;
    } finally {
      done(outage);
      if (this.queues.get(queueKey) === mine) this.queues.delete(queueKey);
    }
  }

  private async acquire(tenantId: Types.ObjectId, key: string): Promise<Types.ObjectId> {
    const deadline = Date.now() + this.options.waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const [lease] = await this.leases.create([{ tenantId, key, expiresAt: new Date(Date.now() + this.options.ttlMs) }]);
        return lease!._id;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const stale = await this.leases.findOne({ tenantId, key, expiresAt: { $lte: new Date() } }, { _id: 1 }).lean();
      // Delete that exact lease by id: a fresh one taken meanwhile by another writer stays.
      if (stale) await this.leases.deleteOne({ tenantId, _id: stale._id });
      if (Date.now() >= deadline) throw new AppError('conflict', 'Someone else is changing this right now; try again.');
      await sleep(Math.min(5 * 2 ** attempt, 100) * (0.5 + Math.random()));
    }
  }
}
