import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';
import { TICKET_PRIORITIES, type TicketPriority } from '../tickets/ticket-status.ts';
import { RULE_KINDS, type RuleKind } from './recurrence.ts';

/** What each occurrence's ticket looks like. `{{date}}` in the subject becomes the occurrence's local date. */
export interface TicketTemplate {
  subject: string;
  body: string;
  priority: TicketPriority | null;
  teamId: Types.ObjectId | null;
  assigneeId: Types.ObjectId | null;
  categoryId: Types.ObjectId | null;
  tags: string[];
}

/** A schedule that opens a maintenance ticket for an organisation at every occurrence of its rule. */
export interface RecurringSchedule {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  organisationId: Types.ObjectId;
  /** A customer of the organisation, the requester of every ticket. */
  requesterId: Types.ObjectId;
  kind: RuleKind;
  rule: string;
  timezone: string;
  startAt: Date;
  template: TicketTemplate;
  active: boolean;
  /** The next occurrence not yet handed to a worker (null: the rule has ended). */
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastTicketId: Types.ObjectId | null;
  createdBy: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One occurrence of a schedule. The unique index makes each occurrence open at most one ticket. */
export interface RecurringOccurrence {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  scheduleId: Types.ObjectId;
  at: Date;
  ticketId: Types.ObjectId | null;
  createdAt: Date;
}

const scheduleSchema = new Schema<RecurringSchedule>(
  {
    name: { type: String, required: true, trim: true },
    organisationId: { type: Schema.Types.ObjectId, required: true },
    requesterId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: RULE_KINDS, required: true },
    rule: { type: String, required: true },
    timezone: { type: String, required: true },
    startAt: { type: Date, required: true },
    template: {
      subject: { type: String, required: true },
      body: { type: String, required: true },
      priority: { type: String, enum: [...TICKET_PRIORITIES, null], default: null },
      teamId: { type: Schema.Types.ObjectId, default: null },
      assigneeId: { type: Schema.Types.ObjectId, default: null },
      categoryId: { type: Schema.Types.ObjectId, default: null },
      tags: { type: [String], default: [] },
    },
    active: { type: Boolean, default: true },
    nextRunAt: { type: Date, default: null },
    lastRunAt: { type: Date, default: null },
    lastTicketId: { type: Schema.Types.ObjectId, default: null },
    createdBy: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true, versionKey: false },
);
scheduleSchema.plugin(tenantScoped);
scheduleSchema.index({ tenantId: 1, createdAt: 1 });
// The sweeper looks for due schedules across tenants.
scheduleSchema.index({ nextRunAt: 1 });

const occurrenceSchema = new Schema<RecurringOccurrence>(
  {
    scheduleId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
    ticketId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
occurrenceSchema.plugin(tenantScoped);
occurrenceSchema.index({ tenantId: 1, scheduleId: 1, at: 1 }, { unique: true });

/** Registers the recurring-ticket models on a connection. */
export function recurringModels(connection: Connection) {
  return {
    RecurringSchedule: connection.model<RecurringSchedule>(
      'RecurringSchedule',
      scheduleSchema,
      'recurring_schedules',
    ) as Model<RecurringSchedule>,
    RecurringOccurrence: connection.model<RecurringOccurrence>(
      'RecurringOccurrence',
      occurrenceSchema,
      'recurring_occurrences',
    ) as Model<RecurringOccurrence>,
  };
}
