import { envTypes, envVar } from '@switchboard/api/lib/config';
import { z } from 'zod';

/** The services one process can run; production runs each as its own process. */
export const SERVICE_NAMES = ['api', 'realtime', 'workers', 'web'] as const;
/** One of {@link SERVICE_NAMES}. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Settings of the process entry itself. */
export const processEnvSchema = z.object({
  NODE_ENV: envVar(z.enum(['development', 'production', 'test']).default('production'), {
    description: 'Runtime mode; `production` turns on secure cookies behind https and hides internals in errors.',
    example: 'production',
  }),
  LOG_LEVEL: envVar(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
    description: 'Minimum level of the JSON logs on stdout.',
    example: 'info',
  }),
  HOST: envVar(z.string().min(1).default('127.0.0.1'), {
    description: 'Interface the HTTP server binds (use 0.0.0.0 in containers).',
    example: '0.0.0.0',
  }),
  PORT: envVar(envTypes.port().default(3000), {
    description: 'Port of the single URL: web pages, /api/v1, /health/*, and /socket.io/ (proxied to the hub).',
    example: '3000',
  }),
  SERVICES: envVar(z.string().default(SERVICE_NAMES.join(',')), {
    description: 'Comma-separated services this process runs (same as --services).',
    example: 'api,realtime',
  }),
  SHUTDOWN_TIMEOUT_MS: envVar(z.coerce.number().int().min(1000).max(60_000).default(10_000), {
    description: 'Longest a graceful shutdown may take before the process exits anyway.',
    example: '10000',
  }),
  HUB_URL: envVar(envTypes.url(['http', 'https']).optional(), {
    description: 'Where /socket.io/ is proxied when this process does not run the hub itself (e.g. api+web here, realtime elsewhere).',
    example: 'http://127.0.0.1:3001',
  }),
  TRUST_PROXY: envVar(envTypes.bool().default(false), {
    description: 'Trust X-Forwarded-For/Proto from a reverse proxy (set behind a load balancer).',
    example: 'true',
  }),
});

/** Validated process settings. */
export type ProcessEnv = z.output<typeof processEnvSchema>;

/** Parses `--services=a,b` (or SERVICES) into a checked list. */
export function parseServices(value: string): ServiceName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `--services: unknown service ${unknown.join(', ') || '(none given)'}; choose from ${SERVICE_NAMES.join(', ')}, e.g. --services=api,realtime`,
    );
  }
  return [...new Set(names)] as ServiceName[];
}
