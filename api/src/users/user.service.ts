import type { Types } from 'mongoose';
import { hashPassword } from '../auth/password.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { actorUserId, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../lib/errors.ts';
import { hex, oid } from '../lib/ids.ts';
import type { AgentStatus, User } from './user.model.ts';
import { assertCanCreateUser, assertCanListUsers, assertCanReadUser, assertCanUpdateUser } from './user.policy.ts';
import type { UserCreate, UserDto, UserListQuery, UserPatch } from './user.schema.ts';
import { containsPattern } from '../lib/text-query.ts';

/** API form of a user (never the password hash or MFA secret). */
export function toUserDto(user: User): UserDto {
  return {
    id: user._id.toHexString(),
    email: user.email,
    name: user.name,
    role: user.role,
    organisationId: hex(user.organisationId),
    teamIds: user.teamIds.map((t) => t.toHexString()),
    skills: user.skills,
    capacity: user.capacity,
    agentStatus: user.agentStatus,
    phone: user.phone ?? null,
    title: user.title ?? null,
    locale: user.locale,
    mfaEnabled: user.mfa?.enabled ?? false,
    active: user.active,
    createdAt: user.createdAt.toISOString(),
  };
}

/** People of a tenant: staff and customers. */
export class UserService {
  constructor(
    private readonly models: Models,
    private readonly audit: AuditService,
  ) {}

  /** Loads a user of the caller's tenant or throws not_found. */
  async require(ctx: Ctx, id: Types.ObjectId): Promise<User> {
    const user = await this.models.User.findOne({ tenantId: ctx.tenantId, _id: id }).lean<User>();
    if (!user) throw new AppError('not_found', 'No such person.');
    return user;
  }

  /** Creates a person after checking who may create which role and that references exist. */
  async create(ctx: Ctx, input: UserCreate): Promise<User> {
    assertCanCreateUser(ctx.actor, input.role);
    const refs = await this.checkReferences(ctx, input);
    try {
      const [user] = await this.models.User.create([
        {
          tenantId: ctx.tenantId,
          email: input.email,
          name: input.name,
          role: input.role,
          passwordHash: input.password ? await hashPassword(input.password) : null,
          organisationId: input.role === 'customer' ? refs.organisationId : null,
          teamIds: input.role === 'customer' ? [] : refs.teamIds,
          skills: input.skills ?? [],
          capacity: input.capacity ?? 10,
          phone: input.phone ?? null,
          title: input.title ?? null,
          locale: input.locale ?? 'en',
        },
      ]);
      const created = user!.toObject<User>();
      await this.audit.record(
        ctx.tenantId,
        'user.created',
        { id: actorUserId(ctx.actor), name: ctx.actor.name },
        { targetId: created._id, data: { role: created.role } },
      );
      return created;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) throw new AppError('conflict', `A person with email ${input.email} already exists.`);
      throw error;
    }
  }

  /**
   * Finds a customer by email or creates one (tickets created for someone new, widget
   * visitors with a verified email, inbound mail). Never upgrades or touches staff.
   */
  async findOrCreateCustomer(ctx: Ctx, email: string, name?: string): Promise<User> {
    const normalised = email.trim().toLowerCase();
    const existing = await this.models.User.findOne({ tenantId: ctx.tenantId, email: normalised }).lean<User>();
    if (existing) return existing;
    try {
      const [created] = await this.models.User.create([
        { tenantId: ctx.tenantId, email: normalised, name: name?.trim() || normalised.split('@')[0], role: 'customer' },
      ]);
      return created!.toObject<User>();
    } catch (error) {
      if ((error as { code?: number }).code === 11000)
        return (await this.models.User.findOne({ tenantId: ctx.tenantId, email: normalised }).lean<User>())!;
      throw error;
    }
  }

  /** Lists people (staff only), by name/email prefix and filters, in id order. */
  async list(ctx: Ctx, query: UserListQuery): Promise<User[]> {
    assertCanListUsers(ctx.actor);
    const filter: Record<string, unknown> = { tenantId: ctx.tenantId };
    if (query.role) filter.role = query.role;
    if (query.organisationId) filter.organisationId = oid(query.organisationId);
    if (query.teamId) filter.teamIds = oid(query.teamId);
    if (query.after) filter._id = { $gt: oid(query.after) };
    if (query.q) {
      const pattern = containsPattern(query.q);
      filter.$or = [{ name: pattern }, { email: pattern }];
    }
    return this.models.User.find(filter).sort({ _id: 1 }).limit(query.limit).lean<User[]>();
  }

  /** One person (staff, or oneself). */
  async get(ctx: Ctx, id: Types.ObjectId): Promise<User> {
    const user = await this.require(ctx, id);
    assertCanReadUser(ctx.actor, user._id);
    return user;
  }

  /** Updates profile, role, teams, skills, capacity or active flag; role changes are audited. */
  async update(ctx: Ctx, id: Types.ObjectId, patch: UserPatch): Promise<User> {
    const target = await this.require(ctx, id);
    assertCanUpdateUser(ctx.actor, target, patch);
    const refs = await this.checkReferences(ctx, patch);
    const set: Record<string, unknown> = {};
    for (const key of ['name', 'role', 'skills', 'capacity', 'phone', 'title', 'locale', 'active'] as const) {
      if (patch[key] !== undefined) set[key] = patch[key];
    }
    if (patch.organisationId !== undefined) set.organisationId = refs.organisationId;
    if (patch.teamIds !== undefined) set.teamIds = refs.teamIds;
    const updated = await this.models.User.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: id },
      { $set: set },
      { returnDocument: 'after' },
    ).lean<User>();
    if (!updated) throw new AppError('not_found', 'No such person.');
    const actor = { id: actorUserId(ctx.actor), name: ctx.actor.name };
    if (patch.role !== undefined && patch.role !== target.role) {
      await this.audit.record(ctx.tenantId, 'user.role_changed', actor, { targetId: id, data: { from: target.role, to: patch.role } });
    }
    if (patch.active === false && target.active) await this.audit.record(ctx.tenantId, 'user.deactivated', actor, { targetId: id });
    if (patch.active === false) await this.models.Session.deleteMany({ userId: id.toHexString() });
    return updated;
  }

  /** An agent's own availability (routing only assigns to `online`). */
  async setAgentStatus(ctx: Ctx, status: AgentStatus): Promise<User> {
    const me = actorUserId(ctx.actor);
    if (!me || ctx.actor.kind !== 'user' || ctx.actor.role === 'customer')
      throw new AppError('forbidden', 'Only staff have an agent status.');
    const updated = await this.models.User.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: me },
      { $set: { agentStatus: status } },
      { returnDocument: 'after' },
    ).lean<User>();
    if (!updated) throw new AppError('not_found', 'No such person.');
    return updated;
  }

  private async checkReferences(
    ctx: Ctx,
    input: { organisationId?: string | null; teamIds?: string[] },
  ): Promise<{ organisationId: Types.ObjectId | null; teamIds: Types.ObjectId[] }> {
    let organisationId: Types.ObjectId | null = null;
    if (input.organisationId) {
      organisationId = oid(input.organisationId);
      const exists = await this.models.Organisation.exists({ tenantId: ctx.tenantId, _id: organisationId });
      if (!exists) throw new AppError('validation_failed', 'No such organisation.', [{ path: '/organisationId', message: 'not found' }]);
    }
    const teamIds = (input.teamIds ?? []).map(oid);
    if (teamIds.length > 0) {
      const found = await this.models.Team.countDocuments({ tenantId: ctx.tenantId, _id: { $in: teamIds } });
      if (found !== new Set(teamIds.map(String)).size)
        throw new AppError('validation_failed', 'Unknown team.', [{ path: '/teamIds', message: 'not found' }]);
    }
    return { organisationId, teamIds };
  }
}
