// The tax step of the invoice pipeline: pure, on each line's amount after discounts. Each rate on
// each line is rounded half-up to the minor unit once. An exclusive rate adds its tax on top; the
// inclusive rates of a line take their tax out of its amount: gross − round(gross ÷ (1 + Σ rates)),
// shared among those rates in proportion to them by largest remainder.
import { allocate } from './money.ts';
import { includedIn, percentOf, type Rate } from './percent.ts';

export type TaxRate = { id: string; rate: Rate; inclusive: boolean };

export type TaxAmount = { tax_rate: string; amount: bigint; taxable_amount: bigint; inclusive: boolean };

/** The taxes of one line whose amount (after discounts) is `amount`. */
export function lineTaxes(amount: bigint, rates: readonly TaxRate[]): TaxAmount[] {
  const inclusive = rates.filter((r) => r.inclusive);
  const sum = inclusive.reduce((a, r) => a + r.rate, 0n);
  const included = sum > 0n ? includedIn(amount, sum) : 0n;
  const net = amount - included;
  const shares = included !== 0n ? allocate(included, inclusive.map((r) => r.rate)) : inclusive.map(() => 0n);
  return rates.map((r) => (r.inclusive
    ? { tax_rate: r.id, amount: shares[inclusive.indexOf(r)]!, taxable_amount: net, inclusive: true }
    : { tax_rate: r.id, amount: percentOf(net, r.rate), taxable_amount: net, inclusive: false }));
}

/** Per rate, in the order first met, the invoice's taxes: sums of the lines' rounded amounts. */
export function totalTaxes(lines: readonly TaxAmount[][]): TaxAmount[] {
  const by = new Map<string, TaxAmount>();
  for (const t of lines.flat()) {
    const prev = by.get(t.tax_rate);
    by.set(t.tax_rate, prev
      ? { ...prev, amount: prev.amount + t.amount, taxable_amount: prev.taxable_amount + t.taxable_amount }
      : { ...t });
  }
  return [...by.values()];
}
