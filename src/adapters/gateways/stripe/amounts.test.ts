import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyExponent } from '../../../domain/currency.ts';
import { fromStripeAmount, STRIPE_CURRENCIES, toStripeAmount } from './amounts.ts';

const minor = fc.bigInt({ min: 1n, max: 10n ** 12n });

describe('Stripe amounts', () => {
  it('converts the special currencies as Stripe documents them', () => {
    const cases: [string, bigint, number][] = [
      ['usd', 1000n, 1000],   // two decimals both sides
      ['jpy', 500n, 500],     // zero-decimal both sides
      ['ugx', 5000n, 5000],   // zero-decimal in Stripe's list, ISO 0
      ['mga', 50000n, 500],   // ISO 2 decimals, Stripe zero-decimal
      ['isk', 5n, 500],       // ISO 0, Stripe two decimals in steps of 100
      ['kwd', 5120n, 5120],   // three decimals, last digit 0
      ['huf', 1045n, 1045],   // charges keep two decimals (whole units only for payouts)
      ['twd', 1099n, 1099],
    ];
    for (const [c, amount, stripe] of cases) expect(toStripeAmount(amount, c), c).toEqual({ ok: true, amount: stripe });
  });

  it('refuses what Stripe cannot take instead of rounding it', () => {
    expect(toStripeAmount(5124n, 'kwd')).toMatchObject({ ok: false, reason: 'invalid_amount' });
    expect(toStripeAmount(5001n, 'bhd')).toMatchObject({ ok: false, reason: 'invalid_amount' });
    expect(toStripeAmount(50050n, 'mga')).toMatchObject({ ok: false, reason: 'invalid_amount' });
    expect(toStripeAmount(0n, 'usd')).toMatchObject({ ok: false, reason: 'invalid_amount' });
    expect(toStripeAmount(100n, 'xts')).toMatchObject({ ok: false, reason: 'currency_not_supported' });
    expect(toStripeAmount(100n, 'xdr')).toMatchObject({ ok: false, reason: 'currency_not_supported' });
    expect(toStripeAmount(100n, 'ves')).toMatchObject({ ok: false, reason: 'currency_not_supported' });
  });

  it('round-trips every amount it accepts, and refuses only amounts off the currency\'s step', () => {
    fc.assert(fc.property(fc.constantFrom(...STRIPE_CURRENCIES), minor, (c, amount) => {
      const r = toStripeAmount(amount, c);
      if (r.ok) {
        expect(Number.isSafeInteger(r.amount)).toBe(true);
        expect(fromStripeAmount(r.amount, c)).toBe(amount);
      } else {
        expect(r.reason).toBe('invalid_amount');
        // Only MGA (ISO 2, Stripe 0) and the three-decimal ones (steps of 10) can refuse a positive amount.
        expect(['mga', 'bhd', 'jod', 'kwd', 'omr', 'tnd']).toContain(c);
      }
    }), { numRuns: 2000 });
  });

  it('keeps the value: the same number of major units on both sides', () => {
    fc.assert(fc.property(fc.constantFrom(...STRIPE_CURRENCIES), fc.bigInt({ min: 1n, max: 10n ** 6n }), (c, major) => {
      const amount = major * 10n ** BigInt(currencyExponent(c)!);
      const r = toStripeAmount(amount, c);
      expect(r.ok).toBe(true);
      if (r.ok) expect(fromStripeAmount(r.amount, c)).toBe(amount);
    }));
  });

  it('declares only ISO currencies, lower case', () => {
    expect(STRIPE_CURRENCIES.length).toBeGreaterThan(130);
    for (const c of STRIPE_CURRENCIES) expect(currencyExponent(c), c).toBeTypeOf('number');
    expect(STRIPE_CURRENCIES.every((c) => /^[a-z]{3}$/.test(c))).toBe(true);
  });
});
