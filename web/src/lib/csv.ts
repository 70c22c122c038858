import type { SlaReportDto } from './types.ts';

/** One CSV field: quoted when it holds a separator, quote or line break; formula starts neutralised for spreadsheets. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows to CSV text (CRLF line ends, as RFC 4180 and spreadsheets expect). */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const percent = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);
const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

/** The manager report as one CSV: a section per table (days, metrics, teams, agents), a blank line between. */
export function reportCsv(report: SlaReportDto): string {
  return [
    toCsv([
      ['day', 'created', 'solved', 'first responses', 'first response median (min)', 'SLA met', 'SLA breached', 'attainment %'],
      ...report.days.map((d) => [
        d.day,
        d.created,
        d.solved,
        d.firstResponses,
        round(d.firstResponseMedianMinutes),
        d.met,
        d.breached,
        percent(d.attainment),
      ]),
    ]),
    toCsv([
      ['metric', 'met', 'breached', 'attainment %'],
      ...report.byMetric.map((m) => [m.metric, m.met, m.breached, percent(m.attainment)]),
    ]),
    toCsv([['team', 'met', 'breached', 'attainment %'], ...report.byTeam.map((t) => [t.name, t.met, t.breached, percent(t.attainment)])]),
    toCsv([['agent', 'met', 'breached', 'attainment %'], ...report.byAgent.map((a) => [a.name, a.met, a.breached, percent(a.attainment)])]),
  ].join('\r\n');
}
