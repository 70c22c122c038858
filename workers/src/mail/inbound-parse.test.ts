import { describe, expect, it } from 'vitest';
import { parseInbound } from './inbound-parse.ts';

const DOMAIN = 'mail.switchboard.test';

function mail(headers: Record<string, string>, body = 'Hello'): Buffer {
  const lines = Object.entries({
    From: 'Alice <alice@example.test>',
    To: `support+acme@${DOMAIN}`,
    Subject: 'Help',
    'Message-ID': '<m1@example.test>',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}\r\n`);
}

describe('parseInbound', () => {
  it('reads sender, thread ids (nearest first) and the trimmed text', async () => {
    const parsed = await parseInbound(
      mail(
        { 'In-Reply-To': '<b@x.test>', References: '<root@x.test> <a@x.test> <b@x.test>' },
        'Thanks!\r\n\r\nOn Mon, Bob wrote:\r\n> old',
      ),
      { envelopeFrom: 'alice@example.test', ownDomain: DOMAIN },
    );
    expect(parsed).toMatchObject({
      messageId: 'm1@example.test',
      threadIds: ['b@x.test', 'a@x.test', 'root@x.test'],
      from: { address: 'alice@example.test', name: 'Alice' },
      subject: 'Help',
      text: 'Thanks!',
      automated: null,
      attachments: [],
    });
  });

  it.each([
    [{ 'Auto-Submitted': 'auto-replied' }, 'alice@example.test', /Auto-Submitted/],
    [{ 'X-Autoreply': 'yes' }, 'alice@example.test', /automatic reply/],
    [{ Precedence: 'junk' }, 'alice@example.test', /Precedence/],
    [{ 'X-Switchboard-Loop': DOMAIN }, 'alice@example.test', /loop/],
    [{}, '', /empty envelope sender/],
    [{ From: 'MAILER-DAEMON@mx.example.test' }, 'x@example.test', /bounce/],
    [{ 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=x' }, 'alice@example.test', /delivery status/],
    [{ From: `support+other@${DOMAIN}` }, 'x@example.test', /own addresses/],
    [{ Subject: 'Automatic reply: Help' }, 'alice@example.test', /subject/],
    [{ Subject: 'Out of Office: back Monday' }, 'alice@example.test', /subject/],
  ])('recognises machine mail: %o', async (headers, envelopeFrom, reason) => {
    const parsed = await parseInbound(mail(headers), { envelopeFrom, ownDomain: DOMAIN });
    expect(parsed.automated).toMatch(reason);
  });

  it('treats Auto-Submitted: no as a person', async () => {
    expect(
      (await parseInbound(mail({ 'Auto-Submitted': 'no' }), { envelopeFrom: 'alice@example.test', ownDomain: DOMAIN })).automated,
    ).toBeNull();
  });

  it('gives a mail without Message-ID a stable one, and drops mail without any sender', async () => {
    const raw = Buffer.from('To: x@y.test\r\nSubject: anonymous\r\n\r\nhi\r\n');
    const once = await parseInbound(raw, { envelopeFrom: null, ownDomain: DOMAIN });
    const twice = await parseInbound(raw, { envelopeFrom: null, ownDomain: DOMAIN });
    expect(once.messageId).toMatch(new RegExp(`^no-id\\.[0-9a-f]{32}@${DOMAIN.replace(/\./g, '\\.')}$`));
    expect(twice.messageId).toBe(once.messageId);
    expect(once.automated).toBe('no sender address');
  });
});
