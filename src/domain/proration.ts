/** An exact ratio; kept as integers so no rounding happens before the line is priced. */
export type Fraction = { numerator: bigint; denominator: bigint };

/**
 * The share of the full period [fullStart, fullEnd) that [start, end) covers, by elapsed time
 * (milliseconds), or null when it covers all of it. Used for a partial first period that runs
 * up to a billing-cycle anchor.
 */
export function periodFraction(start: Date, end: Date, fullStart: Date, fullEnd: Date): Fraction | null {
  const part = BigInt(end.getTime() - start.getTime());
  const whole = BigInt(fullEnd.getTime() - fullStart.getTime());
  if (whole <= 0n) throw new RangeError('a full period must have positive length');
  if (part < 0n || part > whole) throw new RangeError('the partial period must lie within the full period');
  return part === whole ? null : { numerator: part, denominator: whole };
}
