import { sql } from 'kysely';
import { boundaries, movementOf, MOVEMENTS, type MovementKind } from '../../domain/analytics/mrr.ts';
import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import type { Deps } from '../ports.ts';
import type { MrrReportObject } from '../resources.ts';
import { loadBook, type Track } from './book.ts';
import { conversionsFor, loadRates } from './exchange.ts';
import { instant } from './recovery.ts';

export type MrrQuery = { from?: string | undefined; to?: string | undefined; interval?: 'day' | 'week' | 'month' | undefined; currency?: string | undefined };
type Db = Deps['db'];
// Daily figures over a year and a bit; more is a request for a data export, not a chart.
const MAX_PERIODS = 400;
const DEFAULT_MONTHS = 12;

/** Converts an amount of `currency` at an instant into the reporting currency (identity without one). */
export type Converter = (amount: bigint, currency: string, at: Date) => bigint;

/** Metered revenue per currency, by the start of the usage period: usage lines of issued invoices, net of their discounts. */
async function usageLines(db: Db, accountId: string, from: Date, to: Date) {
  return await sql<{ currency: string; period_start: Date; net: string }>`
    SELECT i.currency, l.period_start,
      (l.amount - coalesce((SELECT sum((d->>'amount')::bigint) FROM jsonb_array_elements(l.discount_amounts) d), 0))::text AS net
    FROM invoice_lines l JOIN invoices i ON i.account_id = l.account_id AND i.id = l.invoice_id
    WHERE l.account_id = ${accountId} AND l.kind IN ('usage', 'usage_adjustment', 'minimum_true_up')
      AND i.status IN ('open', 'paid', 'uncollectible') AND l.period_start >= ${from} AND l.period_start < ${to}`.execute(db).then((r) => r.rows);
}

const emptyMovements = () => Object.fromEntries([...MOVEMENTS, 'fx_adjustment'].map((k) => [k, 0n])) as Record<MovementKind | 'fx_adjustment', bigint>;

/** A customer's subscriptions in one original currency, its MRR at each edge, and when it first paid (Infinity: never). */
type Customer = { currency: string; tracks: Track[]; values: bigint[]; firstPaid: number };

/**
 * The customers of `tracks`, per original currency, with their MRR at each of `times` (epoch
 * ms, in order): each subscription's steps are walked once along the edges. Arrays, not maps:
 * this runs over the whole book for every report.
 */
function customersOf(tracks: readonly Track[], times: readonly number[]): Customer[] {
  const index = new Map<string, Customer>();
  for (const t of tracks) {
    const k = `${t.customer}\u0000${t.currency}`;
    let c = index.get(k);
    if (!c) index.set(k, c = { currency: t.currency, tracks: [], values: times.map(() => 0n), firstPaid: Infinity });
    c.tracks.push(t);
    let j = 0;
    for (let i = 0; i < times.length; i++) {
      while (j < t.steps.length && t.steps[j]!.at.getTime() <= times[i]!) j++;
      if (j > 0) c.values[i] = c.values[i]! + t.steps[j - 1]!.mrr;
    }
    const paid = t.steps.find((s) => s.mrr > 0n);
    if (paid && paid.at.getTime() < c.firstPaid) c.firstPaid = paid.at.getTime();
  }
  return [...index.values()];
}

/** The MRR report of an account: one series per currency, or, with a converter, one in the reporting currency. */
export function mrrSeries(all: Track[], usage: Awaited<ReturnType<typeof usageLines>>, edges: Date[], reporting: string | null, convert: Converter) {
  const currencies = reporting ? [reporting] : [...new Set([...all.map((t) => t.currency), ...usage.map((u) => u.currency)])].sort();
  const times = edges.map((e) => e.getTime());
  return currencies.map((currency) => {
    // A customer's MRR per original currency, as a sum of its subscriptions' steps.
    const customers = customersOf(reporting ? all : all.filter((t) => t.currency === currency), times);
    const conv = (amount: bigint, c: string, when: Date) => (reporting ? convert(amount, c, when) : amount);
    const total = (i: number) => customers.reduce((s, c) => s + conv(c.values[i]!, c.currency, edges[i]!), 0n);
    const periods = edges.slice(1).map((end, n) => {
      const start = edges[n]!;
      const movements = emptyMovements();
      let paying = 0;
      for (const e of customers) {
        const before = e.values[n]!, after = e.values[n + 1]!;
        if (after > 0n) paying++;
        // Without a reporting currency nothing is converted: an MRR that did not move moved nothing.
        if (!reporting && before === after) continue;
        // Movements at the end's rate; what the rate alone did to the start is fx_adjustment.
        const startNow = conv(before, e.currency, end);
        movements.fx_adjustment += startNow - conv(before, e.currency, start);
        const kind = movementOf(before, after, e.firstPaid < times[n]!);
        if (kind) movements[kind] += conv(after, e.currency, end) - startNow;
      }
      const usageRevenue = usage.filter((u) => (reporting || u.currency === currency) && u.period_start >= start && u.period_start < end)
        .reduce((s, u) => s + conv(BigInt(u.net), u.currency, end), 0n);
      const mrr = total(n + 1);
      return {
        start: start.toISOString(), end: end.toISOString(), mrr: Number(mrr), arr: Number(mrr * 12n), paying_customers: paying,
        movements: Object.fromEntries(Object.entries(movements).map(([k, v]) => [k, Number(v)])) as MrrReportObject['data'][number]['periods'][number]['movements'],
        usage_revenue: Number(usageRevenue),
      };
    });
    return { currency, starting_mrr: Number(total(0)), periods };
  });
}

/**
 * The range of a report over time: `to` defaults to now, `from` to the first of the month 12
 * months before it; its periods' boundaries (at most MAX_PERIODS periods).
 */
export function periodsOf(q: Omit<MrrQuery, 'currency'>, now: Date) {
  const to = q.to !== undefined ? instant(q.to, 'to') : now;
  const interval = q.interval ?? 'month';
  // The API's schema admits only these; the CLI passes what it was given.
  if (!['day', 'week', 'month'].includes(interval)) throw invalid('parameter_invalid', `interval must be day, week or month, got '${String(interval)}'.`, 'interval');
  const from = q.from !== undefined ? instant(q.from, 'from') : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - DEFAULT_MONTHS, 1));
  if (from >= to) throw invalid('parameter_invalid', 'from must be before to.', 'from');
  const edges = boundaries(from, to, interval, MAX_PERIODS);
  if (!edges) throw invalid('parameter_invalid', `at most ${MAX_PERIODS} ${interval}s from \`from\` to \`to\`.`, 'interval');
  return { from, to, interval, edges };
}

/** GET /v1/analytics/mrr: MRR and ARR over business time with the movements that explain each change. */
export async function getMrrReport(deps: Pick<Deps, 'db' | 'clock'>, accountId: string, q: MrrQuery, convert?: Converter): Promise<MrrReportObject> {
  const { from, to, interval, edges } = periodsOf(q, deps.clock.now());
  const reporting = q.currency === undefined ? null : normalizeCurrency(q.currency, 'currency');
  const [all, usage] = await Promise.all([loadBook(deps.db, accountId, to), usageLines(deps.db, accountId, from, to)]);
  // Rates are looked up as figures are converted: a missing one stops the report with an error
  // naming the pair and the day. Nothing (a zero, the reporting currency itself) needs no rate.
  const conversions = reporting && !convert ? conversionsFor(await loadRates(deps.db, accountId), [], reporting) : null;
  const converter: Converter = convert ?? ((amount, currency, at) => (amount === 0n || currency === reporting ? amount : conversions!.convert(amount, currency, at)));
  return { object: 'mrr_report', from: from.toISOString(), to: to.toISOString(), interval, currency: reporting, data: mrrSeries(all, usage, edges, reporting, converter) };
}
