import { describe, expect, it } from 'vitest';
import { csvField, reportCsv, toCsv } from './csv.ts';

describe('CSV export', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['-1+1', "'-1+1"],
  ])('quotes %j as %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers as they are and null as an empty field', () => {
    expect(toCsv([['a', 1, null, -2.5]])).toBe('a,1,,-2.5\r\n');
  });

  it('exports every table of the report with percentages', () => {
    const csv = reportCsv({
      from: '2026-11-16',
      to: '2026-11-22',
      timeZone: 'UTC',
      days: [
        {
          day: '2026-11-22',
          created: 3,
          solved: 2,
          firstResponses: 2,
          firstResponseMedianMinutes: 12.34,
          met: 3,
          breached: 1,
          attainment: 0.75,
        },
      ],
      totals: { created: 3, solved: 2, firstResponseMedianMinutes: 12.34, met: 3, breached: 1, attainment: 0.75 },
      byMetric: [{ metric: 'firstResponse', met: 1, breached: 1, attainment: 0.5 }],
      byTeam: [{ teamId: null, name: 'No team, yet', met: 3, breached: 1, attainment: 0.75 }],
      byAgent: [{ agentId: 'a', name: 'Ann', met: 0, breached: 0, attainment: null }],
    });
    expect(csv.split('\r\n')).toEqual([
      'day,created,solved,first responses,first response median (min),SLA met,SLA breached,attainment %',
      '2026-11-22,3,2,2,12.3,3,1,75',
      '',
      'metric,met,breached,attainment %',
      'firstResponse,1,1,50',
      '',
      'team,met,breached,attainment %',
      '"No team, yet",3,1,75',
      '',
      'agent,met,breached,attainment %',
      'Ann,0,0,',
      '',
    ]);
  });
});
