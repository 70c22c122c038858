import { envTypes, envVar } from '@switchboard/api/lib/config';
import { z } from 'zod';

/** Settings of the worker processes. */
export const workersEnvSchema = z.object({
  REDIS_URL: envVar(envTypes.url(['redis', 'rediss']), {
    description: 'Redis holding the bull queues. `npm start` provisions one when unset.',
    example: 'redis://127.0.0.1:6379',
  }),
  QUEUE_REDIS_URL: envVar(envTypes.url(['redis', 'rediss']).optional(), {
    description:
      'Redis for the bull queues alone, apart from the adapter, presence and rate limits (give it AOF and maxmemory-policy noeviction). Unset: REDIS_URL holds the queues too.',
    example: 'redis://queues.internal:6379',
  }),
  QUEUE_PREFIX: envVar(
    z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/)
      .default('switchboard'),
    {
      description: 'Key prefix of every bull queue in Redis (lets several deployments share one Redis).',
      example: 'switchboard',
    },
  ),
  ROUTING_SWEEP_MS: envVar(z.coerce.number().int().min(500).max(600_000).default(20_000), {
    description:
      'How often workers look for tickets waiting for an agent (agents coming online, lost triggers) and queue classification again for open tickets whose classify job was lost (Redis away when they were created).',
    example: '20000',
  }),
  DISPATCH_SWEEP_MS: envVar(z.coerce.number().int().min(500).max(600_000).default(15_000), {
    description:
      'How often workers queue the jobs of events whose dispatch was cut short (Redis away, or a process died), kept in MongoDB meanwhile.',
    example: '15000',
  }),
  SLA_SWEEP_MS: envVar(z.coerce.number().int().min(500).max(3_600_000).default(60_000), {
    description: 'How often workers repair SLA timers a crash lost and refresh tickets whose SLA trigger was lost.',
    example: '60000',
  }),
  SMTP_URL: envVar(envTypes.url(['smtp', 'smtps']).optional(), {
    description:
      'SMTP server for outgoing mail (nodemailer URL, credentials included). Unset: mails wait in the outbox and their jobs fail with a clear reason in the dead-letter view.',
    example: 'smtps://user:pass@smtp.example.com:465',
  }),
  MAIL_FROM: envVar(z.email().optional(), {
    description: 'Envelope sender (bounces) and sender of account mails. Default: switchboard@MAIL_DOMAIN.',
    example: 'switchboard@mail.help.example.com',
  }),
  SMTP_INBOUND_HOST: envVar(z.string().min(1).default('127.0.0.1'), {
    description: 'Interface the inbound SMTP server binds (put an MTA in front of it on the internet).',
    example: '127.0.0.1',
  }),
  SMTP_INBOUND_PORT: envVar(
    z
      .string()
      .regex(/^(off|\d{1,5})$/, 'a port number, 0 for any free port, or off')
      .default('2525')
      .transform((value) => (value === 'off' ? null : Number(value)))
      .refine((port) => port === null || port <= 65535, 'at most 65535'),
    {
      description: 'Port of the inbound SMTP server in the workers service (`0`: any free port, `off`: no inbound mail).',
      example: '2525',
    },
  ),
  MAIL_MAX_BYTES: envVar(
    z.coerce
      .number()
      .int()
      .min(10_000)
      .max(200 * 1024 * 1024)
      .default(25 * 1024 * 1024),
    {
      description: 'Largest inbound mail accepted, in bytes (bigger ones are refused during the SMTP conversation).',
      example: '26214400',
    },
  ),
  MAIL_DIGEST_WINDOW_MS: envVar(z.coerce.number().int().min(0).max(3_600_000).default(60_000), {
    description: 'Notifications about one ticket for one person within this window leave as one mail.',
    example: '60000',
  }),
  WEBHOOK_ALLOW_PRIVATE: envVar(envTypes.bool().default(false), {
    description: 'Allow webhook deliveries to private, loopback and link-local addresses. Only for tests and closed networks.',
    example: 'false',
  }),
  WEBHOOK_TIMEOUT_MS: envVar(z.coerce.number().int().min(100).max(60_000).default(10_000), {
    description: 'Longest a webhook endpoint may take to answer one delivery.',
    example: '10000',
  }),
  WEBHOOK_MAX_ATTEMPTS: envVar(z.coerce.number().int().min(1).max(20).default(8), {
    description: 'Attempts per webhook delivery (exponential backoff between them).',
    example: '8',
  }),
  WEBHOOK_RETRY_BASE_MS: envVar(z.coerce.number().int().min(10).max(3_600_000).default(30_000), {
    description: 'Wait before the second attempt of a delivery; each further wait doubles.',
    example: '30000',
  }),
  WEBHOOK_DISABLE_AFTER: envVar(z.coerce.number().int().min(1).max(1000).default(25), {
    description: 'Failed attempts in a row after which a webhook is disabled until an admin turns it on again.',
    example: '25',
  }),
  RECURRING_SWEEP_MS: envVar(z.coerce.number().int().min(500).max(3_600_000).default(60_000), {
    description: 'How often workers look for recurring-ticket occurrences that are due.',
    example: '60000',
  }),
  QUEUE_DASHBOARD_TENANTS: envVar(
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((slug) => slug.trim())
          .filter(Boolean),
      ),
    {
      description:
        "Tenants (slugs, comma-separated) whose admins may open the queue dashboard at /api/v1/admin/queues. It shows every tenant's jobs, so only the operators' own.",
      example: 'ops',
    },
  ),
});

/** Validated worker settings. */
export type WorkersEnv = z.output<typeof workersEnvSchema>;

/** The Redis that holds the queues: QUEUE_REDIS_URL when set, else REDIS_URL. */
export function queueRedisUrl(env: Pick<WorkersEnv, 'REDIS_URL' | 'QUEUE_REDIS_URL'>): string {
  return env.QUEUE_REDIS_URL ?? env.REDIS_URL;
}
