import { containsPattern } from '../lib/text-query.ts';
import type { Types } from 'mongoose';
import type { z } from 'zod';
import { isStaff, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { Organisation } from './organisation.model.ts';
import type { OrganisationDto, organisationCreateSchema, organisationPatchSchema } from './organisation.schema.ts';
import { isDuplicateKeyError } from '../db/duplicate-key.ts';

/** API form of an organisation. `notes` are internal: only staff get them. */
export function toOrganisationDto(org: Organisation, includeNotes = true): OrganisationDto {
  return {
    id: org._id.toHexString(),
    name: org.name,
    domains: org.domains,
    notes: includeNotes ? org.notes : '',
    locations: org.locations.map((l) => ({ id: l._id.toHexString(), name: l.name, address: l.address, phone: l.phone ?? null })),
    createdAt: org.createdAt.toISOString(),
  };
}

/** Client companies with their locations; contacts are customer users pointing here. */
export class OrganisationService {
  constructor(private readonly models: Models) {}

  /** All organisations (staff), by name. */
  async list(ctx: Ctx, q?: string): Promise<OrganisationDto[]> {
    authorize(isStaff(ctx.actor), 'Only staff can see organisations.');
    const filter: Record<string, unknown> = { tenantId: ctx.tenantId };
    if (q) filter.name = containsPattern(q);
    const rows = await this.models.Organisation.find(filter).sort({ name: 1 }).limit(500).lean<Organisation[]>();
    return rows.map((org) => toOrganisationDto(org));
  }

  /** One organisation: staff, or a contact of it. */
  async get(ctx: Ctx, id: Types.ObjectId): Promise<OrganisationDto> {
    const own = ctx.actor.kind === 'user' && ctx.actor.organisationId?.equals(id) === true;
    const org = await this.models.Organisation.findOne({ tenantId: ctx.tenantId, _id: id }).lean<Organisation>();
    if (!org || (!isStaff(ctx.actor) && !own)) throw new AppError('not_found', 'No such organisation.');
    return toOrganisationDto(org, isStaff(ctx.actor));
  }

  /** Creates an organisation (staff). */
  async create(ctx: Ctx, input: z.infer<typeof organisationCreateSchema>): Promise<OrganisationDto> {
    authorize(isStaff(ctx.actor), 'Only staff can manage organisations.');
    try {
      const [org] = await this.models.Organisation.create([{ tenantId: ctx.tenantId, ...input }]);
      return toOrganisationDto(org!.toObject<Organisation>());
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AppError('conflict', `An organisation named ${input.name} exists.`);
      throw error;
    }
  }

  /** Edits an organisation (staff); locations are replaced as a whole. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: z.infer<typeof organisationPatchSchema>): Promise<OrganisationDto> {
    authorize(isStaff(ctx.actor), 'Only staff can manage organisations.');
    const org = await this.models.Organisation.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: id },
      { $set: patch },
      { returnDocument: 'after', runValidators: true },
    )
      .lean<Organisation>()
      .catch((error: unknown) => {
        if (isDuplicateKeyError(error)) throw new AppError('conflict', `An organisation named ${String(patch.name)} exists.`);
        throw error;
      });
    if (!org) throw new AppError('not_found', 'No such organisation.');
    return toOrganisationDto(org);
  }
}
