import { currencyExponent } from '../../../domain/currency.ts';

/**
 * What Rebill charges through Razorpay: recurring payments on a saved token (card, e-mandate,
 * UPI Autopay) are taken in INR only. Razorpay's international currencies are for one-off
 * checkout payments, which Rebill does not make, so any other currency is refused before a call.
 */
export const RAZORPAY_RECURRING_CURRENCIES: readonly string[] = ['inr'];

/**
 * Razorpay's "currency subunits" follow ISO 4217: paise for INR, whole yen for its zero-decimal
 * currencies (JPY), thousandths for its three-decimal ones (KWD, BHD, OMR). For those three its
 * docs ask that the last digit be 0 (99.991 KWD cannot be charged; 99.990 is sent as 99990).
 */
const THREE_DECIMAL = new Set(['kwd', 'bhd', 'omr']);

/**
 * Rebill's minor units (ISO 4217 exponent) as Razorpay's amount: the same number, since both
 * count in the ISO minor unit; null when Razorpay cannot take it (not positive, beyond a JSON
 * number's exact range, a three-decimal amount not ending in 0, or not a currency at all).
 */
export function toRazorpayAmount(amount: bigint, currency: string): number | null {
  const exponent = currencyExponent(currency);
  if (exponent === undefined || amount <= 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  if (THREE_DECIMAL.has(currency.toLowerCase()) && amount % 10n !== 0n) return null;
  return Number(amount);
}

/** Razorpay's amount back in Rebill's minor units. */
export function fromRazorpayAmount(amount: number | string): bigint {
  return BigInt(amount);
}
