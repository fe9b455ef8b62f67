import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delivered, nextAttemptAt, RETRY_DELAYS_MS, shouldDisable, takesEvent } from './webhook-delivery.ts';

const t0 = new Date('2027-01-01T00:00:00Z');

describe('webhook delivery schedule', () => {
  it('tries at once, then 5 s, 5 min, 30 min, 2 h, 5 h and 10 h apart, for more than three days', () => {
    let at = t0;
    const times: number[] = [];
    for (let failed = 0; ; failed++) {
      const next = nextAttemptAt(failed, at);
      if (!next) break;
      times.push((next.getTime() - t0.getTime()) / 1000);
      at = next;
    }
    expect(times.slice(0, 7)).toEqual([0, 5, 305, 2105, 9305, 27305, 63305]);
    expect(times).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect(times.at(-1)! / 3600).toBeGreaterThan(72);
  });

  it('never goes back in time and ends (property)', () => {
    fc.assert(fc.property(fc.nat({ max: 40 }), fc.date({ min: t0, max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }), (n, at) => {
      const next = nextAttemptAt(n, at);
      if (n > RETRY_DELAYS_MS.length) expect(next).toBeNull();
      else expect(next!.getTime()).toBeGreaterThanOrEqual(at.getTime());
    }));
  });

  it('disables an endpoint failing for five days, takes events by exact type or *, and counts 2xx as delivered', () => {
    expect(shouldDisable(null, t0)).toBe(false);
    expect(shouldDisable(new Date(t0.getTime() - 5 * 86_400_000 + 1), t0)).toBe(false);
    expect(shouldDisable(new Date(t0.getTime() - 5 * 86_400_000), t0)).toBe(true);
    expect(takesEvent(['*'], 'invoice.paid')).toBe(true);
    expect(takesEvent(['invoice.paid'], 'invoice.paid')).toBe(true);
    expect(takesEvent(['invoice.paid'], 'invoice.payment_failed')).toBe(false);
    expect([199, 200, 204, 299, 300, 410, 500].map(delivered)).toEqual([false, true, true, true, false, false, false]);
    expect(delivered(null)).toBe(false);
  });
});
