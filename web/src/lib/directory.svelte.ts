import { api } from './api.ts';
import type { CategoryDto, TeamDto, UserDto } from './types.ts';

/** Staff, teams and categories of the tenant (for names in lists and pickers), loaded once. */
class Directory {
  staff = $state<UserDto[]>([]);
  teams = $state<TeamDto[]>([]);
  categories = $state<CategoryDto[]>([]);
  private loading: Promise<void> | undefined;

  load(force = false): Promise<void> {
    if (this.loading && !force) return this.loading;
    this.loading = (async () => {
      const [admins, managers, agents, teams, categories] = await Promise.all([
        api<{ items: UserDto[] }>('GET', '/users', undefined, { query: { role: 'admin', limit: 200 } }),
        api<{ items: UserDto[] }>('GET', '/users', undefined, { query: { role: 'manager', limit: 200 } }),
        api<{ items: UserDto[] }>('GET', '/users', undefined, { query: { role: 'agent', limit: 200 } }),
        api<{ items: TeamDto[] }>('GET', '/teams'),
        api<{ items: CategoryDto[] }>('GET', '/categories'),
      ]);
      this.staff = [...admins.items, ...managers.items, ...agents.items]
        .filter((u) => u.active)
        .sort((a, b) => a.name.localeCompare(b.name));
      this.teams = teams.items;
      this.categories = categories.items;
    })();
    return this.loading;
  }

  personName(id: string | null | undefined): string {
    return id ? (this.staff.find((u) => u.id === id)?.name ?? 'Someone') : 'Unassigned';
  }

  teamName(id: string | null | undefined): string {
    return id ? (this.teams.find((t) => t.id === id)?.name ?? '—') : '—';
  }

  categoryName(id: string | null | undefined): string {
    return id ? (this.categories.find((c) => c.id === id)?.name ?? '—') : '—';
  }
}

/** The directory of this tab. */
export const directory = new Directory();
