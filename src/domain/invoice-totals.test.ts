import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBalance } from './customer-balance.ts';
import { applyDiscounts, type Discount } from './discounts.ts';
import { invoiceTotals, type TotalsLine } from './invoice-totals.ts';
import { formatPercent, includedIn, parsePercent, percentOf } from './percent.ts';
import { lineTaxes, type TaxRate } from './tax.ts';

const pct = (s: string, places = 4) => parsePercent(s, places, 'percentage');
const fixed = (id: string, amount: bigint, currency = 'eur'): Discount => ({ id, percent_off: null, amount_off: amount, currency, products: null });
const percent = (id: string, p: string, products: string[] | null = null): Discount => ({ id, percent_off: pct(p, 2), amount_off: null, currency: null, products });
const line = (amount: bigint, tax_rates: TaxRate[] = [], product: string | null = 'prod_a'): TotalsLine => ({ amount, product, discountable: true, tax_rates });
const rate = (id: string, p: string, inclusive = false): TaxRate => ({ id, rate: pct(p), inclusive });

describe('public reference figures', () => {
  it('a one-time fixed coupon of 0.12 EUR on lines 2.00 and 1.00 takes 0.08 and 0.04', () => {
    const r = applyDiscounts('eur', [line(200n), line(100n)], [fixed('co_12', 12n)]);
    expect(r.lines.map((l) => l.map((x) => x.amount))).toEqual([[8n], [4n]]);
    expect(r.total).toBe(12n);
  });

  it('the same coupon on an invoice of 0.06 (lines 0.04 and 0.02) is capped at 0.06: 0.04 and 0.02', () => {
    const r = applyDiscounts('eur', [line(4n), line(2n)], [fixed('co_12', 12n)]);
    expect(r.lines.map((l) => l.map((x) => x.amount))).toEqual([[4n], [2n]]);
    expect(r.totals).toEqual([{ discount: 'co_12', amount: 6n }]);
  });

  it('20% on 3.00 is 0.60', () => {
    expect(applyDiscounts('usd', [line(300n)], [percent('co_20', '20')]).total).toBe(60n);
  });

  it('exclusive 8.875% on 100.00 USD is 8.88', () => {
    expect(lineTaxes(10_000n, [rate('txr_ny', '8.875')]).map((t) => t.amount)).toEqual([888n]);
  });

  it('three rates 8.875%, 2.125% and 0.5% on 99.99 are 8.87 + 2.12 + 0.50 = 11.49', () => {
    const t = lineTaxes(9_999n, [rate('a', '8.875'), rate('b', '2.125'), rate('c', '0.5')]);
    expect(t.map((x) => x.amount)).toEqual([887n, 212n, 50n]);
    expect(t.reduce((a, x) => a + x.amount, 0n)).toBe(1_149n);
  });

  it('10.5% on 999 JPY is 105', () => {
    expect(lineTaxes(999n, [rate('jp', '10.5')])[0]!.amount).toBe(105n);
  });

  it('inclusive 15% on 14.99: net 13.03, tax 1.96', () => {
    const [t] = lineTaxes(1_499n, [rate('gst', '15', true)]);
    expect(t).toEqual({ tax_rate: 'gst', amount: 196n, taxable_amount: 1_303n, inclusive: true });
    const inv = invoiceTotals('nzd', [line(1_499n, [rate('gst', '15', true)])], []);
    expect(inv).toMatchObject({ subtotal: 1_499n, tax: 196n, total: 1_499n, total_excluding_tax: 1_303n });
  });

  it('a 10.00 discount on 100.00, then 10% tax: total 99.00', () => {
    const inv = invoiceTotals('usd', [line(10_000n, [rate('vat', '10')])], [fixed('co_10', 1_000n, 'usd')]);
    expect(inv).toMatchObject({ subtotal: 10_000n, tax: 900n, total: 9_900n, total_excluding_tax: 9_000n });
    expect(inv.total_taxes).toEqual([{ tax_rate: 'vat', amount: 900n, taxable_amount: 9_000n, inclusive: false }]);
  });
});

describe('discounts', () => {
  it('apply in order, each to what the ones before left, and only to their products', () => {
    const r = applyDiscounts('usd', [line(1_000n, [], 'prod_a'), line(1_000n, [], 'prod_b')],
      [percent('half_a', '50', ['prod_a']), fixed('five', 500n, 'usd'), percent('ten', '10')]);
    // half of A (500); then 5.00 over A's 500 and B's 1000 (167 + 333); then 10% of the 1000 left.
    expect(r.lines).toEqual([
      [{ discount: 'half_a', amount: 500n }, { discount: 'five', amount: 167n }, { discount: 'ten', amount: 33n }],
      [{ discount: 'five', amount: 333n }, { discount: 'ten', amount: 67n }],
    ]);
    expect(r.totals.map((t) => t.amount)).toEqual([500n, 500n, 100n]);
  });

  it('leave credits alone, never take the invoice below zero, and ignore a fixed amount in another currency', () => {
    const credit: TotalsLine = { amount: -900n, product: 'prod_a', discountable: true, tax_rates: [] };
    const r = applyDiscounts('usd', [line(1_000n), credit], [percent('half', '50'), fixed('eur', 50n, 'eur')]);
    expect(r.lines).toEqual([[{ discount: 'half', amount: 100n }], []]);
    expect(r.totals).toEqual([{ discount: 'half', amount: 100n }, { discount: 'eur', amount: 0n }]);
  });

  const lines = fc.array(fc.record({ amount: fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), discountable: fc.boolean(), product: fc.constantFrom('prod_a', 'prod_b', null) }), { maxLength: 8 })
    .map((ls) => ls.map((l) => ({ ...l, tax_rates: [] as TaxRate[] })));
  const discount = fc.oneof(
    fc.record({ id: fc.constant('p'), percent_off: fc.integer({ min: 0, max: 10_000 }).map((x) => BigInt(x) * 100n), amount_off: fc.constant(null), currency: fc.constant(null), products: fc.constantFrom(null, ['prod_a']) }),
    fc.record({ id: fc.constant('f'), percent_off: fc.constant(null), amount_off: fc.bigInt({ min: 0n, max: 10n ** 10n }), currency: fc.constantFrom('usd', 'eur'), products: fc.constantFrom(null, ['prod_b']) }),
  ) as fc.Arbitrary<Discount>;

  it('conserve the total, never make a line or the invoice negative (property)', () => {
    fc.assert(fc.property(lines, fc.array(discount, { maxLength: 4 }).map((ds) => ds.map((d, i) => ({ ...d, id: `${d.id}${i}` }))), (ls, ds) => {
      const r = applyDiscounts('usd', ls, ds);
      for (const t of r.totals) expect(r.lines.flat().filter((x) => x.discount === t.discount).reduce((a, x) => a + x.amount, 0n)).toBe(t.amount);
      expect(r.lines.flat().reduce((a, x) => a + x.amount, 0n)).toBe(r.total);
      ls.forEach((l, i) => {
        const taken = r.lines[i]!.reduce((a, x) => a + x.amount, 0n);
        expect(taken).toBeGreaterThanOrEqual(0n);
        if (taken > 0n) expect(l.amount - taken).toBeGreaterThanOrEqual(0n);
      });
      const subtotal = ls.reduce((a, l) => a + l.amount, 0n);
      if (r.total > 0n) expect(subtotal - r.total).toBeGreaterThanOrEqual(0n);
    }));
  });

  it('of a line alone come first and take only from that line; the invoice\'s then take from what is left', () => {
    // 30.00 and 10.00; the second line's own 50% takes 5.00, then 8.00 off the invoice is spread 30 : 5.
    const r = applyDiscounts('usd', [line(3_000n), { ...line(1_000n), discounts: [percent('item_half', '50')] }], [fixed('inv_8', 800n, 'usd')]);
    expect(r.lines).toEqual([[{ discount: 'inv_8', amount: 686n }], [{ discount: 'item_half', amount: 500n }, { discount: 'inv_8', amount: 114n }]]);
    expect(r.totals).toEqual([{ discount: 'item_half', amount: 500n }, { discount: 'inv_8', amount: 800n }]);
  });

  it('of lines alone conserve the total, stay on their line, and never make a line negative (property)', () => {
    const withOwn = fc.tuple(lines, fc.array(fc.array(discount, { maxLength: 2 }), { maxLength: 8 }), fc.array(discount, { maxLength: 3 }));
    fc.assert(fc.property(withOwn, ([ls, own, global]) => {
      const withDiscounts = ls.map((l, i) => ({ ...l, discounts: (own[i] ?? []).map((d, k) => ({ ...d, id: `line${i}_${k}` })) }));
      const r = applyDiscounts('usd', withDiscounts, global.map((d, k) => ({ ...d, id: `inv${k}` })));
      expect(r.lines.flat().reduce((a, x) => a + x.amount, 0n)).toBe(r.total);
      withDiscounts.forEach((l, i) => {
        for (const x of r.lines[i]!) if (x.discount.startsWith('line')) expect(x.discount.startsWith(`line${i}_`)).toBe(true);
        const taken = r.lines[i]!.reduce((a, x) => a + x.amount, 0n);
        if (taken > 0n) expect(l.amount - taken).toBeGreaterThanOrEqual(0n);
      });
    }));
  });
});

describe('tax and totals', () => {
  const rates = fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), p: fc.integer({ min: 0, max: 300_000 }), inclusive: fc.boolean() }), { maxLength: 3 })
    // A rate's id stands for one percentage, included or added, wherever it is used.
    .map((rs) => rs.map((r) => ({ id: `${r.inclusive ? 'inc' : 'exc'}_${r.p}`, rate: BigInt(r.p), inclusive: r.inclusive })))
    .map((rs) => rs.filter((r, i) => rs.findIndex((x) => x.id === r.id) === i));

  it('per-rate sums equal the invoice tax; subtotal − discounts + added tax − balance applied = amount due (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ amount: fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), rates }), { maxLength: 6 }),
      fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
      (ls, off, balance) => {
        const inv = invoiceTotals('usd', ls.map((l) => line(l.amount, l.rates)), [fixed('f', off, 'usd')]);
        expect(inv.total_taxes.reduce((a, t) => a + t.amount, 0n)).toBe(inv.tax);
        const discounts = inv.total_discount_amounts.reduce((a, t) => a + t.amount, 0n);
        const added = inv.total_taxes.filter((t) => !t.inclusive).reduce((a, t) => a + t.amount, 0n);
        expect(inv.total).toBe(inv.subtotal - discounts + added);
        const b = applyBalance(inv.total, balance);
        const applied = b.starting_balance - b.ending_balance;
        expect(inv.subtotal - discounts + added + applied).toBe(b.amount_due);
      }));
  });

  it('inclusive tax never exceeds the amount it is taken from (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 1_000_000 }), (gross, r) => {
      const t = includedIn(gross, BigInt(r));
      expect(t >= 0n && t <= gross).toBe(true);
    }));
  });
});

describe('percentages', () => {
  it('parse up to the allowed decimals and read back as written', () => {
    expect(formatPercent(parsePercent('8.875', 4, 'p'))).toBe('8.875');
    expect(formatPercent(parsePercent('100', 2, 'p'))).toBe('100');
    expect(percentOf(10_000n, parsePercent('12.5', 2, 'p'))).toBe(1_250n);
    for (const bad of ['8.87501', '-1', '100.01', 'abc', '', '1e2']) {
      expect(() => parsePercent(bad, 4, 'percentage')).toThrow(expect.objectContaining({ code: 'parameter_invalid', param: 'percentage' }));
    }
  });
});
