import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildInvoice, type FixedDraft } from './invoice-builder.ts';
import { taxLines, type LineTax } from './line-tax.ts';
import { parsePercent } from './percent.ts';
import type { TaxRate } from './tax.ts';

const rate = (id: string, p: string, inclusive = false): TaxRate => ({ id, rate: parsePercent(p, 4, 'percentage'), inclusive });
const RATES = [rate('txr_a', '19'), rate('txr_b', '8.875'), rate('txr_c', '15', true), rate('txr_d', '0.5')];
const byId = new Map(RATES.map((r) => [r.id, r]));
const t0 = new Date('2027-01-01T00:00:00Z');
const draft = (amount: bigint, si: string | null, ii: string | null): FixedDraft => ({
  kind: ii ? 'invoice_item' : 'subscription', description: 'x', quantity: 1, period_start: t0, period_end: t0, price_id: null,
  amount, unit_amount_decimal: null, subscription_item: si, invoice_item: ii,
});
const ids = fc.subarray(RATES.map((r) => r.id), { maxLength: 3 });
const lines = fc.array(fc.record({ amount: fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), si: fc.constantFrom(null, 'si_1', 'si_2'), ii: fc.constantFrom(null, 'ii_1', 'ii_2') }), { maxLength: 8 });
const own = fc.record({ si_1: ids, si_2: ids, ii_1: ids, ii_2: ids });

describe('the rates of each line', () => {
  it('are the invoice item\'s own, else its subscription item\'s, else the invoice-wide ones; exempt or reverse: none', () => {
    fc.assert(fc.property(lines, own, ids, fc.constantFrom('none', 'exempt', 'reverse') as fc.Arbitrary<LineTax['exempt']>, (ls, mine, defaults, exempt) => {
      const tax: LineTax = { defaults: defaults.map((id) => byId.get(id)!), byId, exempt, automatic: { enabled: false, status: null } };
      const items = Object.entries(mine).map(([id, tax_rates]) => ({ id, tax_rates }));
      const taxed = taxLines(ls.map((l) => draft(l.amount, l.si, l.ii)), tax, items);
      for (const [i, l] of ls.entries()) {
        const o = (l.ii && mine[l.ii as 'ii_1'].length ? mine[l.ii as 'ii_1'] : null) ?? (l.si && mine[l.si as 'si_1'].length ? mine[l.si as 'si_1'] : null) ?? defaults;
        expect(taxed[i]!.tax_rates!.map((r) => r.id)).toEqual(exempt === 'none' ? o : []);
      }
      const built = buildInvoice('usd', taxed);
      if (exempt !== 'none') expect({ tax: built.tax, total: built.total }).toEqual({ tax: 0n, total: built.subtotal });
    }));
  });
});
