import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFigures, type PlanHistory } from './ltv.ts';
import type { MrrPrice, MrrRevision } from './mrr.ts';

const perUnit = (unit: bigint): MrrPrice => ({
  product: 'prod_1', interval: 'month', intervalCount: 1, metered: false,
  model: { billing_scheme: 'per_unit', unit_amount: unit, unit_amount_decimal: null, tiers_mode: null, tiers: null, transform_quantity: null },
});
const prices = new Map([['basic', perUnit(1000n)], ['pro', perUnit(3000n)], ['seat', perUnit(500n)]]);
const month = (n: number) => new Date(Date.UTC(2027, n, 1));
const edges = [0, 1, 2, 3].map(month);
/** A subscription paying for `items` from month `from` until month `until` (then canceled). */
function sub(id: string, customer: string, items: [string, number][], from: number, until?: number): PlanHistory {
  const rev = (n: number, status: string): MrrRevision => ({ at: month(n), status, currency: 'usd', items: items.map(([price, quantity]) => ({ price, quantity })), discountIds: [] });
  const mrr = items.reduce((s, [p, q]) => s + (prices.get(p)!.model.unit_amount! * BigInt(q)), 0n);
  const revisions = until === undefined ? [rev(from, 'active')] : [rev(from, 'active'), rev(until, 'canceled')];
  return { subscription: id, customer, revisions, steps: revisions.map((r) => ({ at: r.at, mrr: r.status === 'active' ? mrr : 0n })) };
}

describe('LTV by plan', () => {
  it('ARPU from the paying customers now, churn from subscription-months, LTV = ARPU / churn', () => {
    const book = [
      sub('s1', 'a', [['basic', 1]], 0), //              basic all along
      sub('s2', 'b', [['basic', 1]], 0, 2), //           basic, stops at month 2: churned in month 1
      sub('s3', 'c', [['basic', 1], ['seat', 3]], 1), // basic and 3 seats from month 1
      sub('s4', 'c', [['basic', 1]], 2), //              the same customer's second basic
      sub('s5', 'd', [['pro', 1]], 0), //                pro, never churns
    ];
    const byPrice = Object.fromEntries(planFigures(book, prices, new Map(), month(3), edges).map((p) => [p.price, p]));
    // basic now: s1, s3, s4 (customers a, c): 3,000 MRR, ARPU 1,500. Exposure: month 0 s1 s2,
    // month 1 s1 s2 s3, month 2 s1 s3 s4 = 8 subscription-months, 1 churned: rate 0.125, LTV 12,000.
    expect(byPrice.basic).toEqual({
      price: 'basic', payingSubscriptions: 3, payingCustomers: 2, mrr: 3000n, arpu: 1500n,
      subscriptionMonths: 8, churnedSubscriptions: 1, churnRate: '0.1250', ltv: 12_000n,
    });
    expect(byPrice.seat).toMatchObject({ mrr: 1500n, arpu: 1500n, subscriptionMonths: 2, churnRate: '0.0000', ltv: null });
    expect(byPrice.pro).toMatchObject({ mrr: 3000n, arpu: 3000n, subscriptionMonths: 3, churnedSubscriptions: 0, ltv: null });
    expect(planFigures(book, prices, new Map(), month(3), edges).map((p) => p.price)).toEqual(['basic', 'pro', 'seat']);
  });

  it('LTV times churned is ARPU times subscription-months, to within half a churned unit', () => {
    const life = fc.record({ customer: fc.constantFrom('a', 'b', 'c', 'd'), price: fc.constantFrom('basic', 'pro', 'seat'), quantity: fc.integer({ min: 1, max: 9 }), from: fc.integer({ min: 0, max: 2 }), length: fc.option(fc.integer({ min: 1, max: 3 })) });
    fc.assert(fc.property(fc.array(life, { maxLength: 10 }), (lives) => {
      const book = lives.map((l, i) => sub(`s${i}`, l.customer, [[l.price, l.quantity]], l.from, l.length === null ? undefined : l.from + l.length));
      for (const p of planFigures(book, prices, new Map(), month(3), edges)) {
        expect(p.churnedSubscriptions).toBeLessThanOrEqual(p.subscriptionMonths);
        if (p.ltv === null) continue;
        const err = p.ltv * BigInt(p.churnedSubscriptions) - p.arpu! * BigInt(p.subscriptionMonths);
        expect((err < 0n ? -err : err) * 2n <= BigInt(p.churnedSubscriptions)).toBe(true);
      }
    }));
  });
});
