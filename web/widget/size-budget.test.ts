import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { measure, verdict, WIDGET_BUDGET } from './size-budget.ts';

describe('widget size budget', () => {
  it('measures what is served: gzip that inflates back to the bundle', () => {
    const code = Buffer.from('const answer = 42;\n'.repeat(500));
    const { size, gzip } = measure(code);
    expect(size.raw).toBe(code.length);
    expect(gunzipSync(gzip).equals(code)).toBe(true);
    expect(size.gzip).toBe(gzip.length);
    expect(size.gzip).toBeLessThan(size.raw);
  });

  it('passes under the target, warns between target and limit, fails past the limit', () => {
    const kb = (n: number) => ({ raw: n * 3 * 1024, gzip: n * 1024, brotli: n * 900 });
    expect(verdict(kb(38))).toMatchObject({ ok: true, line: expect.stringContaining('within the 40.0 KB target') });
    expect(verdict(kb(45))).toMatchObject({ ok: true, line: expect.stringContaining('over the 40.0 KB target') });
    expect(verdict(kb(61))).toMatchObject({ ok: false, line: expect.stringContaining('OVER the 60.0 KB limit') });
    expect(WIDGET_BUDGET.limitBytes).toBe(60 * 1024);
  });

  it('fails for incompressible code past the limit', () => {
    const { size } = measure(randomBytes(70 * 1024));
    expect(verdict(size).ok).toBe(false);
  });
});
