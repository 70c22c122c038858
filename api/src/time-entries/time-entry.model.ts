import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';

/** Time an agent spent on a ticket (MSP billing). */
export interface TimeEntry {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  agentId: Types.ObjectId;
  minutes: number;
  billable: boolean;
  note: string;
  workedOn: Date;
  createdAt: Date;
}

const timeEntrySchema = new Schema<TimeEntry>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    agentId: { type: Schema.Types.ObjectId, required: true },
    minutes: { type: Number, required: true, min: 1, max: 24 * 60 },
    billable: { type: Boolean, default: true },
    note: { type: String, default: '' },
    workedOn: { type: Date, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
timeEntrySchema.plugin(tenantScoped);
timeEntrySchema.index({ tenantId: 1, ticketId: 1, workedOn: 1 });
timeEntrySchema.index({ tenantId: 1, agentId: 1, workedOn: 1 });

/** Registers the model on a connection. */
export function timeEntryModel(connection: Connection): Model<TimeEntry> {
  return connection.model<TimeEntry>('TimeEntry', timeEntrySchema, 'time_entries');
}
