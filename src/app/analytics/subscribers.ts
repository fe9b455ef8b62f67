import { revenueChurnRates, subscriberSeries } from '../../domain/analytics/subscribers.ts';
import type { Deps } from '../ports.ts';
import type { SubscribersReportObject } from '../resources.ts';
import { loadBook } from './book.ts';
import { mrrSeries, periodsOf, type MrrQuery } from './mrr.ts';

export type SubscribersQuery = Omit<MrrQuery, 'currency'>;

/**
 * GET /v1/analytics/subscribers: per period, subscriptions by status and the flows between them,
 * customers who stopped paying, trials that converted, and revenue churn per currency (from the
 * same movements as the MRR report, so the two always agree).
 */
export async function getSubscribersReport(deps: Pick<Deps, 'db' | 'clock'>, accountId: string, q: SubscribersQuery): Promise<SubscribersReportObject> {
  const { from, to, interval, edges } = periodsOf(q, deps.clock.now());
  const book = await loadBook(deps.db, accountId, to);
  const series = mrrSeries(book, [], edges, null, (amount) => amount);
  const figures = subscriberSeries(book, edges);
  const data = edges.slice(1).map((end, n) => {
    const start = edges[n]!;
    const f = figures[n]!;
    return {
      start: start.toISOString(), end: end.toISOString(),
      subscriptions: f.byStatus, new_subscriptions: f.newSubscriptions, canceled: f.canceled,
      paying_customers_start: f.payingCustomersStart, churned_customers: f.churnedCustomers, logo_churn_rate: f.logoChurnRate,
      trials_ended: f.trialsEnded, trials_converted: f.trialsConverted, trial_conversion_rate: f.trialConversionRate,
      revenue_churn: series.map((s) => {
        const m = s.periods[n]!.movements;
        const moves = {
          starting: BigInt(n === 0 ? s.starting_mrr : s.periods[n - 1]!.mrr), churned: BigInt(-m.churn), contraction: BigInt(-m.contraction),
          expansion: BigInt(m.expansion), reactivation: BigInt(m.reactivation),
        };
        const rates = revenueChurnRates(moves);
        return {
          currency: s.currency, starting_mrr: Number(moves.starting), churned_mrr: Number(moves.churned), contraction_mrr: Number(moves.contraction),
          expansion_mrr: Number(moves.expansion), reactivation_mrr: Number(moves.reactivation), gross_rate: rates.gross, net_rate: rates.net,
        };
      }),
    };
  });
  return { object: 'subscribers_report', from: from.toISOString(), to: to.toISOString(), interval, data };
}
