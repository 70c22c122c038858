import { z } from 'zod';
import { objectIdSchema } from '../lib/ids.ts';
import { skillSchema } from '../users/user.schema.ts';

/** POST /api/v1/categories body. */
export const categoryCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    description: z.string().max(1000).default(''),
    teamId: objectIdSchema.nullable().default(null),
    skill: skillSchema.nullable().default(null),
    active: z.boolean().default(true),
  })
  .strict();
/** PATCH /api/v1/categories/:id body. */
export const categoryPatchSchema = categoryCreateSchema.partial().strict();
/** Category as the API shows it. */
export const categoryDtoSchema = z.object({ id: z.string(), name: z.string(), description: z.string(), teamId: z.string().nullable(), skill: z.string().nullable(), active: z.boolean() });
/** Category DTO. */
export type CategoryDto = z.infer<typeof categoryDtoSchema>;
