import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { toUserDto } from '../users/user.service.ts';
import { userDtoSchema } from '../users/user.schema.ts';
import { tenantDtoSchema, tenantSettingsPatchSchema, tenantSignupSchema } from './tenant.schema.ts';
import { toTenantDto } from './tenant.service.ts';

/** Tenant sign-up and settings. */
export function tenantRoutes(app: HttpServer, domain: Domain): void {
  app.post(
    '/tenants',
    {
      config: { auth: { mode: 'none' }, rateLimit: { max: 10, timeWindow: '1 hour' } },
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant with its first admin',
        body: tenantSignupSchema,
        response: { 201: z.object({ tenant: tenantDtoSchema, admin: userDtoSchema }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenant, admin } = await domain.tenants.signUp(request.body);
      return reply.status(201).send({ tenant: toTenantDto(tenant), admin: toUserDto(admin) });
    },
  );
  app.get(
    '/tenant',
    { schema: { tags: ['tenants'], summary: 'The current tenant', response: { 200: tenantDtoSchema, ...errorResponses } } },
    async (request) => toTenantDto(await domain.tenants.get(ctxOf(request))),
  );
  app.patch(
    '/tenant',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Change tenant settings (admins)',
        body: tenantSettingsPatchSchema,
        response: { 200: tenantDtoSchema, ...errorResponses },
      },
    },
    async (request) => toTenantDto(await domain.tenants.updateSettings(ctxOf(request), request.body)),
  );
}
