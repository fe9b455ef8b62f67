// Charge models (Stripe semantics): per-unit, package (per-unit + transform_quantity),
// graduated tiers and volume tiers. exactAmount keeps full decimal precision so fractional
// unit prices ("0.04" minor units) are only rounded once, at the line level, by lineAmount.
import type { Decimal } from 'decimal.js';
import { Dec } from './decimal.ts';
import { invalid } from './errors.ts';
import { roundHalfUp } from './money.ts';

export type Tier = {
  up_to: number | null;
  unit_amount: bigint | null;
  unit_amount_decimal: string | null;
  flat_amount: bigint | null;
  flat_amount_decimal: string | null;
};
export type PriceModel = {
  billing_scheme: 'per_unit' | 'tiered';
  unit_amount: bigint | null; // minor units
  unit_amount_decimal: string | null; // minor units, fractional allowed
  tiers_mode: 'graduated' | 'volume' | null;
  tiers: Tier[] | null;
  transform_quantity: { divide_by: number; round: 'up' | 'down' } | null;
};

const MAX_AMOUNT = 10n ** 15n;
const DECIMAL_RE = /^\d{1,15}(\.\d{1,12})?$/;

// The decimal form wins when present: it is the more precise of the two representations.
export const unitOf = (x: { unit_amount: bigint | null; unit_amount_decimal: string | null }) =>
  new Dec(x.unit_amount_decimal ?? (x.unit_amount ?? 0n).toString());
export const flatOf = (t: Tier) => new Dec(t.flat_amount_decimal ?? (t.flat_amount ?? 0n).toString());

/** Exact (unrounded) amount in minor units for a quantity. */
export function exactAmount(p: PriceModel, quantity: number): Decimal {
  if (!Number.isSafeInteger(quantity) || quantity < 0) {
    throw new RangeError(`quantity must be a non-negative integer, got ${quantity}`);
  }
  if (p.billing_scheme === 'per_unit') {
    let q = quantity;
    const t = p.transform_quantity;
    // Package pricing: bill whole packages, e.g. 12 units at 5 per package rounds up to 3.
    if (t) q = t.round === 'up' ? Math.ceil(q / t.divide_by) : Math.floor(q / t.divide_by);
    return unitOf(p).times(q);
  }
  const tiers = p.tiers ?? [];
  if (p.tiers_mode === 'volume') {
    // The tier containing the total prices every unit. Quantity 0 sits in the first tier,
    // so its flat amount still applies (a volume price is a function of the tier chosen).
    const tier = tiers.find((t) => t.up_to === null || quantity <= t.up_to) ?? tiers[tiers.length - 1];
    if (!tier) return new Dec(0);
    return unitOf(tier).times(quantity).plus(flatOf(tier));
  }
  // Graduated: each tier prices only the units inside it; its flat fee applies once any unit
  // reaches it, so an empty tier contributes nothing.
  let total = new Dec(0);
  let prev = 0;
  for (const tier of tiers) {
    const upper = tier.up_to ?? Infinity;
    const units = Math.min(quantity, upper) - prev;
    if (units > 0) total = total.plus(unitOf(tier).times(units)).plus(flatOf(tier));
    if (quantity <= upper) break;
    prev = upper;
  }
  return total;
}

/**
 * The exact amount as an integer when every amount the price involves is whole minor units (no
 * `*_decimal` form), else null. Most prices are; they are then priced in bigint arithmetic, which
 * gives the same result as the decimal path (a test holds the two equal) many times faster.
 */
export function wholeAmount(p: PriceModel, quantity: number): bigint | null {
  if (!Number.isSafeInteger(quantity) || quantity < 0) return null;
  if (p.billing_scheme === 'per_unit') {
    if (p.unit_amount_decimal !== null) return null;
    let q = quantity;
    const t = p.transform_quantity;
    if (t) q = t.round === 'up' ? Math.ceil(q / t.divide_by) : Math.floor(q / t.divide_by);
    return (p.unit_amount ?? 0n) * BigInt(q);
  }
  const tiers = p.tiers ?? [];
  if (tiers.some((t) => t.unit_amount_decimal !== null || t.flat_amount_decimal !== null)) return null;
  if (p.tiers_mode === 'volume') {
    const tier = tiers.find((t) => t.up_to === null || quantity <= t.up_to) ?? tiers[tiers.length - 1];
    return tier ? (tier.unit_amount ?? 0n) * BigInt(quantity) + (tier.flat_amount ?? 0n) : 0n;
  }
  let total = 0n;
  let prev = 0;
  for (const tier of tiers) {
    const upper = tier.up_to ?? Infinity;
    const units = Math.min(quantity, upper) - prev;
    if (units > 0) total += (tier.unit_amount ?? 0n) * BigInt(units) + (tier.flat_amount ?? 0n);
    if (quantity <= upper) break;
    prev = upper;
  }
  return total;
}

/** Rounded once, half-up, in minor units. */
export function lineAmount(p: PriceModel, quantity: number): bigint {
  return wholeAmount(p, quantity) ?? roundHalfUp(exactAmount(p, quantity));
}

// ---- validation of untyped API input ----

const absent = (v: unknown) => v === undefined || v === null;

/** Integer minor-unit amount; JSON numbers or digit strings (form encoding) are accepted. */
function parseAmount(v: unknown, param: string): bigint | null {
  if (absent(v)) return null;
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
  else throw invalid('parameter_invalid', `${param} must be an integer.`, param);
  if (n < 0n) throw invalid('parameter_invalid', `${param} must be non-negative.`, param);
  if (n > MAX_AMOUNT) throw invalid('amount_too_large', `${param} must be at most ${MAX_AMOUNT}.`, param);
  return n;
}

function parseDecimal(v: unknown, param: string): string | null {
  if (absent(v)) return null;
  if (typeof v !== 'string' || !DECIMAL_RE.test(v)) {
    throw invalid('parameter_invalid', `${param} must be a decimal string with up to 15 integer and 12 fractional digits.`, param);
  }
  return v;
}

/** Both forms of one amount given: blame the second. `prefix` is e.g. 'tiers[0]' or ''. */
function exclusive(o: Record<string, unknown>, a: string, b: string, prefix: string): void {
  const name = (k: string) => (prefix ? `${prefix}[${k}]` : k);
  if (!absent(o[a]) && !absent(o[b])) {
    throw invalid('parameter_invalid', `You may only specify one of ${name(a)} and ${name(b)}.`, name(b));
  }
}

function parsePositiveInt(v: unknown, param: string): number {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw invalid('parameter_invalid', `${param} must be a positive integer.`, param);
  }
  return n;
}

function parseTier(raw: unknown, i: number, last: boolean, prevUpTo: number): Tier {
  const p = `tiers[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('parameter_invalid', `${p} must be an object.`, p);
  }
  const o = raw as Record<string, unknown>;
  const up = `${p}[up_to]`;
  let up_to: number | null;
  if (o.up_to === 'inf' || (o.up_to === null && last)) {
    if (!last) throw invalid('parameter_invalid', `Only the last tier may have ${up} = inf.`, up);
    up_to = null;
  } else if (o.up_to === undefined) {
    throw invalid('parameter_missing', `Missing required param: ${up}.`, up);
  } else {
    if (last) throw invalid('parameter_invalid', `The last tier must have ${up} = inf.`, up);
    up_to = parsePositiveInt(o.up_to, up);
    if (up_to <= prevUpTo) throw invalid('parameter_invalid', `${up} must be greater than the previous tier's.`, up);
  }
  exclusive(o, 'unit_amount', 'unit_amount_decimal', p);
  exclusive(o, 'flat_amount', 'flat_amount_decimal', p);
  const tier: Tier = {
    up_to,
    unit_amount: parseAmount(o.unit_amount, `${p}[unit_amount]`),
    unit_amount_decimal: parseDecimal(o.unit_amount_decimal, `${p}[unit_amount_decimal]`),
    flat_amount: parseAmount(o.flat_amount, `${p}[flat_amount]`),
    flat_amount_decimal: parseDecimal(o.flat_amount_decimal, `${p}[flat_amount_decimal]`),
  };
  // A tier with no price at all is almost certainly a client mistake; free tiers say 0.
  if ([tier.unit_amount, tier.unit_amount_decimal, tier.flat_amount, tier.flat_amount_decimal].every((x) => x === null)) {
    throw invalid('parameter_missing', `${p} needs unit_amount, unit_amount_decimal or flat_amount.`, `${p}[unit_amount]`);
  }
  return tier;
}

function parseTransform(v: unknown): PriceModel['transform_quantity'] {
  if (absent(v)) return null;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw invalid('parameter_invalid', 'transform_quantity must be an object.', 'transform_quantity');
  }
  const o = v as Record<string, unknown>;
  if (absent(o.divide_by)) {
    throw invalid('parameter_missing', 'Missing required param: transform_quantity[divide_by].', 'transform_quantity[divide_by]');
  }
  const divide_by = parsePositiveInt(o.divide_by, 'transform_quantity[divide_by]');
  if (absent(o.round)) {
    throw invalid('parameter_missing', 'Missing required param: transform_quantity[round].', 'transform_quantity[round]');
  }
  if (o.round !== 'up' && o.round !== 'down') {
    throw invalid('parameter_invalid', 'transform_quantity[round] must be up or down.', 'transform_quantity[round]');
  }
  return { divide_by, round: o.round };
}

/** Validate untyped API input into a PriceModel; errors name the offending field. */
export function parsePriceModel(input: Record<string, unknown>): PriceModel {
  const scheme = input.billing_scheme ?? 'per_unit';
  if (scheme !== 'per_unit' && scheme !== 'tiered') {
    throw invalid('parameter_invalid', 'billing_scheme must be per_unit or tiered.', 'billing_scheme');
  }
  if (scheme === 'per_unit') {
    for (const k of ['tiers', 'tiers_mode'] as const) {
      if (!absent(input[k])) throw invalid('parameter_invalid', `${k} requires billing_scheme=tiered.`, k);
    }
    exclusive(input, 'unit_amount', 'unit_amount_decimal', '');
    const unit_amount = parseAmount(input.unit_amount, 'unit_amount');
    const unit_amount_decimal = parseDecimal(input.unit_amount_decimal, 'unit_amount_decimal');
    if (unit_amount === null && unit_amount_decimal === null) {
      throw invalid('parameter_missing', 'Missing required param: unit_amount.', 'unit_amount');
    }
    const transform_quantity = parseTransform(input.transform_quantity);
    return { billing_scheme: 'per_unit', unit_amount, unit_amount_decimal, tiers_mode: null, tiers: null, transform_quantity };
  }
  for (const k of ['unit_amount', 'unit_amount_decimal', 'transform_quantity'] as const) {
    if (!absent(input[k])) throw invalid('parameter_invalid', `${k} cannot be used with billing_scheme=tiered.`, k);
  }
  const mode = input.tiers_mode;
  if (absent(mode)) throw invalid('parameter_missing', 'Missing required param: tiers_mode.', 'tiers_mode');
  if (mode !== 'graduated' && mode !== 'volume') {
    throw invalid('parameter_invalid', 'tiers_mode must be graduated or volume.', 'tiers_mode');
  }
  const raw = input.tiers;
  if (absent(raw)) throw invalid('parameter_missing', 'Missing required param: tiers.', 'tiers');
  if (!Array.isArray(raw) || raw.length === 0) {
    throw invalid('parameter_invalid', 'tiers must be a non-empty array.', 'tiers');
  }
  const tiers: Tier[] = [];
  let prev = 0;
  raw.forEach((t, i) => {
    const tier = parseTier(t, i, i === raw.length - 1, prev);
    tiers.push(tier);
    prev = tier.up_to ?? prev;
  });
  return { billing_scheme: 'tiered', unit_amount: null, unit_amount_decimal: null, tiers_mode: mode, tiers, transform_quantity: null };
}
