// Charge models applied to a metered quantity (issue 18, point 3). A usage quantity is an
// aggregate of events: it may be far beyond a JS number's exact range (billions of calls summed
// over a month) or fractional (gigabytes, seconds), so it is a decimal here, never a number. The
// models are the catalog's own (pricing.ts): per-unit, package, graduated and volume tiers.
import type { Decimal } from 'decimal.js';
import { Dec } from '../decimal.ts';
import { roundHalfUp } from '../money.ts';
import { flatOf, unitOf, type PriceModel } from '../pricing.ts';

/** Exact (unrounded) amount in minor units for a usage quantity (a decimal string or Decimal, ≥ 0). */
export function usageAmount(p: PriceModel, quantity: string | Decimal): Decimal {
  const q = new Dec(quantity);
  if (!q.isFinite() || q.isNegative()) throw new RangeError(`usage quantity must be a finite decimal ≥ 0, got ${quantity.toString()}`);
  if (p.billing_scheme === 'per_unit') {
    const t = p.transform_quantity;
    // Package pricing: whole packages, so 201 calls in packages of 100 rounded up are 3.
    const billed = t ? q.div(t.divide_by).toDecimalPlaces(0, t.round === 'up' ? Dec.ROUND_CEIL : Dec.ROUND_FLOOR) : q;
    return unitOf(p).times(billed);
  }
  const tiers = p.tiers ?? [];
  if (p.tiers_mode === 'volume') {
    const tier = tiers.find((t) => t.up_to === null || q.lte(t.up_to)) ?? tiers[tiers.length - 1];
    return tier ? unitOf(tier).times(q).plus(flatOf(tier)) : new Dec(0);
  }
  let total = new Dec(0);
  let prev = new Dec(0);
  for (const tier of tiers) {
    const upper = tier.up_to === null ? null : new Dec(tier.up_to);
    const units = Dec.min(q, upper ?? q).minus(prev);
    if (units.gt(0)) total = total.plus(unitOf(tier).times(units)).plus(flatOf(tier));
    if (upper === null || q.lte(upper)) break;
    prev = upper;
  }
  return total;
}

/** The usage line's amount: rounded once, half-up, in minor units. */
export const usageLineAmount = (p: PriceModel, quantity: string | Decimal): bigint => roundHalfUp(usageAmount(p, quantity));
