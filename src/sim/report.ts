// The figures `rebill simulate dunning` prints per strategy, and its terminal chart. Pure: from
// the outcomes the engine recorded to text. Money stays in bigint minor units until formatted.
import { formatMoney } from '../domain/format-money.ts';
import type { StrategyRun } from './engine.ts';

const DAY = 86_400_000;

export type Figures = {
  strategy: string;
  failed: number;
  recovered: number;
  /** Per currency (lower case), minor units. */
  failedAmount: Map<string, bigint>;
  recoveredAmount: Map<string, bigint>;
  /** Attempts made after the first failure, over every failed renewal. */
  retries: number;
  /** Days from the first failure to the payment, one per recovered renewal, ascending. */
  daysToRecovery: number[];
};

const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v);

export function figuresOf(run: StrategyRun): Figures {
  const f: Figures = { strategy: run.strategy, failed: 0, recovered: 0, failedAmount: new Map(), recoveredAmount: new Map(), retries: 0, daysToRecovery: [] };
  for (const o of run.outcomes) {
    if (!o.failed) continue;
    f.failed++;
    add(f.failedAmount, o.currency, o.amount);
    f.retries += o.attempts - 1;
    if (o.recovered && o.paidAt && o.firstFailureAt) {
      f.recovered++;
      add(f.recoveredAmount, o.currency, o.amount);
      f.daysToRecovery.push((o.paidAt.getTime() - o.firstFailureAt.getTime()) / DAY);
    }
  }
  f.daysToRecovery.sort((a, b) => a - b);
  return f;
}

export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const fixed = (x: number | null, digits: number) => (x === null ? '-' : x.toFixed(digits));
const percent = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
/** Amounts in each of `currencies` (those that failed), a currency with nothing recovered shown as zero. */
const money = (m: Map<string, bigint>, currencies: Iterable<string>) => [...currencies].sort().map((c) => formatMoney(m.get(c) ?? 0n, c)).join(' + ') || '0';

/** One row per strategy: the same columns, so strategies read side by side. */
export function figuresTable(all: readonly Figures[]): string {
  const header = ['strategy', 'failed', 'recovered', 'rate', 'retries/recovery', 'median days', 'mean days', 'failed amount', 'recovered amount'];
  const rows = all.map((f) => [
    f.strategy, String(f.failed), String(f.recovered), percent(f.recovered, f.failed), f.recovered ? (f.retries / f.recovered).toFixed(2) : '-',
    fixed(median(f.daysToRecovery), 1), fixed(mean(f.daysToRecovery), 1), money(f.failedAmount, f.failedAmount.keys()), money(f.recoveredAmount, f.failedAmount.keys()),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Share of failed renewals recovered within d days of their first failure, for d = 0 … days. */
export function cumulativeRecovery(f: Figures, days: number): number[] {
  return Array.from({ length: days + 1 }, (_, d) => (f.failed ? f.daysToRecovery.filter((x) => x <= d).length / f.failed : 0));
}

const MARKS = ['*', 'o', '+', 'x'];

/**
 * Cumulative recovery rate by day since the first failure, one mark per strategy (`#` where they
 * meet), eleven rows from 0 to the highest rate reached rounded up to 10%, a tenth of it each.
 */
export function recoveryChart(all: readonly Figures[], days: number): string {
  const height = 11;
  const curves = all.map((f) => cumulativeRecovery(f, days));
  const top = Math.max(0.1, Math.ceil(Math.max(...curves.flat()) * 10) / 10);
  const grid = Array.from({ length: height }, () => Array.from({ length: days + 1 }, () => ' '));
  curves.forEach((c, s) => c.forEach((y, d) => {
    const row = height - 1 - Math.min(height - 1, Math.round((y / top) * (height - 1)));
    grid[row]![d] = grid[row]![d] === ' ' || grid[row]![d] === MARKS[s] ? MARKS[s]! : '#';
  }));
  const label = (row: number) => `${Math.round(((height - 1 - row) / (height - 1)) * top * 100)}%`.padStart(4);
  const lines = grid.map((cells, row) => `${row % 2 === 0 ? label(row) : '    '} |${cells.join('')}`);
  const axis = `     +${'-'.repeat(days + 1)}`;
  const ticks = `      ${Array.from({ length: days + 1 }, (_, d) => (d % 7 === 0 ? String(d).padEnd(7) : '')).join('').slice(0, days + 8)}`;
  const legend = `${all.map((f, s) => `${MARKS[s]} ${f.strategy}`).join('   ')}   # ${all.length > 2 ? 'several' : 'both'}`;
  return ['Cumulative recovery rate by day since the first failure', ...lines, axis, `${ticks}(days)`, legend].join('\n');
}
