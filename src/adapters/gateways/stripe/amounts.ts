// Stripe's amount units (docs.stripe.com/currencies, "Minor units in API amounts", "Zero-decimal
// currencies", "Three-decimal currencies", "Special cases"; read 2026-11). Rebill keeps amounts in
// ISO 4217 minor units; Stripe's unit differs for some currencies, and a few accept only round
// amounts. Conversion is exact or refused: an amount is never rounded on its way to the processor.
import { currencyExponent } from '../../../domain/currency.ts';

/** Stripe takes these as whole units ("zero-decimal"): MGA is among them though ISO gives it 2 decimals. */
const ZERO_DECIMAL = ['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf'];

/**
 * Three decimals, but Stripe's card partners need the last digit to be 0 ("round amounts to the
 * nearest ten"): 5.124 KWD cannot be charged, 5.120 can.
 */
const THREE_DECIMAL = ['bhd', 'jod', 'kwd', 'omr', 'tnd'];

/**
 * Stripe's special cases. ISK: whole krónur only since April 2023, yet still sent with two decimals
 * (500 = 5 ISK; anything not divisible by 100 is refused with invalid_charge_amount_no_decimal_compatible).
 * HUF and TWD: charged with two decimals; only payouts must be whole units, and Rebill makes no
 * payouts. UGX: zero-decimal for charges (it is in Stripe's zero-decimal list); its special case
 * concerns payouts too.
 */
const SPECIAL: Record<string, { exponent: number; step: bigint }> = { isk: { exponent: 2, step: 100n } };

/**
 * Presentment currencies Stripe lists for card payments (docs.stripe.com/currencies, "Supported
 * presentment currencies"). Some are limited to certain payment methods or account countries;
 * Stripe refuses those itself (a config decline), which is the merchant's to fix.
 */
const LISTED = [
  'usd', 'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn', 'bhd', 'bif', 'bmd',
  'bnd', 'bob', 'brl', 'bsd', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'clp', 'cny', 'cop', 'crc', 'cve', 'czk', 'djf', 'dkk',
  'dop', 'dzd', 'egp', 'etb', 'eur', 'fjd', 'fkp', 'gbp', 'gel', 'gip', 'gmd', 'gnf', 'gtq', 'gyd', 'hkd', 'hnl', 'htg', 'huf',
  'idr', 'ils', 'inr', 'isk', 'jmd', 'jod', 'jpy', 'kes', 'kgs', 'khr', 'kmf', 'krw', 'kwd', 'kyd', 'kzt', 'lak', 'lbp', 'lkr',
  'lrd', 'lsl', 'mad', 'mdl', 'mga', 'mkd', 'mmk', 'mnt', 'mop', 'mur', 'mvr', 'mwk', 'mxn', 'myr', 'mzn', 'nad', 'ngn', 'nio',
  'nok', 'npr', 'nzd', 'omr', 'pab', 'pen', 'pgk', 'php', 'pkr', 'pln', 'pyg', 'qar', 'ron', 'rsd', 'rub', 'rwf', 'sar', 'sbd',
  'scr', 'sek', 'sgd', 'shp', 'sle', 'sos', 'srd', 'szl', 'thb', 'tjs', 'tnd', 'top', 'try', 'ttd', 'twd', 'tzs', 'uah', 'ugx',
  'uyu', 'uzs', 'vnd', 'vuv', 'wst', 'xaf', 'xcd', 'xof', 'xpf', 'yer', 'zar', 'zmw',
];

type Unit = { iso: number; stripe: number; step: bigint };

function unitOf(currency: string): Unit | undefined {
  const iso = currencyExponent(currency);
  if (iso === undefined || !LISTED.includes(currency)) return undefined;
  if (ZERO_DECIMAL.includes(currency)) return { iso, stripe: 0, step: 1n };
  if (THREE_DECIMAL.includes(currency)) return { iso, stripe: 3, step: 10n };
  const special = SPECIAL[currency];
  if (special) return { iso, stripe: special.exponent, step: special.step };
  return { iso, stripe: 2, step: 1n };
}

/** Every currency the adapter charges in, lower case. */
export const STRIPE_CURRENCIES: readonly string[] = LISTED.filter((c) => unitOf(c) !== undefined);

export type Converted =
  | { ok: true; amount: number }
  | { ok: false; reason: 'currency_not_supported' | 'invalid_amount'; message: string };

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Rebill's minor units → Stripe's `amount`, exactly, or why it cannot be sent. */
export function toStripeAmount(amount: bigint, currency: string): Converted {
  const unit = unitOf(currency);
  if (!unit) return { ok: false, reason: 'currency_not_supported', message: `Stripe does not charge in ${currency.toUpperCase()}.` };
  let stripe: bigint;
  if (unit.stripe >= unit.iso) stripe = amount * pow10(unit.stripe - unit.iso);
  else {
    const div = pow10(unit.iso - unit.stripe);
    if (amount % div !== 0n) return { ok: false, reason: 'invalid_amount', message: `Stripe charges ${currency.toUpperCase()} in whole units only; ${amount} minor units is not one.` };
    stripe = amount / div;
  }
  if (stripe % unit.step !== 0n) return { ok: false, reason: 'invalid_amount', message: `Stripe needs ${currency.toUpperCase()} amounts in steps of ${unit.step} of its unit; ${amount} minor units is not one.` };
  if (stripe <= 0n || stripe > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'invalid_amount', message: 'The amount is out of the range Stripe takes.' };
  return { ok: true, amount: Number(stripe) };
}

/** Stripe's `amount` → Rebill's minor units (amounts Stripe reports back are always exact in ISO units). */
export function fromStripeAmount(amount: number, currency: string): bigint {
  const unit = unitOf(currency);
  if (!unit) throw new Error(`not a Stripe currency: ${currency}`);
  const a = BigInt(amount);
  return unit.stripe >= unit.iso ? a / pow10(unit.stripe - unit.iso) : a * pow10(unit.iso - unit.stripe);
}
