// The totals of an invoice from its priced lines: discounts, then tax on what the discounts
// left, each a pure step (discounts.ts, tax.ts). The customer's balance comes after, at
// finalization (customer-balance.ts). Every figure is a sum of amounts already rounded once.
import { applyDiscounts, type Discount, type DiscountAmount } from './discounts.ts';
import { lineTaxes, totalTaxes, type TaxAmount, type TaxRate } from './tax.ts';

export type TotalsLine = { amount: bigint; product: string | null; discountable: boolean; tax_rates: readonly TaxRate[]; discounts?: readonly Discount[] | undefined };

export type InvoiceTotals = {
  subtotal: bigint;
  /** Per line: what each discount took, and its taxes. */
  lines: { discount_amounts: DiscountAmount[]; tax_amounts: TaxAmount[] }[];
  total_discount_amounts: DiscountAmount[];
  total_taxes: TaxAmount[];
  /** All tax, included and added. */
  tax: bigint;
  total_excluding_tax: bigint;
  /** subtotal − discounts + tax added on top. */
  total: bigint;
};

export function invoiceTotals(currency: string, lines: readonly TotalsLine[], discounts: readonly Discount[]): InvoiceTotals {
  const subtotal = lines.reduce((a, l) => a + l.amount, 0n);
  const d = applyDiscounts(currency, lines, discounts);
  const perLine = lines.map((l, i) => {
    const discounted = l.amount - d.lines[i]!.reduce((a, x) => a + x.amount, 0n);
    return { discount_amounts: d.lines[i]!, tax_amounts: lineTaxes(discounted, l.tax_rates) };
  });
  const taxes = perLine.map((l) => l.tax_amounts);
  const tax = taxes.flat().reduce((a, t) => a + t.amount, 0n);
  const added = taxes.flat().filter((t) => !t.inclusive).reduce((a, t) => a + t.amount, 0n);
  const total = subtotal - d.total + added;
  return {
    subtotal, lines: perLine, total_discount_amounts: d.totals.filter((t) => t.amount > 0n), total_taxes: totalTaxes(taxes),
    tax, total_excluding_tax: total - tax, total,
  };
}
