/**
 * The mails Switchboard sends, as HTML and plain text. Every value from people (names,
 * subjects, message text) is escaped; messages are shown as text, never as their HTML.
 */

/** Replies above this line are kept; the rest (our own quoted mail) is cut when the reply comes in. */
export const REPLY_MARKER = '##- Please type your reply above this line -##';

/** A rendered mail. */
export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Plain text as HTML paragraphs (escaped, line breaks kept). */
function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((para) => `<p style="margin:0 0 12px">${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

function layout(helpdesk: string, body: string, withMarker: boolean): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>' +
    '<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.5;color:#1f2937;margin:0;padding:24px">' +
    (withMarker ? `<div style="color:#9ca3af;font-size:12px;margin-bottom:16px">${escapeHtml(REPLY_MARKER)}</div>` : '') +
    `<div style="max-width:640px">${body}</div>` +
    `<hr style="border:none;border-top:1px solid #e5e7eb;margin:24px 0"><div style="color:#6b7280;font-size:12px">${escapeHtml(helpdesk)} · sent by Switchboard</div>` +
    '</body></html>'
  );
}

/** The subject token replies are matched by when their headers are lost. */
export function ticketSubject(number: number, subject: string): string {
  return `[#${number}] ${subject}`;
}

/** A ticket as mails mention it. */
export interface MailTicket {
  number: number;
  subject: string;
  url: string;
}

/** One notification inside a mail. */
export interface MailItem {
  kind: 'reply' | 'assignment' | 'mention' | 'slaEscalation' | 'csat';
  title: string;
  text: string;
  actorName: string | null;
}

const HEADLINE: Record<MailItem['kind'], string> = {
  reply: 'New reply',
  assignment: 'Assigned to you',
  mention: 'You were mentioned',
  slaEscalation: 'SLA escalation',
  csat: 'How did we do?',
};

/**
 * A notification mail about one ticket: one item, or a digest of a burst. Replies to the
 * customer read as the conversation ("Re: [#12] Printer"); staff mails say what happened.
 */
export function renderNotification(input: {
  helpdesk: string;
  recipientName: string;
  ticket: MailTicket;
  items: MailItem[];
  audience: 'customer' | 'staff';
}): RenderedMail {
  const { ticket, items } = input;
  const first = items[0]!;
  const subject =
    items.length > 1
      ? `${ticketSubject(ticket.number, ticket.subject)} (${items.length} updates)`
      : first.kind === 'reply'
        ? `Re: ${ticketSubject(ticket.number, ticket.subject)}`
        : `${ticketSubject(ticket.number, ticket.subject)}: ${HEADLINE[first.kind]}`;
  const htmlItems = items
    .map(
      (item) =>
        `<div style="margin:0 0 20px"><div style="font-weight:600;margin-bottom:4px">${escapeHtml(item.actorName ? `${item.actorName} · ${item.title}` : item.title)}</div>${paragraphs(item.text)}</div>`,
    )
    .join('');
  const textItems = items
    .map((item) => `${item.actorName ? `${item.actorName} · ${item.title}` : item.title}\n\n${item.text}`)
    .join('\n\n---\n\n');
  const greeting = `Hello ${input.recipientName},`;
  const link = input.audience === 'customer' ? 'View the conversation' : 'Open the ticket';
  return {
    subject,
    html: layout(
      input.helpdesk,
      `<p style="margin:0 0 16px">${escapeHtml(greeting)}</p>${htmlItems}<p style="margin:16px 0 0"><a href="${escapeHtml(ticket.url)}">${link} #${ticket.number}</a></p>`,
      true,
    ),
    text: `${REPLY_MARKER}\n\n${greeting}\n\n${textItems}\n\n${link}: ${ticket.url}\n\n-- \n${input.helpdesk}`,
  };
}

/** The satisfaction survey: one link per score (a click records it). */
export function renderCsat(input: {
  helpdesk: string;
  recipientName: string;
  ticket: MailTicket;
  links: Array<{ score: number; label: string; url: string }>;
}): RenderedMail {
  const buttons = input.links
    .map(
      (l) =>
        `<a href="${escapeHtml(l.url)}" style="display:inline-block;margin:0 6px 6px 0;padding:8px 12px;border:1px solid #d1d5db;border-radius:6px;color:#111827;text-decoration:none">${l.score} · ${escapeHtml(l.label)}</a>`,
    )
    .join('');
  const question = `How satisfied are you with how we handled ticket #${input.ticket.number} (“${input.ticket.subject}”)?`;
  return {
    subject: `${ticketSubject(input.ticket.number, input.ticket.subject)}: How did we do?`,
    html: layout(
      input.helpdesk,
      `<p>Hello ${escapeHtml(input.recipientName)},</p><p>${escapeHtml(question)}</p><p>${buttons}</p><p style="color:#6b7280;font-size:13px">One click is enough; you can change your answer later.</p>`,
      false,
    ),
    text: `Hello ${input.recipientName},\n\n${question}\n\n${input.links.map((l) => `${l.score} (${l.label}): ${l.url}`).join('\n')}\n\nOne click is enough; you can change your answer later.\n\n-- \n${input.helpdesk}`,
  };
}

/** A password reset link. */
export function renderPasswordReset(input: { helpdesk: string; recipientName: string; url: string }): RenderedMail {
  const lead = 'Someone (hopefully you) asked to reset your password. The link works once, for one hour.';
  return {
    subject: `${input.helpdesk}: reset your password`,
    html: layout(
      input.helpdesk,
      `<p>Hello ${escapeHtml(input.recipientName)},</p><p>${escapeHtml(lead)}</p><p><a href="${escapeHtml(input.url)}">Choose a new password</a></p><p style="color:#6b7280;font-size:13px">If you did not ask for this, ignore this mail: nothing changes.</p>`,
      false,
    ),
    text: `Hello ${input.recipientName},\n\n${lead}\n\n${input.url}\n\nIf you did not ask for this, ignore this mail: nothing changes.\n\n-- \n${input.helpdesk}`,
  };
}
