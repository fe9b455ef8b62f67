// Billing-period arithmetic. Every boundary is computed directly from the anchor
// (boundary n = anchor + n*count units) rather than by chaining period ends: chaining
// month additions drifts (Jan 31 -> Feb 28 -> Mar 28 ...), anchoring does not
// (Jan 31 -> Feb 28 -> Mar 31). All calendar math is in UTC so DST never shifts a boundary.
import { invalid } from './errors.ts';

export type Interval = 'day' | 'week' | 'month' | 'year';
export type Recurring = { interval: Interval; interval_count: number };

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MAX_COUNT: Record<Interval, number> = { day: 3650, week: 520, month: 120, year: 10 };

function ms(t: Date, what: string): number {
  const v = t.getTime();
  if (!Number.isFinite(v)) throw new RangeError(`${what} is an invalid Date`);
  return v;
}

/** Length in months of one period, or undefined for fixed-length (day/week) intervals. */
function monthsPerPeriod(r: Recurring): number | undefined {
  if (r.interval === 'month') return r.interval_count;
  if (r.interval === 'year') return 12 * r.interval_count;
  return undefined;
}

function fixedPeriodMs(r: Recurring): number {
  return (r.interval === 'week' ? 7 : 1) * r.interval_count * DAY_MS;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y: number, m: number) => (m === 1 && isLeap(y) ? 29 : MONTH_DAYS[m]!);

/**
 * The n-th period boundary after the anchor (n = 0 is the anchor itself). Month/year
 * boundaries clamp the anchor's day to the target month's last day and keep its time of day.
 */
export function boundary(anchor: Date, r: Recurring, n: number): Date {
  const a = ms(anchor, 'anchor');
  if (!Number.isInteger(n)) throw new RangeError(`boundary index must be an integer, got ${n}`);
  const months = monthsPerPeriod(r);
  if (months === undefined) return new Date(a + n * fixedPeriodMs(r));
  // The anchor's day is clamped to the end of shorter months (Jan 31 + 1 month = Feb 28/29), and
  // adding to the anchor's date each time means the clamp never carries over. Plain UTC field
  // arithmetic: this runs for every line of every invoice (a test checks it against luxon's).
  const d = new Date(a);
  const month = d.getUTCMonth() + n * months;
  const year = d.getUTCFullYear() + Math.floor(month / 12);
  const m = month - Math.floor(month / 12) * 12;
  const last = daysInMonth(year, m);
  const t = new Date(0);
  t.setUTCFullYear(year, m, Math.min(d.getUTCDate(), last));
  t.setUTCHours(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  return t;
}

/** The period containing t (start <= t < end) with its index; negative before the anchor. */
export function periodContaining(
  anchor: Date,
  r: Recurring,
  t: Date,
): { index: number; start: Date; end: Date } {
  const a = ms(anchor, 'anchor');
  const x = ms(t, 't');
  const months = monthsPerPeriod(r);
  let n: number;
  if (months === undefined) {
    n = Math.floor((x - a) / fixedPeriodMs(r));
  } else {
    // Whole calendar months between the two instants is within one period of the true
    // index; the loops below fix the estimate in at most a couple of steps.
    const da = new Date(a);
    const dx = new Date(x);
    const elapsed =
      (dx.getUTCFullYear() - da.getUTCFullYear()) * 12 + (dx.getUTCMonth() - da.getUTCMonth());
    n = Math.floor(elapsed / months);
  }
  let start = boundary(anchor, r, n);
  for (let guard = 0; start.getTime() > x; guard++) {
    if (guard > 3) throw new Error('periodContaining: estimate did not converge');
    n -= 1;
    start = boundary(anchor, r, n);
  }
  let end = boundary(anchor, r, n + 1);
  for (let guard = 0; end.getTime() <= x; guard++) {
    if (guard > 3) throw new Error('periodContaining: estimate did not converge');
    n += 1;
    start = end;
    end = boundary(anchor, r, n + 1);
  }
  return { index: n, start, end };
}

/** The first boundary strictly after t. */
export function nextBoundaryAfter(anchor: Date, r: Recurring, t: Date): Date {
  return periodContaining(anchor, r, t).end;
}

/** `months` calendar months later, the day clamped to the month's end (Jan 31 + 1 = Feb 28/29). */
export function addMonths(t: Date, months: number): Date {
  return boundary(t, { interval: 'month', interval_count: 1 }, months);
}

export function addDays(t: Date, days: number): Date {
  return new Date(ms(t, 't') + days * DAY_MS);
}

export function addHours(t: Date, hours: number): Date {
  return new Date(ms(t, 't') + hours * HOUR_MS);
}

function isInterval(v: unknown): v is Interval {
  return v === 'day' || v === 'week' || v === 'month' || v === 'year';
}

/** Validate untyped API input; interval_count defaults to 1 as in Stripe's API. */
export function validateRecurring(input: unknown, param = 'recurring'): Recurring {
  if (input === undefined || input === null) {
    throw invalid('parameter_missing', `Missing required param: ${param}.`, param);
  }
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('parameter_invalid', `${param} must be an object.`, param);
  }
  const o = input as Record<string, unknown>;
  const ip = `${param}[interval]`;
  if (o.interval === undefined || o.interval === null) {
    throw invalid('parameter_missing', `Missing required param: ${ip}.`, ip);
  }
  if (!isInterval(o.interval)) {
    throw invalid('parameter_invalid', `${ip} must be one of day, week, month, year.`, ip);
  }
  const cp = `${param}[interval_count]`;
  const raw = o.interval_count ?? 1;
  // Form-encoded and some JSON clients send numbers as digit strings; accept those too.
  const count = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
  const max = MAX_COUNT[o.interval];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > max) {
    throw invalid(
      'parameter_invalid',
      `${cp} must be an integer between 1 and ${max} for interval '${o.interval}'.`,
      cp,
    );
  }
  return { interval: o.interval, interval_count: count };
}
