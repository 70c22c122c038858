import type { DomainEvent } from '@switchboard/api/events/event-types';
import { oid } from '@switchboard/api/lib/ids';
import type { User } from '@switchboard/api/users/user.model';
import { VISITOR_EMAIL_DOMAIN } from '@switchboard/api/widget/widget.service';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startChannelsHarness, TEST_MAIL_DOMAIN, type ChannelsHarness, type TestTenant } from '../testing/channels-harness.ts';
import { notifyEventJob } from './notify.jobs.ts';

describe('notifications by mail', () => {
  let h: ChannelsHarness;
  let desk: TestTenant;
  let agent: User;
  let agent2: User;
  let manager: User;
  let customer: User;

  const openTicket = async (subject: string) =>
    (await h.domain.tickets.create(desk.as(customer), { subject, body: 'Please help', format: 'text' }, 'portal')).ticket.id;
  const mailsTo = (user: User) => h.sink!.mails.filter((m) => m.envelope.to.includes(user.email));
  /** Waits until the notification job of an event has run. */
  const notified = async (event: DomainEvent) => {
    const job = await eventually(
      async () => (await h.registry.queue(notifyEventJob).getJob(`notify:${desk.tenant._id.toHexString()}:${event.seq}`)) ?? undefined,
      {
        what: 'notify job',
      },
    );
    await eventually(async () => ((await job.getState()) === 'completed' ? true : undefined), { what: 'notify job to complete' });
  };
  const immediate = (user: User) =>
    h.domain.notifications.setMine(desk.as(user), {
      email: { reply: true, assignment: true, mention: true, slaEscalation: true, csat: true },
      digest: false,
    });

  beforeAll(async () => {
    h = await startChannelsHarness({ label: 'notify', config: { MAIL_DIGEST_WINDOW_MS: 2_000 } });
    desk = await h.tenant('notify');
    [agent, agent2, manager, customer] = await Promise.all([
      desk.person('agent', 'Grace Agent'),
      desk.person('agent', 'Linus Agent'),
      desk.person('manager', 'Margaret Manager'),
      desk.person('customer', 'Carla Customer'),
    ]);
    await Promise.all([immediate(agent), immediate(agent2), immediate(manager)]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('tells an agent about an assignment, unless they took the ticket themselves', async () => {
    const ticketId = await openTicket('Laptop will not boot');
    await h.domain.tickets.assign(desk.as(desk.admin), oid(ticketId), { assigneeId: agent._id.toHexString() });
    const mail = await h.sink!.waitFor((m) => m.envelope.to.includes(agent.email));
    expect(mail.parsed.subject).toMatch(/^\[#\d+\] Laptop will not boot: Assigned to you$/);
    expect(mail.parsed.text).toContain('Ada Admin · assigned this ticket to you');
    expect(mail.parsed.text).toContain(`http://desk.switchboard.test/app/tickets/${ticketId}`);
    expect([mail.parsed.references].flat()[0]).toBe(`<ticket.${ticketId}@${TEST_MAIL_DOMAIN}>`);

    const before = mailsTo(agent2).length;
    const other = await openTicket('Mouse is slow');
    const { events } = await h.domain.tickets.assign(desk.as(agent2), oid(other), { assigneeId: agent2._id.toHexString() });
    await notified(events.find((e) => e.type === 'ticket.assigned')!);
    expect(await h.domain.models.PendingNotification.countDocuments({ tenantId: desk.tenant._id, userId: agent2._id })).toBe(0);
    expect(mailsTo(agent2).length).toBe(before);
  });

  it('tells agents they were mentioned in an internal note; the customer hears nothing of it', async () => {
    const ticketId = oid(await openTicket('VPN drops'));
    const customerMails = mailsTo(customer).length;
    const { events } = await h.domain.conversation.add(desk.as(agent2), ticketId, {
      kind: 'note',
      body: 'Grace, can you check the firewall logs?',
      format: 'text',
      mentions: [agent._id.toHexString()],
    });
    const mail = await h.sink!.waitFor((m) => m.envelope.to.includes(agent.email) && /You were mentioned/.test(m.parsed.subject ?? ''));
    expect(mail.parsed.text).toContain('Linus Agent · mentioned you in an internal note');
    expect(mail.parsed.text).toContain('Grace, can you check the firewall logs?');
    await notified(events.find((e) => e.type === 'entry.added')!);
    expect(mailsTo(customer).length).toBe(customerMails);
  });

  it('digests a burst of replies to the customer into one mail', async () => {
    const ticketId = oid(await openTicket('Printer jams'));
    await h.domain.conversation.add(desk.as(agent), ticketId, { kind: 'reply', body: 'Which tray?', format: 'text' });
    await h.domain.conversation.add(desk.as(agent2), ticketId, { kind: 'reply', body: 'Also, which model?', format: 'text' });
    const mail = await h.sink!.waitFor((m) => m.envelope.to.includes(customer.email) && /Printer jams/.test(m.parsed.subject ?? ''));
    expect(mail.parsed.subject).toMatch(/^\[#\d+\] Printer jams \(2 updates\)$/);
    expect(mail.parsed.text).toContain('Grace Agent · replied');
    expect(mail.parsed.text).toContain('Which tray?');
    expect(mail.parsed.text).toContain('Linus Agent · replied');
    expect(mail.parsed.text).toContain('Also, which model?');
    expect(mail.parsed.text).toContain(`/t/${desk.tenant.slug}/tickets/${ticketId.toHexString()}`);
    const pending = await h.domain.models.PendingNotification.find({ tenantId: desk.tenant._id, userId: customer._id, ticketId }).lean<
      Array<{ mailId: Types.ObjectId | null }>
    >();
    expect(pending).toHaveLength(2);
    expect(new Set(pending.map((p) => p.mailId?.toHexString())).size).toBe(1);
  });

  it('respects a person who turned a kind of mail off', async () => {
    const quiet = await desk.person('customer', 'Quiet Customer');
    await h.domain.notifications.setMine(desk.as(quiet), {
      email: { reply: false, assignment: true, mention: true, slaEscalation: true, csat: true },
      digest: true,
    });
    const ticketId = oid(
      (await h.domain.tickets.create(desk.as(quiet), { subject: 'Quiet please', body: 'x', format: 'text' }, 'portal')).ticket.id,
    );
    const { events } = await h.domain.conversation.add(desk.as(agent), ticketId, { kind: 'reply', body: 'Done.', format: 'text' });
    await notified(events.find((e) => e.type === 'entry.added')!);
    expect(await h.domain.models.PendingNotification.countDocuments({ tenantId: desk.tenant._id, userId: quiet._id })).toBe(0);
    expect(mailsTo(quiet)).toEqual([]);
  });

  it('escalates an SLA breach to the managers the SLA engine names', async () => {
    const ticketId = oid(await openTicket('Server down'));
    await h.domain.events.append(desk.ctx, [
      {
        type: 'ticket.sla_breached',
        ticketId,
        audience: 'staff',
        data: { key: 'k1', metric: 'first_response', dueAt: '2026-12-01T10:00:00.000Z', notify: [manager._id.toHexString()] },
      },
    ]);
    const mail = await h.sink!.waitFor((m) => m.envelope.to.includes(manager.email));
    expect(mail.parsed.subject).toMatch(/^\[#\d+\] Server down: SLA escalation$/);
    expect(mail.parsed.text).toContain('The first response target was missed (due 2026-12-01T10:00:00.000Z).');
  });

  it('answers an anonymous chat visitor at the address they left, and mails nobody when they left none', async () => {
    /** A visitor of the chat widget: a customer with a placeholder address, and what they typed for an answer. */
    const visitor = async (name: string, contactEmail: string | null) => {
      const tag = new Types.ObjectId().toHexString();
      const user = await desk.person('customer', name, `visitor-${tag}${VISITOR_EMAIL_DOMAIN}`);
      await h.domain.models.WidgetVisitor.create([{ tenantId: desk.tenant._id, visitorId: `v-${tag}`, userId: user._id, contactEmail }]);
      return user;
    };
    const reachable = await visitor('Visitor Left-Address', 'wanda@example.org');
    const silent = await visitor('Visitor No-Address', null);
    const reply = async (who: User, body: string) => {
      const ticketId = oid(
        (await h.domain.tickets.create(desk.as(who), { subject: `Chat with ${who.name}`, body: 'Anyone there?', format: 'text' }, 'widget'))
          .ticket.id,
      );
      const { events } = await h.domain.conversation.add(desk.as(agent), ticketId, { kind: 'reply', body, format: 'text' });
      return events.find((e) => e.type === 'entry.added')!;
    };

    await reply(reachable, 'Sorry we missed you: your order ships tomorrow.');
    const mail = await h.sink!.waitFor((m) => m.envelope.to.includes('wanda@example.org'));
    expect(mail.parsed.text).toContain('your order ships tomorrow');

    const event = await reply(silent, 'Hello? We are here now.');
    await notified(event);
    expect(await h.domain.models.PendingNotification.countDocuments({ tenantId: desk.tenant._id, userId: silent._id })).toBe(0);
    expect(
      await h.domain.models.OutboundMail.countDocuments({
        tenantId: desk.tenant._id,
        to: { $regex: VISITOR_EMAIL_DOMAIN.replace('.', '\\.') },
      }),
    ).toBe(0);
    expect(h.sink!.mails.some((m) => m.envelope.to.some((to) => to.endsWith(VISITOR_EMAIL_DOMAIN)))).toBe(false);
  });

  it('sends a one-click survey after a solve; the answer reaches the managers’ figures', async () => {
    const ticketId = oid(await openTicket('Password expired'));
    await h.domain.tickets.assign(desk.as(agent), ticketId, { assigneeId: agent._id.toHexString() });
    await h.domain.tickets.changeStatus(desk.as(agent), ticketId, 'solved');
    const mail = await h.sink!.waitFor(
      (m) => m.envelope.to.includes(customer.email) && /Password expired: How did we do\?/.test(m.parsed.subject ?? ''),
    );
    const links = [
      ...(mail.parsed.text ?? '').matchAll(/(\d) \([^)]+\): (http:\/\/desk\.switchboard\.test\/csat\/(sbc_[A-Za-z0-9_-]{43})\?score=\d)/g),
    ];
    expect(links.map((l) => Number(l[1]))).toEqual([1, 2, 3, 4, 5]);
    const token = links[0]![3]!;
    expect(new Set(links.map((l) => l[3])).size).toBe(1);

    expect(await h.domain.csat.respondByToken(token, { score: 2 })).toMatchObject({ score: 2, subject: 'Password expired' });
    // A second click changes the answer.
    expect(await h.domain.csat.respondByToken(token, { score: 5, comment: 'Fast!' })).toMatchObject({ score: 5, comment: 'Fast!' });
    const summary = await h.domain.csat.summary(desk.as(manager), {});
    expect(summary).toMatchObject({ responses: 1, average: 5, satisfied: 1, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 1 } });
    expect(summary.byAgent).toEqual([{ agentId: agent._id.toHexString(), name: 'Grace Agent', responses: 1, average: 5 }]);
    await expect(h.domain.csat.summary(desk.as(agent), {})).rejects.toMatchObject({ code: 'forbidden' });
    await expect(h.domain.csat.respondByToken(`sbc_${'x'.repeat(43)}`, { score: 1 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
