import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { creditNoteFigures, type CreditableInvoice, type Credited, type CreditRequest } from './credit-note.ts';
import { DomainError } from './errors.ts';
import { invoiceTotals } from './invoice-totals.ts';
import type { Discount } from './discounts.ts';
import type { TaxRate } from './tax.ts';

/** An invoice priced by the real pipeline: lines, a fixed discount, an exclusive and an inclusive rate. */
function invoiceOf(amounts: bigint[], quantities: number[], off: bigint, rates: TaxRate[]): CreditableInvoice {
  const discounts: Discount[] = off > 0n ? [{ id: 'di_1', percent_off: null, amount_off: off, currency: 'usd', products: null }] : [];
  const t = invoiceTotals('usd', amounts.map((amount) => ({ amount, product: null, discountable: true, tax_rates: rates })), discounts);
  return {
    total: t.total, total_taxes: t.total_taxes, total_discount_amounts: t.total_discount_amounts,
    lines: amounts.map((amount, i) => ({ id: `il_${i}`, description: `line ${i}`, amount, quantity: quantities[i]!, ...t.lines[i]! })),
  };
}

/** Issues the requests in order, as the service does: each sees what the earlier ones took; refused ones take nothing. */
function issue(inv: CreditableInvoice, requests: CreditRequest[]) {
  const byLine = new Map<string, bigint>();
  const credited: Credited = { byLine, whole: 0n, total: 0n };
  const notes = [];
  for (const r of requests) {
    try {
      const f = creditNoteFigures(inv, credited, r);
      notes.push(f);
      credited.total += f.total;
      if (f.whole) credited.whole += f.total;
      for (const l of f.lines) if (l.invoice_line) byLine.set(l.invoice_line, (byLine.get(l.invoice_line) ?? 0n) + l.amount);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
    }
  }
  return notes;
}

const rates: TaxRate[] = [{ id: 'txr_ny', rate: 88_750n, inclusive: false }, { id: 'txr_city', rate: 5_000n, inclusive: false }];
const arbInvoice = fc.record({
  amounts: fc.array(fc.bigInt({ min: 1n, max: 1_000_000n }), { minLength: 1, maxLength: 4 }),
  quantities: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
  off: fc.bigInt({ min: 0n, max: 50_000n }),
  inclusive: fc.boolean(),
}).map((x) => invoiceOf(x.amounts, x.quantities, x.off, x.inclusive ? [{ ...rates[0]!, inclusive: true }] : rates));

describe('credit note figures', () => {
  it('one bag of three from 30.00 with 8.875%: 10.00 and 0.89 of tax, then 0.88, then 0.89', () => {
    const inv = invoiceOf([3000n], [3], 0n, [rates[0]!]);
    const notes = issue(inv, [1, 2, 3].map(() => ({ lines: [{ invoice_line: 'il_0', quantity: 1 }] })));
    expect(notes.map((n) => [n.subtotal, n.tax, n.total])).toEqual([[1000n, 89n, 1089n], [1000n, 88n, 1088n], [1000n, 89n, 1089n]]);
  });

  it('never exceed the invoice, whatever is asked in whatever order', () => {
    fc.assert(fc.property(arbInvoice, fc.array(fc.oneof(
      fc.record({ line: fc.nat(3), quantity: fc.integer({ min: 1, max: 5 }) }).map(({ line, quantity }) => ({ lines: [{ invoice_line: `il_${line}`, quantity }] })),
      fc.record({ line: fc.nat(3), amount: fc.integer({ min: 1, max: 1_000_000 }) }).map(({ line, amount }) => ({ lines: [{ invoice_line: `il_${line}`, amount }] })),
      fc.integer({ min: 1, max: 2_000_000 }).map((amount) => ({ amount })),
    ), { maxLength: 12 }), (inv, requests) => {
      const notes = issue(inv, requests);
      expect(notes.reduce((a, n) => a + n.total, 0n) <= inv.total).toBe(true);
      for (const n of notes) {
        expect(n.total > 0n).toBe(true);
        expect(n.total).toBe(n.subtotal - n.discount_amount + n.total_taxes.filter((t) => !t.inclusive).reduce((a, t) => a + t.amount, 0n));
        expect(n.tax).toBe(n.total_taxes.reduce((a, t) => a + t.amount, 0n));
      }
    }));
  });

  it('give back exactly the invoice\'s tax per rate, discounts and total when every line is credited, in any pieces', () => {
    fc.assert(fc.property(arbInvoice, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }), (inv, pieces) => {
      // Round k credits piece k of every line still open; the last round takes what is left.
      const left = new Map(inv.lines.map((l) => [l.id, l.amount]));
      const rounds = [...pieces.map((p) => BigInt(p) * 1000n), null].map((p) => inv.lines.flatMap((l) => {
        const take = p === null || left.get(l.id)! < p ? left.get(l.id)! : p;
        left.set(l.id, left.get(l.id)! - take);
        return take > 0n ? [{ invoice_line: l.id, amount: Number(take) }] : [];
      })).filter((r) => r.length > 0);
      // A round whose discount ate all of it credits nothing and is refused: it goes with the next round.
      const requests: CreditRequest[] = [];
      let carry: { invoice_line: string; amount: number }[] = [];
      for (const r of rounds) {
        const lines = [...carry, ...r];
        const n = issue(inv, [...requests, { lines }]).length;
        if (n === requests.length + 1) { requests.push({ lines }); carry = []; } else carry = lines;
      }
      const notes = issue(inv, requests);
      fc.pre(carry.length === 0);
      expect(notes.reduce((a, n) => a + n.total, 0n)).toBe(inv.total);
      const perRate = new Map<string, bigint>();
      for (const t of notes.flatMap((n) => n.total_taxes)) perRate.set(t.tax_rate, (perRate.get(t.tax_rate) ?? 0n) + t.amount);
      for (const t of inv.total_taxes) expect(perRate.get(t.tax_rate) ?? 0n).toBe(t.amount);
      expect(notes.reduce((a, n) => a + n.discount_amount, 0n)).toBe(inv.total_discount_amounts.reduce((a, d) => a + d.amount, 0n));
    }));
  });

  it('by amount give back the whole invoice\'s tax once the amounts add up to its total', () => {
    fc.assert(fc.property(arbInvoice, fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 5 }), (inv, weights) => {
      fc.pre(inv.total > BigInt(weights.length));
      const sum = BigInt(weights.reduce((a, w) => a + w, 0));
      const parts = weights.map((w) => (inv.total * BigInt(w)) / sum);
      parts[parts.length - 1]! += inv.total - parts.reduce((a, p) => a + p, 0n);
      const notes = issue(inv, parts.filter((p) => p > 0n).map((p) => ({ amount: Number(p) })));
      expect(notes.reduce((a, n) => a + n.tax, 0n)).toBe(inv.total_taxes.reduce((a, t) => a + t.amount, 0n));
      expect(notes.reduce((a, n) => a + n.total, 0n)).toBe(inv.total);
    }));
  });
});
