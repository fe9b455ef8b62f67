import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertThreshold, calendarMonth, thresholdReached, usagePeriod, type SubscriptionPeriod } from './alert.ts';

const at = (iso: string) => new Date(iso);
const monthly = (anchor: string, start: string, end: string): SubscriptionPeriod => ({
  billing_cycle_anchor: at(anchor), current_period_start: at(start), current_period_end: at(end), recurring_interval: 'month', recurring_interval_count: 1,
});
const instant = fc.date({ min: at('1990-01-01T00:00:00Z'), max: at('2990-12-31T00:00:00Z'), noInvalidDate: true });

describe('the period a usage alert adds up over', () => {
  it('is the calendar month (UTC) without a subscription, and the months tile time', () => {
    expect(usagePeriod(at('2027-02-28T23:59:59.999Z'), null)).toEqual({ start: at('2027-02-01T00:00:00Z'), end: at('2027-03-01T00:00:00Z') });
    expect(calendarMonth(at('2027-12-31T12:00:00Z'))).toEqual({ start: at('2027-12-01T00:00:00Z'), end: at('2028-01-01T00:00:00Z') });
    fc.assert(fc.property(instant, (t) => {
      const p = calendarMonth(t);
      expect(p.start <= t && t < p.end).toBe(true);
      expect(calendarMonth(p.end).start).toEqual(p.end);
      expect(p.start.getUTCDate()).toBe(1);
    }));
  });

  it('is the subscription\'s current period while now is in it, a trial included', () => {
    const trial = monthly('2027-01-15T10:00:00Z', '2027-01-01T10:00:00Z', '2027-01-15T10:00:00Z');
    expect(usagePeriod(at('2027-01-10T00:00:00Z'), trial)).toEqual({ start: at('2027-01-01T10:00:00Z'), end: at('2027-01-15T10:00:00Z') });
  });

  it('past a renewal not yet processed, is the period the anchor gives for now (the 31st stays the 31st)', () => {
    const sub = monthly('2027-01-31T00:00:00Z', '2027-01-31T00:00:00Z', '2027-02-28T00:00:00Z');
    expect(usagePeriod(at('2027-03-05T00:00:00Z'), sub)).toEqual({ start: at('2027-02-28T00:00:00Z'), end: at('2027-03-31T00:00:00Z') });
    fc.assert(fc.property(instant, fc.integer({ min: 1, max: 3 }), (t, count) => {
      const p = usagePeriod(t, { ...sub, recurring_interval_count: count });
      expect(p.start <= t && t < p.end).toBe(true);
    }));
  });
});

describe('alert thresholds', () => {
  it('are decimals greater than zero, as numbers or strings', () => {
    expect(alertThreshold(100)).toBe('100');
    expect(alertThreshold('0.5')).toBe('0.5');
    expect(alertThreshold('100.50')).toBe('100.5');
    for (const bad of [0, '0', -1, '-0.1', 'ten', Number.NaN, null, '1e3']) expect(alertThreshold(bad)).toBeNull();
  });

  it('are reached at equality and above, exactly, past a JS number\'s precision', () => {
    expect(thresholdReached('100', '100')).toBe(true);
    expect(thresholdReached('99.999999999999', '100')).toBe(false);
    expect(thresholdReached('9007199254740993', '9007199254740992.5')).toBe(true);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }), (v, g, scale) => {
      const dec = (n: bigint) => (scale === 0 ? n.toString() : `${n / 10n ** BigInt(scale)}.${(n % 10n ** BigInt(scale)).toString().padStart(scale, '0')}`);
      expect(thresholdReached(dec(v), dec(g))).toBe(v >= g);
    }));
  });
});
