/**
 * Dependency audit of the production dependencies: `npm audit --omit=dev --json`, judged
 * against an explicit allow-list (infra/security/audit-allowlist.json). Any high or
 * critical advisory that is not allowed, or whose allowance is past its review date, fails.
 *
 * When the registry's audit endpoint cannot be reached (our machines' registry mirror
 * answers 405 to the bulk advisory POST), the audit says so loudly and counts as not
 * performed: it fails only when SWITCHBOARD_AUDIT_REQUIRED=true, which a CI that reaches
 * the public registry should set (see infra/README.md, "Security checks").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../services/paths.ts';

/** Where the allow-list lives. */
export const ALLOWLIST_FILE = path.join(repoRoot, 'infra', 'security', 'audit-allowlist.json');

/** Severities that fail the audit. */
export const BLOCKING = new Set(['high', 'critical']);

const allowlistSchema = z.object({
  $comment: z.string().optional(),
  entries: z.array(
    z
      .object({
        /** GHSA id (`GHSA-xxxx-xxxx-xxxx`) or npm advisory number. */
        id: z.string().regex(/^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|\d+)$/),
        package: z.string().min(1),
        reason: z.string().min(20),
        reviewBy: z.iso.date(),
      })
      .strict(),
  ),
});
/** The allow-list file. */
export type Allowlist = z.infer<typeof allowlistSchema>;

/** Reads and validates the allow-list. */
export function loadAllowlist(file = ALLOWLIST_FILE): Allowlist {
  return allowlistSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** One advisory as npm audit (report version 2) lists it under `vulnerabilities[name].via`. */
interface Advisory {
  source: number;
  name: string;
  title: string;
  url: string;
  severity: string;
}

/** What the audit concluded. */
export type AuditVerdict =
  | { status: 'passed'; findings: Finding[]; allowed: Finding[] }
  | { status: 'failed'; findings: Finding[]; allowed: Finding[]; problems: string[] }
  | { status: 'unavailable'; reason: string };

/** One advisory that affects a production dependency. */
export interface Finding {
  id: string;
  source: number;
  package: string;
  severity: string;
  title: string;
  url: string;
}

/** Judges an `npm audit --json` report against the allow-list on `today` (YYYY-MM-DD). */
export function judgeReport(report: unknown, allowlist: Allowlist, today: string): AuditVerdict {
  const parsed = report as {
    error?: { summary?: string; detail?: string };
    message?: string;
    vulnerabilities?: Record<string, { via: unknown[] }>;
  };
  if (!parsed || typeof parsed !== 'object' || parsed.error || !parsed.vulnerabilities) {
    const reason = parsed?.error?.summary || parsed?.message || 'npm audit returned no report';
    return { status: 'unavailable', reason };
  }
  const findings = new Map<string, Finding>();
  for (const entry of Object.values(parsed.vulnerabilities)) {
    for (const via of entry.via) {
      if (typeof via !== 'object' || via === null) continue;
      const advisory = via as Advisory;
      const id = /GHSA(-[a-z0-9]{4}){3}/i.exec(advisory.url)?.[0] ?? String(advisory.source);
      findings.set(id, {
        id,
        source: advisory.source,
        package: advisory.name,
        severity: advisory.severity,
        title: advisory.title,
        url: advisory.url,
      });
    }
  }
  const problems: string[] = [];
  const allowed: Finding[] = [];
  for (const finding of findings.values()) {
    if (!BLOCKING.has(finding.severity)) continue;
    const entry = allowlist.entries.find((e) => e.id === finding.id || e.id === String(finding.source));
    if (!entry) {
      problems.push(`${finding.severity} ${finding.id} in ${finding.package}: ${finding.title} (${finding.url}) is not in the allow-list`);
    } else if (entry.reviewBy < today) {
      problems.push(`${finding.id} in ${finding.package} was allowed until ${entry.reviewBy}; review it again (${entry.reason})`);
    } else {
      allowed.push(finding);
    }
  }
  const all = [...findings.values()];
  return problems.length > 0 ? { status: 'failed', findings: all, allowed, problems } : { status: 'passed', findings: all, allowed };
}

/** Runs `npm audit --omit=dev --json` in the repository (bounded to two minutes). */
export function runNpmAudit(timeoutMs = 120_000): Promise<unknown> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['audit', '--omit=dev', '--json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => resolve({ error: { summary: `npm could not run: ${error.message}` } }));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal) return resolve({ error: { summary: `npm audit did not finish within ${timeoutMs / 1000} s` } });
      try {
        resolve(JSON.parse(out));
      } catch {
        resolve({ error: { summary: `npm audit exited ${code} without a JSON report: ${err.trim().split('\n').pop() ?? ''}` } });
      }
    });
  });
}

/** True when an unreachable audit endpoint must fail the run (CI that can reach the registry). */
export function auditRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SWITCHBOARD_AUDIT_REQUIRED === 'true';
}

/** The banner printed when the audit could not be performed. */
export function unavailableBanner(reason: string): string {
  const line = '!'.repeat(78);
  return [
    line,
    `!! DEPENDENCY AUDIT NOT PERFORMED: ${reason}`,
    '!! The registry did not answer `npm audit`; no advisory was checked.',
    '!! Set SWITCHBOARD_AUDIT_REQUIRED=true where the registry is reachable to make this fatal.',
    line,
  ].join('\n');
}
