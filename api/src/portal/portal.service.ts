import type { AuthService, RequestMeta } from '../auth/auth.service.ts';
import { systemCtx } from '../context.ts';
import type { Models } from '../db/models.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { User } from '../users/user.model.ts';
import type { UserService } from '../users/user.service.ts';
import type { PortalSignup } from './portal.schema.ts';

/**
 * The customer portal's self-service sign-up. An account is only usable once its owner
 * proves the address: sign-up creates a customer without a password (when the address is
 * new) and mails a link to set one, through the password-reset flow. Otherwise anyone could
 * register someone else's address and read the tickets later filed under it.
 */
export class PortalService {
  constructor(
    private readonly models: Models,
    private readonly users: UserService,
    private readonly auth: AuthService,
  ) {}

  /**
   * Returns the set-password link's token and its user for the mailer, or null (unknown
   * tenant, inactive account). Callers answer the same either way (no enumeration).
   */
  async signUp(input: PortalSignup, meta: RequestMeta): Promise<{ token: string; user: User } | null> {
    const tenant = await this.models.Tenant.findOne({ slug: input.tenant }).lean<Tenant>();
    if (!tenant) return null;
    await this.users.findOrCreateCustomer(systemCtx(tenant._id, 'portal sign-up'), input.email, input.name);
    return this.auth.requestPasswordReset(input.tenant, input.email, meta);
  }
}
