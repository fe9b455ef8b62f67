// Percentages (a coupon's percent_off, a tax rate's percentage) are exact decimals with a fixed
// number of places, held as integers of millionths of a percent's fraction: "8.875" % is
// 88,750 parts per million. Amount × rate is then bigint arithmetic, rounded once.
import { invalid } from './errors.ts';
import { divideHalfUp } from './money.ts';

export type Rate = bigint; // parts per million of the amount: 100% = 1,000,000

const ONE = 1_000_000n;

/** "8.875" (a percentage with up to `places` decimals, 0–100) as parts per million. */
export function parsePercent(value: unknown, places: number, param: string): Rate {
  const s = typeof value === 'number' ? String(value) : value;
  const re = new RegExp(`^(\\d{1,3})(?:\\.(\\d{1,${places}}))?$`);
  const m = typeof s === 'string' ? re.exec(s) : null;
  if (!m) throw invalid('parameter_invalid', `${param} must be a percentage with at most ${places} decimals`, param);
  const rate = BigInt(m[1]!) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
  if (rate > ONE) throw invalid('parameter_invalid', `${param} must be at most 100`, param);
  return rate;
}

/** The percentage as written back: 88,750 → "8.875". */
export function formatPercent(rate: Rate): string {
  const int = rate / 10_000n;
  const frac = (rate % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int.toString();
}

/** amount × rate, rounded half away from zero to the minor unit. */
export function percentOf(amount: bigint, rate: Rate): bigint {
  return divideHalfUp(amount * rate, ONE);
}

/** The part of a gross amount that is tax at `rate` when the tax is included: gross − gross ÷ (1 + rate). */
export function includedIn(gross: bigint, rate: Rate): bigint {
  const neg = gross < 0n;
  const g = neg ? -gross : gross;
  const net = divideHalfUp(g * ONE, ONE + rate);
  return neg ? -(g - net) : g - net;
}
