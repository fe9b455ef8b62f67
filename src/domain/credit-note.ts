// Credit notes take back part of a finalized invoice: named lines (by quantity or amount) or a
// share of the whole invoice (by its total). Discounts and taxes come back in proportion. Each
// share is rounded cumulatively: what all notes of a line have taken back of a component is
// round(component × credited so far ÷ line amount), so a line credited in several notes gives
// back exactly its tax and discounts once fully credited, and never a cent more.
import type { DiscountAmount } from './discounts.ts';
import { invalid } from './errors.ts';
import { divideHalfUp } from './money.ts';
import { totalTaxes, type TaxAmount } from './tax.ts';

export type CreditableLine = {
  id: string; description: string; amount: bigint; quantity: number;
  discount_amounts: readonly DiscountAmount[]; tax_amounts: readonly TaxAmount[];
};

export type CreditableInvoice = {
  total: bigint;
  lines: readonly CreditableLine[];
  total_taxes: readonly TaxAmount[];
  total_discount_amounts: readonly DiscountAmount[];
};

/** What the invoice's issued credit notes took back already. */
export type Credited = { byLine: ReadonlyMap<string, bigint>; whole: bigint; total: bigint };

export type CreditRequest =
  | { lines: readonly { invoice_line: string; quantity?: number | undefined; amount?: number | undefined }[] }
  | { amount: number };

export type CreditNoteLine = {
  type: 'invoice_line_item' | 'custom_line_item'; invoice_line: string | null; description: string; quantity: number | null;
  amount: bigint; discount_amounts: DiscountAmount[]; tax_amounts: TaxAmount[]; total: bigint;
};

export type CreditNoteFigures = {
  whole: boolean; lines: CreditNoteLine[]; subtotal: bigint; discount_amount: bigint; total_discount_amounts: DiscountAmount[];
  tax: bigint; total_taxes: TaxAmount[]; total_excluding_tax: bigint; total: bigint;
};

/** The part of `component` that moving from `before` to `after` of `whole` takes back. */
export const shareOf = (component: bigint, before: bigint, after: bigint, whole: bigint): bigint =>
  divideHalfUp(component * after, whole) - divideHalfUp(component * before, whole);

function take(before: bigint, after: bigint, whole: bigint, discounts: readonly DiscountAmount[], taxes: readonly TaxAmount[]) {
  return {
    discount_amounts: discounts.map((d) => ({ discount: d.discount, amount: shareOf(d.amount, before, after, whole) })),
    tax_amounts: taxes.map((t) => ({
      tax_rate: t.tax_rate, amount: shareOf(t.amount, before, after, whole),
      taxable_amount: shareOf(t.taxable_amount, before, after, whole), inclusive: t.inclusive,
    })),
  };
}

const sum = (xs: readonly { amount: bigint }[]) => xs.reduce((a, x) => a + x.amount, 0n);
const added = (taxes: readonly TaxAmount[]) => sum(taxes.filter((t) => !t.inclusive));

function lineCredit(inv: CreditableInvoice, credited: Credited, seen: Map<string, bigint>, req: { invoice_line: string; quantity?: number | undefined; amount?: number | undefined }, i: number): CreditNoteLine {
  const param = `lines[${i}]`;
  const line = inv.lines.find((l) => l.id === req.invoice_line);
  if (!line) throw invalid('parameter_invalid', `'${req.invoice_line}' is not a line of the invoice`, `${param}[invoice_line]`);
  if (req.quantity !== undefined && req.amount !== undefined) throw invalid('parameters_exclusive', 'give quantity or amount, not both', `${param}[amount]`);
  if (req.quantity === undefined && req.amount === undefined) throw invalid('parameter_missing', 'give quantity or amount', `${param}[amount]`);
  if (line.amount <= 0n) throw invalid('parameter_invalid', `line '${line.id}' charges nothing that could be credited`, `${param}[invoice_line]`);
  if (req.quantity !== undefined && (req.quantity < 1 || req.quantity > line.quantity)) {
    throw invalid('parameter_invalid', `quantity must be 1 to the line's quantity (${line.quantity})`, `${param}[quantity]`);
  }
  const amount = req.amount !== undefined ? BigInt(req.amount) : divideHalfUp(line.amount * BigInt(req.quantity!), BigInt(line.quantity));
  if (amount <= 0n) throw invalid('parameter_invalid', 'the amount to credit must be positive', `${param}[amount]`);
  const before = (credited.byLine.get(line.id) ?? 0n) + (seen.get(line.id) ?? 0n);
  if (before + amount > line.amount) {
    throw invalid('credit_note_exceeds_invoice', `line '${line.id}' is ${line.amount}; ${before} of it is credited already, so ${amount} more is too much`, `${param}[${req.amount !== undefined ? 'amount' : 'quantity'}]`);
  }
  seen.set(line.id, (seen.get(line.id) ?? 0n) + amount);
  const t = take(before, before + amount, line.amount, line.discount_amounts, line.tax_amounts);
  return {
    type: 'invoice_line_item', invoice_line: line.id, description: line.description, quantity: req.quantity ?? null, amount, ...t,
    total: amount - sum(t.discount_amounts) + added(t.tax_amounts),
  };
}

/** A share of the whole invoice worth `total` (tax included): its taxes and discounts in proportion. */
function wholeCredit(inv: CreditableInvoice, credited: Credited, total: bigint): CreditNoteLine {
  if (total <= 0n) throw invalid('parameter_invalid', 'amount must be positive', 'amount');
  if (inv.total <= 0n || credited.whole + total > inv.total) {
    throw invalid('credit_note_exceeds_invoice', `the invoice's total is ${inv.total}; ${credited.whole} of it is credited already by amount`, 'amount');
  }
  const t = take(credited.whole, credited.whole + total, inv.total, inv.total_discount_amounts, inv.total_taxes);
  return { type: 'custom_line_item', invoice_line: null, description: 'Credit on the invoice', quantity: null,
    amount: total - added(t.tax_amounts) + sum(t.discount_amounts), ...t, total };
}

/** The figures of a credit note on `inv`, given what earlier notes credited. Throws on bad input. */
export function creditNoteFigures(inv: CreditableInvoice, credited: Credited, req: CreditRequest): CreditNoteFigures {
  const whole = 'amount' in req;
  const seen = new Map<string, bigint>();
  const lines = whole ? [wholeCredit(inv, credited, BigInt(req.amount))] : req.lines.map((l, i) => lineCredit(inv, credited, seen, l, i));
  const taxes = lines.map((l) => l.tax_amounts);
  const tax = sum(taxes.flat());
  const total = sum(lines.map((l) => ({ amount: l.total })));
  if (total <= 0n) throw invalid('parameter_invalid', 'the credit note would credit nothing', whole ? 'amount' : 'lines');
  if (credited.total + total > inv.total) {
    throw invalid('credit_note_exceeds_invoice', `the invoice's total is ${inv.total}; its credit notes already take back ${credited.total}, so ${total} more is too much`, whole ? 'amount' : 'lines');
  }
  const discounts = new Map<string, bigint>();
  for (const d of lines.flatMap((l) => l.discount_amounts)) discounts.set(d.discount, (discounts.get(d.discount) ?? 0n) + d.amount);
  const discount = sum(lines.flatMap((l) => l.discount_amounts));
  return {
    whole, lines, subtotal: sum(lines), discount_amount: discount,
    total_discount_amounts: [...discounts].map(([discount, amount]) => ({ discount, amount })),
    tax, total_taxes: totalTaxes(taxes), total_excluding_tax: total - tax, total,
  };
}

export type Split = { refund: bigint; credit: bigint; outOfBand: bigint };

/**
 * How a note's total is settled. Before payment it lowers what is due and nothing else may be
 * asked; after payment the three parts must add up to the total exactly.
 */
export function splitOf(type: 'pre_payment' | 'post_payment', total: bigint, given: { refund_amount?: number | undefined; credit_amount?: number | undefined; out_of_band_amount?: number | undefined }): Split {
  const refund = BigInt(given.refund_amount ?? 0);
  const credit = BigInt(given.credit_amount ?? 0);
  const outOfBand = BigInt(given.out_of_band_amount ?? 0);
  if (type === 'pre_payment') {
    const named = (['refund_amount', 'credit_amount', 'out_of_band_amount'] as const).find((k) => (given[k] ?? 0) > 0);
    if (named) throw invalid('credit_note_split_invalid', `the invoice is not paid yet: the note lowers what is due, so ${named} does not apply`, named);
  } else if (refund + credit + outOfBand !== total) {
    throw invalid('credit_note_split_invalid', `refund_amount + credit_amount + out_of_band_amount is ${refund + credit + outOfBand}; the credit note's total is ${total}`, 'refund_amount');
  }
  return { refund, credit, outOfBand };
}
