import mongoose, { Types, type Connection, type Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.ts';
import { testMongoUri } from '../testing/services.ts';
import { connectMongo } from './connection.ts';
import { leaseModel, Leases, type LeaseDoc } from './lease.model.ts';

describe('Leases', () => {
  let connection: Connection;
  let model: Model<LeaseDoc>;

  beforeAll(async () => {
    connection = await connectMongo(testMongoUri('lease'));
    model = leaseModel(connection);
    await model.init();
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('lets one writer at a time hold a key, across two instances (two processes), and frees it after', async () => {
    const tenant = new Types.ObjectId();
    const processes = [new Leases(model), new Leases(model)];
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        processes[i % 2]!.run(tenant, 'ticket:x', async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setImmediate(resolve));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await model.countDocuments({ tenantId: tenant })).toBe(0);
  });

  it('keeps different keys and tenants apart', async () => {
    const leases = new Leases(model);
    const [a, b] = [new Types.ObjectId(), new Types.ObjectId()];
    const seen: string[] = [];
    await leases.run(a, 'k', async () => {
      await leases.run(a, 'other', async () => void seen.push('a:other'));
      await leases.run(b, 'k', async () => void seen.push('b:k'));
    });
    expect(seen).toEqual(['a:other', 'b:k']);
  });

  it('releases the key when the work fails', async () => {
    const leases = new Leases(model);
    const tenant = new Types.ObjectId();
    await expect(leases.run(tenant, 'k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await leases.run(tenant, 'k', async () => 'next')).toBe('next');
  });

  it('fails the writers queued behind one that found the database unavailable at once, the same way', async () => {
    const leases = new Leases(model);
    const tenant = new Types.ObjectId();
    const outage = new mongoose.mongo.MongoNetworkError('connection closed');
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const first = leases.run(tenant, 'k', async () => {
      await holding;
      throw outage;
    });
    let ran = false;
    const second = leases.run(tenant, 'k', async () => {
      ran = true;
    });
    release();
    await expect(first).rejects.toBe(outage);
    // It would only wait for the database as long again: it fails the same way, its work never runs.
    await expect(second).rejects.toBe(outage);
    expect(ran).toBe(false);
    // Writers that come afterwards try for themselves.
    expect(await leases.run(tenant, 'k', async () => 'next')).toBe('next');
  });

  it('takes over the lease of a holder that died once it has expired', async () => {
    const tenant = new Types.ObjectId();
    await model.create({ tenantId: tenant, key: 'k', expiresAt: new Date(Date.now() - 1000) });
    expect(await new Leases(model).run(tenant, 'k', async () => 'taken over')).toBe('taken over');
  });

  it('gives up with a conflict while a live holder keeps the key', async () => {
    const tenant = new Types.ObjectId();
    await model.create({ tenantId: tenant, key: 'k', expiresAt: new Date(Date.now() + 60_000) });
    let ran = false;
    const error = await new Leases(model, { ttlMs: 1000, waitMs: 30 })
      .run(tenant, 'k', async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('conflict');
    expect(ran).toBe(false);
  });
});
