import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildInvoice, type DraftLine } from './invoice-builder.ts';
import { lineAmount, type PriceModel } from './pricing.ts';

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
    expect(buildInvoice('jpy', [])).toEqual({ currency: 'jpy', lines: [], subtotal: 0n, total: 0n });
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
