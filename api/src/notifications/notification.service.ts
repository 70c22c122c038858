import type { Types } from 'mongoose';
import { actorUserId, type Ctx } from '../context.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../lib/errors.ts';
import type { NotificationKind, NotificationPreference, PendingNotification } from './notification.model.ts';
import type { NotificationPreferencesDto } from './notification.schema.ts';

const DEFAULTS: NotificationPreferencesDto = {
  email: { reply: true, assignment: true, mention: true, slaEscalation: true, csat: true },
  digest: true,
};

/** A notification to hold for mailing. */
export interface NewNotification {
  userId: Types.ObjectId;
  ticketId: Types.ObjectId;
  kind: NotificationKind;
  cause: string;
  title: string;
  text: string;
  actorName: string | null;
}

/** Per-person mail preferences, and the notifications waiting for their mail. */
export class NotificationService {
  constructor(private readonly models: Models) {}

  private me(ctx: Ctx): Types.ObjectId {
    const me = actorUserId(ctx.actor);
    if (!me) throw new AppError('forbidden', 'Only people have notification preferences.');
    return me;
  }

  /** A person's preferences (defaults until they change something). */
  async preferencesOf(tenantId: Types.ObjectId, userId: Types.ObjectId): Promise<NotificationPreferencesDto> {
    const doc = await this.models.NotificationPreference.findOne({ tenantId, userId }).lean<Partial<NotificationPreference>>();
    // Upserted documents carry only the fields ever set: fill in the defaults here.
    return { email: { ...DEFAULTS.email, ...doc?.email }, digest: doc?.digest ?? DEFAULTS.digest };
  }

  /** The caller's preferences. */
  async mine(ctx: Ctx): Promise<NotificationPreferencesDto> {
    return this.preferencesOf(ctx.tenantId, this.me(ctx));
  }

  /** Replaces the caller's preferences. */
  async setMine(ctx: Ctx, input: NotificationPreferencesDto): Promise<NotificationPreferencesDto> {
    const userId = this.me(ctx);
    await this.models.NotificationPreference.updateOne(
      { tenantId: ctx.tenantId, userId },
      { $set: { email: input.email, digest: input.digest } },
      { upsert: true },
    );
    return this.preferencesOf(ctx.tenantId, userId);
  }

  /** Holds a notification for mailing; the same cause for the same person is held once. */
  async hold(tenantId: Types.ObjectId, notification: NewNotification): Promise<{ id: Types.ObjectId; created: boolean }> {
    try {
      const [doc] = await this.models.PendingNotification.create([{ tenantId, ...notification }]);
      return { id: doc!._id, created: true };
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      const existing = await this.models.PendingNotification.findOne(
        { tenantId, userId: notification.userId, kind: notification.kind, cause: notification.cause },
        { _id: 1 },
      ).lean();
      return { id: existing!._id, created: false };
    }
  }

  /** Notifications about a ticket still waiting for a person's mail, oldest first. */
  async waiting(tenantId: Types.ObjectId, userId: Types.ObjectId, ticketId: Types.ObjectId): Promise<PendingNotification[]> {
    return this.models.PendingNotification.find({ tenantId, userId, ticketId, mailId: null })
      .sort({ createdAt: 1, _id: 1 })
      .limit(50)
      .lean<PendingNotification[]>();
  }

  /** Marks notifications as carried by a mail. */
  async mailed(tenantId: Types.ObjectId, ids: Types.ObjectId[], mailId: Types.ObjectId): Promise<void> {
    await this.models.PendingNotification.updateMany({ tenantId, _id: { $in: ids } }, { $set: { mailId } });
  }
}
