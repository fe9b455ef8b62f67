import { describe, expect, it } from 'vitest';
import { currencyExponent, normalizeCurrency } from './currency.ts';
import { DomainError } from './errors.ts';

describe('currencyExponent', () => {
  it.each([
    ['usd', 2],
    ['USD', 2],
    ['jpy', 0],
    ['kwd', 3],
    ['huf', 2],
    ['eur', 2],
  ])('%s has %i digits', (code, digits) => {
    expect(currencyExponent(code)).toBe(digits);
  });

  it('is undefined for unknown codes', () => {
    expect(currencyExponent('xyz')).toBeUndefined();
    expect(currencyExponent('')).toBeUndefined();
  });
});

describe('normalizeCurrency', () => {
  it('lower-cases known codes', () => {
    expect(normalizeCurrency('USD')).toBe('usd');
    expect(normalizeCurrency('jpy')).toBe('jpy');
    expect(normalizeCurrency('xof')).toBe('xof'); // West African CFA franc: X-prefixed but real money
  });

  it.each([['xyz'], [''], [42], [null], [undefined], ['xau'], ['XXX'], ['xts']])('rejects %j', (v) => {
    try {
      normalizeCurrency(v, 'price[currency]');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('currency_invalid');
      expect((e as DomainError).param).toBe('price[currency]');
    }
  });

  it('defaults param to currency', () => {
    expect(() => normalizeCurrency('xyz')).toThrow(expect.objectContaining({ param: 'currency' }));
  });
});
