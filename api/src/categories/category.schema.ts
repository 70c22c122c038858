import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { skillSchema } from '../users/user.schema.ts';

const categoryFields = {
  name: z.string().trim().min(1).max(80),
  description: z.string().max(1000),
  teamId: objectIdSchema.nullable(),
  skill: skillSchema.nullable(),
  active: z.boolean(),
};

/** POST /api/v1/categories body. */
export const categoryCreateSchema = z
  .object({
    ...categoryFields,
    description: categoryFields.description.default(''),
    teamId: categoryFields.teamId.default(null),
    skill: categoryFields.skill.default(null),
    active: categoryFields.active.default(true),
  })
  .strict();
/** PATCH /api/v1/categories/:id body. Built from the fields without their defaults, so a patch changes only what it names. */
export const categoryPatchSchema = z.object(categoryFields).partial().strict();
/** Category as the API shows it. */
export const categoryDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  teamId: z.string().nullable(),
  skill: z.string().nullable(),
  active: z.boolean(),
});
/** Category DTO. */
export type CategoryDto = z.infer<typeof categoryDtoSchema>;
