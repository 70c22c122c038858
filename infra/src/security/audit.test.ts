import { describe, expect, it } from 'vitest';
import { auditRequired, judgeReport, loadAllowlist, runNpmAudit, unavailableBanner, type Allowlist } from './audit.ts';

/** An `npm audit --json` (report version 2) fragment with one advisory. */
function report(severity: string, ghsa = 'GHSA-abcd-efgh-jkmp', source = 1_099_999) {
  return {
    auditReportVersion: 2,
    vulnerabilities: {
      'left-pad': {
        name: 'left-pad',
        severity,
        via: [
          {
            source,
            name: 'left-pad',
            title: 'Prototype pollution',
            url: `https://github.com/advisories/${ghsa}`,
            severity,
            range: '<1.3.1',
          },
        ],
      },
      'uses-left-pad': { name: 'uses-left-pad', severity, via: ['left-pad'] },
    },
    metadata: { vulnerabilities: { [severity]: 1 } },
  };
}
const none: Allowlist = { entries: [] };
const allowing = (reviewBy: string): Allowlist => ({
  entries: [{ id: 'GHSA-abcd-efgh-jkmp', package: 'left-pad', reason: 'only reachable from a build script we never ship', reviewBy }],
});

describe('dependency audit verdicts', () => {
  it('fails on a high or critical advisory that is not allowed, naming it', () => {
    for (const severity of ['high', 'critical']) {
      const verdict = judgeReport(report(severity), none, '2026-11-22');
      expect(verdict.status).toBe('failed');
      expect(verdict.status === 'failed' && verdict.problems.join('\n')).toMatch(/GHSA-abcd-efgh-jkmp in left-pad/);
    }
  });

  it('lets low and moderate advisories through (reported, not blocking)', () => {
    const verdict = judgeReport(report('moderate'), none, '2026-11-22');
    expect(verdict).toMatchObject({ status: 'passed', findings: [expect.objectContaining({ id: 'GHSA-abcd-efgh-jkmp' })] });
  });

  it('honours an allow-list entry until its review date, then fails again', () => {
    expect(judgeReport(report('critical'), allowing('2026-12-31'), '2026-11-22')).toMatchObject({
      status: 'passed',
      allowed: [expect.anything()],
    });
    const expired = judgeReport(report('critical'), allowing('2026-11-01'), '2026-11-22');
    expect(expired.status === 'failed' && expired.problems[0]).toMatch(/allowed until 2026-11-01/);
  });

  it('matches allow-list entries by npm advisory number too', () => {
    const byNumber: Allowlist = { entries: [{ ...allowing('2027-01-01').entries[0]!, id: '1099999' }] };
    expect(judgeReport(report('high', 'GHSA-abcd-efgh-jkmp', 1_099_999), byNumber, '2026-11-22').status).toBe('passed');
  });

  it('treats an error answer as "not performed", never as a pass', () => {
    const verdict = judgeReport({ error: { summary: '405 Method Not Allowed' } }, none, '2026-11-22');
    expect(verdict).toEqual({ status: 'unavailable', reason: '405 Method Not Allowed' });
    expect(unavailableBanner('405 Method Not Allowed')).toMatch(/DEPENDENCY AUDIT NOT PERFORMED: 405/);
  });

  it('keeps a well-formed allow-list with a reason and a review date per entry', () => {
    const allowlist = loadAllowlist();
    for (const entry of allowlist.entries) expect(entry.reviewBy >= '2026-01-01').toBe(true);
  });
});

describe('dependency audit of the production dependencies (npm audit --omit=dev)', () => {
  it('finds no high or critical advisory outside the allow-list', async () => {
    const verdict = judgeReport(await runNpmAudit(), loadAllowlist(), new Date().toISOString().slice(0, 10));
    if (verdict.status === 'unavailable') {
      console.warn(unavailableBanner(verdict.reason));
      expect(auditRequired(), `SWITCHBOARD_AUDIT_REQUIRED=true and the audit could not run: ${verdict.reason}`).toBe(false);
      return;
    }
    console.log(
      `[audit] ${verdict.findings.length} advisories in production dependencies, ${verdict.allowed.length} allowed by the allow-list`,
    );
    expect(verdict.status === 'failed' ? verdict.problems : []).toEqual([]);
  }, 150_000);
});
