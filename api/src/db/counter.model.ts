import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from './tenant-scope.ts';

/** A per-tenant monotonic counter (ticket numbers, event sequence). */
export interface Counter {
  tenantId: Types.ObjectId;
  name: string;
  value: number;
}

const counterSchema = new Schema<Counter>(
  { name: { type: String, required: true }, value: { type: Number, required: true, default: 0 } },
  { versionKey: false },
);
counterSchema.plugin(tenantScoped);
counterSchema.index({ tenantId: 1, name: 1 }, { unique: true });

/** Registers the model on a connection. */
export function counterModel(connection: Connection): Model<Counter> {
  return connection.model<Counter>('Counter', counterSchema, 'counters');
}

/**
 * Atomically reserves `count` consecutive values and returns the first. Single-document
 * `$inc` is atomic on MongoDB and FerretDB alike; the upsert race on a counter's very first
 * use surfaces as a duplicate key, which we retry.
 */
export async function reserve(counters: Model<Counter>, tenantId: Types.ObjectId, name: string, count = 1): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await counters
        .findOneAndUpdate({ tenantId, name }, { $inc: { value: count } }, { upsert: true, returnDocument: 'after', lean: true })
        .exec();
      return doc!.value - count + 1;
    } catch (error) {
      if ((error as { code?: number }).code === 11000 && attempt < 5) continue;
      throw error;
    }
  }
}
