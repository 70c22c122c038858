#!/usr/bin/env node
// The two README commands land here: `npm start` and `npm test` on a fresh clone.
// Plain Node with no dependencies: it checks the runtime, installs packages when they
// are missing or stale, then loads the TypeScript entry through tsx in this process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...rest] = process.argv.slice(2);
const entries = { start: 'infra/src/cli/start.ts', test: 'infra/src/cli/test.ts', provision: 'infra/src/cli/provision.ts' };

const [major, minor] = process.versions.node.split('.').map(Number);
if (!((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22)) {
  console.error(`✖ Node ${process.versions.node} is too old\n  fix: install Node 20.19+ or 22.12+ (https://nodejs.org)`);
  process.exit(1);
}
if (!entries[command]) {
  console.error(`✖ unknown command "${command}"; use one of: ${Object.keys(entries).join(', ')}`);
  process.exit(2);
}

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const stale = !fs.existsSync(installed) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs + 1000);
if (stale) {
  const started = Date.now();
  // `npm install` honours the lockfile; `npm ci` refuses it because the lock cannot list
  // turbo's other-platform binaries (the registry mirror here does not serve them).
  const args = ['install'];
  console.log(`▸ installing dependencies (npm ${args[0]}) …`);
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('✖ npm install failed\n  fix: check access to the npm registry, then run npm install');
    process.exit(1);
  }
  console.log(`▸ dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const { register } = await import(pathToFileURL(path.join(root, 'node_modules/tsx/dist/esm/api/index.mjs')).href);
register();
process.argv = [process.argv[0], path.join(root, entries[command]), ...rest];
await import(pathToFileURL(path.join(root, entries[command])).href);
