// The percentage charge model (issue 18, point 3): a share of each transaction's value plus a
// fixed fee per transaction, as payment processors and marketplaces charge. Its behaviour follows
// the model Lago publishes (docs: guide/plans/charges/charge-models/percentage): free units are
// the first N events or the first T of value, whichever runs out first; an event that only
// partly falls in the free value pays the rate on the rest and the full fixed fee; a per-event
// minimum and maximum clamp each paid event's fee. Amounts are in the currency's minor units;
// nothing here rounds: the invoice line rounds once (money.ts), half-up.
import type { Decimal } from 'decimal.js';
import { Dec } from '../decimal.ts';

export type PercentageModel = {
  /** Percent of the value, e.g. "1.3" for 1.3 %. */
  rate: string;
  /** Fee per paid event, minor units (may be fractional). */
  fixedAmount?: string | null;
  /** The first this many events pay nothing. */
  freeUnitsPerEvents?: number | null;
  /** The first this much value pays nothing (minor units). */
  freeUnitsPerTotalAggregation?: string | null;
  /** Each paid event's fee is at least this, at most that (minor units). */
  perEventMin?: string | null;
  perEventMax?: string | null;
};

export type PercentageResult = {
  amount: Decimal;
  /** Events that paid nothing, and the value that was free. */
  freeEvents: number;
  freeValue: Decimal;
  paidEvents: number;
};

/** The fee for a period's events, given their values in the order they happened. */
export function percentageAmount(m: PercentageModel, values: readonly (string | number | Decimal)[]): PercentageResult {
  const rate = new Dec(m.rate).div(100);
  const fixed = new Dec(m.fixedAmount ?? 0);
  const min = m.perEventMin != null ? new Dec(m.perEventMin) : null;
  const max = m.perEventMax != null ? new Dec(m.perEventMax) : null;
  const countLimited = m.freeUnitsPerEvents != null && m.freeUnitsPerEvents > 0;
  const valueLimited = m.freeUnitsPerTotalAggregation != null && new Dec(m.freeUnitsPerTotalAggregation).gt(0);
  let eventsLeft = countLimited ? m.freeUnitsPerEvents! : 0;
  let valueLeft = valueLimited ? new Dec(m.freeUnitsPerTotalAggregation!) : new Dec(0);
  // Free while every free allowance that was given still has something left.
  let free = countLimited || valueLimited;
  let amount = new Dec(0);
  let freeValue = new Dec(0);
  let freeEvents = 0;
  for (const raw of values) {
    let value = new Dec(raw);
    if (free) {
      if (countLimited) eventsLeft -= 1;
      if (valueLimited && valueLeft.lte(value)) {
        // The free value runs out within this event (or exactly at its end): it pays the rate on the
        // rest and the full fixed fee.
        freeValue = freeValue.plus(valueLeft);
        value = value.minus(valueLeft);
        valueLeft = new Dec(0);
        free = false;
      } else {
        freeValue = freeValue.plus(value);
        if (valueLimited) valueLeft = valueLeft.minus(value);
        freeEvents += 1;
        if ((countLimited && eventsLeft <= 0) || (valueLimited && valueLeft.lte(0))) free = false;
        continue;
      }
    }
    let fee = value.times(rate).plus(fixed);
    if (min && fee.lt(min)) fee = min;
    if (max && fee.gt(max)) fee = max;
    amount = amount.plus(fee);
  }
  return { amount, freeEvents, freeValue, paidEvents: values.length - freeEvents };
}
