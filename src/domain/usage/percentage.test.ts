import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal.ts';
import { percentageAmount, type PercentageModel } from './percentage.ts';

// Lago's published examples of its percentage model (spec/services/charge_models/percentage_service_spec.rb):
// four transactions of 50, 100, 250 and 400 (800 in all), 1.3 % and a fixed fee of 2 per transaction.
const EVENTS = [50, 100, 250, 400];
const BASE: PercentageModel = { rate: '1.3', fixedAmount: '2.0' };
const amountOf = (m: PercentageModel, values = EVENTS) => percentageAmount(m, values).amount.toString();

describe('percentage charge model', () => {
  it('matches the public reference figures', () => {
    expect(amountOf(BASE)).toBe('18.4'); // 800 × 1.3 % + 4 × 2
    expect(amountOf({ ...BASE, freeUnitsPerEvents: 3, freeUnitsPerTotalAggregation: '250' })).toBe('11.15'); // (800 − 250) × 1.3 % + 2 × 2
    expect(amountOf({ ...BASE, freeUnitsPerTotalAggregation: '250' })).toBe('11.15');
    expect(amountOf({ ...BASE, freeUnitsPerEvents: 3 })).toBe('7.2'); // (800 − 400) × 1.3 % + 1 × 2
    expect(amountOf({ ...BASE, freeUnitsPerEvents: 3, freeUnitsPerTotalAggregation: '500' })).toBe('7.2'); // three events come first
    expect(amountOf({ ...BASE, freeUnitsPerEvents: 5 })).toBe('0');
    expect(amountOf({ rate: '2.9' }, [4])).toBe('0.116');
    expect(amountOf({ ...BASE, rate: '0' })).toBe('8');
  });

  it('an event that exactly uses up the free value pays the fixed fee; a clamp bounds each paid fee', () => {
    expect(percentageAmount({ ...BASE, freeUnitsPerTotalAggregation: '150' }, EVENTS)).toMatchObject({ freeEvents: 1, paidEvents: 3 });
    // 250 and 400 pay 5.25 and 7.2; the 100 that closes the free value pays 2, raised to the minimum of 3.
    expect(amountOf({ ...BASE, freeUnitsPerTotalAggregation: '150', perEventMin: '3', perEventMax: '6' })).toBe('14.25');
  });

  const model = fc.record({
    rate: fc.integer({ min: 0, max: 10_000 }).map((n) => (n / 100).toString()),
    fixedAmount: fc.integer({ min: 0, max: 1000 }).map(String),
  });
  const values = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 40 });

  it('property: without free units or clamps, it is exactly rate × total + fixed × events', () => {
    fc.assert(fc.property(model, values, (m, vs) => {
      const total = vs.reduce((a, b) => a + b, 0);
      const want = new Dec(total).times(m.rate).div(100).plus(new Dec(m.fixedAmount).times(vs.length));
      expect(percentageAmount(m, vs).amount.eq(want)).toBe(true);
    }));
  });

  it('property: free units only lower the fee, and never give more than they promise', () => {
    fc.assert(fc.property(model, values, fc.option(fc.integer({ min: 1, max: 50 })), fc.option(fc.integer({ min: 1, max: 5_000_000 })), (m, vs, n, t) => {
      const r = percentageAmount({ ...m, freeUnitsPerEvents: n, freeUnitsPerTotalAggregation: t === null ? null : String(t) }, vs);
      expect(r.amount.lte(percentageAmount(m, vs).amount)).toBe(true);
      if (n !== null) expect(r.freeEvents).toBeLessThanOrEqual(n);
      if (t !== null) expect(r.freeValue.lte(t)).toBe(true);
      expect(r.freeValue.lte(vs.reduce((a, b) => a + b, 0))).toBe(true);
      expect(r.freeEvents + r.paidEvents).toBe(vs.length);
    }));
  });

  it('property: with a per-event minimum and maximum, the fee lies between paid events × min and × max', () => {
    fc.assert(fc.property(model, values, fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 5000 }), (m, vs, lo, span) => {
      const r = percentageAmount({ ...m, perEventMin: String(lo), perEventMax: String(lo + span) }, vs);
      expect(r.amount.gte(lo * r.paidEvents)).toBe(true);
      expect(r.amount.lte((lo + span) * r.paidEvents)).toBe(true);
    }));
  });
});
