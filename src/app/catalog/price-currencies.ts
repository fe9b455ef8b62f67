// A price can be offered in several currencies: its own (`currency`) and those of
// `currency_options`, each with its own amounts for the same charge model. Billing works on a
// price row "as billed in" the subscription's currency: the row itself in its own currency, or
// a derived row that carries the option's amounts. Derived rows are made once per row and
// currency, so the pricing cache keyed by row (priceModelOf) serves them as well.
import { normalizeCurrency } from '../../domain/currency.ts';
import { renameParam } from '../../domain/errors.ts';
import { parsePriceModel, type PriceModel } from '../../domain/pricing.ts';
import { invalid } from '../../domain/errors.ts';
import type { Row } from '../views.ts';

/** One extra currency's amounts as stored: bigints as strings, tiers as the price's tiers are. */
export type StoredOption = { unit_amount: string | null; unit_amount_decimal: string | null; tiers: unknown[] | null };

// Enough for a price list per market; more is a data-entry mistake.
export const MAX_CURRENCY_OPTIONS = 50;

type Base = { currency: string; model: PriceModel };

/**
 * Checks `currency_options` against the price they extend: a currency each (not the price's
 * own, not twice), amounts of the same charge model (a unit amount for per-unit, tiers for
 * tiered). Answers the options' models by currency.
 */
export function parseCurrencyOptions(input: unknown, base: Base): Map<string, PriceModel> {
  const out = new Map<string, PriceModel>();
  if (input === undefined || input === null) return out;
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('parameter_invalid', 'currency_options must be an object keyed by currency', 'currency_options');
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > MAX_CURRENCY_OPTIONS) throw invalid('parameter_invalid', `at most ${MAX_CURRENCY_OPTIONS} currency options`, 'currency_options');
  for (const [key, raw] of entries) {
    const param = `currency_options[${key}]`;
    const currency = normalizeCurrency(key, param);
    if (currency === base.currency) throw invalid('parameter_invalid', `${currency} is the price's own currency; give its amounts at the top level`, param);
    if (out.has(currency)) throw invalid('parameter_invalid', `${currency} appears twice`, param);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('parameter_invalid', `${param} must be an object`, param);
    const option = raw as Record<string, unknown>;
    for (const k of Object.keys(option)) {
      if (!['unit_amount', 'unit_amount_decimal', 'tiers'].includes(k)) throw invalid('parameter_unknown', `${k} cannot vary by currency`, `${param}[${k}]`);
    }
    try {
      out.set(currency, parsePriceModel({
        ...option, billing_scheme: base.model.billing_scheme, tiers_mode: base.model.tiers_mode ?? undefined,
      }));
    } catch (err) {
      throw renameParam(err, (head) => `${param}[${head}]`);
    }
  }
  return out;
}

const stored = (v: bigint | null) => (v === null ? null : v.toString());

/** The options as the `currency_options` column keeps them. */
export function storedOptions(options: Map<string, PriceModel>, tiersOf: (m: PriceModel) => string | null): string | null {
  if (options.size === 0) return null;
  const out: Record<string, StoredOption> = {};
  for (const [currency, m] of options) {
    const tiers = tiersOf(m);
    out[currency] = { unit_amount: stored(m.unit_amount), unit_amount_decimal: m.unit_amount_decimal, tiers: tiers === null ? null : JSON.parse(tiers) as unknown[] };
  }
  return JSON.stringify(out);
}

export function optionsOf(p: Row<'prices'>): Record<string, StoredOption> {
  const raw = p.currency_options;
  if (raw === null || raw === undefined) return {};
  return (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, StoredOption>;
}

/** Every currency the price can bill in, its own first. */
export const currenciesOf = (p: Row<'prices'>): string[] => [p.currency, ...Object.keys(optionsOf(p))];

const derived = new WeakMap<Row<'prices'>, Map<string, Row<'prices'>>>();
const bases = new WeakMap<Row<'prices'>, Row<'prices'>>();

/** The price as billed in `currency`, or null when it is not offered in it. */
export function priceIn(p: Row<'prices'>, currency: string): Row<'prices'> | null {
  if (p.currency === currency) return p;
  let byCurrency = derived.get(p);
  const known = byCurrency?.get(currency);
  if (known) return known;
  const option = optionsOf(p)[currency];
  if (!option) return null;
  const row: Row<'prices'> = {
    ...p, currency, unit_amount: option.unit_amount === null ? null : BigInt(option.unit_amount),
    unit_amount_decimal: option.unit_amount_decimal, tiers: option.tiers === null ? null : JSON.stringify(option.tiers),
  };
  if (!byCurrency) { byCurrency = new Map(); derived.set(p, byCurrency); }
  byCurrency.set(currency, row);
  bases.set(row, p);
  return row;
}

/** The price as it was created (for display), whichever currency it is billed in. */
export const basePrice = (p: Row<'prices'>): Row<'prices'> => bases.get(p) ?? p;

/** `priceIn`, or a 400 that names the currencies the price has. */
export function requirePriceIn(p: Row<'prices'>, currency: string, param: string): Row<'prices'> {
  const row = priceIn(p, currency);
  if (!row) throw invalid('currency_mismatch', `price '${p.id}' is not offered in ${currency} (it has ${currenciesOf(p).join(', ')})`, param);
  return row;
}
