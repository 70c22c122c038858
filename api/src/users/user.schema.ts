import { z } from 'zod';
import { textQuery } from '../lib/text-query.ts';
import { ROLES } from '../context.ts';
import { objectIdSchema } from '../lib/ids.ts';
import { passwordSchema } from '../tenants/tenant.schema.ts';
import { AGENT_STATUSES } from './user.model.ts';

/** A skill tag (routing matches tickets' needed skill against these). */
export const skillSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, - and _');

/** POST /api/v1/users body. */
export const userCreateSchema = z
  .object({
    email: z.email().max(254),
    name: z.string().trim().min(1).max(120),
    role: z.enum(ROLES),
    password: passwordSchema.optional(),
    organisationId: objectIdSchema.nullable().optional(),
    teamIds: z.array(objectIdSchema).max(20).optional(),
    skills: z.array(skillSchema).max(30).optional(),
    capacity: z.number().int().min(0).max(500).optional(),
    phone: z.string().trim().max(40).nullable().optional(),
    title: z.string().trim().max(120).nullable().optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2}(-[A-Z]{2})?$/)
      .optional(),
  })
  .strict();
/** Create input. */
export type UserCreate = z.infer<typeof userCreateSchema>;

/** PATCH /api/v1/users/:id body. */
export const userPatchSchema = userCreateSchema
  .omit({ email: true, password: true })
  .partial()
  .extend({ active: z.boolean().optional() })
  .strict();
/** Patch input. */
export type UserPatch = z.infer<typeof userPatchSchema>;

/** PUT /api/v1/me/status body. */
export const agentStatusSchema = z.object({ status: z.enum(AGENT_STATUSES) }).strict();

/** A person as the API shows them. */
export const userDtoSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  organisationId: z.string().nullable(),
  teamIds: z.array(z.string()),
  skills: z.array(z.string()),
  capacity: z.number(),
  agentStatus: z.enum(AGENT_STATUSES),
  phone: z.string().nullable(),
  title: z.string().nullable(),
  locale: z.string(),
  mfaEnabled: z.boolean(),
  active: z.boolean(),
  createdAt: z.string(),
});
/** User DTO. */
export type UserDto = z.infer<typeof userDtoSchema>;

/** GET /api/v1/users query. */
export const userListQuerySchema = z
  .object({
    role: z.enum(ROLES).optional(),
    organisationId: objectIdSchema.optional(),
    teamId: objectIdSchema.optional(),
    q: textQuery(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    after: objectIdSchema.optional(),
  })
  .strict();
/** List query. */
export type UserListQuery = z.infer<typeof userListQuerySchema>;
