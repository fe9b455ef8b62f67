import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Interval, Recurring } from './calendar.ts';
import { DomainError } from './errors.ts';
import { LATEST_PHASE_END, phaseSpans, type PhaseLength } from './schedule-phases.ts';

const d = (s: string) => new Date(s);
const monthly: Recurring = { interval: 'month', interval_count: 1 };
const yearly: Recurring = { interval: 'year', interval_count: 1 };
const spans = (start: string, phases: PhaseLength[]) =>
  phaseSpans(d(start), phases).map((s) => [s.start.toISOString().slice(0, 10), s.end.toISOString().slice(0, 10)]);

/** The code and param of the DomainError `fn` throws. */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, param: err.param };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('phaseSpans', () => {
  it('a three-month ramp then a year: each phase starts where the last one ended', () => {
    expect(spans('2027-01-31T00:00:00Z', [{ recurring: monthly, iterations: 3 }, { recurring: yearly, iterations: 1 }])).toEqual([
      ['2027-01-31', '2027-04-30'], ['2027-04-30', '2028-04-30'],
    ]);
  });

  it('counts iterations from the phase start, clamping month ends like billing periods', () => {
    expect(spans('2027-01-31T10:00:00Z', [{ recurring: monthly, iterations: 1 }, { recurring: monthly, iterations: 1 }, { recurring: monthly }])).toEqual([
      ['2027-01-31', '2027-02-28'], ['2027-02-28', '2027-03-28'], ['2027-03-28', '2027-04-28'],
    ]);
    expect(spans('2027-01-01T00:00:00Z', [{ recurring: { interval: 'week', interval_count: 2 }, iterations: 3 }])).toEqual([['2027-01-01', '2027-02-12']]);
  });

  it('an end_date ends a phase exactly there; the last phase lasts one iteration by default', () => {
    const [free, paid] = phaseSpans(d('2027-01-01T00:00:00Z'), [{ recurring: monthly, end_date: d('2027-01-31T00:00:00Z') }, { recurring: monthly }]);
    expect(free).toEqual({ start: d('2027-01-01T00:00:00Z'), end: d('2027-01-31T00:00:00Z') });
    expect(paid).toEqual({ start: d('2027-01-31T00:00:00Z'), end: d('2027-02-28T00:00:00Z') });
  });

  it('refuses what cannot be a schedule, naming the field', () => {
    const start = d('2027-01-01T00:00:00Z');
    expect(refusal(() => phaseSpans(start, []))).toEqual({ code: 'parameter_missing', param: 'phases' });
    expect(refusal(() => phaseSpans(start, Array(11).fill({ recurring: monthly, iterations: 1 })))).toEqual({ code: 'parameter_invalid', param: 'phases' });
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly, iterations: 1, end_date: d('2027-03-01T00:00:00Z') }])))
      .toEqual({ code: 'parameters_exclusive', param: 'phases[0][end_date]' });
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly }, { recurring: monthly }]))).toEqual({ code: 'parameter_missing', param: 'phases[0][iterations]' });
    // Out of order: the second phase would end before it starts.
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly, end_date: d('2027-03-01T00:00:00Z') }, { recurring: monthly, end_date: d('2027-02-01T00:00:00Z') }])))
      .toEqual({ code: 'phase_end_invalid', param: 'phases[1][end_date]' });
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly, end_date: start }]))).toEqual({ code: 'phase_end_invalid', param: 'phases[0][end_date]' });
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly, iterations: 0 }]))).toEqual({ code: 'parameter_invalid', param: 'phases[0][iterations]' });
    expect(refusal(() => phaseSpans(start, [{ recurring: { interval: 'year', interval_count: 10 }, iterations: 100 }]))).toEqual({ code: 'parameter_invalid', param: 'phases[0][iterations]' });
  });

  it('a trial ends within its phase, starts only with the first phase, and can only be extended after', () => {
    const start = d('2027-01-01T00:00:00Z');
    const trial = (t: string) => d(t);
    expect(phaseSpans(start, [{ recurring: monthly, iterations: 1, trial_end: trial('2027-01-15T00:00:00Z') }, { recurring: monthly }])).toHaveLength(2);
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly, iterations: 1, trial_end: trial('2027-02-15T00:00:00Z') }])))
      .toEqual({ code: 'parameter_invalid', param: 'phases[0][trial_end]' });
    expect(refusal(() => phaseSpans(start, [{ recurring: monthly, iterations: 1 }, { recurring: monthly, trial_end: trial('2027-02-15T00:00:00Z') }])))
      .toEqual({ code: 'parameter_invalid', param: 'phases[1][trial_end]' });
    expect(refusal(() => phaseSpans(start, [{ recurring: yearly, iterations: 3, trial_end: trial('2029-01-02T00:00:00Z') }])))
      .toEqual({ code: 'parameter_invalid', param: 'phases[0][trial_end]' });
    // The first phase trials until its very end: the second may move that trial's end further.
    expect(phaseSpans(start, [{ recurring: monthly, iterations: 1, trial_end: trial('2027-02-01T00:00:00Z') },
      { recurring: monthly, iterations: 1, trial_end: trial('2027-02-15T00:00:00Z') }])).toHaveLength(2);
  });

  const interval = fc.constantFrom<Interval>('day', 'week', 'month', 'year');
  const phase = fc.record({
    recurring: fc.record({ interval, interval_count: fc.integer({ min: 1, max: 3 }) }),
    iterations: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined }),
    days: fc.integer({ min: 1, max: 400 }),
  });

  it('phases are contiguous: each starts where the one before ends, and lasts a while (property)', () => {
    fc.assert(fc.property(
      fc.date({ min: d('2000-01-01T00:00:00Z'), max: d('2100-01-01T00:00:00Z'), noInvalidDate: true }),
      fc.array(phase, { minLength: 1, maxLength: 10 }),
      (start, drawn) => {
        // A phase without iterations ends a number of days after the phase before it.
        let from = start;
        const phases: PhaseLength[] = drawn.map((p) => {
          const length: PhaseLength = p.iterations !== undefined ? { recurring: p.recurring, iterations: p.iterations }
            : { recurring: p.recurring, end_date: new Date(from.getTime() + p.days * 86_400_000) };
          from = phaseSpans(from, [length])[0]!.end;
          return length;
        });
        const out = phaseSpans(start, phases);
        expect(out).toHaveLength(phases.length);
        expect(out[0]!.start).toEqual(start);
        for (const [i, s] of out.entries()) {
          expect(s.end.getTime()).toBeGreaterThan(s.start.getTime());
          expect(s.end.getTime()).toBeLessThanOrEqual(LATEST_PHASE_END.getTime());
          if (i > 0) expect(s.start).toEqual(out[i - 1]!.end);
          const given = phases[i]!.end_date;
          if (given) expect(s.end).toEqual(given);
        }
      },
    ));
  });
});
