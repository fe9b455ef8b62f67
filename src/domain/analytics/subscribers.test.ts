import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bookArbitrary, DAY } from '../../../test/analytics-book.ts';
import { revenueChurnRates, subscriberFigures, type History } from './subscribers.ts';

const d = (day: number) => new Date(day * DAY);
const sub = (customer: string, revs: [number, string, bigint][]): History => ({
  subscription: `sub_${customer}`, customer, currency: 'usd',
  revisions: revs.map(([day, status]) => ({ at: d(day), status })), steps: revs.map(([day, , mrr]) => ({ at: d(day), mrr })),
});

describe('subscriber figures', () => {
  it('counts statuses at the end, the flows within the period, churned customers and converted trials', () => {
    const book = [
      sub('a', [[1, 'active', 1000n], [15, 'canceled', 0n]]), //  paying at 10, churned by 20
      sub('b', [[1, 'trialing', 0n], [12, 'active', 3000n]]), //  trial ended and converted in (10, 20]
      sub('c', [[2, 'trialing', 0n], [14, 'paused', 0n]]), //      trial ended, not converted
      sub('d', [[5, 'active', 500n], [18, 'past_due', 500n]]), //  still paying
      sub('e', [[20, 'incomplete', 0n], [20, 'incomplete_expired', 0n]]), // new at the boundary, expired
    ];
    const f = subscriberFigures(book, d(10), d(20));
    expect(f.byStatus).toEqual({ active: 1, trialing: 0, past_due: 1, paused: 1, unpaid: 0 });
    expect([f.newSubscriptions, f.canceled]).toEqual([1, 2]);
    expect([f.payingCustomersStart, f.churnedCustomers, f.logoChurnRate]).toEqual([2, 1, '0.5000']);
    expect([f.trialsEnded, f.trialsConverted, f.trialConversionRate]).toEqual([2, 1, '0.5000']);
    // Nobody paid at day 0: no rate rather than a division by zero.
    expect(subscriberFigures(book, d(0), d(1)).logoChurnRate).toBeNull();
  });

  it('flows of two consecutive periods add up to those of both, and nobody churns who did not pay', () => {
    fc.assert(fc.property(bookArbitrary, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), (book, x, y, z) => {
      const [a, b, c] = [x, x + y, x + y + z].map(d) as [Date, Date, Date];
      const [first, second, whole] = [subscriberFigures(book, a, b), subscriberFigures(book, b, c), subscriberFigures(book, a, c)];
      for (const k of ['newSubscriptions', 'canceled', 'trialsEnded', 'trialsConverted'] as const) expect(first[k] + second[k]).toBe(whole[k]);
      expect(whole.byStatus).toEqual(second.byStatus);
      expect(whole.churnedCustomers).toBeLessThanOrEqual(whole.payingCustomersStart);
      expect(whole.trialsConverted).toBeLessThanOrEqual(whole.trialsEnded);
      const total = Object.values(whole.byStatus).reduce((s, n) => s + n, 0);
      expect(total).toBeLessThanOrEqual(book.length);
    }));
  });

  it('revenue churn: gross counts losses, net takes gains off and may be negative', () => {
    expect(revenueChurnRates({ starting: 10_000n, churned: 1_000n, contraction: 500n, expansion: 2_000n, reactivation: 0n })).toEqual({ gross: '0.1500', net: '-0.0500' });
    expect(revenueChurnRates({ starting: 0n, churned: 0n, contraction: 0n, expansion: 0n, reactivation: 700n })).toEqual({ gross: null, net: null });
    fc.assert(fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 5, maxLength: 5 }), ([starting, churned, contraction, expansion, reactivation]) => {
      const r = revenueChurnRates({ starting: starting! + 1n, churned: churned!, contraction: contraction!, expansion: expansion!, reactivation: reactivation! });
      return Number(r.net) <= Number(r.gross) + 1e-12 && Number(r.gross) >= 0;
    }));
  });
});
