import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recoveryRate } from '../dunning/recovery.ts';
import { rate } from './rates.ts';

/** The rate's digits as an integer of ten-thousandths. */
const scaled = (r: string) => BigInt(r.replace('.', ''));

describe('rates as 4-place decimal strings', () => {
  it('rounds half-up once, and half away from zero below zero', () => {
    expect([rate(2n, 3n), rate(1n, 8n), rate(1n, 20_000n), rate(-1n, 20_000n), rate(-1n, 3n), rate(5n, 4n), rate(0n, 7n)])
      .toEqual(['0.6667', '0.1250', '0.0001', '-0.0001', '-0.3333', '1.2500', '0.0000']);
    expect([rate(1n, 0n), rate(0n, 0n)]).toEqual([null, null]);
  });

  it('is the exact ratio to within half a ten-thousandth, and the opposite ratio is its opposite', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (n, d) => {
      const r = rate(n, d)!;
      expect(r).toMatch(/^-?[0-9]+\.[0-9]{4}$/);
      const err = scaled(r) * d - n * 10_000n;
      expect((err < 0n ? -err : err) * 2n <= d).toBe(true);
      const opposite = rate(-n, d)!;
      expect(scaled(opposite)).toBe(-scaled(r));
    }));
  });

  it('the recovery rate is the same rate', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (n, d) => recoveryRate(n, d) === rate(n, d)));
  });
});
