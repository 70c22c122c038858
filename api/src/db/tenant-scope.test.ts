import { Schema, Types, type Connection, type Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoUri } from '../testing/services.ts';
import { connectMongo } from './connection.ts';
import { tenantScoped, UnscopedQueryError } from './tenant-scope.ts';

interface Note {
  tenantId: Types.ObjectId;
  text: string;
}

describe('tenantScoped plugin', () => {
  let connection: Connection;
  let Notes: Model<Note>;
  const tenantA = new Types.ObjectId();
  const tenantB = new Types.ObjectId();

  beforeAll(async () => {
    connection = await connectMongo(testMongoUri('scope'));
    const schema = new Schema<Note>({ text: String });
    schema.plugin(tenantScoped);
    Notes = connection.model<Note>('Note', schema);
    await Notes.create([
      { tenantId: tenantA, text: 'a1' },
      { tenantId: tenantA, text: 'a2' },
      { tenantId: tenantB, text: 'b1' },
    ]);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('returns only the pinned tenant’s documents', async () => {
    const rows = await Notes.find({ tenantId: tenantA }).sort({ text: 1 }).lean();
    expect(rows.map((r) => r.text)).toEqual(['a1', 'a2']);
  });

  it.each([
    ['find', (m: Model<Note>) => m.find({ text: 'b1' })],
    ['findOne', (m: Model<Note>) => m.findOne({})],
    ['findById', (m: Model<Note>) => m.findById(new Types.ObjectId())],
    ['countDocuments', (m: Model<Note>) => m.countDocuments({})],
    ['updateMany', (m: Model<Note>) => m.updateMany({}, { $set: { text: 'x' } })],
    ['deleteMany', (m: Model<Note>) => m.deleteMany({ text: 'a1' })],
    ['findOneAndUpdate', (m: Model<Note>) => m.findOneAndUpdate({ text: 'a1' }, { text: 'y' })],
    ['distinct', (m: Model<Note>) => m.distinct('text')],
    ['operator instead of an id', (m: Model<Note>) => m.find({ tenantId: { $ne: null } } as never)],
  ])('refuses an unscoped %s before it reaches the server', async (_name, run) => {
    await expect(run(Notes).exec()).rejects.toBeInstanceOf(UnscopedQueryError);
  });

  it('refuses an aggregation that does not start by matching the tenant', async () => {
    await expect(Notes.aggregate([{ $group: { _id: null, n: { $sum: 1 } } }]).exec()).rejects.toBeInstanceOf(UnscopedQueryError);
    const [row] = await Notes.aggregate<{ n: number }>([
      { $match: { tenantId: tenantB } },
      { $group: { _id: null, n: { $sum: 1 } } },
    ]).exec();
    expect(row?.n).toBe(1);
  });

  it('refuses unscoped bulk writes', async () => {
    await expect(Notes.bulkWrite([{ updateOne: { filter: { text: 'a1' }, update: { $set: { text: 'z' } } } }])).rejects.toBeInstanceOf(
      UnscopedQueryError,
    );
  });

  it('never lets an update move a document to another tenant', async () => {
    await expect(Notes.updateOne({ tenantId: tenantA, text: 'a1' }, { $set: { tenantId: tenantB } }).exec()).rejects.toThrow(
      'tenantId cannot be changed',
    );
    expect(await Notes.countDocuments({ tenantId: tenantA })).toBe(2);
  });

  it('requires tenantId on insert', async () => {
    await expect(Notes.create({ text: 'orphan' })).rejects.toThrow(/tenantId/);
  });

  it('allows an explicit, visible cross-tenant query for maintenance work', async () => {
    expect(await Notes.countDocuments({}).setOptions({ crossTenant: true })).toBe(3);
  });
});
