import { createHash } from 'node:crypto';
import { systemCtx } from '@switchboard/api/context';
import type { AccountNotifier, Domain } from '@switchboard/api/domain';
import type { User } from '@switchboard/api/users/user.model';
import type { QueueRegistry } from '../queues/registry.ts';
import { enqueueSend } from './mail.processor.ts';
import { renderPasswordReset } from './templates.ts';

/**
 * Account mails (password resets) through the outbox, from any process that runs the
 * domain. The reset link is a secret: the outbox blanks the body once the mail is sent,
 * and the job carries only ids.
 */
export class MailAccountNotifier implements AccountNotifier {
  private domain: Domain | null = null;

  constructor(private readonly registry: QueueRegistry) {}

  /** The domain this notifier writes to (it is created before the domain it serves). */
  bind(domain: Domain): void {
    this.domain = domain;
  }

  async passwordReset(user: User, resetUrl: string): Promise<void> {
    if (!this.domain) throw new Error('MailAccountNotifier used before bind()');
    const tenant = await this.domain.models.Tenant.findOne({ _id: user.tenantId }, { name: 1 }).lean<{ name: string }>();
    const mail = renderPasswordReset({ helpdesk: tenant?.name ?? 'Switchboard', recipientName: user.name, url: resetUrl });
    const key = `reset:${user._id.toHexString()}:${createHash('sha256').update(resetUrl).digest('hex').slice(0, 32)}`;
    const { mail: queued } = await this.domain.mail.queue(systemCtx(user.tenantId, 'Accounts'), {
      key,
      kind: 'account',
      to: user.email,
      ...mail,
      sensitive: true,
    });
    await enqueueSend(this.registry, user.tenantId.toHexString(), queued._id.toHexString());
  }
}
