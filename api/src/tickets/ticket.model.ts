import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';
import {
  TICKET_CHANNELS,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type TicketChannel,
  type TicketPriority,
  type TicketStatus,
} from './ticket-status.ts';

/** SLA figures kept on the ticket for queues and boards (computed by the SLA engine). */
export interface TicketSla {
  policyId?: Types.ObjectId | null;
  firstResponseDueAt?: Date | null;
  nextResponseDueAt?: Date | null;
  resolutionDueAt?: Date | null;
  breachedAt?: Date | null;
  state?: 'ok' | 'warning' | 'breached' | 'paused' | null;
}

/** What triage (AI) concluded; `applied` tells whether it acted or only suggested. */
export interface TicketAi {
  categoryId?: Types.ObjectId | null;
  score?: number | null;
  applied?: boolean;
  language?: string | null;
  priorityHint?: TicketPriority | null;
  duplicateOfId?: Types.ObjectId | null;
  classifiedAt?: Date | null;
}

/** A support request and the state of its handling. */
export interface Ticket {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  /** Per-tenant human number (#1042). */
  number: number;
  subject: string;
  status: TicketStatus;
  priority: TicketPriority;
  channel: TicketChannel;
  requesterId: Types.ObjectId;
  organisationId?: Types.ObjectId | null;
  assigneeId?: Types.ObjectId | null;
  teamId?: Types.ObjectId | null;
  categoryId?: Types.ObjectId | null;
  tags: string[];
  customFields: Record<string, string | number | boolean | null>;
  sla: TicketSla;
  ai: TicketAi;
  mergedIntoId?: Types.ObjectId | null;
  /** Incremented by every change; events carry it so clients ignore stale updates. */
  version: number;
  entryCount: number;
  firstResponseAt?: Date | null;
  lastCustomerMessageAt?: Date | null;
  lastAgentReplyAt?: Date | null;
  solvedAt?: Date | null;
  closedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const ticketSchema = new Schema<Ticket>(
  {
    number: { type: Number, required: true },
    subject: { type: String, required: true, trim: true },
    status: { type: String, enum: TICKET_STATUSES, required: true, default: 'new' },
    priority: { type: String, enum: TICKET_PRIORITIES, required: true, default: 'normal' },
    channel: { type: String, enum: TICKET_CHANNELS, required: true },
    requesterId: { type: Schema.Types.ObjectId, required: true },
    organisationId: { type: Schema.Types.ObjectId, default: null },
    assigneeId: { type: Schema.Types.ObjectId, default: null },
    teamId: { type: Schema.Types.ObjectId, default: null },
    categoryId: { type: Schema.Types.ObjectId, default: null },
    tags: { type: [String], default: [] },
    customFields: { type: Schema.Types.Mixed, default: {} },
    sla: {
      policyId: { type: Schema.Types.ObjectId, default: null },
      firstResponseDueAt: { type: Date, default: null },
      nextResponseDueAt: { type: Date, default: null },
      resolutionDueAt: { type: Date, default: null },
      breachedAt: { type: Date, default: null },
      state: { type: String, default: null },
    },
    ai: {
      categoryId: { type: Schema.Types.ObjectId, default: null },
      score: { type: Number, default: null },
      applied: { type: Boolean, default: false },
      language: { type: String, default: null },
      priorityHint: { type: String, default: null },
      duplicateOfId: { type: Schema.Types.ObjectId, default: null },
      classifiedAt: { type: Date, default: null },
    },
    mergedIntoId: { type: Schema.Types.ObjectId, default: null },
    version: { type: Number, required: true, default: 1 },
    entryCount: { type: Number, default: 0 },
    firstResponseAt: { type: Date, default: null },
    lastCustomerMessageAt: { type: Date, default: null },
    lastAgentReplyAt: { type: Date, default: null },
    solvedAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
ticketSchema.plugin(tenantScoped);
ticketSchema.index({ tenantId: 1, number: 1 }, { unique: true });
ticketSchema.index({ tenantId: 1, status: 1, updatedAt: -1 });
ticketSchema.index({ tenantId: 1, assigneeId: 1, status: 1 });
ticketSchema.index({ tenantId: 1, teamId: 1, status: 1 });
ticketSchema.index({ tenantId: 1, requesterId: 1, createdAt: -1 });
ticketSchema.index({ tenantId: 1, organisationId: 1, createdAt: -1 });

/** Registers the model on a connection. */
export function ticketModel(connection: Connection): Model<Ticket> {
  return connection.model<Ticket>('Ticket', ticketSchema, 'tickets');
}
