import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { TICKET_PRIORITIES } from '../tickets/ticket-status.ts';

/** POST /api/v1/boards body: a name and the teams whose tickets the board shows (none: the whole helpdesk). */
export const boardCreateSchema = z
  .object({ name: z.string().trim().min(1).max(80), teamIds: z.array(objectIdSchema).max(50).default([]) })
  .strict();
/** Board input. */
export type BoardCreate = z.infer<typeof boardCreateSchema>;

/** A board as the API lists it (never its token). */
export const boardDtoSchema = z.object({ id: z.string(), name: z.string(), teamIds: z.array(z.string()), createdAt: z.string() });
/** Board DTO. */
export type BoardDto = z.infer<typeof boardDtoSchema>;

/** The answer to creating a board: the token, shown this once, and the kiosk path it opens. */
export const boardCreatedSchema = z.object({ board: boardDtoSchema, token: z.string(), path: z.string() });

/** GET /api/v1/sla/overview query. */
export const overviewQuerySchema = z.object({ teamId: objectIdSchema.optional() }).strict();

const count = z.number().int().min(0);

/** The figures of a wall board (and of the console's live overview), as they stand when computed. */
export const boardFiguresSchema = z.object({
  timeZone: z.string(),
  /** Local midnight today, where the "today" figures start. */
  todayStart: z.string(),
  open: z.object({ total: count, new: count, open: count, pending: count, on_hold: count }),
  waitingFirstResponse: z.object({ count, oldestCreatedAt: z.string().nullable() }),
  atRisk: z.object({
    count,
    tickets: z.array(
      z.object({
        id: z.string(),
        number: z.number(),
        subject: z.string(),
        priority: z.enum(TICKET_PRIORITIES),
        metric: z.string().nullable(),
        dueAt: z.string().nullable(),
      }),
    ),
  }),
  breachedToday: z.object({ count }),
  agents: z.array(z.object({ id: z.string(), name: z.string(), load: count })),
  hourly: z.array(z.object({ hour: z.number().int().min(0).max(23), created: count, solved: count })),
  firstResponse: z.object({ count, medianMinutes: z.number().nullable() }),
});
/** Board figures. */
export type BoardFigures = z.infer<typeof boardFiguresSchema>;

/** GET /api/v1/boards/data answer: which board, and its figures. */
export const boardDataSchema = z.object({
  board: z.object({ id: z.string(), name: z.string(), teams: z.array(z.object({ id: z.string(), name: z.string() })) }),
  figures: boardFiguresSchema,
});
/** Board data. */
export type BoardData = z.infer<typeof boardDataSchema>;
