import { formatMinor } from '../../domain/money.ts';
import type { RecoveryReportObject } from '../resources.ts';

/** Columns padded to their widest cell; the first column left-aligned, figures right-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
}

/** The recovery report as `rebill report recovery` prints it: amounts in major units of each currency. */
export function recoveryTable(report: RecoveryReportObject): string[] {
  const out = [`recovery of dunning cases opened from ${report.from} to ${report.to} (end excluded)`];
  if (report.data.length === 0) return [...out, 'no dunning cases opened in this range'];
  for (const r of report.data) {
    const m = (n: number) => formatMinor(BigInt(n), r.currency);
    const figures = (name: string, f: Omit<(typeof r.by_decline_category)[number], 'decline_category'>) => [
      name, String(f.cases), m(f.failed_amount), m(f.recovered_amount), f.recovery_rate ?? '-',
      m(f.lost_amount), m(f.in_recovery_amount), m(f.canceled_amount),
    ];
    out.push('', ...table([
      [r.currency.toUpperCase(), 'cases', 'failed', 'recovered', 'rate', 'lost', 'in recovery', 'canceled'],
      figures('all', r), ...r.by_decline_category.map((c) => figures(`${c.decline_category} decline`, c)),
    ]));
    const recovered = (title: string, buckets: { key: string; cases: number; recovered_amount: number }[]) => {
      const rows = buckets.map((b) => [b.key, String(b.cases), m(b.recovered_amount)]);
      if (rows.length) out.push(...table([[title, 'cases', 'recovered'], ...rows]).map((l) => `  ${l}`));
    };
    recovered('recovered by', r.by_attempt.map((b) => ({ ...b, key: b.attempt })));
    recovered('channel before', r.by_channel.map((b) => ({ ...b, key: b.channel })));
  }
  return out;
}
