import type mongoose from 'mongoose';
import { Schema, type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoKind, testMongoUri } from '../testing/services.ts';
import { connectMongo, mongoReady } from './connection.ts';

interface Widget {
  sku: string;
  name: string;
  stock: number;
}

describe(`mongoose against the provisioned server (${testMongoKind()})`, () => {
  let connection: Connection;
  let Widgets: mongoose.Model<Widget>;

  beforeAll(async () => {
    connection = await connectMongo(testMongoUri('conn'));
    Widgets = connection.model<Widget>(
      'Widget',
      new Schema<Widget>({ sku: { type: String, required: true, unique: true }, name: String, stock: Number }),
    );
    await Widgets.init();
  });

  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('answers ping over the wire', async () => {
    expect(await mongoReady(connection)).toBe(true);
  });

  it('creates and queries documents', async () => {
    await Widgets.create([
      { sku: 'A-1', name: 'anvil', stock: 3 },
      { sku: 'B-2', name: 'bucket', stock: 0 },
      { sku: 'C-3', name: 'crate', stock: 9 },
    ]);
    const inStock = await Widgets.find({ stock: { $gt: 0 } })
      .sort({ sku: 1 })
      .lean();
    expect(inStock.map((w) => w.sku)).toEqual(['A-1', 'C-3']);
    const updated = await Widgets.findOneAndUpdate({ sku: 'B-2' }, { $inc: { stock: 5 } }, { returnDocument: 'after' }).lean();
    expect(updated?.stock).toBe(5);
  });

  it('enforces a unique index with a duplicate-key error', async () => {
    await Widgets.create({ sku: 'U-1', name: 'first', stock: 1 });
    const error = await Widgets.create({ sku: 'U-1', name: 'second', stock: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11000 });
    expect(await Widgets.countDocuments({ sku: 'U-1' })).toBe(1);
  });
});
