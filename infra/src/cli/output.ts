import { ConfigError } from '@switchboard/api/lib/config';
import { ProvisionError } from '../services/errors.ts';

/** Progress lines of the CLIs (humans read these; services log JSON instead). */
export function step(message: string): void {
  console.log(`▸ ${message}`);
}

/** Times an async step and prints how long it took. */
export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  step(`${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

/** Prints a failure the way a person can act on it and returns the exit code. */
export function reportFailure(error: unknown): number {
  if (error instanceof ProvisionError) console.error(error.describe());
  else if (error instanceof ConfigError) console.error(`✖ ${error.message}`);
  else console.error('✖', error);
  return 1;
}
