import type { Types } from 'mongoose';
import type { z } from 'zod';
import { actorUserId, isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import type { EventLog } from '../events/event-log.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { TimeEntry } from './time-entry.model.ts';
import type { TimeEntryDto, timeEntryCreateSchema } from './time-entry.schema.ts';

function toDto(entry: TimeEntry): TimeEntryDto {
  return {
    id: entry._id.toHexString(),
    ticketId: entry.ticketId.toHexString(),
    agentId: entry.agentId.toHexString(),
    minutes: entry.minutes,
    billable: entry.billable,
    note: entry.note,
    workedOn: entry.workedOn.toISOString().slice(0, 10),
    createdAt: entry.createdAt.toISOString(),
  };
}

/** Time logged on tickets (billable or not), per agent. */
export class TimeEntryService {
  constructor(
    private readonly models: Models,
    private readonly events: EventLog,
    private readonly tickets: TicketService,
  ) {}

  /** Entries of a ticket (staff) with the total. */
  async list(ctx: Ctx, ticketId: Types.ObjectId): Promise<{ items: TimeEntryDto[]; totalMinutes: number; billableMinutes: number }> {
    authorize(isStaff(ctx.actor), 'Only staff can see time entries.');
    await this.tickets.requireVisible(ctx, ticketId);
    const rows = await this.models.TimeEntry.find({ tenantId: ctx.tenantId, ticketId }).sort({ workedOn: 1, _id: 1 }).lean<TimeEntry[]>();
    return {
      items: rows.map(toDto),
      totalMinutes: rows.reduce((sum, r) => sum + r.minutes, 0),
      billableMinutes: rows.filter((r) => r.billable).reduce((sum, r) => sum + r.minutes, 0),
    };
  }

  /** Logs the caller's time on a ticket. */
  async create(
    ctx: Ctx,
    ticketId: Types.ObjectId,
    input: z.infer<typeof timeEntryCreateSchema>,
  ): Promise<{ entry: TimeEntryDto; events: DomainEvent[] }> {
    authorize(isStaff(ctx.actor) && ctx.actor.kind === 'user', 'Only staff can log time.');
    await this.tickets.requireVisible(ctx, ticketId);
    const [doc] = await this.models.TimeEntry.create([
      {
        tenantId: ctx.tenantId,
        ticketId,
        agentId: actorUserId(ctx.actor),
        minutes: input.minutes,
        billable: input.billable,
        note: input.note,
        workedOn: input.workedOn ? new Date(`${input.workedOn}T00:00:00Z`) : new Date(),
      },
    ]);
    const entry = toDto(doc!.toObject<TimeEntry>());
    const events = await this.events.append(ctx, [{ type: 'time_entry.logged', ticketId, audience: 'staff', data: { timeEntry: entry } }]);
    return { entry, events };
  }

  /** Removes an entry: its author, or a manager/admin. */
  async remove(ctx: Ctx, ticketId: Types.ObjectId, id: Types.ObjectId): Promise<void> {
    authorize(isStaff(ctx.actor), 'Only staff can change time entries.');
    const entry = await this.models.TimeEntry.findOne({ tenantId: ctx.tenantId, ticketId, _id: id }).lean<TimeEntry>();
    if (!entry) throw new AppError('not_found', 'No such time entry.');
    authorize(
      hasRole(ctx.actor, 'admin', 'manager') || actorUserId(ctx.actor)?.equals(entry.agentId) === true,
      'Only the author or a manager can remove this entry.',
    );
    await this.models.TimeEntry.deleteOne({ tenantId: ctx.tenantId, _id: id });
  }
}
