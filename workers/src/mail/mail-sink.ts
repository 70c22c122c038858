import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** A mail the sink received. */
export interface SunkMail {
  envelope: { from: string | null; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** Where it was written, when the sink writes files. */
  file: string | null;
}

/** A running sink. */
export interface MailSink {
  port: number;
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL points at. */
  url: string;
  mails: SunkMail[];
  /** Resolves with the first mail (already received or still to come) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (mail: SunkMail) => boolean, timeoutMs?: number): Promise<SunkMail>;
  close(): Promise<void>;
}

/**
 * An SMTP server on loopback that accepts every mail and keeps it: in memory, and as an
 * `.eml` file per mail when `dir` is given. `npm start` points SMTP_URL at one writing
 * into `.switchboard/dev/mail/`, so developers read what Switchboard sends; tests use it
 * as the receiving end of real SMTP conversations.
 */
export async function startMailSink(options: { port?: number; dir?: string } = {}): Promise<MailSink> {
  const mails: SunkMail[] = [];
  const waiters = new Set<{ match: (mail: SunkMail) => boolean; resolve: (mail: SunkMail) => void }>();
  if (options.dir) fs.mkdirSync(options.dir, { recursive: true });
  let counter = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    logger: false,
    disableReverseLookup: true,
    // Accept any credentials: dev configurations may carry some.
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'sink' });
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        let file: string | null = null;
        if (options.dir) {
          counter += 1;
          file = path.join(options.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(counter).padStart(4, '0')}.eml`);
          fs.writeFileSync(file, raw);
        }
        simpleParser(raw)
          .then((parsed) => {
            const mail: SunkMail = {
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              raw,
              parsed,
              file,
            };
            mails.push(mail);
            for (const waiter of [...waiters]) {
              if (waiter.match(mail)) {
                waiters.delete(waiter);
                waiter.resolve(mail);
              }
            }
            callback();
          })
          .catch((error: unknown) => callback(error as Error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(match, timeoutMs = 15_000) {
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<SunkMail>((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) reject(new Error(`no matching mail within ${timeoutMs} ms (${mails.length} received)`));
        }, timeoutMs).unref();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
