// A second retry-timing strategy (issue 17, point 2), there to show that strategies can be
// compared on one book of failures, not to be clever: a card declined for insufficient funds is
// most likely to go through once the customer has been paid, so its retry waits for the first
// business morning after the next pay day (the 1st or the 15th, in the customer's calendar).
// The policy's schedule still bounds it: never before the schedule's next retry, never after its
// last one. Every other decline follows the schedule as written.
import { DateTime } from 'luxon';
import { isTimeZone, retryInstant } from './schedule.ts';
import { fixedSchedule, type RetryStrategy } from './strategy.ts';

/** Days of the month on which salaries are assumed to arrive. */
export const PAY_DAYS = [1, 15] as const;

const zoneOf = (zone: string | null) => (zone && isTimeZone(zone) ? zone : 'UTC');

/** The first pay day strictly after `at`'s date in `zone`, as that date's local midnight. */
export function nextPayDay(at: Date, zone: string | null): DateTime {
  const day = DateTime.fromJSDate(at, { zone: zoneOf(zone) }).startOf('day');
  return day.day < 15 ? day.set({ day: 15 }) : day.plus({ months: 1 }).set({ day: 1 });
}

/**
 * The first Monday-to-Friday day after `payDay`, at `hour` (or at `timeOf`'s local time of day
 * when `hour` is null, as the schedule does): money paid on a Friday the 15th is there on Monday.
 */
export function businessMorningAfter(payDay: DateTime, hour: number | null, timeOf: Date): Date {
  let day = payDay.plus({ days: 1 });
  while (day.weekday > 5) day = day.plus({ days: 1 });
  const time = DateTime.fromJSDate(timeOf, { zone: payDay.zone });
  const at = hour === null ? day.set({ hour: time.hour, minute: time.minute, second: time.second, millisecond: time.millisecond })
    : day.set({ hour, minute: 0, second: 0, millisecond: 0 });
  return at.toJSDate();
}

const latest = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);
const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

export const paydayAware: RetryStrategy = {
  name: 'payday_aware',
  nextAttemptAt(facts, policy) {
    const last = facts.declines.at(-1);
    if (!last || last.declineCode !== 'insufficient_funds') return fixedSchedule.nextAttemptAt(facts, policy);
    const slots = policy.retryScheduleDays.map((d) => retryInstant(facts.firstFailureAt, d, policy.preferredHour, facts.timeZone));
    // The schedule's next retry: its first slot after the latest decline that is not already past.
    const floor = latest(last.at, facts.now);
    const next = slots.find((s) => s.getTime() > last.at.getTime() && s.getTime() >= facts.now.getTime());
    if (!next) return null;
    const lastSlot = slots.at(-1)!;
    const payMorning = businessMorningAfter(nextPayDay(floor, facts.timeZone), policy.preferredHour, facts.firstFailureAt);
    return earliest(latest(payMorning, next), lastSlot);
  },
};
