import { escapeRegex } from '../lib/text-query.ts';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Types } from 'mongoose';
import type { AttachmentService } from '../attachments/attachment.service.ts';
import type { Attachment } from '../attachments/attachment.model.ts';
import type { BlobStore } from '../attachments/blob-store.ts';
import { isStaff, systemCtx, type Ctx } from '../context.ts';
import type { ConversationService } from '../conversation/conversation.service.ts';
import type { Leases } from '../db/lease.model.ts';
import type { Models } from '../db/models.ts';
import { authorize, hasRole } from '../lib/authorize.ts';
import { AppError } from '../lib/errors.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { User } from '../users/user.model.ts';
import type { UserService } from '../users/user.service.ts';
import type { InboundMail, MailSettings, OutboundKind, OutboundMail } from './mail.model.ts';
import type { InboundMessage, MailSettingsDto, MailSettingsPatch } from './mail.schema.ts';

/** What an inbound mail became. */
export interface InboundOutcome {
  status: InboundMail['status'];
  reason: string | null;
  ticketId: string | null;
  entryId: string | null;
}

/** A mail to put in the outbox. */
export interface QueuedMail {
  /** Idempotency key: queueing the same key twice returns the first mail. */
  key: string;
  kind: OutboundKind;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Threads the mail onto this ticket's conversation (Message-ID, In-Reply-To, References). */
  ticketId?: Types.ObjectId | null;
  sensitive?: boolean;
}

/** A tenant slug in a support address: support+<slug>@MAIL_DOMAIN. */
const SUPPORT_ADDRESS = /^support\+([a-z0-9][a-z0-9-]{0,62})@(.+)$/;
/** The subject token of a ticket: [#123]. */
const SUBJECT_TOKEN = /\[#(\d{1,9})\]/;
const REPLY_PREFIX = /^\s*((re|fw|fwd|aw|wg|sv|vs|antw)\s*(\[\d+\])?\s*:\s*)+/i;
/** References kept on an outgoing mail (the root plus the most recent ones). */
const MAX_REFERENCES = 10;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function userCtx(tenantId: Types.ObjectId, user: User): Ctx {
  return {
    tenantId,
    actor: { kind: 'user', userId: user._id, role: user.role, name: user.name, organisationId: user.organisationId ?? null },
  };
}

/**
 * The mail channel: tenant routing of inbound addresses, turning received mail into
 * tickets and entries (threaded by headers, then by the subject token), the outbox every
 * outgoing mail passes through, and the thread records that make replies find their
 * ticket. Parsing MIME and speaking SMTP happen in workers/; this is the domain side.
 */
export class MailService {
  constructor(
    private readonly models: Models,
    private readonly store: BlobStore,
    private readonly users: UserService,
    private readonly tickets: TicketService,
    private readonly conversation: ConversationService,
    private readonly attachments: AttachmentService,
    private readonly leases: Leases,
    /** The domain of support addresses and Message-IDs (MAIL_DOMAIN). */
    readonly domain: string,
  ) {}

  /** The address that always reaches a tenant. */
  supportAddress(tenant: Pick<Tenant, 'slug'>): string {
    return `support+${tenant.slug}@${this.domain}`;
  }

  /** Thread root of a ticket: every mail about it references this id. */
  rootMessageId(ticketId: Types.ObjectId): string {
    return `ticket.${ticketId.toHexString()}@${this.domain}`;
  }

  private async settingsOf(tenantId: Types.ObjectId): Promise<Pick<MailSettings, 'acceptUnknownSenders' | 'inboundAddress' | 'fromName'>> {
    const doc = await this.models.MailSettings.findOne({ tenantId }).lean<Partial<MailSettings>>();
    // Upserted documents carry only the fields ever set: fill in the defaults here.
    return {
      acceptUnknownSenders: doc?.acceptUnknownSenders ?? true,
      inboundAddress: doc?.inboundAddress ?? null,
      fromName: doc?.fromName ?? null,
    };
  }

  private async tenantOf(tenantId: Types.ObjectId): Promise<Tenant> {
    const tenant = await this.models.Tenant.findOne({ _id: tenantId }).lean<Tenant>();
    if (!tenant) throw new AppError('not_found', 'No such tenant.');
    return tenant;
  }

  /** The tenant's mail settings (admins and managers). */
  async getSettings(ctx: Ctx): Promise<MailSettingsDto> {
    authorize(hasRole(ctx.actor, 'admin', 'manager'), 'Only admins and managers see mail settings.');
    const [tenant, settings] = await Promise.all([this.tenantOf(ctx.tenantId), this.settingsOf(ctx.tenantId)]);
    return { supportAddress: this.supportAddress(tenant), ...settings };
  }

  /** Changes the tenant's mail settings (admins). An extra inbound address must not be another tenant's. */
  async updateSettings(ctx: Ctx, patch: MailSettingsPatch): Promise<MailSettingsDto> {
    authorize(hasRole(ctx.actor, 'admin'), 'Only admins change mail settings.');
    if (patch.inboundAddress) {
      if (patch.inboundAddress.endsWith(`@${this.domain}`))
        throw new AppError('validation_failed', `Addresses at ${this.domain} are assigned by Switchboard.`, [
          { path: '/inboundAddress', message: 'reserved domain' },
        ]);
      const taken = await this.models.MailSettings.findOne({ inboundAddress: patch.inboundAddress, tenantId: { $ne: ctx.tenantId } })
        .setOptions({ crossTenant: true })
        .lean();
      if (taken) throw new AppError('conflict', 'That address already routes to another helpdesk.');
    }
    // The upsert takes tenantId from the filter.
    await this.models.MailSettings.updateOne({ tenantId: ctx.tenantId }, { $set: patch }, { upsert: true });
    return this.getSettings(ctx);
  }

  /** The tenant a recipient address routes to, or null (the SMTP server refuses it then). */
  async resolveRecipient(address: string): Promise<Types.ObjectId | null> {
    const normalised = address.trim().toLowerCase();
    const plus = SUPPORT_ADDRESS.exec(normalised);
    if (plus && plus[2] === this.domain) {
      const tenant = await this.models.Tenant.findOne({ slug: plus[1] }, { _id: 1 }).lean<Pick<Tenant, '_id'>>();
      return tenant?._id ?? null;
    }
    const settings = await this.models.MailSettings.findOne({ inboundAddress: normalised })
      .setOptions({ crossTenant: true })
      .lean<MailSettings>();
    return settings?.tenantId ?? null;
  }

  /** Keeps a received mail (raw bytes to the blob store) before anything else happens to it. */
  async receive(
    tenantId: Types.ObjectId,
    raw: Buffer,
    envelope: { from: string | null; recipients: string[]; remoteAddress: string | null },
  ): Promise<InboundMail> {
    const blob = await this.store.put(Readable.from([raw]), {
      tenantId: tenantId.toHexString(),
      contentType: 'message/rfc822',
      filename: 'mail.eml',
    });
    try {
      const [doc] = await this.models.InboundMail.create([
        {
          tenantId,
          blobKey: blob.key,
          size: blob.size,
          envelopeFrom: envelope.from,
          recipients: envelope.recipients,
          remoteAddress: envelope.remoteAddress,
        },
      ]);
      return doc!.toObject<InboundMail>();
    } catch (error) {
      await this.store.delete(blob.key);
      throw error;
    }
  }

  /** The raw bytes of a received mail. */
  async raw(tenantId: Types.ObjectId, inboundId: Types.ObjectId): Promise<{ inbound: InboundMail; raw: Buffer }> {
    const inbound = await this.models.InboundMail.findOne({ tenantId, _id: inboundId }).lean<InboundMail>();
    if (!inbound) throw new AppError('not_found', 'No such inbound mail.');
    const stream = await this.store.open(inbound.blobKey);
    if (!stream) throw new AppError('unavailable', 'The raw mail is missing from storage.');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { inbound, raw: Buffer.concat(chunks) };
  }

  /** Records that a received mail could not be processed (kept for a later retry by hand). */
  async markInboundFailed(tenantId: Types.ObjectId, inboundId: Types.ObjectId, reason: string): Promise<void> {
    await this.models.InboundMail.updateOne(
      { tenantId, _id: inboundId, status: 'queued' },
      { $set: { status: 'failed', reason: reason.slice(0, 500), processedAt: new Date() } },
    );
  }

  /**
   * Turns a parsed mail into a ticket or an entry. Automatic mail (auto-replies, bounces,
   * loops) and, on a closed helpdesk, mail from unknown senders is dropped and recorded. A
   * reply joins the ticket its headers (or its subject token) name, if the sender may see
   * that ticket and it is not closed — a customer's as a message, staff's as an internal
   * note; otherwise the mail opens a new ticket. Idempotent: the Message-ID keys the entry,
   * so a mail delivered or processed twice counts once.
   */
  async ingest(tenantId: Types.ObjectId, inboundId: Types.ObjectId, message: InboundMessage): Promise<InboundOutcome> {
    const ctx = systemCtx(tenantId, 'Mail');
    const inbound = await this.models.InboundMail.findOne({ tenantId, _id: inboundId }).lean<InboundMail>();
    if (!inbound) throw new AppError('not_found', 'No such inbound mail.');
    if (inbound.status !== 'queued' && inbound.status !== 'failed') return this.outcomeOf(inbound);
    const facts = { messageId: message.messageId, from: message.from.address, subject: message.subject.slice(0, 500) };
    if (message.automated) return this.finish(ctx, inbound, { ...facts, status: 'dropped', reason: message.automated });

    const clientKey = `mail:${sha256(message.messageId).slice(0, 40)}`;
    return this.leases.run(tenantId, clientKey, async () => {
      const earlier = await this.models.Entry.findOne({ tenantId, clientKey }, { _id: 1, ticketId: 1 }).lean<{
        _id: Types.ObjectId;
        ticketId: Types.ObjectId;
      }>();
      if (earlier) {
        return this.finish(ctx, inbound, {
          ...facts,
          status: 'dropped',
          reason: `already received (Message-ID <${message.messageId}>)`,
          ticketId: earlier.ticketId,
          entryId: earlier._id,
        });
      }
      const email = message.from.address.trim().toLowerCase();
      let sender = await this.models.User.findOne({ tenantId, email }).lean<User>();
      const settings = await this.settingsOf(tenantId);
      if (!sender && !settings.acceptUnknownSenders)
        return this.finish(ctx, inbound, {
          ...facts,
          status: 'dropped',
          reason: 'unknown sender: this helpdesk only accepts mail from people it knows',
        });
      if (sender && !sender.active) return this.finish(ctx, inbound, { ...facts, status: 'dropped', reason: 'the sender is deactivated' });

      const stored: Attachment[] = [];
      try {
        for (const file of message.attachments) {
          stored.push(
            await this.attachments.ingest(ctx, null, {
              filename: file.filename,
              stream: Readable.from([file.content]),
              source: 'email',
              onBadImage: 'keep',
            }),
          );
        }
        const metas = stored.map((a) => ({ id: a._id.toHexString(), filename: a.filename, contentType: a.contentType, size: a.size }));
        const body = message.text.trim() || (stored.length ? `Attached: ${stored.map((a) => a.filename).join(', ')}` : '(empty message)');

        const thread = sender ? await this.findThread(ctx, message) : null;
        if (thread && sender && thread.status !== 'closed') {
          const asSender = userCtx(tenantId, sender);
          try {
            const added = await this.conversation.add(
              asSender,
              thread._id,
              // Staff mail becomes an internal note: a public answer is a deliberate act in the
              // console, never a side effect of answering a notification (or of a forged From).
              { kind: isStaff(asSender.actor) ? 'note' : 'message', body, format: 'text', clientKey },
              { attachments: metas, channel: 'email' },
            );
            await this.attachments.link(ctx, stored, thread._id, added.entry.id);
            await this.remember(ctx, message.messageId, thread._id, 'in');
            return this.finish(ctx, inbound, {
              ...facts,
              status: 'entry_added',
              reason: null,
              ticketId: thread._id,
              entryId: new Types.ObjectId(added.entry.id),
            });
          } catch (error) {
            // The sender may not see that ticket (a forwarded thread): their mail opens a ticket of their own.
            if (!(error instanceof AppError && (error.code === 'not_found' || error.code === 'forbidden'))) throw error;
          }
        }

        sender ??= await this.users.findOrCreateCustomer(ctx, email, message.from.name ?? undefined);
        const subject = message.subject.replace(REPLY_PREFIX, '').replace(SUBJECT_TOKEN, '').trim().slice(0, 250) || '(no subject)';
        const created = await this.tickets.create(userCtx(tenantId, sender), { subject, body, format: 'text', clientKey }, 'email', {
          attachments: metas,
        });
        const ticketId = new Types.ObjectId(created.ticket.id);
        await this.attachments.link(ctx, stored, ticketId, created.entry.id);
        await this.remember(ctx, message.messageId, ticketId, 'in');
        return this.finish(ctx, inbound, {
          ...facts,
          status: 'ticket_created',
          reason: null,
          ticketId,
          entryId: new Types.ObjectId(created.entry.id),
        });
      } catch (error) {
        await this.attachments.discard(ctx, stored);
        throw error;
      }
    });
  }

  /** The ticket a reply belongs to: by In-Reply-To/References first, then by the subject token. */
  private async findThread(ctx: Ctx, message: InboundMessage): Promise<Ticket | null> {
    for (const id of message.threadIds) {
      const root = new RegExp(`^ticket\\.([0-9a-f]{24})@${escapeRegex(this.domain)}$`).exec(id);
      const ticketId = root
        ? new Types.ObjectId(root[1])
        : (await this.models.MailMessage.findOne({ tenantId: ctx.tenantId, messageId: id }).lean())?.ticketId;
      const ticket = ticketId ? await this.follow(ctx, ticketId) : null;
      if (ticket) return ticket;
    }
    const token = SUBJECT_TOKEN.exec(message.subject);
    if (!token) return null;
    const byNumber = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, number: Number(token[1]) }, { _id: 1 }).lean<
      Pick<Ticket, '_id'>
    >();
    return byNumber ? this.follow(ctx, byNumber._id) : null;
  }

  /** A ticket, or the ticket it was merged into. */
  private async follow(ctx: Ctx, id: Types.ObjectId): Promise<Ticket | null> {
    const ticket = await this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: id }).lean<Ticket>();
    if (ticket?.mergedIntoId) return this.models.Ticket.findOne({ tenantId: ctx.tenantId, _id: ticket.mergedIntoId }).lean<Ticket>();
    return ticket;
  }

  private async remember(ctx: Ctx, messageId: string, ticketId: Types.ObjectId, direction: 'in' | 'out'): Promise<void> {
    try {
      await this.models.MailMessage.create([{ tenantId: ctx.tenantId, messageId, ticketId, direction }]);
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
    }
  }

  private async finish(
    ctx: Ctx,
    inbound: InboundMail,
    result: {
      status: InboundMail['status'];
      reason: string | null;
      messageId: string;
      from: string;
      subject: string;
      ticketId?: Types.ObjectId;
      entryId?: Types.ObjectId;
    },
  ): Promise<InboundOutcome> {
    const updated = await this.models.InboundMail.findOneAndUpdate(
      { tenantId: ctx.tenantId, _id: inbound._id },
      { $set: { ...result, ticketId: result.ticketId ?? null, entryId: result.entryId ?? null, processedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean<InboundMail>();
    return this.outcomeOf(updated!);
  }

  private outcomeOf(inbound: InboundMail): InboundOutcome {
    return {
      status: inbound.status,
      reason: inbound.reason,
      ticketId: inbound.ticketId?.toHexString() ?? null,
      entryId: inbound.entryId?.toHexString() ?? null,
    };
  }

  /**
   * Puts a rendered mail in the outbox, from the tenant's support address (replies come
   * back to it). Mails about a ticket get a fresh Message-ID, In-Reply-To the latest mail of
   * the ticket's thread and References back to its root, so mail clients keep one thread.
   */
  async queue(ctx: Ctx, mail: QueuedMail): Promise<{ mail: OutboundMail; created: boolean }> {
    const existing = await this.models.OutboundMail.findOne({ tenantId: ctx.tenantId, key: mail.key }).lean<OutboundMail>();
    if (existing) return { mail: existing, created: false };
    const [tenant, settings] = await Promise.all([this.tenantOf(ctx.tenantId), this.settingsOf(ctx.tenantId)]);
    const address = this.supportAddress(tenant);
    const id = new Types.ObjectId();
    const messageId = `sb.${id.toHexString()}.${tenant.slug}@${this.domain}`;
    let inReplyTo: string | null = null;
    let references: string[] = [];
    if (mail.ticketId) {
      const recent = await this.models.MailMessage.find({ tenantId: ctx.tenantId, ticketId: mail.ticketId })
        .sort({ createdAt: -1, _id: -1 })
        .limit(MAX_REFERENCES - 1)
        .lean();
      const root = this.rootMessageId(mail.ticketId);
      references = [root, ...recent.map((m) => m.messageId).reverse()];
      inReplyTo = references[references.length - 1]!;
    }
    try {
      const [doc] = await this.models.OutboundMail.create([
        {
          _id: id,
          tenantId: ctx.tenantId,
          key: mail.key,
          kind: mail.kind,
          fromName: settings.fromName ?? tenant.name,
          fromAddress: address,
          replyTo: address,
          to: mail.to,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          messageId,
          inReplyTo,
          references,
          ticketId: mail.ticketId ?? null,
          sensitive: mail.sensitive ?? false,
        },
      ]);
      if (mail.ticketId) await this.remember(ctx, messageId, mail.ticketId, 'out');
      return { mail: doc!.toObject<OutboundMail>(), created: true };
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      const raced = await this.models.OutboundMail.findOne({ tenantId: ctx.tenantId, key: mail.key }).lean<OutboundMail>();
      return { mail: raced!, created: false };
    }
  }

  /** One mail of the outbox. */
  async outbound(tenantId: Types.ObjectId, id: Types.ObjectId): Promise<OutboundMail | null> {
    return this.models.OutboundMail.findOne({ tenantId, _id: id }).lean<OutboundMail>();
  }

  /** Marks a mail delivered to the SMTP server; bodies with secrets are blanked. */
  async markSent(tenantId: Types.ObjectId, id: Types.ObjectId, sensitive: boolean): Promise<void> {
    await this.models.OutboundMail.updateOne(
      { tenantId, _id: id },
      {
        $set: { status: 'sent', sentAt: new Date(), lastError: null, ...(sensitive ? { html: '', text: '' } : {}) },
        $inc: { attempts: 1 },
      },
    );
  }

  /** Records a failed attempt; `final` when no retry follows. */
  async markFailed(tenantId: Types.ObjectId, id: Types.ObjectId, reason: string, final: boolean): Promise<void> {
    await this.models.OutboundMail.updateOne(
      { tenantId, _id: id },
      { $set: { status: final ? 'failed' : 'queued', lastError: reason.slice(0, 1000) }, $inc: { attempts: 1 } },
    );
  }
}
