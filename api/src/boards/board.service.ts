import { createHash, randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import type { Team } from '../teams/team.model.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { User } from '../users/user.model.ts';
import { boardFigures } from './board-figures.ts';
import type { Board } from './board.model.ts';
import type { BoardRows } from './board-rows.ts';
import type { BoardCreate, BoardData, BoardDto, BoardFigures } from './board.schema.ts';

const PREFIX = 'sbb_';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** API form of a board. */
export function toBoardDto(board: Board): BoardDto {
  return {
    id: board._id.toHexString(),
    name: board.name,
    teamIds: board.teamIds.map((id) => id.toHexString()),
    createdAt: board.createdAt.toISOString(),
  };
}

/**
 * Shares one computation among everyone who asks for the same key while it runs — but only
 * with those who asked before it started: a request that arrives during a computation
 * waits for the next one, so no caller gets figures older than its request.
 */
class Coalescer<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, Promise<T>>();

  run(key: string, compute: () => Promise<T>): Promise<T> {
    const queued = this.queued.get(key);
    if (queued) return queued;
    const running = this.running.get(key);
    if (!running) return this.start(key, compute);
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        return this.start(key, compute);
      });
    this.queued.set(key, next);
    return next;
  }

  private start(key: string, compute: () => Promise<T>): Promise<T> {
    const promise = compute().finally(() => {
      if (this.running.get(key) === promise) this.running.delete(key);
    });
    this.running.set(key, promise);
    return promise;
  }
}

/** How long a tenant's time zone and staff list are reused, and figures of unchanged rows. */
const CONTEXT_TTL_MS = 10_000;
const FIGURES_TTL_MS = 2_000;
/** Age after which a resolved kiosk token is looked up again, behind the answer (revocation reaches another process's figures then). */
const KIOSK_TTL_MS = 5_000;

/** Wall boards, their kiosk tokens, and the figures they show. */
export class BoardService {
  private readonly figuresOf = new Coalescer<BoardFigures>();
  private readonly contexts = new Map<
    string,
    { at: number; checking: boolean; timeZone: string; staff: Array<{ id: string; name: string; teamIds: string[] }> }
  >();
  private readonly computed = new Map<string, { at: number; counter: number; figures: BoardFigures }>();
  private readonly kiosks = new Map<string, { at: number; checking: boolean; board: Board; teams: Array<{ id: string; name: string }> }>();

  constructor(
    private readonly models: Models,
    private readonly rows: BoardRows,
  ) {}

  /** Creates a board; the token is returned once (it goes into the board's URL). */
  async create(ctx: Ctx, input: { name: string; teamIds?: Types.ObjectId[] }): Promise<{ board: Board; token: string }> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers manage boards.');
    const teamIds = [...new Map((input.teamIds ?? []).map((id) => [id.toHexString(), id])).values()];
    if (
      teamIds.length > 0 &&
      (await this.models.Team.countDocuments({ tenantId: ctx.tenantId, _id: { $in: teamIds } })) !== teamIds.length
    ) {
      throw new AppError('validation_failed', 'Unknown team.', [{ path: '/teamIds', message: 'not found' }]);
    }
    const token = `${PREFIX}${randomBytes(24).toString('base64url')}`;
    const [board] = await this.models.Board.create([{ tenantId: ctx.tenantId, name: input.name, tokenHash: sha256(token), teamIds }]);
    return { board: board!.toObject<Board>(), token };
  }

  /** Creates a board from a REST body: the DTO, the token once, and the kiosk path. */
  async createFromApi(ctx: Ctx, input: BoardCreate): Promise<{ board: BoardDto; token: string; path: string }> {
    const { board, token } = await this.create(ctx, { name: input.name, teamIds: input.teamIds.map(oid) });
    return { board: toBoardDto(board), token, path: `/board/${token}` };
  }

  /** Boards of the tenant that are not revoked. */
  async list(ctx: Ctx): Promise<Board[]> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers manage boards.');
    return this.models.Board.find({ tenantId: ctx.tenantId, revokedAt: null }).sort({ createdAt: -1 }).lean<Board[]>();
  }

  /** Revokes a board: its display is disconnected at the next check and cannot reconnect. */
  async revoke(ctx: Ctx, id: Types.ObjectId): Promise<void> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers manage boards.');
    const result = await this.models.Board.updateOne(
      { tenantId: ctx.tenantId, _id: id, revokedAt: null },
      { $set: { revokedAt: new Date() } },
    );
    if (result.matchedCount === 0) throw new AppError('not_found', 'No such board.');
    for (const [key, entry] of this.kiosks) if (entry.board._id.equals(id)) this.kiosks.delete(key);
  }

  /** The board a token opens, or null (unknown, malformed or revoked). */
  async resolveToken(token: unknown): Promise<Board | null> {
    if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length > 100) return null;
    const board = await this.models.Board.findOne({ tokenHash: sha256(token) })
      .setOptions({ crossTenant: true })
      .lean<Board>();
    return board && !board.revokedAt ? board : null;
  }

  /** What a kiosk shows: the board and its figures. A wrong or revoked token is `unauthenticated`. */
  async data(token: unknown): Promise<BoardData> {
    const { board, teams } = await this.kiosk(token);
    return {
      board: { id: board._id.toHexString(), name: board.name, teams },
      figures: await this.figures(board.tenantId, board.teamIds),
    };
  }

  /**
   * The board a kiosk token opens, with its teams' names, reused: fifty displays refreshing
   * after one event cost no lookup. Older than {@link KIOSK_TTL_MS}, it is looked up again
   * behind the answer, so a revocation stops the figures at the next refresh after that.
   */
  private async kiosk(token: unknown): Promise<{ board: Board; teams: Array<{ id: string; name: string }> }> {
    const key = typeof token === 'string' ? sha256(token) : '';
    const cached = this.kiosks.get(key);
    if (cached) {
      // Answer from the cache and look again behind it: a slow database never holds a board's refresh.
      if (Date.now() - cached.at >= KIOSK_TTL_MS && !cached.checking) {
        cached.checking = true;
        this.lookUpKiosk(key, token).catch(() => this.kiosks.delete(key));
      }
      return cached;
    }
    return this.lookUpKiosk(key, token);
  }

  private async lookUpKiosk(key: string, token: unknown): Promise<{ board: Board; teams: Array<{ id: string; name: string }> }> {
    const board = await this.resolveToken(token);
    if (!board) {
      this.kiosks.delete(key);
      throw new AppError('unauthenticated', 'This board link is wrong or was revoked; ask a manager for a new one.');
    }
    const teams = board.teamIds.length
      ? await this.models.Team.find({ tenantId: board.tenantId, _id: { $in: board.teamIds } }, { name: 1 }).lean<
          Array<Pick<Team, '_id' | 'name'>>
        >()
      : [];
    const entry = { at: Date.now(), checking: false, board, teams: teams.map((t) => ({ id: t._id.toHexString(), name: t.name })) };
    this.kiosks.set(key, entry);
    return entry;
  }

  /** The same figures for the console's live overview (admins and managers), optionally for one team. */
  async overview(ctx: Ctx, teamId?: Types.ObjectId): Promise<BoardFigures> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers see the overview.');
    return this.figures(ctx.tenantId, teamId ? [teamId] : []);
  }

  /** Figures of a tenant (limited to teams when given), computed once for everyone asking at the same time. */
  private figures(tenantId: Types.ObjectId, teamIds: Types.ObjectId[]): Promise<BoardFigures> {
    const teams = teamIds.map((id) => id.toHexString()).sort();
    const key = `${tenantId.toHexString()}:${teams.join(',')}`;
    return this.figuresOf.run(key, async () => {
      const [context, { counter, rows }] = await Promise.all([this.context(tenantId), this.rows.rows(tenantId)]);
      const now = Date.now();
      const previous = this.computed.get(key);
      // Nothing changed since figures computed a moment ago: fifty boards refreshing after one event share them.
      if (previous && previous.counter === counter && now - previous.at < FIGURES_TTL_MS) return previous.figures;
      const filter = teams.length ? new Set(teams) : null;
      const agents = context.staff
        .filter((person) => !filter || person.teamIds.some((id) => filter.has(id)))
        .map(({ id, name }) => ({ id, name }));
      const figures = boardFigures({ rows, teamIds: filter, agents, timeZone: context.timeZone, now });
      this.computed.set(key, { at: now, counter, figures });
      return figures;
    });
  }

  /** A tenant's time zone and active staff, reused and reloaded behind the answer when older than {@link CONTEXT_TTL_MS}. */
  private async context(
    tenantId: Types.ObjectId,
  ): Promise<{ timeZone: string; staff: Array<{ id: string; name: string; teamIds: string[] }> }> {
    const tenant = tenantId.toHexString();
    const cached = this.contexts.get(tenant);
    if (cached) {
      if (Date.now() - cached.at >= CONTEXT_TTL_MS && !cached.checking) {
        cached.checking = true;
        this.loadContext(tenantId).catch(() => (cached.checking = false));
      }
      return cached;
    }
    return this.loadContext(tenantId);
  }

  private async loadContext(
    tenantId: Types.ObjectId,
  ): Promise<{ timeZone: string; staff: Array<{ id: string; name: string; teamIds: string[] }> }> {
    const tenant = tenantId.toHexString();
    const [doc, staff] = await Promise.all([
      this.models.Tenant.findOne({ _id: tenantId }, { timezone: 1 }).lean<Pick<Tenant, 'timezone'>>(),
      this.models.User.find({ tenantId, role: { $in: ['admin', 'manager', 'agent'] }, active: true }, { name: 1, teamIds: 1 }).lean<
        Array<Pick<User, '_id' | 'name' | 'teamIds'>>
      >(),
    ]);
    const context = {
      at: Date.now(),
      checking: false,
      timeZone: doc?.timezone ?? 'UTC',
      staff: staff.map((person) => ({
        id: person._id.toHexString(),
        name: person.name,
        teamIds: (person.teamIds ?? []).map((id) => id.toHexString()),
      })),
    };
    this.contexts.set(tenant, context);
    return context;
  }
}
