// Lifetime value by plan (issue 19): what a plan brings in per paying customer now, how fast its
// subscriptions stop paying, and what a customer is worth over the life that churn implies.
import { divideHalfUp } from '../money.ts';
import { priceMrr, valueAt, type MrrDiscount, type MrrPrice, type MrrRevision, type Step } from './mrr.ts';
import { rate } from './rates.ts';
import { revisionAt } from './subscribers.ts';

export type PlanHistory = { subscription: string; customer: string; revisions: readonly MrrRevision[]; steps: readonly Step[] };
export type PlanFigures = {
  price: string; payingSubscriptions: number; payingCustomers: number; mrr: bigint; arpu: bigint | null;
  subscriptionMonths: number; churnedSubscriptions: number; churnRate: string | null; ltv: bigint | null;
};

/**
 * The licensed prices a subscription pays for at `at`, with the MRR each brings: none unless the
 * subscription's MRR is above zero then.
 */
function paidPrices(h: PlanHistory, prices: ReadonlyMap<string, MrrPrice>, discounts: ReadonlyMap<string, MrrDiscount>, at: Date): Map<string, bigint> {
  const rev = revisionAt(h.revisions, at);
  if (!rev || valueAt(h.steps, at) === 0n) return new Map();
  return priceMrr(rev, prices, discounts, at);
}

/**
 * Per plan (a licensed price; a subscription with two prices counts for each):
 * - now: the subscriptions paying for it, their distinct customers, the MRR from that price, and
 *   ARPU = MRR / paying customers (minor units, half-up; null without any);
 * - over the months between consecutive `edges` (the last `months` months up to now): the
 *   subscription-months (subscriptions paying for the price at a month's start, added up over the
 *   months) and the churned ones among them (paying nothing at that month's end); the monthly
 *   churn rate is churned / subscription-months;
 * - LTV = ARPU / churn rate = ARPU × subscription-months / churned, half-up once; null without churn.
 * Sorted by MRR, largest first, then by price id.
 */
export function planFigures(book: readonly PlanHistory[], prices: ReadonlyMap<string, MrrPrice>, discounts: ReadonlyMap<string, MrrDiscount>, now: Date, edges: readonly Date[]): PlanFigures[] {
  const plans = new Map<string, { subs: number; customers: Set<string>; mrr: bigint; exposure: number; churned: number }>();
  const plan = (price: string) => {
    let p = plans.get(price);
    if (!p) plans.set(price, p = { subs: 0, customers: new Set(), mrr: 0n, exposure: 0, churned: 0 });
    return p;
  };
  for (const h of book) {
    for (const [price, mrr] of paidPrices(h, prices, discounts, now)) {
      const p = plan(price);
      p.subs++; p.customers.add(h.customer); p.mrr += mrr;
    }
    for (let i = 0; i + 1 < edges.length; i++) {
      const stopped = valueAt(h.steps, edges[i + 1]!) === 0n;
      for (const price of paidPrices(h, prices, discounts, edges[i]!).keys()) {
        const p = plan(price);
        p.exposure++;
        if (stopped) p.churned++;
      }
    }
  }
  return [...plans.entries()].map(([price, p]): PlanFigures => {
    const arpu = p.customers.size > 0 ? divideHalfUp(p.mrr, BigInt(p.customers.size)) : null;
    return {
      price, payingSubscriptions: p.subs, payingCustomers: p.customers.size, mrr: p.mrr, arpu,
      subscriptionMonths: p.exposure, churnedSubscriptions: p.churned, churnRate: rate(BigInt(p.churned), BigInt(p.exposure)),
      ltv: arpu !== null && p.churned > 0 ? divideHalfUp(arpu * BigInt(p.exposure), BigInt(p.churned)) : null,
    };
  }).sort((a, b) => (a.mrr === b.mrr ? a.price.localeCompare(b.price) : a.mrr > b.mrr ? -1 : 1));
}
