import { describe, expect, it } from 'vitest';
import { looksLikeHtml, normalizeWhitespace, prepareTicketText, stripHtml } from './ticket-text.util.ts';

describe('stripHtml', () => {
  it('drops tags, scripts, styles and comments, and decodes entities', () => {
    const html =
      '<style>p{color:red}</style><p>Hello&nbsp;<b>world</b> &amp; caf&eacute;</p><!-- hidden --><script>alert(1)</script><p>Bye&#33;</p>';
    expect(normalizeWhitespace(stripHtml(html))).toBe('Hello world & café\nBye!');
  });

  it('turns block tags into line breaks', () => {
    expect(normalizeWhitespace(stripHtml('one<br>two<br/>three<div>four</div><ul><li>a</li><li>b</li></ul>'))).toBe(
      'one\ntwo\nthree four\na\nb',
    );
  });
});

describe('looksLikeHtml', () => {
  it('tells markup from plain text with angle brackets', () => {
    expect(looksLikeHtml('<p>hi</p>')).toBe(true);
    expect(looksLikeHtml('Tom &amp; Jerry')).toBe(true);
    expect(looksLikeHtml('if a < b and c > d')).toBe(false);
    expect(looksLikeHtml('price <= 5')).toBe(false);
  });
});

describe('normalizeWhitespace', () => {
  it('collapses spaces and tabs, trims lines and keeps at most one blank line', () => {
    expect(normalizeWhitespace('  a \t  b \r\n\r\n\r\n\n  c\u00a0\u00a0d  ')).toBe('a b\n\nc d');
  });
});

describe('prepareTicketText', () => {
  it('joins subject and body on separate lines', () => {
    expect(prepareTicketText({ subject: ' Refund ', body: 'Charged   twice' })).toEqual({ ok: true, text: 'Refund\nCharged twice' });
  });

  it('does not repeat a subject the body starts with', () => {
    expect(prepareTicketText({ subject: 'Login broken', body: 'Login broken since Monday' })).toEqual({
      ok: true,
      text: 'Login broken since Monday',
    });
  });

  it('accepts a missing subject or body', () => {
    expect(prepareTicketText({ body: 'only body' })).toEqual({ ok: true, text: 'only body' });
    expect(prepareTicketText({ subject: 'only subject', body: null })).toEqual({ ok: true, text: 'only subject' });
  });

  it('strips HTML bodies but leaves plain text with brackets alone', () => {
    expect(prepareTicketText({ body: '<p>Hi <i>there</i></p>' })).toEqual({ ok: true, text: 'Hi there' });
    expect(prepareTicketText({ body: 'a < b' })).toEqual({ ok: true, text: 'a < b' });
  });

  it('reports empty and word-less input instead of failing', () => {
    expect(prepareTicketText({})).toEqual({ ok: false, reason: 'empty' });
    expect(prepareTicketText({ subject: '   ', body: '<p> </p>' })).toEqual({ ok: false, reason: 'empty' });
    expect(prepareTicketText({ body: '🙂🙂🔥 !!! ...' })).toEqual({ ok: false, reason: 'no_words' });
  });

  it('keeps words in any script', () => {
    expect(prepareTicketText({ body: 'Заказ не пришёл' })).toEqual({ ok: true, text: 'Заказ не пришёл' });
    expect(prepareTicketText({ body: '注文が届きません 🙁' })).toMatchObject({ ok: true });
  });

  it('bounds huge input', () => {
    const prepared = prepareTicketText({ subject: 'Big', body: 'word '.repeat(100_000) }, 5_000);
    expect(prepared.ok && prepared.text.length).toBe(5_000);
  });
});
