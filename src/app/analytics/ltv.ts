import { addMonths } from '../../domain/calendar.ts';
import { planFigures } from '../../domain/analytics/ltv.ts';
import type { Deps } from '../ports.ts';
import type { LtvReportObject } from '../resources.ts';
import { loadBook, oneCurrency } from './book.ts';

export type LtvQuery = { currency?: string | undefined; months?: number | undefined };
const DEFAULT_MONTHS = 12;

/** GET /v1/analytics/ltv: ARPU, monthly churn and LTV per plan, now, from the last `months` months. */
export async function getLtvReport(deps: Pick<Deps, 'db' | 'clock'>, accountId: string, q: LtvQuery): Promise<LtvReportObject> {
  const now = deps.clock.now();
  const months = q.months ?? DEFAULT_MONTHS;
  // Everything up to now, a change made at this very instant included.
  const book = await loadBook(deps.db, accountId, new Date(now.getTime() + 1));
  const currency = oneCurrency(book, q.currency);
  const mine = book.filter((t) => t.currency === currency);
  const edges = Array.from({ length: months + 1 }, (_, i) => addMonths(now, i - months));
  const any = mine[0];
  const data = any ? planFigures(mine, any.prices, any.discounts, now, edges).map((p) => ({
    price: p.price, paying_subscriptions: p.payingSubscriptions, paying_customers: p.payingCustomers, mrr: Number(p.mrr),
    arpu: p.arpu === null ? null : Number(p.arpu), subscription_months: p.subscriptionMonths, churned_subscriptions: p.churnedSubscriptions,
    churn_rate: p.churnRate, ltv: p.ltv === null ? null : Number(p.ltv),
  })) : [];
  return { object: 'ltv_report', at: now.toISOString(), months, currency, data };
}
