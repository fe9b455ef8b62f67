// Turns draft lines (price + quantity + period) into priced invoice lines and totals.
// Each line is rounded exactly once (lineAmount); totals are sums of already-rounded
// bigints, so the invoice always adds up to the cent with what the lines display.
import { normalizeCurrency } from './currency.ts';
import { Dec as D } from './decimal.ts';
import { sumAmounts } from './money.ts';
import { exactAmount, lineAmount, type PriceModel } from './pricing.ts';
import { roundHalfUp } from './money.ts';
import type { Fraction } from './proration.ts';

export type DraftLine = {
  description: string;
  quantity: number;
  price_id: string;
  price: PriceModel;
  period_start: Date;
  period_end: Date;
  /** Share of a full period this line covers (a partial first period); absent means all of it. */
  fraction?: Fraction | null;
};
export type BuiltLine = DraftLine & {
  amount: bigint;
  /** Exact per-unit amount as a decimal string in minor units; informational only. */
  unit_amount_decimal: string;
};
export type BuiltInvoice = {
  currency: string;
  lines: BuiltLine[];
  subtotal: bigint;
  total: bigint;
  amount_due: bigint;
};

// Same fractional precision the API accepts for unit_amount_decimal.
const UNIT_DECIMAL_PLACES = 12;

function effectiveUnit(price: PriceModel, quantity: number): string {
  if (quantity === 0) {
    // No units to divide by: show the list unit price for per-unit, nothing for tiered.
    if (price.billing_scheme === 'per_unit') {
      return price.unit_amount_decimal ?? (price.unit_amount ?? 0n).toString();
    }
    return '0';
  }
  // Tiers and packages make the per-unit figure an average, which may not terminate.
  return new D(exactAmount(price, quantity)).div(quantity).toDecimalPlaces(UNIT_DECIMAL_PLACES).toFixed();
}

function buildLine(line: DraftLine): BuiltLine {
  return {
    ...line,
    // A prorated line is still rounded once: the exact amount times the fraction, half-up.
    amount: line.fraction
      ? roundHalfUp(new D(exactAmount(line.price, line.quantity)).mul(line.fraction.numerator.toString()).div(line.fraction.denominator.toString()))
      : lineAmount(line.price, line.quantity),
    unit_amount_decimal: effectiveUnit(line.price, line.quantity),
  };
}

/**
 * Totals from the subtotal. This is the seam for discounts and tax: when they arrive,
 * total = subtotal - discounts + tax (each computed on rounded bigints, with any per-line
 * split done via money.allocate), and amount_due = total - credits applied.
 */
function totalsFor(subtotal: bigint): { total: bigint; amount_due: bigint } {
  const total = subtotal;
  const amount_due = total;
  return { total, amount_due };
}

export function buildInvoice(currency: string, lines: readonly DraftLine[]): BuiltInvoice {
  const cur = normalizeCurrency(currency);
  const built = lines.map(buildLine);
  const subtotal = sumAmounts(built.map((l) => l.amount));
  return { currency: cur, lines: built, subtotal, ...totalsFor(subtotal) };
}
