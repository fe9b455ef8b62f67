// The pricing step of the invoice pipeline: turns draft lines into typed, priced invoice lines
// and totals. Pure: the same input gives the same invoice, whether it is previewed or written.
// Each line is rounded exactly once; totals are sums of already-rounded bigints, so the invoice
// always adds up to the cent with what the lines display.
import { periodContaining, type Recurring } from './calendar.ts';
import { normalizeCurrency } from './currency.ts';
import { Dec as D } from './decimal.ts';
import { divideHalfUp, roundHalfUp } from './money.ts';
import { invoiceTotals } from './invoice-totals.ts';
import type { TaxAmount, TaxRate } from './tax.ts';
import type { Discount, DiscountAmount } from './discounts.ts';
import { exactAmount, lineAmount, wholeAmount, type PriceModel } from './pricing.ts';
import { periodFraction, type Fraction } from './proration.ts';

/**
 * What produced a line: a subscription's period (in advance), a proration, a one-off invoice item,
 * a metered item's usage over a closed period (in arrears), a correction of usage billed earlier,
 * or the true-up of a usage commitment.
 */
export const LINE_KINDS = ['subscription', 'proration', 'invoice_item', 'usage', 'usage_adjustment', 'minimum_true_up'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

type LineFacts = {
  kind: LineKind;
  description: string;
  quantity: number;
  /** A usage line's exact quantity (an aggregate may be fractional or beyond a number's range). */
  quantity_decimal?: string | null;
  period_start: Date;
  period_end: Date;
  proration?: boolean;
  subscription_item?: string | null;
  invoice_item?: string | null;
  /** The tax rates that apply to the line. */
  tax_rates?: readonly TaxRate[];
  /** The product sold, for discounts limited to products. */
  product?: string | null;
  /** Discounts of this line alone (an invoice item's), applied before the invoice's. */
  discounts?: readonly Discount[];
};
/** A line priced here from its price and quantity (a share of the period when `fraction`). */
export type PricedDraft = LineFacts & { price_id: string; price: PriceModel; fraction?: Fraction | null; amount?: undefined };
/** A line whose amount was fixed earlier: a pending invoice item or proration. */
export type FixedDraft = LineFacts & { price_id: string | null; price?: undefined; amount: bigint; unit_amount_decimal: string | null };
export type DraftLine = PricedDraft | FixedDraft;

export type BuiltLine = Required<Omit<LineFacts, 'tax_rates' | 'product' | 'discounts'>> & {
  price_id: string | null;
  amount: bigint;
  /** Exact per-unit amount as a decimal string in minor units; informational only. */
  unit_amount_decimal: string | null;
  tax_amounts: TaxAmount[];
  discount_amounts: DiscountAmount[];
};
export type BuiltInvoice = {
  currency: string;
  lines: BuiltLine[];
  subtotal: bigint;
  /** Per discount applied, in order, what it took. */
  total_discount_amounts: DiscountAmount[];
  /** All tax, included in the lines and added on top. */
  tax: bigint;
  total_taxes: TaxAmount[];
  total_excluding_tax: bigint;
  total: bigint;
};

// Same fractional precision the API accepts for unit_amount_decimal.
const UNIT_DECIMAL_PLACES = 12;

export function effectiveUnit(price: PriceModel, quantity: number): string {
  if (quantity === 0) {
    // No units to divide by: show the list unit price for per-unit, nothing for tiered.
    if (price.billing_scheme === 'per_unit') {
      return price.unit_amount_decimal ?? (price.unit_amount ?? 0n).toString();
    }
    return '0';
  }
  const whole = wholeAmount(price, quantity);
  if (whole !== null) return quotient(whole, BigInt(quantity));
  // Tiers and packages make the per-unit figure an average, which may not terminate.
  return new D(exactAmount(price, quantity)).div(quantity).toDecimalPlaces(UNIT_DECIMAL_PLACES).toFixed();
}

const SCALE = 10n ** BigInt(UNIT_DECIMAL_PLACES);

/** a ÷ b (a ≥ 0, b > 0) to UNIT_DECIMAL_PLACES places, half-up, without trailing zeros. */
function quotient(a: bigint, b: bigint): string {
  if (a % b === 0n) return (a / b).toString();
  const scaled = divideHalfUp(a * SCALE, b);
  const int = scaled / SCALE;
  const frac = (scaled % SCALE).toString().padStart(UNIT_DECIMAL_PLACES, '0').replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int.toString();
}

/** A share of a price × quantity, rounded once, half-up (ties away from zero). */
export function shareOf(price: PriceModel, quantity: number, fraction: Fraction | null | undefined): bigint {
  if (!fraction) return lineAmount(price, quantity);
  const whole = wholeAmount(price, quantity);
  if (whole !== null) return divideHalfUp(whole * fraction.numerator, fraction.denominator);
  return roundHalfUp(new D(exactAmount(price, quantity)).mul(fraction.numerator.toString()).div(fraction.denominator.toString()));
}

function buildLine(line: DraftLine): Omit<BuiltLine, 'tax_amounts' | 'discount_amounts'> {
  const facts = {
    kind: line.kind, description: line.description, quantity: line.quantity, quantity_decimal: line.quantity_decimal ?? null, period_start: line.period_start,
    period_end: line.period_end, proration: line.proration ?? false, subscription_item: line.subscription_item ?? null,
    invoice_item: line.invoice_item ?? null, price_id: line.price_id,
  };
  if (line.price === undefined) return { ...facts, amount: line.amount, unit_amount_decimal: line.unit_amount_decimal };
  return { ...facts, amount: shareOf(line.price, line.quantity, line.fraction), unit_amount_decimal: effectiveUnit(line.price, line.quantity) };
}

/**
 * Prices the lines, then totals them: the discount step (discounts.ts) and the tax step (tax.ts),
 * through invoiceTotals. The customer's balance is applied at finalization.
 */
export function buildInvoice(currency: string, lines: readonly DraftLine[], discounts: readonly Discount[] = []): BuiltInvoice {
  const cur = normalizeCurrency(currency);
  const built = lines.map(buildLine);
  const totals = invoiceTotals(cur, built.map((l, i) => ({
    amount: l.amount, product: lines[i]!.product ?? null, discountable: true, tax_rates: lines[i]!.tax_rates ?? [], discounts: lines[i]!.discounts,
  })), discounts);
  return {
    currency: cur, lines: built.map((l, i) => ({ ...l, tax_amounts: totals.lines[i]!.tax_amounts, discount_amounts: totals.lines[i]!.discount_amounts })),
    subtotal: totals.subtotal, total_discount_amounts: totals.total_discount_amounts,
    tax: totals.tax, total_taxes: totals.total_taxes, total_excluding_tax: totals.total_excluding_tax, total: totals.total,
  };
}

/** A subscription item as pricing sees it. */
export type ItemState = { id: string; price_id: string; price: PriceModel; label: string; quantity: number; product?: string | null };
export type Cycle = { anchor: Date; recurring: Recurring };

const day = (t: Date) => t.toISOString().slice(0, 10);

/**
 * Lines for one period billed in advance. A period shorter than the cycle's full period (the
 * first period up to a billing-cycle anchor) is prorated against the full period around it.
 */
export function periodLines(cycle: Cycle, items: readonly ItemState[], start: Date, end: Date): PricedDraft[] {
  const full = periodContaining(cycle.anchor, cycle.recurring, start);
  const whole = full.start.getTime() === start.getTime() && full.end.getTime() === end.getTime();
  const fraction = whole ? null : periodFraction(start, end, full.start, full.end);
  return items.map((it) => ({
    kind: 'subscription', description: `${it.quantity} × ${it.label} (${day(start)} – ${day(end)})${fraction ? ', prorated' : ''}`,
    quantity: it.quantity, price_id: it.price_id, price: it.price, period_start: start, period_end: end, fraction,
    subscription_item: it.id, product: it.product ?? null,
  }));
}

/** A trial's record on the invoice that opens it: one zero line per item, over the trial. */
export function trialLines(items: readonly ItemState[], start: Date, end: Date): FixedDraft[] {
  return items.map((it) => ({
    kind: 'subscription', description: `Trial period for ${it.quantity} × ${it.label} (${day(start)} – ${day(end)})`,
    quantity: it.quantity, price_id: it.price_id, amount: 0n, unit_amount_decimal: null, period_start: start, period_end: end,
    subscription_item: it.id,
  }));
}
