import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration, ProgressBar, progressLine } from './progress.ts';

describe('progress line', () => {
  it('formats durations the way people read them', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
  });

  it('estimates the time left from the average rate so far', () => {
    expect(etaSeconds(0, 100, 5_000)).toBeNull();
    expect(etaSeconds(25, 100, 5_000)).toBe(15);
    expect(etaSeconds(100, 100, 5_000)).toBe(0);
    expect(etaSeconds(120, 100, 5_000)).toBe(0);
  });

  it('draws bar, percentage, counts, rate and ETA', () => {
    expect(progressLine({ label: 'reindex', done: 2_500, total: 10_000, elapsedMs: 10_000 }, 20)).toBe(
      'reindex [#####---------------]  25% 2,500/10,000 · 250/s · ETA 30s',
    );
    expect(progressLine({ label: 'reindex', done: 10_000, total: 10_000, elapsedMs: 40_000 }, 10)).toBe(
      'reindex [##########] 100% 10,000/10,000 · 250/s · done',
    );
    expect(progressLine({ label: 'empty', done: 0, total: 0, elapsedMs: 0 }, 4)).toBe('empty [####] 100% 0/0 · 0/s · done');
  });

  it('prints a line at the start and at each tenth of the way when the output is not a terminal', () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (out as unknown as PassThrough).on('data', (chunk: Buffer) => (text += chunk.toString()));
    const bar = new ProgressBar(out, 'reindex', 100);
    for (let done = 1; done <= 100; done++) bar.update(done);
    bar.log('tenant a: 100 tickets');
    bar.finish('reindexed');
    const lines = text.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('reindex ['))).toHaveLength(11);
    expect(lines).toContain('tenant a: 100 tickets');
    expect(lines.at(-1)).toMatch(/^reindexed \[#+\] 100% 100\/100/);
  });
});
