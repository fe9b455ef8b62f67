import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRazorpayAmount, RAZORPAY_RECURRING_CURRENCIES, toRazorpayAmount } from './amounts.ts';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

describe('Razorpay amounts', () => {
  it('are Rebill minor units as they are: paise, whole yen, thousandths of a dinar', () => {
    expect(toRazorpayAmount(49900n, 'inr')).toBe(49900);
    expect(toRazorpayAmount(295n, 'jpy')).toBe(295);
    expect(toRazorpayAmount(295990n, 'kwd')).toBe(295990);
  });

  it('round-trip exactly for every positive amount a JSON number holds exactly', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: MAX }), fc.constantFrom('inr', 'usd', 'jpy', 'eur'), (amount, currency) => {
      expect(fromRazorpayAmount(toRazorpayAmount(amount, currency)!)).toBe(amount);
    }));
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: MAX / 10n }), fc.constantFrom('kwd', 'bhd', 'omr'), (tens, currency) => {
      expect(fromRazorpayAmount(toRazorpayAmount(tens * 10n, currency)!)).toBe(tens * 10n);
    }));
  });

  it('refuse three-decimal amounts whose last digit is not 0, as Razorpay asks', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.integer({ min: 1, max: 9 }), fc.constantFrom('kwd', 'bhd', 'omr'), (tens, digit, currency) => {
      expect(toRazorpayAmount(tens * 10n + BigInt(digit), currency)).toBeNull();
      if (tens > 0n) expect(toRazorpayAmount(tens * 10n, currency)).toBe(Number(tens * 10n));
    }));
  });

  it('refuse what Razorpay cannot take: zero, negative, beyond 2^53 - 1, not a currency', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 20n), max: 0n }), (amount) => { expect(toRazorpayAmount(amount, 'inr')).toBeNull(); }));
    fc.assert(fc.property(fc.bigInt({ min: MAX + 1n, max: MAX * 1000n }), (amount) => { expect(toRazorpayAmount(amount, 'inr')).toBeNull(); }));
    expect(toRazorpayAmount(100n, 'xyz')).toBeNull();
  });

  it('declare INR only for recurring payments', () => {
    expect(RAZORPAY_RECURRING_CURRENCIES).toEqual(['inr']);
  });
});
