import { describe, expect, it } from 'vitest';
import { trimReply } from './reply-trim.ts';
import { REPLY_MARKER } from './templates.ts';

describe('trimReply', () => {
  it.each([
    ['our reply marker', `Works now, thanks.\n\n${REPLY_MARKER}\n\nHello Alice, …`, 'Works now, thanks.'],
    [
      'Gmail / Apple quote header',
      'Yes please.\n\nOn Tue, 2 Dec 2026 at 09:12, Support <support+acme@mail.test> wrote:\n> Shall we?',
      'Yes please.',
    ],
    [
      'a quote header wrapped over two lines',
      'Sure.\n\nOn Tue, 2 Dec 2026 at 09:12, A Very Long Support Team Name\n<support+acme@mail.test> wrote:\n> Shall we?',
      'Sure.',
    ],
    ['a German client', 'Danke!\n\nAm 02.12.2026 um 09:12 schrieb Support <support@x.test>:\n> Hallo', 'Danke!'],
    [
      'an Outlook header block',
      'See below.\n\nFrom: Support <support@x.test>\nSent: Tuesday, December 2, 2026 9:12 AM\nTo: Alice\nSubject: RE: Printer',
      'See below.',
    ],
    ['an Outlook separator', 'Fine.\n________________________________\nFrom: Support', 'Fine.'],
    ['the signature delimiter', 'Call me.\n\n-- \nAlice\n+41 00 000 00 00', 'Call me.'],
    ['a phone signature', 'On my way.\n\nSent from my iPhone', 'On my way.'],
    ['interleaved quotes', '> Which model?\nThe X200.\n> Which tray?\nTray 2.', 'The X200.\nTray 2.'],
    ['Windows line endings', 'Hi\r\n\r\n-- \r\nSig', 'Hi'],
  ])('cuts %s', (_label, input, expected) => {
    expect(trimReply(input)).toBe(expected);
  });

  it('keeps everything when nothing would be left (a bare forward loses nothing)', () => {
    const forward = '---------- Forwarded message ---------\nFrom: Bob\n\nThe original problem';
    expect(trimReply(forward)).toBe(forward);
  });

  it('leaves a plain message alone', () => {
    expect(trimReply('Line one\nLine two\n\nParagraph two')).toBe('Line one\nLine two\n\nParagraph two');
  });
});
