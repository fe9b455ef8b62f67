import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { businessMorningAfter, nextPayDay, paydayAware } from './payday.ts';
import { DEFAULT_POLICY, type DunningPolicy } from './policy.ts';
import { retryInstant } from './schedule.ts';
import { fixedSchedule, type CaseDecline, type CaseFacts } from './strategy.ts';

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'America/Los_Angeles'];
const decline = (at: Date, declineCode = 'insufficient_funds'): CaseDecline =>
  ({ at, declineCode, category: 'soft', doNotRetry: false, network: 'visa', networkCode: null, adviceCode: null });
const facts = (first: Date, over: Partial<CaseFacts> = {}): CaseFacts =>
  ({ firstFailureAt: first, declines: [decline(first)], retriesSoFar: 0, timeZone: null, card: null, history: { paidFirstTry: 0, recovered: 0, lost: 0 }, now: first, ...over });
const local = (d: Date, zone: string | null) => DateTime.fromJSDate(d, { zone: zone ?? 'UTC' });

describe('pay days', () => {
  it('the next pay day is the 15th or the 1st strictly after the local date', () => {
    const at = (iso: string, zone: string | null = null) => nextPayDay(new Date(iso), zone).toISODate();
    expect(at('2027-03-01T12:00:00Z')).toBe('2027-03-15');
    expect(at('2027-03-14T23:00:00Z')).toBe('2027-03-15');
    expect(at('2027-03-15T00:00:00Z')).toBe('2027-04-01');
    expect(at('2027-12-20T00:00:00Z')).toBe('2028-01-01');
    // 14 March 20:00 in New York is already the 15th in Paris, and 23:30 UTC on the 14th is the 15th in Kolkata.
    expect(at('2027-03-14T23:30:00Z', 'Asia/Kolkata')).toBe('2027-04-01');
    expect(at('2027-03-14T23:30:00Z', 'America/New_York')).toBe('2027-03-15');
  });

  it('money paid on Friday the 15th is tried on Monday morning, at the preferred hour of the customer\'s day', () => {
    // 2027-01-15 is a Friday.
    const at = businessMorningAfter(DateTime.fromISO('2027-01-15', { zone: 'Europe/Paris' }), 10, new Date('2027-01-10T00:00:00Z'));
    expect(at.toISOString()).toBe('2027-01-18T09:00:00.000Z');
  });
});

describe('the payday_aware strategy', () => {
  const policy: DunningPolicy = { ...DEFAULT_POLICY, retryScheduleDays: [1, 3, 5, 7, 10, 14], maxRetries: 6, retryStrategy: 'payday_aware' };

  it('waits for the morning after pay day instead of the schedule\'s next day, for insufficient funds only', () => {
    // Failure on Monday 2027-03-08; pay day Monday 15th; first business morning after it: Tuesday 16th, 10:00.
    const first = new Date('2027-03-08T15:00:00Z');
    expect(paydayAware.nextAttemptAt(facts(first), policy)?.toISOString()).toBe('2027-03-16T10:00:00.000Z');
    const generic = facts(first, { declines: [decline(first, 'do_not_honor')] });
    expect(paydayAware.nextAttemptAt(generic, policy)).toEqual(fixedSchedule.nextAttemptAt(generic, policy));
    // A pay day beyond the schedule's last day: the last day it is. After that, nothing.
    const late = new Date('2027-03-16T15:00:00Z');
    expect(paydayAware.nextAttemptAt(facts(late, { timeZone: 'UTC' }), { ...policy, retryScheduleDays: [1, 3, 5] })?.toISOString()).toBe('2027-03-21T10:00:00.000Z');
    const atEnd = new Date('2027-03-21T10:00:00Z');
    expect(paydayAware.nextAttemptAt(facts(late, { declines: [decline(late), decline(atEnd)], retriesSoFar: 1, now: atEnd }), { ...policy, retryScheduleDays: [1, 3, 5] })).toBeNull();
  });

  it('never before now nor the schedule\'s next day, never past its last day, and on or after a pay day unless that is past the last day', () => {
    const instant = fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true });
    const schedule = fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 15 }).map((d) => d.sort((a, b) => a - b));
    fc.assert(fc.property(instant, schedule, fc.option(fc.integer({ min: 0, max: 23 })), fc.constantFrom(...ZONES), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 40 * 24 }),
      (first, days, hour, zone, tries, laterHours) => {
        const p: DunningPolicy = { ...policy, retryScheduleDays: days, preferredHour: hour, maxRetries: days.length };
        const slots = days.map((d) => retryInstant(first, d, hour, zone));
        // The latest decline: the first failure, or a retry a while after it; the case is planned at once.
        const lastAt = new Date(first.getTime() + laterHours * 3_600_000);
        const f = facts(first, { declines: lastAt > first ? [decline(first), decline(lastAt)] : [decline(first)], timeZone: zone, retriesSoFar: Math.min(tries, days.length), now: lastAt });
        const at = paydayAware.nextAttemptAt(f, p);
        const nextSlot = slots.find((s) => s > lastAt);
        if (!nextSlot) { expect(at).toBeNull(); return; }
        expect(at).not.toBeNull();
        expect(at!.getTime()).toBeGreaterThanOrEqual(lastAt.getTime());
        expect(at!.getTime()).toBeGreaterThanOrEqual(nextSlot.getTime());
        expect(at!.getTime()).toBeLessThanOrEqual(slots.at(-1)!.getTime());
        const payDay = nextPayDay(lastAt, zone);
        const day = local(at!, zone);
        if (at!.getTime() !== slots.at(-1)!.getTime()) {
          expect(day.startOf('day') > payDay.startOf('day') || at!.getTime() === nextSlot.getTime()).toBe(true);
          if (at!.getTime() !== nextSlot.getTime()) expect(day.weekday).toBeLessThanOrEqual(5);
        }
      }), { numRuns: 500 });
  });
});
