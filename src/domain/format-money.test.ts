import { describe, expect, it } from 'vitest';
import { formatMoney } from './format-money.ts';

describe('formatMoney', () => {
  it('uses the currency exponent for the decimals', () => {
    expect(formatMoney(123456n, 'usd')).toBe('$1,234.56');
    expect(formatMoney(1234n, 'jpy')).toBe('¥1,234');
    expect(formatMoney(12345n, 'kwd')).toBe('KWD 12.345');
    expect(formatMoney(5n, 'usd')).toBe('$0.05');
    expect(formatMoney(0n, 'eur')).toBe('€0.00');
  });

  it('prints the symbol of common currencies and the code of the others', () => {
    expect(formatMoney(99n, 'EUR')).toBe('€0.99');
    expect(formatMoney(100000n, 'gbp')).toBe('£1,000.00');
    expect(formatMoney(1500000n, 'krw')).toBe('₩1,500,000');
    expect(formatMoney(250n, 'chf')).toBe('CHF 2.50');
  });

  it('groups rupees in lakhs and crores', () => {
    expect(formatMoney(123456789n, 'inr')).toBe('₹12,34,567.89');
    expect(formatMoney(100000n, 'inr')).toBe('₹1,000.00');
    expect(formatMoney(99n, 'inr')).toBe('₹0.99');
    expect(formatMoney(1000000000000n, 'inr')).toBe('₹10,00,00,00,000.00');
  });

  it('puts the sign before the symbol and stays exact beyond 2^53', () => {
    expect(formatMoney(-1050n, 'usd')).toBe('-$10.50');
    expect(formatMoney(123456789012345678901n, 'usd')).toBe('$1,234,567,890,123,456,789.01');
  });

  it('refuses an unknown currency', () => {
    expect(() => formatMoney(1n, 'zzz')).toThrow(/currency/i);
  });
});
