import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Outcome, StrategyRun } from './engine.ts';
import { cumulativeRecovery, figuresOf, figuresTable, median, recoveryChart } from './report.ts';

const DAY = 86_400_000;
const t0 = new Date('2027-03-01T00:00:00Z');

const outcome = fc.record({
  currency: fc.constantFrom('usd', 'eur', 'jpy'), amount: fc.bigInt({ min: 1n, max: 10n ** 12n }), failed: fc.boolean(), recovered: fc.boolean(),
  attempts: fc.integer({ min: 1, max: 16 }), hours: fc.integer({ min: 0, max: 30 * 24 }),
}).map((o): Outcome => ({
  index: 0, currency: o.currency, amount: o.amount, failed: o.failed, recovered: o.failed && o.recovered, attempts: o.attempts,
  firstFailureAt: o.failed ? t0 : null, paidAt: o.failed && o.recovered ? new Date(t0.getTime() + o.hours * 3_600_000) : null, cardUpdatedAt: null,
}));

describe('the simulation report', () => {
  it('recovered never exceeds failed, per currency and in count; sums are exact in minor units', () => {
    fc.assert(fc.property(fc.array(outcome, { maxLength: 60 }), (outcomes) => {
      const f = figuresOf({ strategy: 'fixed_schedule', outcomes, notifications: 0 } as StrategyRun);
      expect(f.recovered).toBeLessThanOrEqual(f.failed);
      for (const [c, v] of f.recoveredAmount) expect(v <= f.failedAmount.get(c)!).toBe(true);
      const usd = outcomes.filter((o) => o.failed && o.currency === 'usd').reduce((a, o) => a + o.amount, 0n);
      expect(f.failedAmount.get('usd') ?? 0n).toBe(usd);
      const curve = cumulativeRecovery(f, 30);
      for (let d = 1; d < curve.length; d++) expect(curve[d]!).toBeGreaterThanOrEqual(curve[d - 1]!);
      expect(curve.at(-1)!).toBeCloseTo(f.failed ? f.recovered / f.failed : 0, 10);
    }));
  });

  it('prints a row per strategy with money formatted per currency, and a chart with a mark per strategy', () => {
    const run = (strategy: string, days: number[]): StrategyRun => ({
      strategy: strategy as StrategyRun['strategy'], notifications: 0,
      outcomes: days.map((d, index) => ({ index, currency: index % 2 ? 'jpy' : 'usd', amount: index % 2 ? 1200n : 1900n, failed: true, recovered: d >= 0, attempts: 3,
        firstFailureAt: t0, paidAt: d >= 0 ? new Date(t0.getTime() + d * DAY) : null, cardUpdatedAt: null })),
    });
    const figures = [figuresOf(run('fixed_schedule', [1, 3, -1, 5])), figuresOf(run('payday_aware', [1, 1, 2, -1]))];
    const table = figuresTable(figures);
    expect(table).toMatch(/fixed_schedule\s+4\s+3\s+75\.0%\s+2\.67\s+3\.0\s+3\.0\s+¥2,400 \+ \$38\.00\s+¥2,400 \+ \$19\.00/);
    expect(table).toMatch(/payday_aware\s+4\s+3\s+75\.0%/);
    // A currency nothing was recovered in still shows, as zero.
    expect(figuresTable([figuresOf(run('fixed_schedule', [1, -1, 2, -1]))])).toMatch(/¥2,400 \+ \$38\.00\s+¥0 \+ \$38\.00$/);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    const chart = recoveryChart(figures, 10);
    expect(chart).toContain('* fixed_schedule');
    expect(chart).toContain('o payday_aware');
    expect(chart.split('\n').length).toBeGreaterThan(10);
  });
});
