import type { Types } from 'mongoose';
import type { z } from 'zod';
import { isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import { hex, oid } from '../lib/ids.ts';
import type { Category } from './category.model.ts';
import type { CategoryDto, categoryCreateSchema, categoryPatchSchema } from './category.schema.ts';
import { isDuplicateKeyError } from '../db/duplicate-key.ts';

/** API form of a category. */
export function toCategoryDto(category: Category): CategoryDto {
  return {
    id: category._id.toHexString(),
    name: category.name,
    description: category.description,
    teamId: hex(category.teamId),
    skill: category.skill ?? null,
    active: category.active,
  };
}

/** Ticket categories (what triage classifies into); configured by admins and managers. */
export class CategoryService {
  constructor(private readonly models: Models) {}

  /** All categories (staff). */
  async list(ctx: Ctx): Promise<CategoryDto[]> {
    authorize(isStaff(ctx.actor), 'Only staff can see categories.');
    return (await this.models.Category.find({ tenantId: ctx.tenantId }).sort({ name: 1 }).lean<Category[]>()).map(toCategoryDto);
  }

  private async checkTeam(ctx: Ctx, teamId: string | null | undefined): Promise<Types.ObjectId | null | undefined> {
    if (teamId === undefined || teamId === null) return teamId;
    const id = oid(teamId);
    if (!(await this.models.Team.exists({ tenantId: ctx.tenantId, _id: id })))
      throw new AppError('validation_failed', 'Unknown team.', [{ path: '/teamId', message: 'not found' }]);
    return id;
  }

  /** Creates a category. */
  async create(ctx: Ctx, input: z.infer<typeof categoryCreateSchema>): Promise<CategoryDto> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers can manage categories.');
    const teamId = await this.checkTeam(ctx, input.teamId);
    try {
      const [category] = await this.models.Category.create([{ tenantId: ctx.tenantId, ...input, teamId }]);
      return toCategoryDto(category!.toObject<Category>());
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AppError('conflict', `A category named ${input.name} exists.`);
      throw error;
    }
  }

  /** Edits a category. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: z.infer<typeof categoryPatchSchema>): Promise<CategoryDto> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers can manage categories.');
    const set: Record<string, unknown> = { ...patch };
    if (patch.teamId !== undefined) set.teamId = await this.checkTeam(ctx, patch.teamId);
    const category = await this.models.Category.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: id },
      { $set: set },
      { returnDocument: 'after' },
    )
      .lean<Category>()
      .catch((error: unknown) => {
        if (isDuplicateKeyError(error)) throw new AppError('conflict', `A category named ${String(patch.name)} exists.`);
        throw error;
      });
    if (!category) throw new AppError('not_found', 'No such category.');
    return toCategoryDto(category);
  }
}
