import { ensureChromium } from '@switchboard/infra/services/chromium';

/** Makes sure browser suites have Debian's Chromium (installed once when missing). */
export default function setup(): void {
  process.env.CHROMIUM_PATH = ensureChromium((line) => console.log(`[chromium] ${line}`));
}
