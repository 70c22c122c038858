import { z } from 'zod';

/** POST /api/v1/tickets/:id/time-entries body. */
export const timeEntryCreateSchema = z
  .object({
    minutes: z.number().int().min(1).max(1440),
    billable: z.boolean().default(true),
    note: z.string().max(1000).default(''),
    workedOn: z.iso.date().optional(),
  })
  .strict();
/** A time entry as the API shows it. */
export const timeEntryDtoSchema = z.object({
  id: z.string(),
  ticketId: z.string(),
  agentId: z.string(),
  minutes: z.number(),
  billable: z.boolean(),
  note: z.string(),
  workedOn: z.string(),
  createdAt: z.string(),
});
/** Time entry DTO. */
export type TimeEntryDto = z.infer<typeof timeEntryDtoSchema>;
