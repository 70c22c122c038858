import type { Types } from 'mongoose';
import type { z } from 'zod';
import { actorUserId, isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import { hex } from '../lib/ids.ts';
import { sanitizeRichText } from '../lib/sanitize.ts';
import type { Macro } from './macro.model.ts';
import type { MacroDto, macroCreateSchema, macroPatchSchema } from './macro.schema.ts';

function toMacroDto(macro: Macro): MacroDto {
  return {
    id: macro._id.toHexString(),
    title: macro.title,
    bodyHtml: macro.bodyHtml,
    actions: { status: macro.actions.status ?? null, priority: macro.actions.priority ?? null, addTags: macro.actions.addTags },
    visibility: macro.visibility,
    ownerId: hex(macro.ownerId),
  };
}

/**
 * Canned responses. Shared macros are managed by admins and managers; any agent keeps
 * personal ones. Applying a macro is the client's job (insert text, then call the ticket
 * routes), so its effects go through the same policies and events as manual work.
 */
export class MacroService {
  constructor(private readonly models: Models) {}

  private ownerFilter(ctx: Ctx): Record<string, unknown> {
    return { $or: [{ visibility: 'shared' }, { visibility: 'personal', ownerId: actorUserId(ctx.actor) ?? null }] };
  }

  /** Shared macros plus the caller's personal ones. */
  async list(ctx: Ctx): Promise<MacroDto[]> {
    authorize(isStaff(ctx.actor), 'Only staff can use macros.');
    const rows = await this.models.Macro.find({ tenantId: ctx.tenantId, ...this.ownerFilter(ctx) })
      .sort({ title: 1 })
      .lean<Macro[]>();
    return rows.map(toMacroDto);
  }

  private assertCanManage(ctx: Ctx, visibility: 'shared' | 'personal'): void {
    authorize(isStaff(ctx.actor), 'Only staff can use macros.');
    if (visibility === 'shared') authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers manage shared macros.');
  }

  /** Creates a macro. */
  async create(ctx: Ctx, input: z.infer<typeof macroCreateSchema>): Promise<MacroDto> {
    this.assertCanManage(ctx, input.visibility);
    const [macro] = await this.models.Macro.create([
      {
        tenantId: ctx.tenantId,
        title: input.title,
        bodyHtml: sanitizeRichText(input.body),
        actions: input.actions,
        visibility: input.visibility,
        ownerId: input.visibility === 'personal' ? actorUserId(ctx.actor) : null,
      },
    ]);
    return toMacroDto(macro!.toObject<Macro>());
  }

  /** Edits a macro the caller may manage. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: z.infer<typeof macroPatchSchema>): Promise<MacroDto> {
    const current = await this.models.Macro.findOne({ tenantId: ctx.tenantId, _id: id, ...this.ownerFilter(ctx) }).lean<Macro>();
    if (!current) throw new AppError('not_found', 'No such macro.');
    this.assertCanManage(ctx, current.visibility);
    if (patch.visibility) this.assertCanManage(ctx, patch.visibility);
    const set: Record<string, unknown> = {};
    if (patch.title !== undefined) set.title = patch.title;
    if (patch.body !== undefined) set.bodyHtml = sanitizeRichText(patch.body);
    if (patch.actions !== undefined) set.actions = patch.actions;
    if (patch.visibility !== undefined) {
      set.visibility = patch.visibility;
      set.ownerId = patch.visibility === 'personal' ? actorUserId(ctx.actor) : null;
    }
    const macro = await this.models.Macro.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: id },
      { $set: set },
      { returnDocument: 'after' },
    ).lean<Macro>();
    return toMacroDto(macro!);
  }

  /** Deletes a macro the caller may manage. */
  async remove(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    const current = await this.models.Macro.findOne({ tenantId: ctx.tenantId, _id: id, ...this.ownerFilter(ctx) }).lean<Macro>();
    if (!current) throw new AppError('not_found', 'No such macro.');
    this.assertCanManage(ctx, current.visibility);
    await this.models.Macro.deleteOne({ tenantId: ctx.tenantId, _id: id });
  }
}
