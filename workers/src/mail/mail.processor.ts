import { createHash } from 'node:crypto';
import type { Domain } from '@switchboard/api/domain';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import type Bull from 'bull';
import type { Redis } from 'ioredis';
import type { QueueRegistry } from '../queues/registry.ts';
import { parseInbound } from './inbound-parse.ts';
import { mailInboundJob, mailSendJob } from './mail.jobs.ts';
import { MailerNotConfiguredError, type Mailer } from './mailer.ts';

/** Mails from one sender to one helpdesk within 10 minutes beyond which we assume a loop. */
export const SENDER_BURST_LIMIT = 20;
const SENDER_BURST_WINDOW_S = 600;

/** What the mail processors need. */
export interface MailProcessorDeps {
  domain: Domain;
  registry: QueueRegistry;
  redis: Redis;
  mailer: Mailer;
  logger: Logger;
}

/** True when this run of a job is its last attempt. */
export function isLastAttempt(job: Bull.Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Queues delivery of an outbox mail (idempotent per mail). */
export function enqueueSend(registry: QueueRegistry, tenantId: string, mailId: string): Promise<unknown> {
  return registry.enqueue(mailSendJob, { tenantId, mailId }, { jobId: `mail:${mailId}` });
}

/**
 * Registers the mail processors. Sending: a mail marked sent is never sent again; with no
 * SMTP server configured the job fails at once (no retries) with a reason that says so,
 * and stays in the dead-letter view until someone retries it. Receiving: the raw mail is
 * parsed, checked for loops, and handed to the domain, which records what became of it.
 */
export function registerMailProcessors(deps: MailProcessorDeps): void {
  const { domain, registry, mailer, logger } = deps;

  registry.process(mailSendJob, async ({ tenantId, mailId }, job) => {
    const mail = await domain.mail.outbound(oid(tenantId), oid(mailId));
    if (!mail) return { skipped: 'mail gone' };
    if (mail.status === 'sent') return { skipped: 'already sent' };
    try {
      const result = await mailer.send(mail, domain.mail.domain);
      await domain.mail.markSent(oid(tenantId), oid(mailId), mail.sensitive);
      return { accepted: result.accepted, response: result.response };
    } catch (error) {
      const reason = (error as Error).message;
      const final = error instanceof MailerNotConfiguredError || isLastAttempt(job);
      await domain.mail.markFailed(oid(tenantId), oid(mailId), reason, final);
      if (error instanceof MailerNotConfiguredError) {
        logger.error({ mailId, to: mail.to }, reason);
        await job.discard();
      }
      throw error;
    }
  });

  registry.process(mailInboundJob, async ({ tenantId, inboundId }, job) => {
    try {
      const { inbound, raw } = await domain.mail.raw(oid(tenantId), oid(inboundId));
      const message = await parseInbound(raw, { envelopeFrom: inbound.envelopeFrom, ownDomain: domain.mail.domain });
      if (!message.automated && inbound.status === 'queued') {
        const sender = createHash('sha256').update(message.from.address).digest('hex').slice(0, 32);
        const key = `sb:mail:burst:${tenantId}:${sender}`;
        const count = await deps.redis.incr(key);
        if (count === 1) await deps.redis.expire(key, SENDER_BURST_WINDOW_S);
        if (count > SENDER_BURST_LIMIT)
          message.automated = `more than ${SENDER_BURST_LIMIT} mails from this sender in 10 minutes (mail loop?)`;
      }
      const outcome = await domain.mail.ingest(oid(tenantId), oid(inboundId), message);
      const log = outcome.status === 'dropped' ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ tenantId, inboundId, ...outcome }, `inbound mail ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}`);
      return outcome;
    } catch (error) {
      if (isLastAttempt(job)) await domain.mail.markInboundFailed(oid(tenantId), oid(inboundId), (error as Error).message);
      throw error;
    }
  });
}
