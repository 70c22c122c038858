/**
 * Readers for the deployment files in infra/deploy/, shared by their tests: the compose
 * file, `.env.example`, the Kubernetes manifests and the nginx configuration.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { aiEnvSchema } from '@switchboard/ai/env';
import { apiEnvSchema } from '@switchboard/api/env';
import { describeEnv } from '@switchboard/api/lib/config';
import { realtimeEnvSchema } from '@switchboard/realtime/env';
import { searchEnvSchema } from '@switchboard/search/env';
import { workersEnvSchema } from '@switchboard/workers/env';
import { parse, parseAllDocuments } from 'yaml';
import { processEnvSchema } from '../server/env.ts';
import { repoRoot } from '../services/paths.ts';

/** infra/deploy/ */
export const deployDir = path.join(repoRoot, 'infra', 'deploy');
/** infra/deploy/k8s/ */
export const k8sDir = path.join(deployDir, 'k8s');

/** The env schema of every part of a Switchboard process, by name. */
export const ENV_SCHEMAS = {
  process: processEnvSchema,
  api: apiEnvSchema,
  realtime: realtimeEnvSchema,
  workers: workersEnvSchema,
  search: searchEnvSchema,
  ai: aiEnvSchema,
};

/** Every variable any Switchboard process reads, from the env schemas themselves. */
export function allEnvVars(): Array<{ name: string; description: string }> {
  const byName = new Map<string, { name: string; description: string }>();
  for (const schema of Object.values(ENV_SCHEMAS)) for (const variable of describeEnv(schema)) byName.set(variable.name, variable);
  return [...byName.values()];
}

/** A compose service, as far as the tests look at it. */
export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  env_file?: string | string[];
  restart?: string;
  stop_grace_period?: string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  networks?: string[];
  read_only?: boolean;
}

/** The compose file with YAML merge keys (`<<: *app`) resolved. */
export function loadCompose(): {
  text: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean }>;
} {
  const text = fs.readFileSync(path.join(deployDir, 'docker-compose.yml'), 'utf8');
  return { text, ...(parse(text, { merge: true }) as { services: Record<string, ComposeService> }) };
}

/** One `NAME=value` of `.env.example`; `commented` when it is shown as `# NAME=value` (optional, unset). */
export interface EnvExampleEntry {
  name: string;
  value: string;
  commented: boolean;
  /** The comment lines right above it. */
  description: string;
}

/** Parses infra/deploy/.env.example. */
export function loadEnvExample(): Map<string, EnvExampleEntry> {
  const entries = new Map<string, EnvExampleEntry>();
  let comment: string[] = [];
  for (const line of fs.readFileSync(path.join(deployDir, '.env.example'), 'utf8').split('\n')) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) {
      entries.set(match[2]!, { name: match[2]!, value: match[3]!, commented: !!match[1], description: comment.join(' ') });
      comment = [];
    } else if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
    } else {
      comment = [];
    }
  }
  return entries;
}

/** A Kubernetes object read from a manifest file. */
export interface K8sObject {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Manifest files of infra/deploy/k8s (the kustomization aside). */
export function k8sManifestFiles(): string[] {
  return fs
    .readdirSync(k8sDir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort();
}

/** Every object of every manifest file. */
export function loadK8s(): K8sObject[] {
  return k8sManifestFiles().flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(k8sDir, file), 'utf8'))
      .map((doc) => doc.toJS() as K8sObject | null)
      .filter((object): object is K8sObject => object !== null)
      .map((object) => ({ ...object, file })),
  );
}

/** A directive of an nginx configuration: `name args;` or `name args { children }`. */
export interface NginxDirective {
  name: string;
  args: string[];
  children?: NginxDirective[];
}

/** Parses an nginx configuration into its directive tree (enough for checks; not a validator). */
export function parseNginx(text: string): NginxDirective[] {
  const tokens: string[] = [];
  const pattern = /#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/g;
  for (const match of text.matchAll(pattern)) {
    if (match[0].startsWith('#')) continue;
    tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4]!);
  }
  let index = 0;
  const block = (): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    while (index < tokens.length) {
      if (tokens[index] === '}') {
        index++;
        return directives;
      }
      const words: string[] = [];
      while (index < tokens.length && !['{', ';', '}'].includes(tokens[index]!)) words.push(tokens[index++]!);
      const end = tokens[index++];
      const [name = '', ...args] = words;
      if (end === '{') directives.push({ name, args, children: block() });
      else directives.push({ name, args });
    }
    return directives;
  };
  return block();
}

/** Compose durations (`20s`, `1m30s`, `500ms`) in milliseconds; NaN when unreadable. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return Number.NaN;
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]!]!, 0);
}

/** Runs a validator CLI with a time limit; returns its exit status and output. */
export function runTool(command: string, args: string[], timeoutMs = 120_000): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
  if (result.error) throw new Error(`${path.basename(command)} could not run: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
