/**
 * The process entry: `tsx infra/src/main.ts --services=api,realtime,workers,web`.
 * Production runs one service per process (each scales on its own); the default runs
 * all of them behind one port. Services and pools come from the environment only.
 */
import { ConfigError, parseEnv } from '@switchboard/api/lib/config';
import { createLogger } from '@switchboard/api/lib/logger';
import { parseServices, processEnvSchema } from './server/env.ts';
import { onShutdownSignal } from './server/lifecycle.ts';
import { startServer } from './server/server.ts';

const flag = process.argv.find((arg) => arg.startsWith('--services='));
try {
  const processEnv = parseEnv(processEnvSchema, process.env);
  const services = parseServices(flag ? flag.slice('--services='.length) : processEnv.SERVICES);
  const logger = createLogger({ level: processEnv.LOG_LEVEL });
  const server = await startServer({ services, env: process.env, logger });
  onShutdownSignal(logger, processEnv.SHUTDOWN_TIMEOUT_MS, () => server.close());
} catch (error) {
  if (error instanceof ConfigError || (error instanceof Error && error.message.startsWith('--services'))) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
}
