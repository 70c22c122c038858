import type { InboundMail, OutboundMail } from '@switchboard/api/mail/mail.model';
import type { Entry } from '@switchboard/api/conversation/entry.model';
import type { Ticket } from '@switchboard/api/tickets/ticket.model';
import type { User } from '@switchboard/api/users/user.model';
import type { Types } from 'mongoose';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startChannelsHarness, TEST_MAIL_DOMAIN, type ChannelsHarness, type TestTenant } from '../testing/channels-harness.ts';
import type { SunkMail } from './mail-sink.ts';
import { REPLY_MARKER } from './templates.ts';

/** A real 1×1 PNG. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const header = (mail: SunkMail, name: string) => String(mail.parsed.headers.get(name) ?? '');

describe('mail in and out over real SMTP', () => {
  let h: ChannelsHarness;
  let desk: TestTenant;
  let agent: User;
  let client: Transporter;

  /** Sends a mail into our inbound server, the way another mail server would. */
  const send = (options: SendMailOptions) => client.sendMail({ to: desk.supportAddress, ...options });

  /** The inbound record of a mail once its job has run. */
  const processed = (messageId: string) =>
    eventually(
      async () => {
        const inbound = await h.domain.models.InboundMail.findOne({ tenantId: desk.tenant._id, messageId }).lean<InboundMail>();
        return inbound && inbound.status !== 'queued' ? inbound : undefined;
      },
      { what: `inbound mail ${messageId}` },
    );

  const entriesOf = (ticketId: Types.ObjectId | null) =>
    h.domain.models.Entry.find({ tenantId: desk.tenant._id, ticketId }).sort({ _id: 1 }).lean<Entry[]>();

  beforeAll(async () => {
    h = await startChannelsHarness({ label: 'mailflow' });
    desk = await h.tenant('acme');
    agent = await desk.person('agent', 'Grace Agent');
    client = nodemailer.createTransport({ host: '127.0.0.1', port: h.inboundPort, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    client?.close();
    await h?.close();
  });

  it('a new mail opens a ticket, an agent reply reaches the customer threaded, and the answer threads back onto the ticket', async () => {
    await send({
      from: 'Alice Customer <alice@example.test>',
      subject: 'Printer on fire',
      messageId: '<first.alice@example.test>',
      text: 'It is smoking since this morning.\n\n-- \nAlice\nACME Corp, 3rd floor',
      attachments: [{ filename: 'smoke.png', content: PIXEL, contentType: 'image/png' }],
    });
    const inbound = await processed('first.alice@example.test');
    expect(inbound).toMatchObject({ status: 'ticket_created', from: 'alice@example.test', subject: 'Printer on fire' });
    const ticket = (await h.domain.models.Ticket.findOne({ tenantId: desk.tenant._id, _id: inbound.ticketId }).lean<Ticket>())!;
    expect(ticket).toMatchObject({ subject: 'Printer on fire', channel: 'email', status: 'new' });
    const alice = (await h.domain.models.User.findOne({ tenantId: desk.tenant._id, email: 'alice@example.test' }).lean<User>())!;
    expect(alice).toMatchObject({ role: 'customer', name: 'Alice Customer' });
    expect(ticket.requesterId.equals(alice._id)).toBe(true);
    const [first] = await entriesOf(ticket._id);
    expect(first).toMatchObject({ kind: 'message', bodyText: 'It is smoking since this morning.', channel: 'email' });
    expect(first!.attachments).toEqual([expect.objectContaining({ filename: 'smoke.png', contentType: 'image/png' })]);

    // The agent answers in the console: the answer goes out by mail, threaded.
    await h.domain.conversation.add(desk.as(agent), ticket._id, { kind: 'reply', body: 'We are sending someone over.', format: 'text' });
    const reply = await h.sink!.waitFor(
      (m) => m.envelope.to.includes('alice@example.test') && /^Re: \[#\d+\] Printer on fire$/.test(m.parsed.subject ?? ''),
    );
    const root = `<ticket.${ticket._id.toHexString()}@${TEST_MAIL_DOMAIN}>`;
    expect(reply.parsed.subject).toBe(`Re: [#${ticket.number}] Printer on fire`);
    expect(reply.parsed.messageId).toMatch(
      new RegExp(`^<sb\\.[0-9a-f]{24}\\.${desk.tenant.slug}@${TEST_MAIL_DOMAIN.replace(/\./g, '\\.')}>$`),
    );
    expect(reply.parsed.inReplyTo).toBe('<first.alice@example.test>');
    expect([reply.parsed.references].flat()).toEqual([root, '<first.alice@example.test>']);
    expect(reply.parsed.from?.value[0]?.address).toBe(desk.supportAddress);
    expect(reply.parsed.replyTo?.value[0]?.address).toBe(desk.supportAddress);
    expect(header(reply, 'auto-submitted')).toBe('auto-generated');
    expect(reply.parsed.text).toContain(REPLY_MARKER);
    expect(reply.parsed.text).toContain('We are sending someone over.');
    expect(reply.parsed.html).toContain('We are sending someone over.');
    expect(reply.envelope.from).toBe(`switchboard@${TEST_MAIL_DOMAIN}`);

    // Alice answers from her mail client: In-Reply-To/References name our mail.
    await send({
      from: 'Alice Customer <alice@example.test>',
      subject: `Re: ${reply.parsed.subject}`,
      messageId: '<second.alice@example.test>',
      inReplyTo: reply.parsed.messageId!,
      references: [...[reply.parsed.references].flat(), reply.parsed.messageId!].join(' '),
      text: `Thanks, the fire is out!\n\nOn Mon, 1 Dec 2026 at 10:00, ${desk.tenant.name} <${desk.supportAddress}> wrote:\n> ${REPLY_MARKER}\n> We are sending someone over.`,
    });
    const answered = await processed('second.alice@example.test');
    expect(answered).toMatchObject({ status: 'entry_added' });
    expect(answered.ticketId!.equals(ticket._id)).toBe(true);
    const entries = await entriesOf(ticket._id);
    expect(entries.map((e) => [e.kind, e.bodyText])).toEqual([
      ['message', 'It is smoking since this morning.'],
      ['reply', 'We are sending someone over.'],
      ['message', 'Thanks, the fire is out!'],
    ]);

    // Headers lost (a client that drops them): the subject token still finds the ticket.
    await send({
      from: 'alice@example.test',
      subject: `RE: [#${ticket.number}] Printer on fire`,
      messageId: '<third.alice@example.test>',
      text: 'One more thing.',
    });
    const byToken = await processed('third.alice@example.test');
    expect(byToken.status).toBe('entry_added');
    expect(byToken.ticketId!.equals(ticket._id)).toBe(true);

    // The same mail delivered twice counts once.
    await send({ from: 'alice@example.test', subject: 'Re: again', messageId: '<third.alice@example.test>', text: 'One more thing.' });
    const copies = await eventually(async () => {
      const all = await h.domain.models.InboundMail.find({ tenantId: desk.tenant._id, messageId: 'third.alice@example.test' }).lean<
        InboundMail[]
      >();
      return all.length === 2 && all.every((m) => m.status !== 'queued') ? all : undefined;
    });
    expect(copies.map((m) => m.status).sort()).toEqual(['dropped', 'entry_added']);
    expect((await entriesOf(ticket._id)).length).toBe(4);
  });

  it('a reply naming a ticket the sender may not see opens a ticket of their own', async () => {
    const ticket = (await h.domain.models.Ticket.findOne({ tenantId: desk.tenant._id, subject: 'Printer on fire' }).lean<Ticket>())!;
    await send({
      from: 'mallory@example.test',
      subject: `Re: [#${ticket.number}] Printer on fire`,
      messageId: '<m1.mallory@example.test>',
      text: 'Let me in',
    });
    const inbound = await processed('m1.mallory@example.test');
    expect(inbound.status).toBe('ticket_created');
    expect(inbound.ticketId!.equals(ticket._id)).toBe(false);
    expect((await entriesOf(ticket._id)).some((e) => e.bodyText.includes('Let me in'))).toBe(false);
  });

  it('staff answering by mail add an internal note, never a public reply', async () => {
    const ticket = (await h.domain.models.Ticket.findOne({ tenantId: desk.tenant._id, subject: 'Printer on fire' }).lean<Ticket>())!;
    await send({
      from: agent.email,
      subject: `Re: [#${ticket.number}] Printer on fire`,
      messageId: '<note.agent@example.test>',
      text: 'Checked the wiring.',
    });
    expect((await processed('note.agent@example.test')).status).toBe('entry_added');
    expect((await entriesOf(ticket._id)).at(-1)).toMatchObject({ kind: 'note', bodyText: 'Checked the wiring.' });
  });

  it('drops auto-replies, bounces and our own mail coming back, and keeps them', async () => {
    const cases: Array<[SendMailOptions, RegExp]> = [
      [
        { from: 'alice@example.test', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' }, text: 'I am away' },
        /Auto-Submitted/,
      ],
      [{ from: 'alice@example.test', subject: 'Hi', headers: { Precedence: 'bulk' }, text: 'Newsletter' }, /Precedence/],
      [{ from: 'alice@example.test', subject: 'Re: [#1] x', headers: { 'X-Switchboard-Loop': TEST_MAIL_DOMAIN }, text: 'loop' }, /loop/],
      [{ from: 'MAILER-DAEMON@mx.example.test', subject: 'Undelivered Mail Returned to Sender', text: 'bounce' }, /bounce/],
      [{ from: desk.supportAddress, subject: 'Hello', text: 'ourselves' }, /own addresses/],
    ];
    for (const [index, [options, reason]] of cases.entries()) {
      const messageId = `auto${index}@example.test`;
      await send({ ...options, messageId: `<${messageId}>` });
      const inbound = await processed(messageId);
      expect(inbound.status, messageId).toBe('dropped');
      expect(inbound.reason, messageId).toMatch(reason);
      expect(inbound.ticketId).toBeNull();
      const { raw } = await h.domain.mail.raw(desk.tenant._id, inbound._id);
      expect(raw.toString('utf8')).toContain(`<${messageId}>`);
    }
  });

  it('a closed helpdesk drops mail from unknown senders but takes mail from people it knows', async () => {
    const closed = await h.tenant('closed');
    const known = await closed.person('customer', 'Known Customer', 'known@example.test');
    await h.domain.mail.updateSettings(closed.as(closed.admin), { acceptUnknownSenders: false });
    await client.sendMail({
      to: closed.supportAddress,
      from: 'stranger@example.test',
      subject: 'Hi',
      messageId: '<s1@example.test>',
      text: 'Who are you?',
    });
    await client.sendMail({
      to: closed.supportAddress,
      from: known.email,
      subject: 'Help',
      messageId: '<k1@example.test>',
      text: 'It is me.',
    });
    const byId = (messageId: string) =>
      eventually(async () => {
        const inbound = await h.domain.models.InboundMail.findOne({ tenantId: closed.tenant._id, messageId }).lean<InboundMail>();
        return inbound && inbound.status !== 'queued' ? inbound : undefined;
      });
    expect(await byId('s1@example.test')).toMatchObject({ status: 'dropped', reason: expect.stringMatching(/unknown sender/) });
    expect(await byId('k1@example.test')).toMatchObject({ status: 'ticket_created' });
    expect(await h.domain.models.User.exists({ tenantId: closed.tenant._id, email: 'stranger@example.test' })).toBeNull();
  });

  it('refuses unknown recipients and oversized mail during the SMTP conversation, storing nothing', async () => {
    const before = await h.domain.models.InboundMail.countDocuments({ tenantId: desk.tenant._id });
    await expect(
      client.sendMail({ to: `support+nobody@${TEST_MAIL_DOMAIN}`, from: 'alice@example.test', subject: 'x', text: 'x' }),
    ).rejects.toMatchObject({
      responseCode: 550,
    });
    await expect(
      client.sendMail({ to: 'someone@elsewhere.test', from: 'alice@example.test', subject: 'x', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 550 });
    await expect(
      send({
        from: 'alice@example.test',
        subject: 'Huge',
        text: 'x',
        attachments: [{ filename: 'big.bin', content: Buffer.alloc(6 * 1024 * 1024, 7) }],
      }),
    ).rejects.toMatchObject({
      responseCode: 552,
    });
    expect(await h.domain.models.InboundMail.countDocuments({ tenantId: desk.tenant._id })).toBe(before);
  });

  it('HTML mail with scripts becomes plain text; nothing of the script survives', async () => {
    await send({
      from: 'bob@example.test',
      subject: 'Look at this',
      messageId: '<html1@example.test>',
      html: '<html><head><script>alert("pwned")</script><style>p{color:red}</style></head><body><p>Hello <b>there</b></p><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">click</a></body></html>',
    });
    const inbound = await processed('html1@example.test');
    expect(inbound.status).toBe('ticket_created');
    const [entry] = await entriesOf(inbound.ticketId);
    expect(entry!.bodyText).toContain('Hello there');
    for (const body of [entry!.bodyHtml, entry!.bodyText]) {
      expect(body).not.toMatch(/<script|onerror|javascript:|alert\(/i);
    }
  });

  it('malformed MIME is handled without losing the mail', async () => {
    const raw = [
      'From: Carol <carol@example.test>',
      `To: ${desk.supportAddress}`,
      'Subject: =?broken?Q?encoded?= subject',
      'Message-ID: <broken1@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="BOUNDARY"',
      '',
      '--BOUNDARY',
      'Content-Type: text/plain; charset=no-such-charset',
      'Content-Transfer-Encoding: base64',
      '',
      'V2UgbmVlZCBoZWxw!!!not base64 at all',
      '--BOUNDARY',
      'Content-Type: application/octet-stream; name="x.bin"',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '=ZZ=4',
      '(no closing boundary)',
      '',
    ].join('\r\n');
    await client.sendMail({ envelope: { from: 'carol@example.test', to: [desk.supportAddress] }, raw });
    const inbound = await processed('broken1@example.test');
    expect(inbound.status, inbound.reason ?? '').toBe('ticket_created');
    const [entry] = await entriesOf(inbound.ticketId);
    expect(entry!.bodyText).toContain('need help');
    const { raw: kept } = await h.domain.mail.raw(desk.tenant._id, inbound._id);
    expect(kept.toString('utf8')).toContain('(no closing boundary)');
  });

  it('a second worker on the same host runs on without the SMTP port the first one holds', async () => {
    const second = await startChannelsHarness({ label: 'mailflow2', noSmtp: true, config: { SMTP_INBOUND_PORT: h.inboundPort } });
    try {
      expect(second.channels.inboundPort).toBeNull();
    } finally {
      await second.close();
    }
  });

  it('sends password resets through the outbox and blanks the secret once sent', async () => {
    const customer = await desk.person('customer', 'Reset Me', 'reset-me@example.test');
    const url = 'http://desk.switchboard.test/reset?token=secret-token-123';
    await h.domain.notifier.passwordReset(customer, url);
    const mail = await h.sink!.waitFor((m) => m.envelope.to.includes('reset-me@example.test'));
    expect(mail.parsed.text).toContain(url);
    const stored = await eventually(async () => {
      const doc = await h.domain.models.OutboundMail.findOne({
        tenantId: desk.tenant._id,
        to: 'reset-me@example.test',
      }).lean<OutboundMail>();
      return doc?.status === 'sent' ? doc : undefined;
    });
    expect(stored.text).toBe('');
    expect(stored.html).toBe('');
    expect(JSON.stringify(stored)).not.toContain('secret-token-123');
  });
});
