import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { measure, verdict } from './size-budget.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Served at /widget.js by the process entry (infra/src/server/widget-asset.ts). */
const outDir = path.resolve(here, '../build/widget');

/** Prints the gzipped size after every build, writes the precompressed files, fails past the budget. */
function sizeBudget(): Plugin {
  return {
    name: 'switchboard-widget-size-budget',
    apply: 'build',
    writeBundle() {
      const file = path.join(outDir, 'widget.js');
      const { size, gzip, brotli } = measure(fs.readFileSync(file));
      fs.writeFileSync(`${file}.gz`, gzip);
      fs.writeFileSync(`${file}.br`, brotli);
      const { ok, line } = verdict(size);
      console.log(line);
      if (!ok) this.error(`${line}: make the widget smaller (socket.io-client is already inside)`);
    },
  };
}

/**
 * The embeddable widget: one classic script (IIFE) with Svelte, socket.io-client and the
 * widget's code, built apart from the SvelteKit app (its components compile as custom
 * elements, with styles inside their shadow roots).
 */
export default defineConfig({
  root: here,
  logLevel: 'warn',
  plugins: [svelte({ configFile: path.join(here, 'svelte.config.js'), emitCss: false }), sizeBudget()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    lib: { entry: path.join(here, 'src/main.ts'), formats: ['iife'], name: 'SwitchboardWidget', fileName: () => 'widget.js' },
  },
});
