import type { Types } from 'mongoose';
import { isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { User } from '../users/user.model.ts';
import type { Team } from './team.model.ts';
import type { TeamDto } from './team.schema.ts';
import type { z } from 'zod';
import type { teamCreateSchema, teamPatchSchema } from './team.schema.ts';
import { isDuplicateKeyError } from '../db/duplicate-key.ts';

/** Teams and their members (membership lives on the user: `teamIds`). */
export class TeamService {
  constructor(private readonly models: Models) {}

  private async dto(ctx: Ctx, teams: Team[]): Promise<TeamDto[]> {
    const members = await this.models.User.find({ tenantId: ctx.tenantId, teamIds: { $in: teams.map((t) => t._id) } }, { teamIds: 1 }).lean<
      Array<Pick<User, '_id' | 'teamIds'>>
    >();
    return teams.map((team) => ({
      id: team._id.toHexString(),
      name: team.name,
      description: team.description,
      assignment: team.assignment,
      memberIds: members.filter((m) => m.teamIds.some((t) => t.equals(team._id))).map((m) => m._id.toHexString()),
    }));
  }

  /** All teams (staff). */
  async list(ctx: Ctx): Promise<TeamDto[]> {
    authorize(isStaff(ctx.actor), 'Only staff can see teams.');
    return this.dto(ctx, await this.models.Team.find({ tenantId: ctx.tenantId }).sort({ name: 1 }).lean<Team[]>());
  }

  /** Creates a team (admins and managers). */
  async create(ctx: Ctx, input: z.infer<typeof teamCreateSchema>): Promise<TeamDto> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers can manage teams.');
    try {
      const [team] = await this.models.Team.create([{ tenantId: ctx.tenantId, ...input }]);
      return (await this.dto(ctx, [team!.toObject<Team>()]))[0]!;
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AppError('conflict', `A team named ${input.name} exists.`);
      throw error;
    }
  }

  /** Renames or reconfigures a team. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: z.infer<typeof teamPatchSchema>): Promise<TeamDto> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers can manage teams.');
    const team = await this.models.Team.findOneAndUpdate({ tenantId: ctx.tenantId, _id: id }, { $set: patch }, { returnDocument: 'after' })
      .lean<Team>()
      .catch((error: unknown) => {
        if (isDuplicateKeyError(error)) throw new AppError('conflict', `A team named ${String(patch.name)} exists.`);
        throw error;
      });
    if (!team) throw new AppError('not_found', 'No such team.');
    return (await this.dto(ctx, [team]))[0]!;
  }

  /** Deletes a team; its members and tickets simply lose the reference. */
  async remove(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers can manage teams.');
    const result = await this.models.Team.deleteOne({ tenantId: ctx.tenantId, _id: id });
    if (result.deletedCount === 0) throw new AppError('not_found', 'No such team.');
    await this.models.User.updateMany({ tenantId: ctx.tenantId, teamIds: id }, { $pull: { teamIds: id } });
    await this.models.Ticket.updateMany({ tenantId: ctx.tenantId, teamId: id }, { $set: { teamId: null } });
  }
}
