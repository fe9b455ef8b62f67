// Lines of usage billed in arrears (issue 18, points 3–5). A metered item's period may be billed
// in parts: a threshold invoice mid-period, the period-end invoice, corrections when events land
// late or are canceled. Each part is what the period's usage costs now minus what was billed for
// it before, so however many parts there are, they add up to the price of the period's usage,
// rounded once: nothing is billed twice and nothing late is lost.
import type { Decimal } from 'decimal.js';
import { Dec } from '../decimal.ts';
import type { FixedDraft } from '../invoice-builder.ts';
import { roundHalfUp } from '../money.ts';
import { meteredAmount, type PeriodUsage, type UsagePricing } from './metered-price.ts';

/** What earlier documents billed for one item's period. */
export type Billed = { quantity: Decimal; amount: bigint };
export const NOTHING_BILLED: Billed = { quantity: new Dec(0), amount: 0n };

export type MeteredItemFacts = { itemId: string; priceId: string; label: string; product: string | null; pricing: UsagePricing };
export type UsagePart = { line: FixedDraft; quantity: string; amount: bigint };

const day = (t: Date) => t.toISOString().slice(0, 10);
const INT_MAX = 2 ** 31 - 1;

/** A quantity in the integer column when it is one that fits; quantity_decimal always holds it exactly. */
const wholeOrZero = (q: Decimal) => (q.isInteger() && q.gte(0) && q.lte(INT_MAX) ? q.toNumber() : 0);

/** The shown per-unit price: exact for a plain per-unit price, none for tiers, packages and percentages. */
function unitShown(p: UsagePricing): string | null {
  if (p.kind !== 'aggregate' || p.model.billing_scheme !== 'per_unit' || p.model.transform_quantity) return null;
  return p.model.unit_amount_decimal ?? (p.model.unit_amount ?? 0n).toString();
}

/**
 * The part of a period's usage not billed yet. `usage` billed as the period's own line (at its
 * end or at a threshold), or `usage_adjustment` on a later invoice, naming the period it corrects;
 * an adjustment with nothing to correct is null.
 */
export function usagePart(item: MeteredItemFacts, usage: PeriodUsage, billed: Billed, start: Date, end: Date, kind: 'usage' | 'usage_adjustment'): UsagePart | null {
  const total = roundHalfUp(meteredAmount(item.pricing, usage));
  const amount = total - billed.amount;
  const quantity = new Dec(usage.quantity).minus(billed.quantity);
  if (kind === 'usage_adjustment' && amount === 0n && quantity.isZero()) return null;
  const q = quantity.toFixed();
  const description = kind === 'usage'
    ? `${q} × ${item.label} (${day(start)} – ${day(end)})`
    : `Usage correction: ${quantity.gt(0) ? '+' : ''}${q} × ${item.label} for ${day(start)} – ${day(end)}`;
  return {
    quantity: q, amount,
    line: {
      kind, description, quantity: wholeOrZero(quantity), quantity_decimal: q, price_id: item.priceId, amount,
      unit_amount_decimal: unitShown(item.pricing), period_start: start, period_end: end, subscription_item: item.itemId, product: item.product,
    },
  };
}

/** The true-up when a period's usage came to less than the subscription's minimum. */
export function minimumTrueUp(minimum: bigint | null, usageBilled: bigint, start: Date, end: Date): FixedDraft | null {
  if (minimum === null || usageBilled >= minimum) return null;
  const amount = minimum - usageBilled;
  return {
    kind: 'minimum_true_up', description: `Minimum commitment true-up for ${day(start)} – ${day(end)}`, quantity: 1, price_id: null,
    amount, unit_amount_decimal: amount.toString(), period_start: start, period_end: end,
  };
}
