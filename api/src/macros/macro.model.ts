import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../tickets/ticket-status.ts';
import { tenantScoped } from '../db/tenant-scope.ts';

/** A canned response plus optional field changes, applied by an agent in one click. */
export interface Macro {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  title: string;
  /** Sanitised HTML inserted into the reply editor. */
  bodyHtml: string;
  actions: { status?: TicketStatus | null; priority?: TicketPriority | null; addTags: string[] };
  /** `shared` macros are visible to every agent; personal ones only to their owner. */
  visibility: 'shared' | 'personal';
  ownerId?: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

const macroSchema = new Schema<Macro>(
  {
    title: { type: String, required: true, trim: true },
    bodyHtml: { type: String, default: '' },
    actions: {
      status: { type: String, enum: [...TICKET_STATUSES, null], default: null },
      priority: { type: String, enum: [...TICKET_PRIORITIES, null], default: null },
      addTags: { type: [String], default: [] },
    },
    visibility: { type: String, enum: ['shared', 'personal'], default: 'shared' },
    ownerId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true, versionKey: false },
);
macroSchema.plugin(tenantScoped);
macroSchema.index({ tenantId: 1, title: 1 });

/** Registers the model on a connection. */
export function macroModel(connection: Connection): Model<Macro> {
  return connection.model<Macro>('Macro', macroSchema, 'macros');
}
