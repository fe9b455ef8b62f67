import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec } from './decimal.ts';
import { allocate, divideHalfUp, formatMinor, roundHalfUp, sumAmounts } from './money.ts';

describe('roundHalfUp', () => {
  it.each([
    ['4938.24', 4938n],
    ['2.5', 3n],
    ['-2.5', -3n],
    ['2.4999999999', 2n],
    ['-2.4', -2n],
    ['0', 0n],
    ['123456789012345678901234.5', 123456789012345678901235n],
  ])('%s -> %s', (x, want) => {
    expect(roundHalfUp(x)).toBe(want);
  });
});

describe('formatMinor', () => {
  it.each([
    [2000n, 'usd', '20.00'],
    [5n, 'usd', '0.05'],
    [-2005n, 'usd', '-20.05'],
    [-5n, 'usd', '-0.05'],
    [1000n, 'jpy', '1000'],
    [-1000n, 'JPY', '-1000'],
    [1234n, 'kwd', '1.234'],
    [0n, 'kwd', '0.000'],
  ])('%s %s -> %s', (amount, cur, want) => {
    expect(formatMinor(amount, cur)).toBe(want);
  });

  it('rejects unknown currencies', () => {
    expect(() => formatMinor(1n, 'xyz')).toThrow(expect.objectContaining({ code: 'currency_invalid' }));
  });
});

describe('sumAmounts', () => {
  it('sums bigints', () => {
    expect(sumAmounts([])).toBe(0n);
    expect(sumAmounts([1n, 2n, -5n])).toBe(-2n);
  });
});

describe('allocate', () => {
  it('splits evenly with the remainder going to earlier entries on ties', () => {
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(allocate(-100n, [1n, 1n, 1n])).toEqual([-34n, -33n, -33n]);
  });

  it('gives leftovers to the largest remainders', () => {
    // exact shares 1.5, 2.7, 5.8 -> floors 1,2,5 (8), two left for .8 and .7
    expect(allocate(10n, [15n, 27n, 58n])).toEqual([1n, 3n, 6n]);
  });

  it('gives zero weights nothing', () => {
    expect(allocate(7n, [0n, 1n, 0n])).toEqual([0n, 7n, 0n]);
  });

  it('rejects bad weights', () => {
    expect(() => allocate(1n, [0n, 0n])).toThrow(RangeError);
    expect(() => allocate(1n, [])).toThrow(RangeError);
    expect(() => allocate(1n, [2n, -1n])).toThrow(RangeError);
  });

  it('conserves the total and keeps each share within 1 of the exact share', () => {
    const weights = fc
      .array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 20 })
      .filter((ws) => ws.some((w) => w > 0n));
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), weights, (total, ws) => {
        const parts = allocate(total, ws);
        expect(parts).toHaveLength(ws.length);
        expect(sumAmounts(parts)).toBe(total);
        const W = sumAmounts(ws);
        ws.forEach((w, i) => {
          // |part - total*w/W| <= 1  <=>  |part*W - total*w| <= W (exact integer arithmetic)
          const diff = parts[i]! * W - total * w;
          expect(diff <= W && diff >= -W).toBe(true);
        });
      }),
    );
  });
});

describe('divideHalfUp', () => {
  it('equals the decimal quotient rounded half away from zero, for either sign (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (n, d) => {
      expect(divideHalfUp(n, d)).toBe(roundHalfUp(new Dec(n.toString()).div(d.toString())));
    }));
    expect([divideHalfUp(5n, 2n), divideHalfUp(-5n, 2n), divideHalfUp(7n, 3n)]).toEqual([3n, -3n, 2n]);
  });
});
