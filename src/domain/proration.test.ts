import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildInvoice } from './invoice-builder.ts';
import { periodFraction } from './proration.ts';
import type { PriceModel } from './pricing.ts';

const perUnit = (unit_amount: bigint): PriceModel => ({
  billing_scheme: 'per_unit', unit_amount, unit_amount_decimal: null, tiers_mode: null, tiers: null, transform_quantity: null,
});
const d = (s: string) => new Date(s);

describe('periodFraction', () => {
  it('is null for a whole period and a ratio of elapsed time otherwise', () => {
    expect(periodFraction(d('2027-01-01T00:00Z'), d('2027-02-01T00:00Z'), d('2027-01-01T00:00Z'), d('2027-02-01T00:00Z'))).toBeNull();
    const f = periodFraction(d('2027-01-16T00:00Z'), d('2027-01-31T00:00Z'), d('2027-01-01T00:00Z'), d('2027-01-31T00:00Z'));
    expect(f).not.toBeNull();
    expect(Number(f!.numerator) / Number(f!.denominator)).toBe(0.5);
  });

  it('prices half of a 30-day month of 20.00 as 10.00, rounded once half-up', () => {
    const f = periodFraction(d('2027-04-16T00:00Z'), d('2027-05-01T00:00Z'), d('2027-04-01T00:00Z'), d('2027-05-01T00:00Z'));
    const inv = buildInvoice('usd', [{ kind: 'subscription', description: 'x', quantity: 1, price_id: 'p', price: perUnit(2000n), period_start: d('2027-04-16T00:00Z'), period_end: d('2027-05-01T00:00Z'), fraction: f }]);
    expect(inv.total).toBe(1000n);
    const third = periodFraction(d('2027-04-21T00:00Z'), d('2027-05-01T00:00Z'), d('2027-04-01T00:00Z'), d('2027-05-01T00:00Z'));
    const inv3 = buildInvoice('usd', [{ kind: 'subscription', description: 'x', quantity: 1, price_id: 'p', price: perUnit(1000n), period_start: d('2027-04-21T00:00Z'), period_end: d('2027-05-01T00:00Z'), fraction: third }]);
    expect(inv3.total).toBe(333n); // 333.33… → 333
  });

  it('never prices a part above the whole (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 9 }), (unit, whole, partRaw) => {
      const part = partRaw % (whole + 1);
      const f = periodFraction(new Date(0), new Date(part), new Date(0), new Date(whole));
      const inv = buildInvoice('usd', [{ kind: 'subscription', description: 'x', quantity: 1, price_id: 'p', price: perUnit(unit), period_start: new Date(0), period_end: new Date(part), fraction: f }]);
      return inv.total >= 0n && inv.total <= unit;
    }));
  });
});
