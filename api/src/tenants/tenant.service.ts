import { randomBytes } from 'node:crypto';
import { hashPassword } from '../auth/password.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { actorUserId, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../lib/errors.ts';
import { newTokenKey } from '../widget/widget-token.ts';
import type { User } from '../users/user.model.ts';
import { WIDGET_APPEARANCE_DEFAULTS, type Tenant } from './tenant.model.ts';
import { assertCanConfigureTenant, assertCanReadTenant } from './tenant.policy.ts';
import type { TenantDto, TenantSettingsPatch, TenantSignup } from './tenant.schema.ts';

/** API form of a tenant for staff. */
export function toTenantDto(tenant: Tenant): TenantDto {
  return {
    id: tenant._id.toHexString(),
    slug: tenant.slug,
    name: tenant.name,
    timezone: tenant.timezone,
    businessHours: tenant.businessHours,
    widgetKey: tenant.widgetKey,
    settings: {
      customersSeeOrganisationTickets: tenant.settings.customersSeeOrganisationTickets,
      aiConfidenceThreshold: tenant.settings.aiConfidenceThreshold,
      widgetAllowedOrigins: tenant.settings.widgetAllowedOrigins,
      widgetRequireVerifiedIdentity: tenant.settings.widgetRequireVerifiedIdentity,
      widgetPrimaryColor: tenant.settings.widgetPrimaryColor ?? WIDGET_APPEARANCE_DEFAULTS.widgetPrimaryColor,
      widgetTextColor: tenant.settings.widgetTextColor ?? WIDGET_APPEARANCE_DEFAULTS.widgetTextColor,
      widgetGreeting: tenant.settings.widgetGreeting ?? WIDGET_APPEARANCE_DEFAULTS.widgetGreeting,
    },
    createdAt: tenant.createdAt.toISOString(),
  };
}

/** Tenants: sign-up and settings. */
export class TenantService {
  constructor(
    private readonly models: Models,
    private readonly audit: AuditService,
    private readonly signupOpen: boolean,
  ) {}

  /**
   * Creates a tenant with its first admin. Without transactions (FerretDB has none) the
   * tenant is removed again if the admin cannot be created, so a failed sign-up leaves
   * nothing behind and the slug stays free.
   */
  async signUp(input: TenantSignup, options: { force?: boolean } = {}): Promise<{ tenant: Tenant; admin: User }> {
    if (!this.signupOpen && !options.force) throw new AppError('forbidden', 'Sign-up is closed on this server.');
    let tenant: Tenant;
    try {
      const [created] = await this.models.Tenant.create([
        {
          slug: input.slug,
          name: input.name,
          timezone: input.timezone,
          widgetSecret: randomBytes(32).toString('base64url'),
          widgetKey: `wk_${randomBytes(12).toString('base64url')}`,
          widgetTokenKey: newTokenKey(),
        },
      ]);
      tenant = created!.toObject<Tenant>();
    } catch (error) {
      if ((error as { code?: number }).code === 11000)
        throw new AppError('conflict', `The name "${input.slug}" is taken.`, [{ path: '/slug', message: 'taken' }]);
      throw error;
    }
    try {
      const [admin] = await this.models.User.create([
        {
          tenantId: tenant._id,
          email: input.admin.email,
          name: input.admin.name,
          role: 'admin',
          passwordHash: await hashPassword(input.admin.password),
        },
      ]);
      const adminUser = admin!.toObject<User>();
      await this.audit.record(tenant._id, 'tenant.created', { id: adminUser._id, name: adminUser.name }, { targetId: tenant._id });
      return { tenant, admin: adminUser };
    } catch (error) {
      await this.models.Tenant.deleteOne({ _id: tenant._id });
      throw error;
    }
  }

  /** The caller's tenant. */
  async get(ctx: Ctx): Promise<Tenant> {
    assertCanReadTenant(ctx.actor);
    return this.require(ctx);
  }

  /** The caller's tenant without a policy check (internal use: widgets, routing). */
  async require(ctx: Ctx): Promise<Tenant> {
    const tenant = await this.models.Tenant.findOne({ _id: ctx.tenantId }).lean<Tenant>();
    if (!tenant) throw new AppError('not_found', 'No such tenant.');
    return tenant;
  }

  /** Updates settings (admins); audited with the changed keys. */
  async updateSettings(ctx: Ctx, patch: TenantSettingsPatch): Promise<Tenant> {
    assertCanConfigureTenant(ctx.actor);
    const set: Record<string, unknown> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.timezone !== undefined) set.timezone = patch.timezone;
    if (patch.businessHours !== undefined) set.businessHours = patch.businessHours;
    for (const key of [
      'customersSeeOrganisationTickets',
      'aiConfidenceThreshold',
      'widgetAllowedOrigins',
      'widgetRequireVerifiedIdentity',
      'widgetPrimaryColor',
      'widgetTextColor',
      'widgetGreeting',
    ] as const) {
      if (patch[key] !== undefined) set[`settings.${key}`] = patch[key];
    }
    const updated = await this.models.Tenant.findOneAndUpdate(
      { _id: ctx.tenantId },
      { $set: set },
      { returnDocument: 'after' },
    ).lean<Tenant>();
    if (!updated) throw new AppError('not_found', 'No such tenant.');
    await this.audit.record(
      ctx.tenantId,
      'tenant.settings_changed',
      { id: actorUserId(ctx.actor), name: ctx.actor.name },
      { data: { keys: Object.keys(patch) } },
    );
    return updated;
  }
}
