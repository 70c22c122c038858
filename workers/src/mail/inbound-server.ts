import type { AddressInfo } from 'node:net';
import type { Domain } from '@switchboard/api/domain';
import type { Logger } from '@switchboard/api/lib/logger';
import type { Types } from 'mongoose';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { QueueRegistry } from '../queues/registry.ts';
import { mailInboundJob } from './mail.jobs.ts';

/** Options of {@link startInboundServer}. */
export interface InboundServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest mail accepted (advertised as SIZE, enforced while reading). */
  maxBytes: number;
  domain: Domain;
  registry: QueueRegistry;
  logger: Logger;
}

/** A running inbound SMTP server. */
export interface InboundServer {
  port: number;
  close(): Promise<void>;
}

/** Recipients per mail (more is a sign of abuse, not of a customer). */
const MAX_RECIPIENTS = 50;

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

/**
 * The SMTP endpoint inbound mail arrives at (smtp-server). Recipients are checked during the
 * conversation (an address that routes to no tenant is refused with 550, so the sender gets a
 * bounce), the size limit is enforced while reading (552), and a mail is acknowledged with 250
 * only after its raw bytes are stored and its job is queued; if that fails the answer is 451
 * and the sending server retries later. Nothing is parsed here.
 */
export async function startInboundServer(options: InboundServerOptions): Promise<InboundServer> {
  const { domain, registry, logger } = options;
  const tenantsOf = new WeakMap<SMTPServerSession, Map<string, Types.ObjectId>>();

  const server = new SMTPServer({
    banner: 'Switchboard inbound mail',
    size: options.maxBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    logger: false,
    disableReverseLookup: true,
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const routed = tenantsOf.get(session) ?? new Map<string, Types.ObjectId>();
      if (routed.size >= MAX_RECIPIENTS) return callback(smtpError('Too many recipients', 452));
      domain.mail
        .resolveRecipient(address.address)
        .then((tenantId) => {
          if (!tenantId) return callback(smtpError(`No helpdesk at ${address.address}`, 550));
          routed.set(address.address.toLowerCase(), tenantId);
          tenantsOf.set(session, routed);
          callback();
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'inbound mail: recipient lookup failed');
          callback(smtpError('Temporary failure, try again later', 451));
        });
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit keep reading (the client must finish its DATA) but keep nothing.
        if (size <= options.maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || size > options.maxBytes) {
          logger.warn({ size, remote: session.remoteAddress }, 'inbound mail refused: too large');
          return callback(smtpError(`Message exceeds the limit of ${options.maxBytes} bytes`, 552));
        }
        const raw = Buffer.concat(chunks);
        const routed = tenantsOf.get(session) ?? new Map<string, Types.ObjectId>();
        const byTenant = new Map<string, { tenantId: Types.ObjectId; recipients: string[] }>();
        for (const [address, tenantId] of routed) {
          const entry = byTenant.get(tenantId.toHexString()) ?? { tenantId, recipients: [] };
          entry.recipients.push(address);
          byTenant.set(tenantId.toHexString(), entry);
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
        // A mail to two helpdesks is one ticket in each.
        Promise.all(
          [...byTenant.values()].map(async ({ tenantId, recipients }) => {
            const inbound = await domain.mail.receive(tenantId, raw, { from, recipients, remoteAddress: session.remoteAddress ?? null });
            const inboundId = inbound._id.toHexString();
            await registry.enqueue(mailInboundJob, { tenantId: tenantId.toHexString(), inboundId }, { jobId: `inbound:${inboundId}` });
            logger.info({ tenantId: tenantId.toHexString(), inboundId, size: raw.length }, 'inbound mail received');
          }),
        )
          .then(() => callback())
          .catch((error: unknown) => {
            logger.error({ err: error }, 'inbound mail: could not store or queue; asking the sender to retry');
            callback(smtpError('Temporary failure, try again later', 451));
          });
      });
      stream.on('error', (error) => {
        logger.warn({ err: error }, 'inbound mail stream failed');
      });
    },
  });
  server.on('error', (error) => logger.warn({ err: error }, 'inbound SMTP server error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  logger.info({ host: options.host, port }, `inbound SMTP listening on ${options.host}:${port}`);
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
