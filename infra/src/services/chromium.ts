import { ProvisionError } from './errors.ts';
import { aptInstall, which } from './system.ts';

/** Where Debian puts Chromium; override with CHROMIUM_PATH. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Returns a Chromium executable for browser tests, installing Debian's package when
 * missing (playwright's own browser download cannot work on our machines).
 */
export function ensureChromium(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): string {
  const wanted = env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  const found = which(wanted) ?? which('chromium');
  if (found) return found;
  if (env.CHROMIUM_PATH)
    throw new ProvisionError(`CHROMIUM_PATH ${env.CHROMIUM_PATH} does not exist`, 'point CHROMIUM_PATH at a Chromium binary or unset it');
  aptInstall(['chromium', 'fonts-liberation'], log);
  const installed = which(DEFAULT_CHROMIUM);
  if (!installed) throw new ProvisionError('chromium still missing after apt-get install', 'run: sudo apt-get install -y chromium');
  return installed;
}

/** Launch flags that keep Chromium quiet on a machine without internet. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
