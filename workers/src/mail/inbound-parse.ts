import { createHash } from 'node:crypto';
import type { InboundMessage } from '@switchboard/api/mail/mail.schema';
import { htmlToText, sanitizeRichText } from '@switchboard/api/lib/sanitize';
import { simpleParser, type ParsedMail } from 'mailparser';
import { LOOP_HEADER } from './mailer.ts';
import { trimReply } from './reply-trim.ts';

/** Longest message text kept on an entry (the raw mail keeps everything). */
const MAX_TEXT = 100_000;
/** Attachments kept per mail. */
const MAX_ATTACHMENTS = 20;

const AUTO_SUBJECT =
  /^\s*(auto(matic)?[ -]?(reply|response|antwort)|auto:|out of (the )?office|abwesenheitsnotiz|réponse automatique|respuesta automática|undeliver(ed|able)|delivery status notification|mail delivery failed)/i;
const BOUNCE_SENDER = /^(mailer-daemon|postmaster)@/i;

/** Raw header values by lowercase name (first occurrence), unfolded. */
function headerValues(parsed: ParsedMail): Map<string, string> {
  const values = new Map<string, string>();
  for (const { key, line } of parsed.headerLines) {
    if (values.has(key)) continue;
    const colon = line.indexOf(':');
    values.set(
      key.toLowerCase(),
      line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
  }
  return values;
}

/** Message ids in a header, without angle brackets, in order. */
function messageIds(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return [...text.matchAll(/<([^<>\s]{1,500})>/g)].map((m) => m[1]!.toLowerCase());
}

/**
 * Why a mail was written by a machine (auto-reply, bounce, list mail, our own mail coming
 * back), or null when a person wrote it. Such mail never opens tickets: answering it could
 * start a mail loop.
 */
export function automatedReason(parsed: ParsedMail, envelopeFrom: string | null, ownDomain: string): string | null {
  const headers = headerValues(parsed);
  const from = parsed.from?.value[0]?.address?.toLowerCase() ?? '';
  const autoSubmitted = headers.get('auto-submitted');
  if (autoSubmitted && !/^no\b/i.test(autoSubmitted)) return `automatic mail (Auto-Submitted: ${autoSubmitted.slice(0, 40)})`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) if (headers.has(name)) return `automatic reply (${name})`;
  const precedence = headers.get('precedence')?.toLowerCase();
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence))
    return `bulk or automatic mail (Precedence: ${precedence})`;
  if (headers.has(LOOP_HEADER.toLowerCase())) return 'our own mail came back (mail loop)';
  if (envelopeFrom === '') return 'bounce (empty envelope sender)';
  if (BOUNCE_SENDER.test(from)) return `bounce (from ${from})`;
  if (/^multipart\/report/i.test(headers.get('content-type') ?? '')) return 'delivery status report';
  if (from.endsWith(`@${ownDomain}`)) return 'sent from one of our own addresses (mail loop)';
  if (AUTO_SUBJECT.test(parsed.subject ?? '')) return 'automatic reply (subject)';
  return null;
}

/**
 * Parses a raw mail with mailparser into what the domain needs: sender, thread ids (In-Reply-To
 * first, then References nearest first), subject, the new text (HTML-only mail is sanitised
 * to text; quotes and signatures trimmed), attachments, and whether a machine sent it.
 */
export async function parseInbound(raw: Buffer, options: { envelopeFrom: string | null; ownDomain: string }): Promise<InboundMessage> {
  const parsed = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    maxHtmlLengthToParse: 2 * 1024 * 1024,
  });
  const sender = parsed.from?.value.find((a) => a.address) ?? null;
  const messageId =
    messageIds(parsed.messageId)[0] ?? `no-id.${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@${options.ownDomain}`;
  const threadIds = [...new Set([...messageIds(parsed.inReplyTo), ...messageIds(parsed.references).reverse()])].filter(
    (id) => id !== messageId,
  );
  // Scripts, styles and markup never reach the ticket: HTML-only mail becomes sanitised text.
  const fullText = parsed.text?.trim()
    ? parsed.text
    : typeof parsed.html === 'string'
      ? htmlToText(sanitizeRichText(parsed.html, 'html'))
      : '';
  let text = trimReply(fullText);
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}\n\n(The message was cut here; the full mail is kept.)`;
  const attachments = parsed.attachments.slice(0, MAX_ATTACHMENTS).map((a) => ({ filename: a.filename ?? null, content: a.content }));
  const dropped = parsed.attachments.length - attachments.length;
  if (dropped > 0) text = `${text}\n\n(${dropped} more attachments were not kept; the full mail is.)`;
  const address = (sender?.address ?? options.envelopeFrom ?? '').trim().toLowerCase();
  return {
    messageId,
    threadIds,
    from: { address, name: sender?.name || null },
    subject: (parsed.subject ?? '').trim(),
    text,
    automated: address.includes('@') ? automatedReason(parsed, options.envelopeFrom, options.ownDomain) : 'no sender address',
    attachments,
  };
}
