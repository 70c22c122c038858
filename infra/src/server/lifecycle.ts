import type { Logger } from '@switchboard/api/lib/logger';

/**
 * Runs `shutdown` once on SIGTERM/SIGINT and exits 0 when it finishes, or 1 if it takes
 * longer than `timeoutMs` (a stuck drain must not keep a pod Terminating forever).
 * A second Ctrl-C exits at once.
 */
export function onShutdownSignal(logger: Logger, timeoutMs: number, shutdown: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs }, 'shutting down gracefully');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    shutdown().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
