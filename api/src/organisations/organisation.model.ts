import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A site of a client company (MSP design: where equipment and people are). */
export interface Location {
  _id: Types.ObjectId;
  name: string;
  address: string;
  phone?: string | null;
}

/** A client company. Its contacts are users with role `customer` and this organisationId. */
export interface Organisation {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  domains: string[];
  notes: string;
  locations: Location[];
  createdAt: Date;
  updatedAt: Date;
}

const organisationSchema = new Schema<Organisation>(
  {
    name: { type: String, required: true, trim: true },
    domains: { type: [String], default: [] },
    notes: { type: String, default: '' },
    locations: {
      type: [{ name: { type: String, required: true }, address: { type: String, default: '' }, phone: { type: String, default: null } }],
      default: [],
    },
  },
  { timestamps: true, versionKey: false },
);
organisationSchema.plugin(tenantScoped);
organisationSchema.index({ tenantId: 1, name: 1 }, { unique: true });

/** Registers the model on a connection. */
export function organisationModel(connection: Connection): Model<Organisation> {
  return connection.model<Organisation>('Organisation', organisationSchema, 'organisations');
}
