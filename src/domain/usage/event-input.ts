import { Dec } from '../decimal.ts';
import { normalDecimal as normal } from './aggregate.ts';

/**
 * Checks of one incoming meter event that need no database: its value and its timestamp.
 * Values are exact decimals of at most 20 integer and 12 fractional digits, kept as strings.
 */
const DECIMAL = /^-?[0-9]{1,20}(\.[0-9]{1,12})?$/;

/** A number or numeric string as a plain decimal string, or null when it is not one (NaN, Infinity, 1e400, "ten"). */
export function usageValue(raw: unknown): string | null {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return null;
    // A JSON number reaches us as a double already; its shortest decimal form is what the client wrote.
    const plain = new Dec(raw).toFixed();
    return DECIMAL.test(plain) ? normal(plain) : null;
  }
  if (typeof raw === 'string') return DECIMAL.test(raw.trim()) ? normal(raw.trim()) : null;
  return null;
}

/** Unix seconds (an integer) or an RFC 3339 string, as an instant; null when it is neither. */
export function eventTime(raw: unknown): Date | null {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 && raw < 32_503_680_000 ? new Date(raw * 1000) : null;
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(raw)) return null;
  const t = new Date(raw);
  return Number.isNaN(t.getTime()) ? null : t;
}

/** How far from business "now" an event may be: 35 days late (a period is billed after it closes), 5 minutes early (clock skew). */
export const MAX_AGE_MS = 35 * 24 * 3600_000;
export const MAX_AHEAD_MS = 5 * 60_000;

export const withinWindow = (t: Date, now: Date) =>
  t.getTime() >= now.getTime() - MAX_AGE_MS && t.getTime() <= now.getTime() + MAX_AHEAD_MS;
