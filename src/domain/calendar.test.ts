import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  addDays,
  addHours,
  boundary,
  nextBoundaryAfter,
  periodContaining,
  validateRecurring,
  type Interval,
  type Recurring,
} from './calendar.ts';
import { DomainError } from './errors.ts';

const d = (s: string) => new Date(s);
const iso = (t: Date) => t.toISOString();
const monthly: Recurring = { interval: 'month', interval_count: 1 };
const yearly: Recurring = { interval: 'year', interval_count: 1 };

describe('boundary', () => {
  it('monthly from Jan 31 clamps per month without drifting', () => {
    const a = d('2027-01-31T00:00:00Z');
    expect([0, 1, 2, 3, 4].map((n) => iso(boundary(a, monthly, n)))).toEqual([
      '2027-01-31T00:00:00.000Z',
      '2027-02-28T00:00:00.000Z',
      '2027-03-31T00:00:00.000Z',
      '2027-04-30T00:00:00.000Z',
      '2027-05-31T00:00:00.000Z',
    ]);
  });

  it('uses Feb 29 in leap years', () => {
    expect(iso(boundary(d('2028-01-31T00:00:00Z'), monthly, 1))).toBe('2028-02-29T00:00:00.000Z');
  });

  it('yearly from Feb 29 returns to Feb 29 in the next leap year', () => {
    const a = d('2028-02-29T00:00:00Z');
    expect([1, 2, 3, 4].map((n) => iso(boundary(a, yearly, n)).slice(0, 10))).toEqual([
      '2029-02-28',
      '2030-02-28',
      '2031-02-28',
      '2032-02-29',
    ]);
  });

  it('keeps the time of day', () => {
    const a = d('2027-01-31T10:00:00Z');
    expect(iso(boundary(a, monthly, 1))).toBe('2027-02-28T10:00:00.000Z');
    expect(iso(boundary(a, { interval: 'day', interval_count: 1 }, 45))).toBe('2027-03-17T10:00:00.000Z');
  });

  it('quarterly adds three months per period', () => {
    const a = d('2027-01-31T00:00:00Z');
    const q: Recurring = { interval: 'month', interval_count: 3 };
    expect([1, 2, 3, 4].map((n) => iso(boundary(a, q, n)).slice(0, 10))).toEqual([
      '2027-04-30',
      '2027-07-31',
      '2027-10-31',
      '2028-01-31',
    ]);
  });

  it('weekly and negative indices', () => {
    const a = d('2027-01-01T00:00:00Z');
    const w: Recurring = { interval: 'week', interval_count: 2 };
    expect(iso(boundary(a, w, 1))).toBe('2027-01-15T00:00:00.000Z');
    expect(iso(boundary(a, monthly, -1))).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('periodContaining / nextBoundaryAfter', () => {
  const a = d('2027-01-31T00:00:00Z');

  it('start is inclusive, end exclusive', () => {
    const p = periodContaining(a, monthly, d('2027-02-28T00:00:00Z'));
    expect(p.index).toBe(1);
    expect(iso(p.start)).toBe('2027-02-28T00:00:00.000Z');
    expect(iso(p.end)).toBe('2027-03-31T00:00:00.000Z');
    expect(periodContaining(a, monthly, d('2027-02-27T23:59:59.999Z')).index).toBe(0);
  });

  it('handles instants before the anchor', () => {
    const p = periodContaining(a, monthly, d('2026-12-31T00:00:00Z'));
    expect(p.index).toBe(-1);
    expect(iso(p.start)).toBe('2026-12-31T00:00:00.000Z');
  });

  it('is fast for very distant instants', () => {
    const p = periodContaining(a, { interval: 'day', interval_count: 1 }, d('2999-06-01T12:00:00Z'));
    expect(p.start.getTime()).toBeLessThanOrEqual(d('2999-06-01T12:00:00Z').getTime());
    const m = periodContaining(a, monthly, d('2999-06-15T00:00:00Z'));
    expect(m.index).toBe((2999 - 2027) * 12 + 4);
  });

  it('nextBoundaryAfter is strictly after t', () => {
    expect(iso(nextBoundaryAfter(a, monthly, a))).toBe('2027-02-28T00:00:00.000Z');
    expect(iso(nextBoundaryAfter(a, monthly, d('2027-03-01T00:00:00Z')))).toBe('2027-03-31T00:00:00.000Z');
  });
});

describe('addDays / addHours', () => {
  it('adds exact durations', () => {
    expect(iso(addDays(d('2027-03-01T00:00:00Z'), 3))).toBe('2027-03-04T00:00:00.000Z');
    expect(iso(addHours(d('2027-03-01T00:00:00Z'), -1))).toBe('2027-02-28T23:00:00.000Z');
  });
});

describe('validateRecurring', () => {
  it('accepts valid input and defaults interval_count to 1', () => {
    expect(validateRecurring({ interval: 'month', interval_count: 3 })).toEqual({ interval: 'month', interval_count: 3 });
    expect(validateRecurring({ interval: 'year' })).toEqual({ interval: 'year', interval_count: 1 });
    expect(validateRecurring({ interval: 'week', interval_count: '52' })).toEqual({ interval: 'week', interval_count: 52 });
  });

  const cases: [unknown, string, string][] = [
    [undefined, 'parameter_missing', 'recurring'],
    ['month', 'parameter_invalid', 'recurring'],
    [{}, 'parameter_missing', 'recurring[interval]'],
    [{ interval: 'fortnight' }, 'parameter_invalid', 'recurring[interval]'],
    [{ interval: 'month', interval_count: 0 }, 'parameter_invalid', 'recurring[interval_count]'],
    [{ interval: 'month', interval_count: 1.5 }, 'parameter_invalid', 'recurring[interval_count]'],
    [{ interval: 'month', interval_count: 121 }, 'parameter_invalid', 'recurring[interval_count]'],
    [{ interval: 'year', interval_count: 11 }, 'parameter_invalid', 'recurring[interval_count]'],
    [{ interval: 'day', interval_count: 3651 }, 'parameter_invalid', 'recurring[interval_count]'],
    [{ interval: 'week', interval_count: 521 }, 'parameter_invalid', 'recurring[interval_count]'],
  ];
  it.each(cases)('%j -> %s at %s', (input, code, param) => {
    try {
      validateRecurring(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe(code);
      expect((e as DomainError).param).toBe(param);
    }
  });

  it('uses the given param prefix', () => {
    expect(() => validateRecurring({ interval: 'x' }, 'price[recurring]')).toThrow(
      expect.objectContaining({ param: 'price[recurring][interval]' }),
    );
  });
});

describe('properties', () => {
  const MAX: Record<Interval, number> = { day: 3650, week: 520, month: 120, year: 10 };
  const recurring = fc
    .constantFrom<Interval>('day', 'week', 'month', 'year')
    .chain((interval) =>
      fc.record({ interval: fc.constant(interval), interval_count: fc.integer({ min: 1, max: MAX[interval] }) }),
    );
  const instant = fc
    .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) })
    .map((x) => new Date(x));
  const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();

  it('periods are contiguous, strictly increasing, and keep the anchor day', () => {
    fc.assert(
      fc.property(instant, recurring, fc.integer({ min: -30, max: 30 }), (anchor, r, n) => {
        const b0 = boundary(anchor, r, n);
        const b1 = boundary(anchor, r, n + 1);
        expect(b1.getTime()).toBeGreaterThan(b0.getTime());
        const p = periodContaining(anchor, r, b0);
        expect(p.index).toBe(n);
        expect(p.start.getTime()).toBe(b0.getTime());
        expect(p.end.getTime()).toBe(b1.getTime());
        // end of n is start of n+1
        expect(periodContaining(anchor, r, b1).start.getTime()).toBe(p.end.getTime());
        if (r.interval === 'month' || r.interval === 'year') {
          const want = Math.min(anchor.getUTCDate(), daysIn(b0.getUTCFullYear(), b0.getUTCMonth()));
          expect(b0.getUTCDate()).toBe(want);
          expect(b0.getUTCHours()).toBe(anchor.getUTCHours());
          expect(b0.getUTCMinutes()).toBe(anchor.getUTCMinutes());
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('periodContaining(t) contains t', () => {
    fc.assert(
      fc.property(instant, recurring, instant, (anchor, r, t) => {
        const p = periodContaining(anchor, r, t);
        expect(p.start.getTime()).toBeLessThanOrEqual(t.getTime());
        expect(p.end.getTime()).toBeGreaterThan(t.getTime());
        expect(p.start.getTime()).toBe(boundary(anchor, r, p.index).getTime());
        expect(p.end.getTime()).toBe(boundary(anchor, r, p.index + 1).getTime());
        expect(nextBoundaryAfter(anchor, r, t).getTime()).toBe(p.end.getTime());
      }),
      { numRuns: 1000 },
    );
  });
});

describe('boundary agrees with luxon\'s calendar arithmetic', () => {
  it('for any anchor, month or year interval and index (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2900, 0, 1) }),
      fc.constantFrom<'month' | 'year'>('month', 'year'), fc.integer({ min: 1, max: 12 }), fc.integer({ min: -40, max: 400 }),
      (a, interval, count, n) => {
        const months = (interval === 'year' ? 12 : 1) * count * n;
        const want = DateTime.fromMillis(a, { zone: 'utc' }).plus({ months }).toMillis();
        expect(boundary(new Date(a), { interval, interval_count: count }, n).getTime()).toBe(want);
      }), { numRuns: 2000 });
  });
});
