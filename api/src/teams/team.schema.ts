import { z } from 'zod';
import { ASSIGNMENT_STRATEGIES } from './team.model.ts';

const teamFields = { name: z.string().trim().min(1).max(80), description: z.string().max(500), assignment: z.enum(ASSIGNMENT_STRATEGIES) };

/** POST /api/v1/teams body. */
export const teamCreateSchema = z
  .object({ ...teamFields, description: teamFields.description.default(''), assignment: teamFields.assignment.default('least_loaded') })
  .strict();
/** PATCH /api/v1/teams/:id body. Built from the fields without their defaults, so a patch changes only what it names. */
export const teamPatchSchema = z.object(teamFields).partial().strict();
/** Team as the API shows it. */
export const teamDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  assignment: z.enum(ASSIGNMENT_STRATEGIES),
  memberIds: z.array(z.string()),
});
/** Team DTO. */
export type TeamDto = z.infer<typeof teamDtoSchema>;
