// A metered price as billing needs it: how a period's usage becomes an amount. Either a catalog
// charge model applied to the period's aggregate (per-unit, package, graduated, volume), or the
// percentage model, which prices each event's value in the order the events happened.
import type { Decimal } from 'decimal.js';
import { Dec } from '../decimal.ts';
import { invalid } from '../errors.ts';
import type { PriceModel } from '../pricing.ts';
import { percentageAmount, type PercentageModel } from './percentage.ts';
import { usageAmount } from './usage-amount.ts';

export type UsagePricing = { kind: 'aggregate'; model: PriceModel } | { kind: 'percentage'; model: PercentageModel };

/** A period's usage as the store answers it: the aggregate, and for percentage prices the values in order. */
export type PeriodUsage = { quantity: string; values?: readonly string[] };

/** The exact, unrounded amount of a period's usage in minor units. */
export function meteredAmount(p: UsagePricing, usage: PeriodUsage): Decimal {
  if (p.kind === 'aggregate') return usageAmount(p.model, usage.quantity);
  return percentageAmount(p.model, usage.values ?? []).amount;
}

// ---- validation of the `percentage` object of a price ----

const RATE = /^\d{1,3}(\.\d{1,6})?$/;
const MINOR = /^\d{1,15}(\.\d{1,12})?$/;
const absent = (v: unknown) => v === undefined || v === null;

function minorDecimal(v: unknown, param: string): string | null {
  if (absent(v)) return null;
  const s = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
  if (typeof s !== 'string' || !MINOR.test(s)) throw invalid('parameter_invalid', `${param} must be a non-negative amount in minor units (up to 15 integer and 12 fractional digits).`, param);
  return s;
}

/** The settings of a percentage price, from untyped API input; amounts are in minor units. */
export function parsePercentage(input: unknown): PercentageModel {
  const p = 'percentage';
  if (absent(input)) throw invalid('parameter_missing', 'Missing required param: percentage (billing_scheme=percentage).', p);
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('parameter_invalid', 'percentage must be an object.', p);
  const o = input as Record<string, unknown>;
  const rateParam = `${p}[rate]`;
  if (absent(o.rate)) throw invalid('parameter_missing', `Missing required param: ${rateParam}.`, rateParam);
  const rate = typeof o.rate === 'number' && Number.isFinite(o.rate) ? new Dec(o.rate).toFixed() : o.rate;
  if (typeof rate !== 'string' || !RATE.test(rate) || new Dec(rate).gt(100)) throw invalid('parameter_invalid', `${rateParam} must be a percentage between 0 and 100, e.g. "1.3".`, rateParam);
  const eventsParam = `${p}[free_units_per_events]`;
  const events = o.free_units_per_events;
  if (!absent(events) && (typeof events !== 'number' || !Number.isSafeInteger(events) || events < 1 || events > 1e9)) {
    throw invalid('parameter_invalid', `${eventsParam} must be a positive integer.`, eventsParam);
  }
  const min = minorDecimal(o.per_event_min, `${p}[per_event_min]`);
  const max = minorDecimal(o.per_event_max, `${p}[per_event_max]`);
  if (min !== null && max !== null && new Dec(min).gt(max)) throw invalid('parameter_invalid', `${p}[per_event_max] must be at least ${p}[per_event_min].`, `${p}[per_event_max]`);
  return {
    rate, fixedAmount: minorDecimal(o.fixed_amount, `${p}[fixed_amount]`), freeUnitsPerEvents: (events as number | null | undefined) ?? null,
    freeUnitsPerTotalAggregation: minorDecimal(o.free_units_per_total_aggregation, `${p}[free_units_per_total_aggregation]`),
    perEventMin: min, perEventMax: max,
  };
}

/** As stored and shown: snake_case, the same names the API takes. */
export const percentageJson = (m: PercentageModel) => ({
  rate: m.rate, fixed_amount: m.fixedAmount ?? null, free_units_per_events: m.freeUnitsPerEvents ?? null,
  free_units_per_total_aggregation: m.freeUnitsPerTotalAggregation ?? null, per_event_min: m.perEventMin ?? null, per_event_max: m.perEventMax ?? null,
});
export type PercentageJson = ReturnType<typeof percentageJson>;

export const percentageOf = (j: PercentageJson): PercentageModel => ({
  rate: j.rate, fixedAmount: j.fixed_amount, freeUnitsPerEvents: j.free_units_per_events,
  freeUnitsPerTotalAggregation: j.free_units_per_total_aggregation, perEventMin: j.per_event_min, perEventMax: j.per_event_max,
});
