import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Secrets that may pass through request logs are
 * redacted at the source so they never reach a log pipeline.
 */
export function createLogger(options: { level: string; name?: string } & Partial<LoggerOptions>): Logger {
  return pino({
    base: { app: 'switchboard', pid: process.pid, ...(options.name ? { service: options.name } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.token'],
      censor: '[redacted]',
    },
    ...options,
  });
}
