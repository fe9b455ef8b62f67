// The discount step of the invoice pipeline: pure, after pricing and before tax. Discounts apply
// in order, each to what the ones before it left. A percentage takes that share of the eligible
// amount; a fixed amount takes up to what is eligible. Either way the discount's total is
// rounded once and spread over its eligible lines in proportion to their amounts by largest
// remainder, so the line shares add up to the discount exactly and none exceeds its line.
// A line may carry discounts of its own (an invoice item's): they come first and take only from
// that line; the invoice's discounts then apply to what they left.
import { allocate } from './money.ts';
import { percentOf, type Rate } from './percent.ts';

export type Discount = {
  id: string;
  percent_off: Rate | null;
  amount_off: bigint | null;
  currency: string | null;
  /** Products the discount is limited to; null: every line. */
  products: readonly string[] | null;
};

export type DiscountableLine = {
  amount: bigint; product: string | null; discountable: boolean;
  /** Discounts of this line alone, applied before the invoice's. */
  discounts?: readonly Discount[] | undefined;
};

export type DiscountAmount = { discount: string; amount: bigint };

export type DiscountResult = {
  /** Per line, what each discount took from it (only discounts that took something). */
  lines: DiscountAmount[][];
  /** Per discount, in order, what it took in all. */
  totals: DiscountAmount[];
  total: bigint;
};

/**
 * Applies `discounts` in order to the lines of an invoice in `currency`. Only lines with a
 * positive amount left take a discount (a proration credit does not), and no discount takes the
 * invoice below zero: each is capped at both its lines' remaining amounts and the invoice's
 * remaining total. A fixed amount in another currency than the invoice's takes nothing.
 */
export function applyDiscounts(currency: string, lines: readonly DiscountableLine[], discounts: readonly Discount[]): DiscountResult {
  const left = lines.map((l) => l.amount);
  const perLine: DiscountAmount[][] = lines.map(() => []);
  const totals: DiscountAmount[] = [];
  let invoiceLeft = left.reduce((a, b) => a + b, 0n);
  const scoped = [
    ...lines.flatMap((l, i) => (l.discounts ?? []).map((d) => ({ d, only: i as number | null }))),
    ...discounts.map((d) => ({ d, only: null })),
  ];
  for (const { d, only } of scoped) {
    const eligible = lines.flatMap((l, i) => ((only === null || only === i) && l.discountable && left[i]! > 0n
      && (d.products === null || (l.product !== null && d.products.includes(l.product))) ? [i] : []));
    const base = eligible.reduce((a, i) => a + left[i]!, 0n);
    let amount = d.percent_off !== null ? percentOf(base, d.percent_off) : d.currency === currency ? d.amount_off ?? 0n : 0n;
    amount = [amount, base, invoiceLeft].reduce((a, b) => (b < a ? b : a));
    if (amount <= 0n) { totals.push({ discount: d.id, amount: 0n }); continue; }
    const shares = allocate(amount, eligible.map((i) => left[i]!));
    eligible.forEach((i, k) => {
      const share = shares[k]!;
      if (share === 0n) return;
      left[i] = left[i]! - share;
      perLine[i]!.push({ discount: d.id, amount: share });
    });
    invoiceLeft -= amount;
    totals.push({ discount: d.id, amount });
  }
  return { lines: perLine, totals, total: totals.reduce((a, t) => a + t.amount, 0n) };
}
