import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { buildInvoice, effectiveUnit, shareOf, type DraftLine } from './invoice-builder.ts';
import { roundHalfUp } from './money.ts';
import { exactAmount, lineAmount, wholeAmount, type PriceModel } from './pricing.ts';

const start = new Date('2027-01-01T00:00:00Z');
const end = new Date('2027-02-01T00:00:00Z');
const perUnit = (p: Partial<PriceModel>): PriceModel => ({
  billing_scheme: 'per_unit',
  unit_amount: null,
  unit_amount_decimal: null,
  tiers_mode: null,
  tiers: null,
  transform_quantity: null,
  ...p,
});
const line = (price: PriceModel, quantity: number, id = 'price_1'): DraftLine & { price: PriceModel } => ({
  kind: 'subscription',
  description: `${quantity} × ${id}`,
  quantity,
  price_id: id,
  price,
  period_start: start,
  period_end: end,
});
const graduated: PriceModel = {
  billing_scheme: 'tiered',
  unit_amount: null,
  unit_amount_decimal: null,
  tiers_mode: 'graduated',
  tiers: [
    { up_to: 10, unit_amount: 500n, unit_amount_decimal: null, flat_amount: null, flat_amount_decimal: null },
    { up_to: null, unit_amount: 300n, unit_amount_decimal: null, flat_amount: 100n, flat_amount_decimal: null },
  ],
  transform_quantity: null,
};

describe('buildInvoice', () => {
  it('sums two lines and carries line data through', () => {
    const inv = buildInvoice('USD', [
      line(perUnit({ unit_amount: 2000n }), 3, 'price_a'),
      line(perUnit({ unit_amount_decimal: '0.04' }), 123456, 'price_b'),
    ]);
    expect(inv.currency).toBe('usd');
    expect(inv.lines.map((l) => l.amount)).toEqual([6000n, 4938n]);
    expect(inv.lines[1]!.price_id).toBe('price_b');
    expect(inv.lines[1]!.period_end).toEqual(end);
    expect(inv.subtotal).toBe(10938n);
    expect(inv.total).toBe(inv.subtotal);
  });

  it('reports the exact per-unit amount', () => {
    const inv = buildInvoice('usd', [
      line(perUnit({ unit_amount_decimal: '0.04' }), 7),
      line(graduated, 12), // 5000 + 600 + 100 = 5700 / 12
      line(perUnit({ unit_amount: 250n }), 0),
      line(graduated, 0),
    ]);
    expect(inv.lines.map((l) => l.unit_amount_decimal)).toEqual(['0.04', '475', '250', '0']);
    expect(inv.lines.map((l) => l.amount)).toEqual([0n, 5700n, 0n, 0n]);
    const third = buildInvoice('usd', [line(perUnit({ unit_amount: 100n, transform_quantity: { divide_by: 3, round: 'up' } }), 3)]);
    expect(third.lines[0]!.unit_amount_decimal).toBe('33.333333333333');
  });

  it('handles an empty invoice', () => {
    expect(buildInvoice('jpy', [])).toEqual({ currency: 'jpy', lines: [], subtotal: 0n, total_discount_amounts: [], tax: 0n, total_taxes: [], total_excluding_tax: 0n, total: 0n });
  });

  it('rejects unknown currencies', () => {
    expect(() => buildInvoice('xyz', [])).toThrow(expect.objectContaining({ code: 'currency_invalid' }));
  });

  it('subtotal equals the sum of lineAmount and total equals subtotal', () => {
    const price = fc.oneof(
      fc.bigInt({ min: 0n, max: 10n ** 9n }).map((u) => perUnit({ unit_amount: u })),
      fc.constantFrom('0.04', '0.5', '12.345678').map((d) => perUnit({ unit_amount_decimal: d })),
      fc.constant(graduated),
    );
    const draft = fc.record({ price, quantity: fc.integer({ min: 0, max: 100_000 }) }).map((r) => line(r.price, r.quantity));
    fc.assert(
      fc.property(fc.array(draft, { maxLength: 10 }), (drafts) => {
        const inv = buildInvoice('usd', drafts);
        const want = drafts.reduce((s, d) => s + lineAmount(d.price, d.quantity), 0n);
        expect(inv.subtotal).toBe(want);
        expect(inv.total).toBe(inv.subtotal);
            expect(inv.lines).toHaveLength(drafts.length);
      }),
    );
  });
});

describe('whole-unit prices take bigint arithmetic', () => {
  const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
  const amount = fc.bigInt({ min: 0n, max: 10n ** 12n });
  const price: fc.Arbitrary<PriceModel> = fc.oneof(
    amount.map((u) => perUnit({ unit_amount: u })),
    fc.record({ u: amount, d: fc.integer({ min: 1, max: 100 }), up: fc.boolean() })
      .map(({ u, d, up }) => perUnit({ unit_amount: u, transform_quantity: { divide_by: d, round: up ? 'up' : 'down' } })),
    fc.record({ a: amount, b: amount, f: amount, upTo: fc.integer({ min: 1, max: 1000 }), mode: fc.constantFrom<'graduated' | 'volume'>('graduated', 'volume') })
      .map(({ a, b, f, upTo, mode }): PriceModel => ({ ...graduated, tiers_mode: mode, tiers: [
        { up_to: upTo, unit_amount: a, unit_amount_decimal: null, flat_amount: f, flat_amount_decimal: null },
        { up_to: null, unit_amount: b, unit_amount_decimal: null, flat_amount: null, flat_amount_decimal: null }] })),
  );

  it('and agree with the decimal path to the minor unit: amounts, shares and unit figures (property)', () => {
    fc.assert(fc.property(price, fc.integer({ min: 0, max: 1_000_000 }), fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.bigInt({ min: 1n, max: 10n ** 10n }),
      (p, q, num, den) => {
        expect(wholeAmount(p, q)).not.toBeNull();
        const exact = exactAmount(p, q);
        expect(lineAmount(p, q)).toBe(roundHalfUp(exact));
        const fraction = { numerator: num % (den + 1n), denominator: den };
        expect(shareOf(p, q, fraction)).toBe(roundHalfUp(new D(exact).mul(fraction.numerator.toString()).div(den.toString())));
        if (q > 0) expect(effectiveUnit(p, q)).toBe(new D(exact).div(q).toDecimalPlaces(12).toFixed());
      }), { numRuns: 2000 });
  });
});
