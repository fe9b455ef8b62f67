// Money is always an integer count of minor units held in a bigint; floats never touch it.
// Fractional intermediate values (e.g. unit prices of 0.04 cents) live in decimal.js and are
// rounded exactly once, with roundHalfUp, when they become a line amount.
import type { Decimal } from 'decimal.js';
import { currencyExponent } from './currency.ts';
import { Dec } from './decimal.ts';
import { invalid } from './errors.ts';

export type Money = { amount: bigint; currency: string };

/** Round to an integer, ties away from zero (2.5 -> 3, -2.5 -> -3). */
export function roundHalfUp(x: Decimal.Value): bigint {
  const r = new Dec(x).toDecimalPlaces(0, Dec.ROUND_HALF_UP);
  if (!r.isFinite()) throw new RangeError(`cannot round non-finite value ${String(x)}`);
  // toFixed never switches to exponential notation, so BigInt() can parse it.
  return BigInt(r.toFixed(0));
}

/** n ÷ d (d > 0) rounded half away from zero, in bigint: the one rounding of an exact ratio. */
export function divideHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divideHalfUp: the divisor must be positive');
  const neg = n < 0n;
  const q = ((neg ? -n : n) * 2n + d) / (2n * d);
  return neg ? -q : q;
}

/** Render minor units as a major-unit decimal string using the ISO exponent. */
export function formatMinor(amount: bigint, currency: string): string {
  const exp = currencyExponent(currency);
  if (exp === undefined) {
    throw invalid('currency_invalid', `Invalid currency: '${currency}'.`, 'currency');
  }
  const neg = amount < 0n;
  const digits = (neg ? -amount : amount).toString();
  if (exp === 0) return (neg ? '-' : '') + digits;
  const padded = digits.padStart(exp + 1, '0');
  const cut = padded.length - exp;
  return `${neg ? '-' : ''}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

export function sumAmounts(xs: readonly bigint[]): bigint {
  let s = 0n;
  for (const x of xs) s += x;
  return s;
}

/**
 * Split `total` in proportion to `weights` so the parts add up to exactly `total`
 * (largest-remainder method). Each part is floor or ceil of its exact share; leftover units
 * go to the largest fractional remainders, ties to the earlier index so results are stable.
 */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  let weightSum = 0n;
  for (const w of weights) {
    if (w < 0n) throw new RangeError('allocate: weights must be non-negative');
    weightSum += w;
  }
  if (weightSum === 0n) throw new RangeError('allocate: at least one weight must be positive');

  // Work on the magnitude so floor/remainder semantics are simple, then restore the sign.
  const neg = total < 0n;
  const abs = neg ? -total : total;
  const shares = weights.map((w) => (abs * w) / weightSum);
  const remainders = weights.map((w, i) => ({ i, r: (abs * w) % weightSum }));
  let left = abs - sumAmounts(shares);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  // left < number of positive-remainder weights, so one pass suffices.
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i] = shares[i]! + 1n;
    left -= 1n;
  }
  return neg ? shares.map((s) => -s) : shares;
}
