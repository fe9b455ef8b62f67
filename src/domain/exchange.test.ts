import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.ts';
import { convertMinor, parseDay, parseRate, rateOn, type AppliedRate, type ExchangeRate } from './exchange.ts';

const at = (iso: string) => new Date(iso);
const rate = (base: string, quote: string, r: string, effective_date: string): ExchangeRate => ({ base, quote, rate: r, effective_date });

describe('convertMinor: worked examples', () => {
  it('100.00 EUR at 1.0850 is 108.50 USD', () => {
    expect(convertMinor(10_000n, 'eur', 'usd', '1.0850')).toBe(10_850n);
  });

  it('1,000 JPY (no minor unit) at 0.0067 is 6.70 USD', () => {
    expect(convertMinor(1_000n, 'jpy', 'usd', '0.0067')).toBe(670n);
  });

  it('1.234 KWD (three decimals) at 3.25 is 4.0105, rounded once to 4.01 USD', () => {
    expect(convertMinor(1_234n, 'kwd', 'usd', '3.25')).toBe(401n);
  });

  it('rounds half away from zero, once: 0.05 USD at 0.5 is 0.025 → 0.03, and -0.05 → -0.03', () => {
    expect(convertMinor(5n, 'usd', 'eur', '0.5')).toBe(3n);
    expect(convertMinor(-5n, 'usd', 'eur', '0.5')).toBe(-3n);
  });

  it('divides by an inverse rate exactly: 0.45 KWD with only usd→kwd 3 uploaded is 0.15 USD', () => {
    // 0.450 KWD ÷ 3 = 0.15 USD = 15 cents.
    const applied: AppliedRate = { base: 'kwd', quote: 'usd', rate: '3', inverse: true, effective_date: '2027-01-01' };
    expect(convertMinor(450n, 'kwd', 'usd', applied)).toBe(15n);
    // 0.045 KWD ÷ 3 = 0.015 USD, an exact half cent: a rounded 1/3 (0.333…) would give 1 cent, the exact fraction 2.
    expect(convertMinor(45n, 'kwd', 'usd', applied)).toBe(2n);
  });

  it('refuses a rate of another pair, a rate of 0 and an unknown currency', () => {
    const applied: AppliedRate = { base: 'eur', quote: 'usd', rate: '1.085', inverse: false, effective_date: '2027-01-01' };
    expect(() => convertMinor(1n, 'usd', 'eur', applied)).toThrow(/cannot convert usd into eur/);
    expect(() => convertMinor(1n, 'eur', 'usd', '0')).toThrow(RangeError);
    expect(() => convertMinor(1n, 'eur', 'zzz', '1')).toThrow(DomainError);
  });
});

// Rates as the API takes them: up to 12 integer digits and 12 decimals, above 0.
const rates = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 24n - 1n }), fc.integer({ min: 0, max: 12 }))
  .map(([units, places]) => {
    const s = units.toString().padStart(places + 1, '0');
    return places === 0 ? s : `${s.slice(0, -places)}.${s.slice(-places)}`;
  })
  .filter((s) => s.split('.')[0]!.replace(/^0+(?=\d)/, '').length <= 12);
const amounts = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });
const currencies = fc.constantFrom('usd', 'eur', 'jpy', 'kwd', 'bhd', 'clp', 'gbp');
const EXP: Record<string, bigint> = { usd: 2n, eur: 2n, jpy: 0n, kwd: 3n, bhd: 3n, clp: 0n, gbp: 2n };
/** The rate as n / d exactly. */
const exact = (r: string): [bigint, bigint] => {
  const [i, f = ''] = r.split('.');
  return [BigInt(i! + f), 10n ** BigInt(f.length)];
};

describe('convertMinor: properties', () => {
  it('at rate 1 between currencies of one exponent, is the identity', () => {
    fc.assert(fc.property(amounts, fc.constantFrom(['usd', 'eur'], ['eur', 'gbp'], ['jpy', 'clp'], ['kwd', 'bhd']), (a, [from, to]) => {
      expect(convertMinor(a, from!, to!, '1')).toBe(a);
      expect(convertMinor(a, from!, to!, '1.000000000000')).toBe(a);
    }));
  });

  it('is within half a minor unit of the exact value, direct or inverted', () => {
    fc.assert(fc.property(amounts, currencies, currencies, rates, fc.boolean(), (a, from, to, r, inverse) => {
      const got = convertMinor(a, from, to, { base: from, quote: to, rate: r, inverse, effective_date: '2027-01-01' });
      const [n0, d0] = exact(r);
      const [n, d] = inverse ? [d0, n0] : [n0, d0];
      // exact = a × n × 10^toExp / (d × 10^fromExp); |got − exact| ≤ 1/2, compared without division.
      const den = d * 10n ** EXP[from]!;
      const diff = got * den - a * n * 10n ** EXP[to]!;
      expect(2n * (diff < 0n ? -diff : diff) <= den).toBe(true);
    }));
  });

  it('never decreases when the amount grows', () => {
    fc.assert(fc.property(amounts, amounts, currencies, currencies, rates, (a, b, from, to, r) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(convertMinor(lo, from, to, r) <= convertMinor(hi, from, to, r)).toBe(true);
    }));
  });

  it('is symmetric in sign: a refund converts to minus the charge', () => {
    fc.assert(fc.property(amounts, currencies, currencies, rates, (a, from, to, r) => {
      expect(convertMinor(-a, from, to, r)).toBe(-convertMinor(a, from, to, r));
    }));
  });

  it('an inverted rate converts as its exact reciprocal does when that is a finite decimal', () => {
    // 2^i × 5^j has a finite reciprocal, so both ways are the same exact fraction.
    fc.assert(fc.property(amounts, currencies, currencies, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), (a, from, to, i, j) => {
      const r = (2n ** BigInt(i) * 5n ** BigInt(j)).toString();
      const reciprocal = divideExact(r);
      expect(convertMinor(a, from, to, { base: from, quote: to, rate: r, inverse: true, effective_date: null })).toBe(convertMinor(a, from, to, reciprocal));
    }));
  });
});

/** 1 / r as a decimal string, for r a product of powers of 2 and 5 (whose reciprocal terminates). */
function divideExact(r: string): string {
  const n = BigInt(r);
  let places = 0n;
  while ((10n ** places) % n !== 0n) places++;
  const digits = ((10n ** places) / n).toString().padStart(Number(places) + 1, '0');
  return places === 0n ? digits : `${digits.slice(0, -Number(places))}.${digits.slice(-Number(places))}`;
}

describe('rateOn', () => {
  const book = [
    rate('eur', 'usd', '1.08', '2027-01-01'), rate('eur', 'usd', '1.1', '2027-02-01'),
    rate('usd', 'jpy', '150', '2027-01-15'),
    rate('gbp', 'usd', '1.25', '2027-01-01'), rate('usd', 'gbp', '0.79', '2027-03-01'),
  ];

  it('takes the latest rate dated on or before the instant\'s UTC day, from its 00:00 UTC', () => {
    expect(rateOn(book, 'eur', 'usd', at('2027-01-31T23:59:59.999Z'))).toEqual({ base: 'eur', quote: 'usd', rate: '1.08', inverse: false, effective_date: '2027-01-01' });
    expect(rateOn(book, 'eur', 'usd', at('2027-02-01T00:00:00Z'))?.rate).toBe('1.1');
    expect(rateOn(book, 'EUR', 'USD', at('2030-01-01T00:00:00Z'))?.rate).toBe('1.1');
  });

  it('has nothing before a pair\'s first rate, nor for a pair never uploaded', () => {
    expect(rateOn(book, 'eur', 'usd', at('2026-12-31T23:59:59Z'))).toBeNull();
    expect(rateOn(book, 'eur', 'jpy', at('2027-06-01T00:00:00Z'))).toBeNull();
  });

  it('uses the reverse pair inverted when only it was uploaded', () => {
    const applied = rateOn(book, 'jpy', 'usd', at('2027-02-01T00:00:00Z'));
    expect(applied).toEqual({ base: 'jpy', quote: 'usd', rate: '150', inverse: true, effective_date: '2027-01-15' });
    expect(convertMinor(15_000n, 'jpy', 'usd', applied!)).toBe(10_000n); // ¥15,000 ÷ 150 = $100.00
    expect(rateOn(book, 'jpy', 'usd', at('2027-01-14T12:00:00Z'))).toBeNull();
  });

  it('prefers the direct pair when both are in effect, the reverse one until the direct one starts', () => {
    expect(rateOn(book, 'usd', 'gbp', at('2027-03-01T00:00:00Z'))).toMatchObject({ rate: '0.79', inverse: false });
    expect(rateOn(book, 'gbp', 'usd', at('2027-03-01T00:00:00Z'))).toMatchObject({ rate: '1.25', inverse: false });
    expect(rateOn(book, 'usd', 'gbp', at('2027-02-28T23:59:59Z'))).toMatchObject({ rate: '1.25', inverse: true });
  });

  it('converts a currency into itself at 1 with no upload', () => {
    expect(rateOn([], 'usd', 'usd', at('2027-01-01T00:00:00Z'))).toEqual({ base: 'usd', quote: 'usd', rate: '1', inverse: false, effective_date: null });
  });
});

describe('parsing', () => {
  it('keeps a rate as its shortest exact decimal', () => {
    expect(parseRate('1.0850', 'rate')).toBe('1.085');
    expect(parseRate(0.0067, 'rate')).toBe('0.0067');
    expect(parseRate('999999999999.000000000001', 'rate')).toBe('999999999999.000000000001');
  });

  it.each([['0'], ['0.000'], ['-1'], ['abc'], ['1e3'], ['1.0000000000001'], ['1000000000000'], [''], [null], [1e-7], [Number.NaN]])('refuses the rate %s', (v) => {
    expect(() => parseRate(v, 'rate')).toThrow(expect.objectContaining({ code: 'parameter_invalid', param: 'rate' }));
  });

  it('takes days that exist and refuses the others', () => {
    expect(parseDay('2028-02-29', 'effective_date')).toBe('2028-02-29');
    for (const bad of ['2027-02-29', '2027-13-01', '2027-04-31', '2027-1-01', '1969-12-31', '3000-01-01', '2027-01-01T00:00:00Z', 20270101]) {
      expect(() => parseDay(bad, 'effective_date')).toThrow(expect.objectContaining({ code: 'parameter_invalid', param: 'effective_date' }));
    }
  });
});
