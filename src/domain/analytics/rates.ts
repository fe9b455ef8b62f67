// Rates of analytics reports: exact integer arithmetic, rounded once, as decimal strings.
import { divideHalfUp } from '../money.ts';

export const RATE_PLACES = 4;
const SCALE = 10n ** BigInt(RATE_PLACES);

/**
 * numerator / denominator as a decimal string of 4 places ("0.6667", "-0.0250"), rounded half-up
 * once on the exact ratio (half away from zero for a negative one, so a rate and its opposite
 * round alike); null when the denominator is not positive (nothing to measure against).
 */
export function rate(numerator: bigint, denominator: bigint): string | null {
  if (denominator <= 0n) return null;
  const scaled = divideHalfUp(numerator * SCALE, denominator);
  const abs = scaled < 0n ? -scaled : scaled;
  return `${scaled < 0n ? '-' : ''}${abs / SCALE}.${(abs % SCALE).toString().padStart(RATE_PLACES, '0')}`;
}
