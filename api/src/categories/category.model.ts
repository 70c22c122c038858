import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A ticket category. The description is what zero-shot triage compares tickets against. */
export interface Category {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  description: string;
  /** Team that receives tickets of this category unless a routing rule says otherwise. */
  teamId?: Types.ObjectId | null;
  /** Skill an agent needs to be assigned tickets of this category. */
  skill?: string | null;
  active: boolean;
}

const categorySchema = new Schema<Category>(
  {
    name: { type: String, required: true, trim: true },
    description: { type: String, default: '' },
    teamId: { type: Schema.Types.ObjectId, default: null },
    skill: { type: String, default: null },
    active: { type: Boolean, default: true },
  },
  { timestamps: true, versionKey: false },
);
categorySchema.plugin(tenantScoped);
categorySchema.index({ tenantId: 1, name: 1 }, { unique: true });

/** Registers the model on a connection. */
export function categoryModel(connection: Connection): Model<Category> {
  return connection.model<Category>('Category', categorySchema, 'categories');
}
