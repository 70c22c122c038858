import { z } from 'zod';
import { tenantSlugSchema } from '../tenants/tenant.schema.ts';

/** POST /api/v1/portal/signup body: a customer asks for an account on a tenant's portal. */
export const portalSignupSchema = z
  .object({
    tenant: tenantSlugSchema,
    name: z.string().trim().min(1).max(120),
    email: z.email().max(254),
  })
  .strict();
/** Sign-up input. */
export type PortalSignup = z.infer<typeof portalSignupSchema>;
