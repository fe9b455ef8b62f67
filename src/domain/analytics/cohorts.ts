// Signup cohorts (issue 19): customers grouped by the UTC month they first paid, and how many of
// them, and how much of their MRR, are still there at the end of each month after it.
import { valueAt } from './mrr.ts';
import { rate } from './rates.ts';
import type { History } from './subscribers.ts';

export type CohortMonth = { index: number; end: Date; customers: number; mrr: bigint; customerRetention: string | null; revenueRetention: string | null };
export type Cohort = { month: string; start: Date; customers: number; months: CohortMonth[] };

const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));
const label = (d: Date) => d.toISOString().slice(0, 7);

/**
 * The cohorts of one currency's book: a customer belongs to the month of its first MRR above zero
 * when that instant is in [from, to). Month n of a cohort ends on the first of the (n+1)-th
 * calendar month after it, or at `to` for the month `to` falls in; months starting at or after
 * `to` are not reported. Retention is against month 0's end (a customer who paid and left within
 * month 0 is in the cohort's size but not in month 0's figures).
 */
export function cohorts(book: readonly History[], from: Date, to: Date): Cohort[] {
  const tracksOf = new Map<string, History[]>();
  for (const h of book) tracksOf.set(h.customer, [...(tracksOf.get(h.customer) ?? []), h]);
  const groups = new Map<string, { start: Date; customers: History[][] }>();
  for (const tracks of tracksOf.values()) {
    const first = Math.min(...tracks.flatMap((t) => t.steps.filter((s) => s.mrr > 0n).map((s) => s.at.getTime())));
    if (!Number.isFinite(first) || first < from.getTime() || first >= to.getTime()) continue;
    const d = new Date(first);
    const start = monthStart(d.getUTCFullYear(), d.getUTCMonth());
    const g = groups.get(label(start)) ?? { start, customers: [] };
    g.customers.push(tracks);
    groups.set(label(start), g);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, g]) => {
    const months: CohortMonth[] = [];
    for (let n = 0; ; n++) {
      const y = g.start.getUTCFullYear(), m = g.start.getUTCMonth();
      if (monthStart(y, m + n) >= to) break;
      const next = monthStart(y, m + n + 1);
      const end = next < to ? next : to;
      const mrrs = g.customers.map((tracks) => tracks.reduce((s, t) => s + valueAt(t.steps, end), 0n));
      const customers = mrrs.filter((v) => v > 0n).length;
      const mrr = mrrs.reduce((s, v) => s + v, 0n);
      const base = months[0] ?? { customers, mrr };
      months.push({
        index: n, end, customers, mrr,
        customerRetention: rate(BigInt(customers), BigInt(base.customers)), revenueRetention: rate(mrr, base.mrr),
      });
    }
    return { month, start: g.start, customers: g.customers.length, months };
  });
}
