/**
 * `npm run provision`: bring up the dev services alone (for `vite dev` or a debugger),
 * print their URLs, and keep them running until Ctrl-C.
 */
import { createLogger } from '@switchboard/api/lib/logger';
import { provision } from '../provision.ts';
import { onShutdownSignal } from '../server/lifecycle.ts';
import { reportFailure, step } from './output.ts';

try {
  const services = await provision({ profile: 'dev', log: step });
  console.log(`\n  MONGODB_URI=${services.mongoBaseUri}/switchboard\n  REDIS_URL=${services.redisUrl}\n  Press Ctrl-C to stop.\n`);
  onShutdownSignal(createLogger({ level: 'info' }), 15_000, () => services.stop());
} catch (error) {
  process.exit(reportFailure(error));
}
