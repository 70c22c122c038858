import { z } from 'zod';
import { passwordSchema, tenantSlugSchema } from '../tenants/tenant.schema.ts';

/** POST /api/v1/auth/login body. */
export const loginSchema = z.object({ tenant: tenantSlugSchema, email: z.email().max(254), password: z.string().min(1).max(200) }).strict();
/** Login input. */
export type LoginInput = z.infer<typeof loginSchema>;

/** A 6-digit TOTP code. */
export const totpCodeSchema = z.string().regex(/^\d{6}$/, 'six digits');

/** POST /api/v1/auth/mfa/verify body. */
export const mfaVerifySchema = z.object({ code: totpCodeSchema }).strict();

/** POST /api/v1/auth/password-reset body. */
export const passwordResetRequestSchema = z.object({ tenant: tenantSlugSchema, email: z.email().max(254) }).strict();

/** POST /api/v1/auth/password-reset/complete body. */
export const passwordResetCompleteSchema = z
  .object({ tenant: tenantSlugSchema, token: z.string().min(20).max(200), password: passwordSchema })
  .strict();

/** POST /api/v1/me/password body. */
export const passwordChangeSchema = z.object({ currentPassword: z.string().min(1).max(200), newPassword: passwordSchema }).strict();

/** POST /api/v1/me/tokens body. */
export const apiTokenCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    scopes: z
      .array(z.enum(['read', 'write']))
      .min(1)
      .default(['read', 'write']),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

/** An API token as listed (never the token itself). */
export const apiTokenDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(['read', 'write'])),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
});
