import { createHash } from 'node:crypto';
import { systemCtx } from '@switchboard/api/context';
import type { Domain } from '@switchboard/api/domain';
import { toWire } from '@switchboard/api/events/event-log';
import type { DomainEvent } from '@switchboard/api/events/event-types';
import type { StoredEvent } from '@switchboard/api/events/event.model';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import type { NewNotification } from '@switchboard/api/notifications/notification.service';
import type { Tenant } from '@switchboard/api/tenants/tenant.model';
import type { Ticket } from '@switchboard/api/tickets/ticket.model';
import type { User } from '@switchboard/api/users/user.model';
import type { Redis } from 'ioredis';
import type { Types } from 'mongoose';
import { withLock } from '../lock.ts';
import { enqueueSend } from '../mail/mail.processor.ts';
import { renderCsat, renderNotification, type MailItem } from '../mail/templates.ts';
import type { QueueRegistry } from '../queues/registry.ts';
import { csatSurveyJob, notifyEventJob, notifyFlushJob } from './notify.jobs.ts';

/** What the notification processors need. */
export interface NotifyDeps {
  domain: Domain;
  registry: QueueRegistry;
  redis: Redis;
  logger: Logger;
  /** Notifications about one ticket for one person within this window leave as one mail. */
  digestWindowMs: number;
}

const CSAT_LABELS = ['Very unhappy', 'Unhappy', 'Neutral', 'Happy', 'Very happy'];

/** Whether an event may notify someone by mail (the listener enqueues only those). */
export function notifies(event: DomainEvent): boolean {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'entry.added': {
      const entry = data.entry as { kind?: string; mentions?: string[] } | undefined;
      return entry?.kind === 'reply' || (entry?.kind === 'note' && (entry.mentions?.length ?? 0) > 0);
    }
    case 'ticket.assigned':
      return typeof (data.to as { assigneeId?: unknown } | undefined)?.assigneeId === 'string';
    case 'ticket.sla_breached':
    case 'ticket.sla_warning':
      return Array.isArray(data.notify) && data.notify.length > 0;
    default:
      return false;
  }
}

/** Who gets what for one event. */
async function recipientsOf(domain: Domain, tenantId: Types.ObjectId, event: DomainEvent): Promise<NewNotification[]> {
  if (!event.ticketId) return [];
  const ticketId = oid(event.ticketId);
  const data = event.data as Record<string, unknown>;
  const cause = String(event.seq);
  const actorId = event.actor.id;
  const base = { ticketId, cause, actorName: event.actor.name };
  switch (event.type) {
    case 'entry.added': {
      const entry = data.entry as { kind: string; bodyText: string; authorName: string; mentions: string[] };
      if (entry.kind === 'reply') {
        const ticket = await domain.models.Ticket.findOne({ tenantId, _id: ticketId }, { requesterId: 1 }).lean<
          Pick<Ticket, 'requesterId'>
        >();
        if (!ticket || ticket.requesterId.toHexString() === actorId) return [];
        // An anonymous chat visitor who left no address for an answer cannot be mailed.
        const requester = await domain.models.User.findOne({ tenantId, _id: ticket.requesterId }, { email: 1 }).lean<
          Pick<User, '_id' | 'email'>
        >();
        if (!requester || !(await domain.widget.mailAddressOf(tenantId, requester))) return [];
        return [
          { ...base, userId: ticket.requesterId, kind: 'reply', title: 'replied', text: entry.bodyText, actorName: entry.authorName },
        ];
      }
      return entry.mentions
        .filter((id) => id !== actorId)
        .map((id) => ({
          ...base,
          userId: oid(id),
          kind: 'mention' as const,
          title: 'mentioned you in an internal note',
          text: entry.bodyText,
          actorName: entry.authorName,
        }));
    }
    case 'ticket.assigned': {
      const to = (data.to as { assigneeId: string | null }).assigneeId;
      const from = (data.from as { assigneeId: string | null }).assigneeId;
      if (!to || to === from || to === actorId) return [];
      return [{ ...base, userId: oid(to), kind: 'assignment', title: 'assigned this ticket to you', text: 'The ticket is now yours.' }];
    }
    case 'ticket.sla_breached':
    case 'ticket.sla_warning': {
      const breached = event.type === 'ticket.sla_breached';
      const metric = String(data.metric ?? 'SLA').replace(/_/g, ' ');
      const due = typeof data.dueAt === 'string' ? ` (due ${data.dueAt})` : '';
      const text = breached ? `The ${metric} target was missed${due}.` : `The ${metric} target is close to being missed${due}.`;
      return (data.notify as string[]).map((id) => ({
        ...base,
        userId: oid(id),
        kind: 'slaEscalation' as const,
        title: breached ? 'SLA breached' : 'SLA warning',
        text,
        actorName: null,
      }));
    }
    default:
      return [];
  }
}

/** Links people open from mails: customers to the portal, staff to the console. */
export function ticketUrl(publicUrl: string, tenant: Pick<Tenant, 'slug'>, ticketId: string, customer: boolean): string {
  const base = publicUrl.replace(/\/$/, '');
  return customer ? `${base}/t/${tenant.slug}/tickets/${ticketId}` : `${base}/app/tickets/${ticketId}`;
}

/**
 * Registers the notification processors: events become notifications held per person and
 * ticket (preferences decide, the cause keys them, so a replayed event notifies once); after
 * the digest window whatever waits leaves as one mail, threaded onto the ticket; a solved
 * ticket's requester gets the satisfaction survey.
 */
export function registerNotificationProcessors(deps: NotifyDeps): void {
  const { domain, registry, logger } = deps;

  registry.process(notifyEventJob, async ({ tenantId, seq }) => {
    const tenant = oid(tenantId);
    const stored = await domain.models.Event.findOne({ tenantId: tenant, seq }).lean<StoredEvent>();
    if (!stored) return { skipped: 'no such event' };
    const notifications = await recipientsOf(domain, tenant, toWire(stored));
    let held = 0;
    for (const notification of notifications) {
      const person = await domain.models.User.findOne({ tenantId: tenant, _id: notification.userId }, { active: 1 }).lean<
        Pick<User, 'active'>
      >();
      if (!person?.active) continue;
      const preferences = await domain.notifications.preferencesOf(tenant, notification.userId);
      if (!preferences.email[notification.kind]) continue;
      const { id, created } = await domain.notifications.hold(tenant, notification);
      if (!created) continue;
      held++;
      await registry.enqueue(
        notifyFlushJob,
        { tenantId, userId: notification.userId.toHexString(), ticketId: notification.ticketId.toHexString() },
        { jobId: `notify-flush:${id.toHexString()}`, delayMs: preferences.digest ? deps.digestWindowMs : 0 },
      );
    }
    return { notifications: notifications.length, held };
  });

  registry.process(notifyFlushJob, async ({ tenantId, userId, ticketId }) => {
    const tenant = oid(tenantId);
    const sent = await withLock(deps.redis, `sb:lock:notify:${tenantId}:${userId}:${ticketId}`, async () => {
      const waiting = await domain.notifications.waiting(tenant, oid(userId), oid(ticketId));
      if (waiting.length === 0) return null;
      const [user, ticket, tenantDoc] = await Promise.all([
        domain.models.User.findOne({ tenantId: tenant, _id: oid(userId) }).lean<User>(),
        domain.models.Ticket.findOne({ tenantId: tenant, _id: oid(ticketId) }, { number: 1, subject: 1 }).lean<
          Pick<Ticket, '_id' | 'number' | 'subject'>
        >(),
        domain.models.Tenant.findOne({ _id: tenant }, { name: 1, slug: 1 }).lean<Pick<Tenant, 'name' | 'slug'>>(),
      ]);
      if (!user?.active || !ticket || !tenantDoc) return null;
      const to = await domain.widget.mailAddressOf(tenant, user);
      if (!to) return null;
      const customer = user.role === 'customer';
      const items: MailItem[] = waiting.map((n) => ({ kind: n.kind, title: n.title, text: n.text, actorName: n.actorName }));
      const rendered = renderNotification({
        helpdesk: tenantDoc.name,
        recipientName: user.name,
        ticket: { number: ticket.number, subject: ticket.subject, url: ticketUrl(domain.publicUrl, tenantDoc, ticketId, customer) },
        items,
        audience: customer ? 'customer' : 'staff',
      });
      // The same set of notifications always makes the same mail (a retry finds it).
      const key = `notify:${createHash('sha256')
        .update(waiting.map((n) => n._id.toHexString()).join(','))
        .digest('hex')
        .slice(0, 40)}`;
      const { mail } = await domain.mail.queue(systemCtx(tenant, 'Notifications'), {
        key,
        kind: waiting.length > 1 ? 'digest' : waiting[0]!.kind,
        to,
        ...rendered,
        ticketId: ticket._id,
      });
      await domain.notifications.mailed(
        tenant,
        waiting.map((n) => n._id),
        mail._id,
      );
      await enqueueSend(registry, tenantId, mail._id.toHexString());
      return { mailId: mail._id.toHexString(), items: waiting.length };
    });
    if (sent === undefined) throw new Error(`notifications for ${userId} on ${ticketId} are being mailed by another worker; retrying`);
    return sent ?? { skipped: 'nothing waiting' };
  });

  registry.process(csatSurveyJob, async ({ tenantId, ticketId, seq }) => {
    const tenant = oid(tenantId);
    const key = `csat:${ticketId}:${seq}`;
    const existing = await domain.models.OutboundMail.findOne({ tenantId: tenant, key }, { _id: 1 }).lean<{ _id: Types.ObjectId }>();
    if (existing) {
      await enqueueSend(registry, tenantId, existing._id.toHexString());
      return { skipped: 'already queued' };
    }
    const ticket = await domain.models.Ticket.findOne({ tenantId: tenant, _id: oid(ticketId) }, { requesterId: 1 }).lean<
      Pick<Ticket, 'requesterId'>
    >();
    if (!ticket) return { skipped: 'ticket gone' };
    const preferences = await domain.notifications.preferencesOf(tenant, ticket.requesterId);
    if (!preferences.email.csat) return { skipped: 'requester opted out' };
    const survey = await domain.csat.prepare(tenant, oid(ticketId));
    if (!survey) return { skipped: 'not surveyable (reopened, merged, or no active customer)' };
    const to = await domain.widget.mailAddressOf(tenant, survey.requester);
    if (!to) return { skipped: 'no address to mail (an anonymous chat visitor)' };
    const tenantDoc = await domain.models.Tenant.findOne({ _id: tenant }, { name: 1, slug: 1 }).lean<Pick<Tenant, 'name' | 'slug'>>();
    const base = domain.publicUrl.replace(/\/$/, '');
    const rendered = renderCsat({
      helpdesk: tenantDoc?.name ?? 'Switchboard',
      recipientName: survey.requester.name,
      ticket: {
        number: survey.ticket.number,
        subject: survey.ticket.subject,
        url: ticketUrl(domain.publicUrl, tenantDoc ?? { slug: '' }, ticketId, true),
      },
      links: CSAT_LABELS.map((label, index) => ({ score: index + 1, label, url: `${base}/csat/${survey.token}?score=${index + 1}` })),
    });
    const { mail } = await domain.mail.queue(systemCtx(tenant, 'Satisfaction survey'), {
      key,
      kind: 'csat',
      to,
      ...rendered,
      ticketId: survey.ticket._id,
    });
    await enqueueSend(registry, tenantId, mail._id.toHexString());
    logger.debug({ tenantId, ticketId }, 'satisfaction survey queued');
    return { mailId: mail._id.toHexString() };
  });
}
