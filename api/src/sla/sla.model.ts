import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { tenantScoped } from '../db/tenant-scope.ts';
import {
  TICKET_CHANNELS,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type TicketChannel,
  type TicketPriority,
  type TicketStatus,
} from '../tickets/ticket-status.ts';
import type { SlaMetric } from './sla-clock.ts';
import type { Holiday, WeeklyHours } from './sla.schema.ts';

/** What a policy may do when one of its metrics warns or breaches. */
export const ESCALATION_ACTIONS = ['notify_managers', 'raise_priority', 'assign_team'] as const;
/** One of {@link ESCALATION_ACTIONS}. */
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];
/** When an escalation runs. */
export const ESCALATION_TRIGGERS = ['warning', 'breach'] as const;
/** One of {@link ESCALATION_TRIGGERS}. */
export type EscalationTrigger = (typeof ESCALATION_TRIGGERS)[number];

/** A business calendar of a tenant, stored in its validated form (named weekdays, sorted intervals). */
export interface SlaCalendarDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  timeZone: string;
  hours: WeeklyHours;
  holidays: Holiday[];
  createdAt: Date;
  updatedAt: Date;
}

/** One escalation step of a policy. */
export interface SlaEscalationRule {
  on: EscalationTrigger;
  action: EscalationAction;
  teamId: Types.ObjectId | null;
}

/** An SLA policy of a tenant. `calendarId` null means the tenant's own business hours and time zone. */
export interface SlaPolicyDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  name: string;
  order: number;
  active: boolean;
  conditions: {
    priorities: TicketPriority[];
    channels: TicketChannel[];
    organisationIds: Types.ObjectId[];
    categoryIds: Types.ObjectId[];
  };
  targetMinutes: { firstResponse: number | null; nextResponse: number | null; resolution: number | null };
  warningThresholdPercent: number;
  pauseStatuses: TicketStatus[];
  calendarId: Types.ObjectId | null;
  escalations: SlaEscalationRule[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A policy and calendar exactly as a ticket was measured against them, addressed by a hash
 * of their content: editing a policy never rewrites what open tickets already counted.
 */
export interface SlaSnapshotDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  fingerprint: string;
  policyId: Types.ObjectId;
  /** The pure policy (`SlaPolicy`) and calendar (`BusinessCalendar`), as plain JSON. */
  policy: Record<string, unknown>;
  calendar: Record<string, unknown>;
  escalations: SlaEscalationRule[];
}

/** A coming warning or breach the timer layer has scheduled. */
export interface SlaTimerRecord {
  metric: SlaMetric;
  kind: 'warning' | 'breach';
  /** Start of the metric's cycle (tells next-response cycles apart). */
  cycle: Date;
  at: Date;
}

/** The SLA bookkeeping of one ticket (never shown to clients; the summary lives on the ticket). */
export interface SlaTicketStateDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  /** Policy periods in force, oldest first: from that instant on, the snapshot's targets apply. */
  periods: Array<{ from: Date; fingerprint: string; policyId: Types.ObjectId }>;
  /** The ticket version this state was computed for (the sweeper compares it with the ticket's). */
  version: number;
  timers: SlaTimerRecord[];
  /** Earliest timer, for the sweeper. */
  nextTimerAt: Date | null;
  updatedAt: Date;
}

/**
 * One escalation of one metric cycle (`warning:<metric>:<cycle ms>` or `breach:…`). Inserted
 * once (unique key); each step is recorded when done, so a run that dies half-way is
 * finished by the next one without repeating what was done.
 */
export interface SlaEscalationDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  key: string;
  metric: SlaMetric;
  kind: EscalationTrigger;
  cycle: Date;
  policyId: Types.ObjectId;
  /** Priority `raise_priority` moves the ticket to, decided once when the escalation starts. */
  raiseTo: TicketPriority | null;
  steps: string[];
  doneAt: Date | null;
  createdAt: Date;
}

/** Kinds of report facts. */
export const SLA_FACT_KINDS = ['created', 'solved', 'first_response', 'met', 'breached'] as const;
/** One of {@link SLA_FACT_KINDS}. */
export type SlaFactKind = (typeof SLA_FACT_KINDS)[number];

/**
 * An insert-only fact for manager reports: a ticket created, solved, first answered, or an
 * SLA metric met or breached, with the team and agent at that moment. Unique per key, so
 * recording twice is harmless; reports count them with `$match`/`$group`.
 */
export interface SlaFactDoc {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  key: string;
  kind: SlaFactKind;
  metric: SlaMetric | null;
  ticketId: Types.ObjectId;
  at: Date;
  /** Local date `YYYY-MM-DD` of `at` in the tenant's time zone when recorded. */
  day: string;
  teamId: Types.ObjectId | null;
  assigneeId: Types.ObjectId | null;
  /** First response: wall-clock milliseconds from creation. */
  durationMs: number | null;
}

const interval = { _id: false, start: String, end: String };
const weekly = Object.fromEntries(
  ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((day) => [day, { type: [interval], default: [] }]),
);

const calendarSchema = new Schema<SlaCalendarDoc>(
  {
    name: { type: String, required: true, trim: true },
    timeZone: { type: String, required: true },
    hours: weekly,
    holidays: { type: [{ _id: false, date: String, name: String, hours: { type: [interval], default: undefined } }], default: [] },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
calendarSchema.plugin(tenantScoped);
calendarSchema.index({ tenantId: 1, name: 1 }, { unique: true });

const policySchema = new Schema<SlaPolicyDoc>(
  {
    name: { type: String, required: true, trim: true },
    order: { type: Number, required: true },
    active: { type: Boolean, default: true },
    conditions: {
      priorities: { type: [String], enum: TICKET_PRIORITIES, default: [] },
      channels: { type: [String], enum: TICKET_CHANNELS, default: [] },
      organisationIds: { type: [Schema.Types.ObjectId], default: [] },
      categoryIds: { type: [Schema.Types.ObjectId], default: [] },
    },
    targetMinutes: {
      firstResponse: { type: Number, default: null },
      nextResponse: { type: Number, default: null },
      resolution: { type: Number, default: null },
    },
    warningThresholdPercent: { type: Number, required: true },
    pauseStatuses: { type: [String], enum: TICKET_STATUSES, default: [] },
    calendarId: { type: Schema.Types.ObjectId, default: null },
    escalations: {
      type: [{ _id: false, on: String, action: String, teamId: { type: Schema.Types.ObjectId, default: null } }],
      default: [],
    },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
policySchema.plugin(tenantScoped);
policySchema.index({ tenantId: 1, name: 1 }, { unique: true });

const snapshotSchema = new Schema<SlaSnapshotDoc>(
  {
    fingerprint: { type: String, required: true },
    policyId: { type: Schema.Types.ObjectId, required: true },
    policy: { type: Schema.Types.Mixed, required: true },
    calendar: { type: Schema.Types.Mixed, required: true },
    escalations: {
      type: [{ _id: false, on: String, action: String, teamId: { type: Schema.Types.ObjectId, default: null } }],
      default: [],
    },
  },
  { versionKey: false, minimize: false },
);
snapshotSchema.plugin(tenantScoped);
snapshotSchema.index({ tenantId: 1, fingerprint: 1 }, { unique: true });

const timerSchema = { _id: false, metric: String, kind: String, cycle: Date, at: Date };

const stateSchema = new Schema<SlaTicketStateDoc>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    periods: { type: [{ _id: false, from: Date, fingerprint: String, policyId: Schema.Types.ObjectId }], default: [] },
    version: { type: Number, required: true },
    timers: { type: [timerSchema], default: [] },
    nextTimerAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: false, updatedAt: true }, versionKey: false, minimize: false },
);
stateSchema.plugin(tenantScoped);
stateSchema.index({ tenantId: 1, ticketId: 1 }, { unique: true });
stateSchema.index({ nextTimerAt: 1 });

const escalationSchema = new Schema<SlaEscalationDoc>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    key: { type: String, required: true },
    metric: { type: String, required: true },
    kind: { type: String, enum: ESCALATION_TRIGGERS, required: true },
    cycle: { type: Date, required: true },
    policyId: { type: Schema.Types.ObjectId, required: true },
    raiseTo: { type: String, default: null },
    steps: { type: [String], default: [] },
    doneAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
escalationSchema.plugin(tenantScoped);
escalationSchema.index({ tenantId: 1, ticketId: 1, key: 1 }, { unique: true });

const factSchema = new Schema<SlaFactDoc>(
  {
    key: { type: String, required: true },
    kind: { type: String, enum: SLA_FACT_KINDS, required: true },
    metric: { type: String, default: null },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
    day: { type: String, required: true },
    teamId: { type: Schema.Types.ObjectId, default: null },
    assigneeId: { type: Schema.Types.ObjectId, default: null },
    durationMs: { type: Number, default: null },
  },
  { versionKey: false },
);
factSchema.plugin(tenantScoped);
factSchema.index({ tenantId: 1, key: 1 }, { unique: true });
factSchema.index({ tenantId: 1, day: 1 });

/** Registers the SLA models on a connection. */
export function slaModels(connection: Connection) {
  return {
    SlaCalendar: connection.model<SlaCalendarDoc>('SlaCalendar', calendarSchema, 'sla_calendars') as Model<SlaCalendarDoc>,
    SlaPolicy: connection.model<SlaPolicyDoc>('SlaPolicy', policySchema, 'sla_policies') as Model<SlaPolicyDoc>,
    SlaSnapshot: connection.model<SlaSnapshotDoc>('SlaSnapshot', snapshotSchema, 'sla_snapshots') as Model<SlaSnapshotDoc>,
    SlaTicketState: connection.model<SlaTicketStateDoc>('SlaTicketState', stateSchema, 'sla_states') as Model<SlaTicketStateDoc>,
    SlaEscalation: connection.model<SlaEscalationDoc>('SlaEscalation', escalationSchema, 'sla_escalations') as Model<SlaEscalationDoc>,
    SlaFact: connection.model<SlaFactDoc>('SlaFact', factSchema, 'sla_facts') as Model<SlaFactDoc>,
  };
}
