import { api } from './api.ts';
import type { UserDto } from './types.ts';

/** The signed-in person and tenant, loaded once by the console shell. */
class Session {
  user = $state<UserDto | null>(null);
  tenant = $state<{ id: string; slug: string; name: string } | null>(null);
  loaded = $state(false);

  /** Loads `/me`; false when nobody is signed in. */
  async load(): Promise<boolean> {
    try {
      const me = await api<{ user: UserDto; tenant: { id: string; slug: string; name: string }; mfaPending: boolean }>('GET', '/me');
      if (me.mfaPending) return false;
      this.user = me.user;
      this.tenant = me.tenant;
      return true;
    } catch {
      this.user = null;
      return false;
    } finally {
      this.loaded = true;
    }
  }

  get isStaff(): boolean {
    return !!this.user && this.user.role !== 'customer';
  }

  get isAdmin(): boolean {
    return this.user?.role === 'admin';
  }

  get canConfigure(): boolean {
    return this.user?.role === 'admin' || this.user?.role === 'manager';
  }
}

/** The one session of this tab. */
export const session = new Session();
