import { periodContaining, type Interval } from '../calendar.ts';
import { Dec } from '../decimal.ts';
import { usageValue } from './event-input.ts';

/** The billing period fields of a subscription, as stored. */
export type SubscriptionPeriod = {
  current_period_start: Date; current_period_end: Date; billing_cycle_anchor: Date;
  recurring_interval: string; recurring_interval_count: number;
};
export type Period = { start: Date; end: Date };

/** The UTC calendar month holding `t`. */
export function calendarMonth(t: Date): Period {
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}

/**
 * The period an alert's usage adds up over at `now`: the subscription's current billing period,
 * or the UTC calendar month of a customer without one. A renewal the worker has not processed
 * yet leaves the stored period behind `now`: the period is then the one the anchor gives for
 * `now`, the same the renewal will move to, so usage after the boundary never counts for the
 * period before it.
 */
export function usagePeriod(now: Date, sub: SubscriptionPeriod | null): Period {
  if (!sub) return calendarMonth(now);
  if (sub.current_period_start <= now && now < sub.current_period_end) return { start: sub.current_period_start, end: sub.current_period_end };
  const p = periodContaining(sub.billing_cycle_anchor, { interval: sub.recurring_interval as Interval, interval_count: sub.recurring_interval_count }, now);
  return { start: p.start, end: p.end };
}

/** A threshold as sent (number or numeric string), as a plain decimal string; null unless it is a decimal greater than zero. */
export function alertThreshold(raw: unknown): string | null {
  const v = usageValue(raw);
  return v !== null && new Dec(v).gt(0) ? v : null;
}

/** Whether an aggregated value (a decimal string) has reached the threshold. Exact: never a JS number. */
export const thresholdReached = (value: string, gte: string): boolean => new Dec(value).gte(gte);
