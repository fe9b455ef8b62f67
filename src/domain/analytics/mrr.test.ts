import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundaries, monthly, movementOf, mrrSteps, valueAt, type MrrPrice } from './mrr.ts';

const perUnit = (unit: bigint, interval: MrrPrice['interval'], count = 1): MrrPrice => ({
  product: 'prod_1', interval, intervalCount: count, metered: false,
  model: { billing_scheme: 'per_unit', unit_amount: unit, unit_amount_decimal: null, tiers_mode: null, tiers: null, transform_quantity: null },
});

describe('MRR arithmetic', () => {
  it('normalizes to a month: a year is 12, a quarter 3, a week 12/52 of one, a day 12/365', () => {
    expect(monthly(24000, 'year', 1).toString()).toBe('2000');
    expect(monthly(9000, 'month', 3).toString()).toBe('3000');
    expect(monthly(1200, 'week', 1).toString()).toBe('5200');
    expect(monthly(100, 'day', 1).toFixed(4)).toBe('3041.6667');
  });

  it('prices a revision with its quantity, counts only active and past_due, and rounds half-up once', () => {
    const prices = new Map([['p_year', perUnit(1000n, 'year')]]);
    const rev = (status: string, quantity: number) => ({ at: new Date(0), status, currency: 'usd', items: [{ price: 'p_year', quantity }], discountIds: [] });
    // 10.00 a year is 83.33… cents a month: 83; three seats are 2,500 exactly.
    expect(mrrSteps([rev('active', 1)], prices, new Map())[0]!.mrr).toBe(83n);
    expect(mrrSteps([rev('past_due', 3)], prices, new Map())[0]!.mrr).toBe(250n);
    expect(mrrSteps([rev('trialing', 3)], prices, new Map())).toEqual([{ at: new Date(0), mrr: 0n }]);
  });

  it('a repeating discount is a step down when it starts and back up when it ends', () => {
    const prices = new Map([['p', perUnit(1000n, 'month')]]);
    const off = { id: 'di_1', percent_off: 500_000n, amount_off: null, currency: null, products: null, startsAt: new Date(1000), endsAt: new Date(5000), recurring: true };
    const steps = mrrSteps([{ at: new Date(1000), status: 'active', currency: 'usd', items: [{ price: 'p', quantity: 1 }], discountIds: ['di_1'] }], prices, new Map([['di_1', off]]));
    expect(steps.map((s) => [s.at.getTime(), s.mrr])).toEqual([[1000, 500n], [5000, 1000n]]);
    expect([valueAt(steps, new Date(999)), valueAt(steps, new Date(4999)), valueAt(steps, new Date(5000))]).toEqual([0n, 500n, 1000n]);
  });

  it('movements always explain the change: before + movement = after, and the kind matches its sign', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.boolean(), (before, after, paid) => {
      const kind = movementOf(before, after, paid);
      if (before === after) return kind === null;
      const delta = after - before;
      const expected = before === 0n ? (paid ? 'reactivation' : 'new') : after === 0n ? 'churn' : delta > 0n ? 'expansion' : 'contraction';
      return kind === expected && (['new', 'reactivation', 'expansion'].includes(kind!) ? delta > 0n : delta < 0n);
    }));
  });

  it('boundaries step by calendar month from `from` and end at `to`', () => {
    expect(boundaries(new Date('2027-01-31T00:00:00Z'), new Date('2027-04-15T00:00:00Z'), 'month', 10)!.map((d) => d.toISOString().slice(0, 10)))
      .toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-15']);
    expect(boundaries(new Date('2027-01-01T00:00:00Z'), new Date('2028-01-01T00:00:00Z'), 'day', 100)).toBeNull();
  });
});
