import type { OutboundMail } from '@switchboard/api/mail/mail.model';
import nodemailer, { type Transporter } from 'nodemailer';

/** Outgoing mail has nowhere to go: SMTP_URL is not set. */
export class MailerNotConfiguredError extends Error {
  constructor() {
    super('SMTP_URL is not set: the mail stays in the outbox. Set SMTP_URL and retry the job from the queue dashboard.');
    this.name = 'MailerNotConfiguredError';
  }
}

/** Header our outgoing mail carries, so a copy that comes back in is recognised as our own. */
export const LOOP_HEADER = 'X-Switchboard-Loop';

/**
 * Sends outbox mails over SMTP (nodemailer), with the threading headers the outbox
 * computed and headers that keep auto-responders quiet (RFC 3834, Outlook's suppress).
 */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    smtpUrl: string | undefined,
    /** Envelope sender: where bounces go. */
    private readonly envelopeFrom: string,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
  }

  /** True when an SMTP server is configured. */
  get configured(): boolean {
    return this.transport !== null;
  }

  /** Hands one mail to the SMTP server; resolves once it accepted it. */
  async send(mail: OutboundMail, loopTag: string): Promise<{ accepted: string[]; response: string }> {
    if (!this.transport) throw new MailerNotConfiguredError();
    const info = await this.transport.sendMail({
      from: { name: mail.fromName, address: mail.fromAddress },
      ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.messageId}>`,
      ...(mail.inReplyTo ? { inReplyTo: `<${mail.inReplyTo}>` } : {}),
      ...(mail.references.length ? { references: mail.references.map((id) => `<${id}>`) } : {}),
      envelope: { from: this.envelopeFrom, to: mail.to },
      headers: {
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        [LOOP_HEADER]: loopTag,
      },
    });
    return {
      accepted: (info.accepted as Array<string | { address: string }>).map((a) => (typeof a === 'string' ? a : a.address)),
      response: String(info.response),
    };
  }

  /** Closes pooled connections. */
  close(): void {
    this.transport?.close();
  }
}
