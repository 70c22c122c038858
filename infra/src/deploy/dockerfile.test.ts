import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePythonTool } from '../services/python-tools.ts';
import { repoRoot } from '../services/paths.ts';
import { deployDir, runTool } from './manifests.ts';

const dockerfile = path.join(deployDir, 'Dockerfile');
const text = fs.readFileSync(dockerfile, 'utf8');
/** Instructions with continuation lines joined, comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const stages = new Map<string, string[]>();
let current = '';
for (const line of instructions) {
  const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
  if (from) stages.set((current = from[2] ?? from[1]!), []);
  stages.get(current)?.push(line);
}
const runtime = [...stages.values()].at(-1)!;

describe('Dockerfile (infra/deploy/Dockerfile)', () => {
  let hadolint: string;
  beforeAll(async () => {
    hadolint = await ensurePythonTool('hadolint', (line) => console.log(`[deploy] ${line}`));
  }, 600_000);

  it('passes hadolint with the project settings', () => {
    const result = runTool(hadolint, ['--config', path.join(deployDir, 'hadolint.yaml'), '--format', 'tty', '--no-color', dockerfile]);
    expect(result.output.trim(), result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('builds on Node 20 bookworm-slim with npm install (lockfile honoured) and npm run build', () => {
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20(\.\d+)*-bookworm-slim$/m);
    expect(instructions.some((l) => /^RUN npm install --ignore-scripts\b/.test(l))).toBe(true);
    expect(instructions).toContain('RUN npm run build');
  });

  it('copies every workspace manifest before npm install (a missing one breaks the install)', () => {
    const workspaces = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    for (const workspace of workspaces) expect(stages.get('deps'), workspace).toContain(`COPY ${workspace}/package.json ${workspace}/`);
  });

  it('runs the process entry through tsx as a numeric non-root user, with a health check on /health/live', () => {
    expect(runtime.find((l) => l.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["node", "--import", "tsx", "infra/src/main.ts"]');
    const user = runtime.find((l) => l.startsWith('USER'))?.split(/\s+/)[1] ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK'))).toMatch(/\/health\/live/);
    expect(runtime.some((l) => l.startsWith('ENV') && l.includes('HOST=0.0.0.0'))).toBe(true);
  });

  it('keeps tsx in the pruned runtime: it is a production dependency of the process entry', () => {
    const infra = JSON.parse(fs.readFileSync(path.join(repoRoot, 'infra', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(infra.dependencies.tsx).toBeDefined();
    expect(stages.get('prune')?.some((l) => l.includes('npm prune --omit=dev'))).toBe(true);
  });

  it('bakes the model in at build time through our own provisioning code', () => {
    expect(stages.get('model')?.some((l) => l.includes('infra/src/cli/model.ts'))).toBe(true);
    expect(fs.existsSync(path.join(repoRoot, 'infra', 'src', 'cli', 'model.ts'))).toBe(true);
    expect(runtime.some((l) => l.startsWith('COPY --from=model'))).toBe(true);
    expect(runtime.some((l) => l.startsWith('ENV') && l.includes('AI_MODELS_DIR=/opt/switchboard/models'))).toBe(true);
  });
});
