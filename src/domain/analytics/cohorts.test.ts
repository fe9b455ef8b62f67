import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bookArbitrary, DAY } from '../../../test/analytics-book.ts';
import { cohorts } from './cohorts.ts';
import type { History } from './subscribers.ts';

const t = (iso: string) => new Date(iso);
const track = (customer: string, steps: [string, bigint][]): History => ({
  subscription: `sub_${customer}_${steps[0]![0]}`, customer, currency: 'usd', revisions: [], steps: steps.map(([at, mrr]) => ({ at: t(at), mrr })),
});

describe('signup cohorts', () => {
  it('groups customers by the month they first paid and follows them month by month up to `to`', () => {
    const book = [
      track('a', [['2027-01-05T00:00:00Z', 1000n], ['2027-02-10T00:00:00Z', 0n]]), // January, gone in February
      track('b', [['2027-01-20T00:00:00Z', 2000n], ['2027-03-01T00:00:00Z', 3000n]]), // January, expands from March
      track('c', [['2027-02-03T00:00:00Z', 500n]]), // February
      track('c', [['2027-03-15T00:00:00Z', 500n]]), // a second subscription: same customer, same cohort
      track('old', [['2026-12-01T00:00:00Z', 900n]]), // first paid before `from`: no cohort
    ];
    const out = cohorts(book, t('2027-01-01T00:00:00Z'), t('2027-03-20T00:00:00Z'));
    const view = out.map((c) => [c.month, c.customers, c.months.map((m) => [m.index, m.end.toISOString().slice(0, 10), m.customers, m.mrr, m.customerRetention, m.revenueRetention])]);
    expect(view).toEqual([
      ['2027-01', 2, [
        [0, '2027-02-01', 2, 3000n, '1.0000', '1.0000'],
        [1, '2027-03-01', 1, 3000n, '0.5000', '1.0000'], // a left, b expanded on Mar 1 (at month 1's end)
        [2, '2027-03-20', 1, 3000n, '0.5000', '1.0000'], // month 2 ends at `to`
      ]],
      ['2027-02', 1, [[0, '2027-03-01', 1, 500n, '1.0000', '1.0000'], [1, '2027-03-20', 1, 1000n, '1.0000', '2.0000']]],
    ]);
  });

  it('puts every customer who first paid in range in exactly one cohort, and retains no more than month 0 had', () => {
    fc.assert(fc.property(bookArbitrary, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 }), (book, x, y) => {
      const [from, to] = [new Date(x * DAY), new Date((x + y) * DAY)];
      const out = cohorts(book, from, to);
      const firsts = new Map<string, number>();
      for (const h of book) for (const s of h.steps) if (s.mrr > 0n) firsts.set(h.customer, Math.min(firsts.get(h.customer) ?? Infinity, s.at.getTime()));
      const inRange = [...firsts.values()].filter((f) => f >= from.getTime() && f < to.getTime()).length;
      expect(out.reduce((s, c) => s + c.customers, 0)).toBe(inRange);
      for (const c of out) {
        expect(c.months[0]!.index).toBe(0);
        expect(c.months.at(-1)!.end.getTime()).toBeLessThanOrEqual(to.getTime());
        for (const m of c.months) {
          expect(m.customers).toBeLessThanOrEqual(c.customers);
          expect(m.customerRetention === null).toBe(c.months[0]!.customers === 0);
        }
      }
    }));
  });
});
