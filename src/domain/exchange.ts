// Exchange rates the merchant uploads (issue 19), and conversion of amounts between currencies
// with them. Analytics reports several currencies in one reporting currency only through these:
// a pair without a rate is an error, never a silent 1:1.
//
// A rate is kept as the decimal the merchant wrote. Converting with the inverse of a rate
// (the merchant uploaded usd→eur, the report needs eur→usd) divides by it: 1/rate is rarely a
// finite decimal (1/3), and a rounded reciprocal could turn an exact half into a value just
// below it. So conversion is done on the exact fraction, in bigint, and rounded once, half away
// from zero, at the target currency's minor unit.
import type { Decimal } from 'decimal.js';
import { currencyExponent } from './currency.ts';
import { Dec } from './decimal.ts';
import { invalid } from './errors.ts';
import { divideHalfUp } from './money.ts';

/** A rate has at most 12 decimals and 12 integer digits: "0.000000012345" to "999999999999". */
export const RATE_PLACES = 12;
const RATE_SHAPE = /^(\d{1,12})(?:\.(\d{1,12}))?$/;
const DAY_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** An uploaded rate: one `base` unit is worth `rate` `quote` units from 00:00 UTC of `effective_date`. */
export type ExchangeRate = { base: string; quote: string; rate: string; effective_date: string };

/**
 * The rate that converts `base` into `quote` at some instant: an uploaded `rate`, used as is or
 * (`inverse`) divided into 1. `effective_date` is the uploaded rate's; null for a currency into itself.
 */
export type AppliedRate = { base: string; quote: string; rate: string; inverse: boolean; effective_date: string | null };

/** A rate as sent (a decimal string, or a JSON number), as its shortest decimal string ("1.0850" → "1.085"). */
export function parseRate(value: unknown, param: string): string {
  const s = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  const m = typeof s === 'string' ? RATE_SHAPE.exec(s) : null;
  if (!m) {
    throw invalid('parameter_invalid', `${param} must be a decimal number greater than 0 with at most 12 digits before and ${RATE_PLACES} after the point`, param);
  }
  const rate = new Dec(s as string);
  if (rate.isZero()) throw invalid('parameter_invalid', `${param} must be greater than 0`, param);
  return rate.toFixed();
}

/** A calendar day as sent ("2027-02-28"), checked to exist; years 1970–2999 as timestamps are. */
export function parseDay(value: unknown, param: string): string {
  const m = typeof value === 'string' ? DAY_SHAPE.exec(value) : null;
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const t = new Date(Date.UTC(y, mo - 1, d));
  const real = m !== null && y >= 1970 && y <= 2999 && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
  if (!real) throw invalid('parameter_invalid', `${param} must be a date that exists, written YYYY-MM-DD (years 1970–2999)`, param);
  return value as string;
}

/** The UTC calendar day of an instant, as "YYYY-MM-DD": a rate dated that day applies from its 00:00 UTC. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

function latest(rates: readonly ExchangeRate[], base: string, quote: string, day: string): ExchangeRate | null {
  let best: ExchangeRate | null = null;
  for (const r of rates) {
    if (r.base !== base || r.quote !== quote || r.effective_date > day) continue;
    if (!best || r.effective_date > best.effective_date) best = r;
  }
  return best;
}

/**
 * The rate converting `base` into `quote` at the instant `at`: the pair's rate with the latest
 * effective_date on or before `at`'s UTC day. When the pair has none in effect, the reverse
 * pair's, inverted; a direct rate in effect wins over any reverse one. Null when neither has one.
 */
export function rateOn(rates: readonly ExchangeRate[], base: string, quote: string, at: Date): AppliedRate | null {
  const [b, q] = [base.toLowerCase(), quote.toLowerCase()];
  if (b === q) return { base: b, quote: q, rate: '1', inverse: false, effective_date: null };
  const day = utcDay(at);
  const direct = latest(rates, b, q, day);
  if (direct) return { base: b, quote: q, rate: direct.rate, inverse: false, effective_date: direct.effective_date };
  const reverse = latest(rates, q, b, day);
  if (reverse) return { base: b, quote: q, rate: reverse.rate, inverse: true, effective_date: reverse.effective_date };
  return null;
}

/** A positive decimal as an exact fraction n / d of bigints (d a power of ten). */
function fraction(x: Decimal.Value): [bigint, bigint] {
  const v = new Dec(x);
  if (!v.isFinite() || v.lte(0)) throw new RangeError(`an exchange rate must be a finite decimal above 0, not ${String(x)}`);
  const places = v.decimalPlaces();
  return [BigInt(v.times(Dec.pow(10, places)).toFixed(0)), 10n ** BigInt(places)];
}

function exponentOf(currency: string): bigint {
  const exp = currencyExponent(currency);
  if (exp === undefined) throw invalid('currency_invalid', `Invalid currency: '${currency}' is not an ISO 4217 currency code.`, 'currency');
  return BigInt(exp);
}

/**
 * `amount` (minor units of `from`) in minor units of `to`, with `rate` `to` units per `from`
 * unit: an AppliedRate of exactly that pair, or a plain decimal. Computed exactly and rounded
 * once, half away from zero, minding both exponents (1.234 KWD at 3.25 is 4.01 USD).
 */
export function convertMinor(amount: bigint, from: string, to: string, rate: AppliedRate | Decimal.Value): bigint {
  let [num, den] = [1n, 1n];
  if (typeof rate === 'object' && rate !== null && 'inverse' in rate) {
    if (rate.base !== from.toLowerCase() || rate.quote !== to.toLowerCase()) {
      throw new RangeError(`a ${rate.base}→${rate.quote} rate cannot convert ${from} into ${to}`);
    }
    const [n, d] = fraction(rate.rate);
    [num, den] = rate.inverse ? [d, n] : [n, d];
  } else {
    [num, den] = fraction(rate);
  }
  // amount / 10^fromExp major units × num/den = result / 10^toExp major units.
  return divideHalfUp(amount * num * 10n ** exponentOf(to), den * 10n ** exponentOf(from));
}
