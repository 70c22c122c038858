import { createHash, randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { Board } from './board.model.ts';

const PREFIX = 'sbb_';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Wall boards and their kiosk tokens. */
export class BoardService {
  constructor(private readonly models: Models) {}

  /** Creates a board; the token is returned once (it goes into the board's URL). */
  async create(ctx: Ctx, input: { name: string; teamIds?: Types.ObjectId[] }): Promise<{ board: Board; token: string }> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers manage boards.');
    const teamIds = input.teamIds ?? [];
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
  }

  /** The board a token opens, or null (unknown, malformed or revoked). */
  async resolveToken(token: unknown): Promise<Board | null> {
    if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length > 100) return null;
    const board = await this.models.Board.findOne({ tokenHash: sha256(token) })
      .setOptions({ crossTenant: true })
      .lean<Board>();
    return board && !board.revokedAt ? board : null;
  }
}
