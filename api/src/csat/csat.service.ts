import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { actorUserId, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { User } from '../users/user.model.ts';
import type { CsatSurvey } from './csat.model.ts';
import type { CsatResponse, CsatSummary, CsatSurveyDto } from './csat.schema.ts';

const PREFIX = 'sbc_';
/** How long a survey takes answers (a later click changes the score until then). */
export const CSAT_OPEN_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newToken = () => `${PREFIX}${randomBytes(32).toString('base64url')}`;
const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Customer satisfaction: one survey per solved ticket, answered with one click from the
 * mail (an unguessable token; only its hash is stored) or in the widget by the signed-in
 * requester. Managers read the figures per period and per agent.
 */
export class CsatService {
  constructor(
    private readonly models: Models,
    private readonly tickets: TicketService,
  ) {}

  /**
   * The survey of a solved ticket with a fresh token for its mail. Null when the ticket is
   * not solved or closed, or its requester is not an active customer. Calling it again
   * replaces the token: only the mail sent last carries a working link.
   */
  async prepare(
    tenantId: Types.ObjectId,
    ticketId: Types.ObjectId,
  ): Promise<{ survey: CsatSurvey; token: string; ticket: Ticket; requester: User } | null> {
    const ticket = await this.models.Ticket.findOne({ tenantId, _id: ticketId }).lean<Ticket>();
    if (!ticket || (ticket.status !== 'solved' && ticket.status !== 'closed') || ticket.mergedIntoId) return null;
    const requester = await this.models.User.findOne({ tenantId, _id: ticket.requesterId }).lean<User>();
    if (!requester || requester.role !== 'customer' || !requester.active) return null;
    const token = newToken();
    const survey = await this.models.CsatSurvey.findOneAndUpdate(
      { tenantId, ticketId },
      {
        $set: { tokenHash: sha256(token) },
        $setOnInsert: { requesterId: ticket.requesterId, assigneeId: ticket.assigneeId ?? null, teamId: ticket.teamId ?? null },
      },
      { upsert: true, returnDocument: 'after' },
    ).lean<CsatSurvey>();
    return { survey: survey!, token, ticket, requester };
  }

  private async byToken(token: string): Promise<CsatSurvey> {
    if (!token.startsWith(PREFIX)) throw new AppError('not_found', 'No such survey.');
    const survey = await this.models.CsatSurvey.findOne({ tokenHash: sha256(token) })
      .setOptions({ crossTenant: true })
      .lean<CsatSurvey>();
    if (!survey) throw new AppError('not_found', 'No such survey.');
    return survey;
  }

  private async present(survey: CsatSurvey): Promise<CsatSurveyDto> {
    const [tenant, ticket] = await Promise.all([
      this.models.Tenant.findOne({ _id: survey.tenantId }, { name: 1 }).lean<Pick<Tenant, 'name'>>(),
      this.models.Ticket.findOne({ tenantId: survey.tenantId, _id: survey.ticketId }, { number: 1, subject: 1 }).lean<
        Pick<Ticket, 'number' | 'subject'>
      >(),
    ]);
    return {
      helpdesk: tenant?.name ?? '',
      ticketNumber: ticket?.number ?? 0,
      subject: ticket?.subject ?? '',
      // An upserted survey has no defaults stored: absent means not answered.
      score: survey.score ?? null,
      comment: survey.comment ?? null,
      respondedAt: survey.respondedAt?.toISOString() ?? null,
      openUntil: new Date(survey.createdAt.getTime() + CSAT_OPEN_DAYS * DAY_MS).toISOString(),
    };
  }

  /** The survey a mail link opens (no sign-in: the token is the credential). */
  async show(token: string): Promise<CsatSurveyDto> {
    return this.present(await this.byToken(token));
  }

  private async record(survey: CsatSurvey, input: CsatResponse, via: 'email' | 'widget'): Promise<CsatSurvey> {
    if (Date.now() > survey.createdAt.getTime() + CSAT_OPEN_DAYS * DAY_MS) throw new AppError('conflict', 'This survey is closed.');
    const updated = await this.models.CsatSurvey.findOneAndUpdate(
      { tenantId: survey.tenantId, _id: survey._id },
      { $set: { score: input.score, comment: input.comment?.trim() || null, respondedAt: new Date(), via } },
      { returnDocument: 'after' },
    ).lean<CsatSurvey>();
    return updated!;
  }

  /** One click in the mail: records (or changes) the rating. */
  async respondByToken(token: string, input: CsatResponse): Promise<CsatSurveyDto> {
    return this.present(await this.record(await this.byToken(token), input, 'email'));
  }

  /** The requester rates their solved ticket in the widget or portal. */
  async respondAsRequester(ctx: Ctx, ticketId: Types.ObjectId, input: CsatResponse): Promise<CsatSurveyDto> {
    const ticket = await this.tickets.requireVisible(ctx, ticketId);
    const me = actorUserId(ctx.actor);
    authorize(
      ctx.actor.kind === 'user' && ctx.actor.role === 'customer' && !!me && ticket.requesterId.equals(me),
      'Only the requester rates a ticket.',
    );
    if (ticket.status !== 'solved' && ticket.status !== 'closed')
      throw new AppError('invalid_transition', 'Only solved tickets can be rated.');
    let survey = await this.models.CsatSurvey.findOne({ tenantId: ctx.tenantId, ticketId }).lean<CsatSurvey>();
    if (!survey) {
      try {
        const [doc] = await this.models.CsatSurvey.create([
          {
            tenantId: ctx.tenantId,
            ticketId,
            requesterId: ticket.requesterId,
            assigneeId: ticket.assigneeId ?? null,
            teamId: ticket.teamId ?? null,
            tokenHash: sha256(newToken()),
          },
        ]);
        survey = doc!.toObject<CsatSurvey>();
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
        survey = (await this.models.CsatSurvey.findOne({ tenantId: ctx.tenantId, ticketId }).lean<CsatSurvey>())!;
      }
    }
    return this.present(await this.record(survey, input, 'widget'));
  }

  /** Satisfaction in a period (by response time) for managers: distribution, averages, per agent. */
  async summary(ctx: Ctx, query: { from?: string; to?: string }): Promise<CsatSummary> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers see satisfaction figures.');
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
    if (from >= to) throw new AppError('validation_failed', '`from` must be before `to`.', [{ path: '/from', message: 'after to' }]);
    const rows = await this.models.CsatSurvey.aggregate<{ _id: { agent: Types.ObjectId | null; score: number }; n: number }>([
      { $match: { tenantId: ctx.tenantId, respondedAt: { $gte: from, $lt: to } } },
      { $group: { _id: { agent: '$assigneeId', score: '$score' }, n: { $sum: 1 } } },
    ]);
    const surveysSent = await this.models.CsatSurvey.countDocuments({ tenantId: ctx.tenantId, createdAt: { $gte: from, $lt: to } });
    const distribution = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
    const agents = new Map<string, { agentId: string | null; responses: number; total: number }>();
    for (const row of rows) {
      const key = String(row._id.score) as keyof typeof distribution;
      if (!(key in distribution)) continue;
      distribution[key] += row.n;
      const agentId = row._id.agent ? row._id.agent.toHexString() : null;
      const agent = agents.get(agentId ?? '') ?? { agentId, responses: 0, total: 0 };
      agent.responses += row.n;
      agent.total += row.n * row._id.score;
      agents.set(agentId ?? '', agent);
    }
    const responses = Object.values(distribution).reduce((a, b) => a + b, 0);
    const total = Object.entries(distribution).reduce((sum, [score, n]) => sum + Number(score) * n, 0);
    const ids = [...agents.values()].map((a) => a.agentId).filter((id): id is string => id !== null);
    const names = new Map(
      (
        await this.models.User.find({ tenantId: ctx.tenantId, _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }, { name: 1 }).lean<
          Array<Pick<User, '_id' | 'name'>>
        >()
      ).map((u) => [u._id.toHexString(), u.name]),
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      surveysSent,
      responses,
      responseRate: surveysSent > 0 ? round(responses / surveysSent) : null,
      average: responses > 0 ? round(total / responses) : null,
      satisfied: responses > 0 ? round((distribution['4'] + distribution['5']) / responses) : null,
      distribution,
      byAgent: [...agents.values()]
        .map((a) => ({
          agentId: a.agentId,
          name: a.agentId ? (names.get(a.agentId) ?? null) : null,
          responses: a.responses,
          average: round(a.total / a.responses),
        }))
        .sort((a, b) => b.responses - a.responses),
    };
  }
}
