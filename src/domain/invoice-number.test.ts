import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignInvoiceNumbers, invoiceNumber, isInvoicePrefix, newInvoicePrefix } from './invoice-number.ts';

describe('invoice numbers', () => {
  it('pad the sequence to four digits and never cut a longer one', () => {
    expect(invoiceNumber('7QK2M4XA', 1)).toBe('7QK2M4XA-0001');
    expect(invoiceNumber('ACME', 42)).toBe('ACME-0042');
    expect(invoiceNumber('ACME', 9999)).toBe('ACME-9999');
    expect(invoiceNumber('ACME', 12345)).toBe('ACME-12345');
    expect(() => invoiceNumber('ACME', 0)).toThrow(RangeError);
    expect(() => invoiceNumber('ACME', 1.5)).toThrow(RangeError);
  });

  it('accept 3 to 12 capitals or digits as a prefix, nothing else', () => {
    for (const ok of ['ABC', 'ACME2027', '0123456789AB']) expect(isInvoicePrefix(ok)).toBe(true);
    for (const bad of ['AB', 'acme', 'AC-ME', 'ÄCME', '0123456789ABC', 'ACME ', '']) expect(isInvoicePrefix(bad)).toBe(false);
  });

  it('generate prefixes that are valid and avoid misread letters', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
      const prefix = newInvoicePrefix(bytes);
      expect(prefix).toHaveLength(8);
      expect(isInvoicePrefix(prefix)).toBe(true);
      expect(prefix).not.toMatch(/[ILOU]/);
    }));
    expect(newInvoicePrefix()).not.toBe(newInvoicePrefix());
  });

  it('number each customer consecutively from its next sequence, in the order given', () => {
    const customers = ['AAA', 'BBB', 'CCC', 'DDD'];
    fc.assert(fc.property(
      fc.array(fc.constantFrom(...customers), { maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 4, maxLength: 4 }),
      (order, starts) => {
        const startOf = new Map(customers.map((c, i) => [c, starts[i]!]));
        const { numbers, next } = assignInvoiceNumbers(order, (c) => c, (c) => ({ prefix: c, next: startOf.get(c)! }));
        expect(new Set(numbers).size).toBe(numbers.length);
        for (const c of customers) {
          const mine = numbers.filter((_, i) => order[i] === c).map((n) => Number(n.slice(c.length + 1)));
          // Consecutive from the stored next sequence: no gap, no repeat, in the order given.
          expect(mine).toEqual(mine.map((_, i) => startOf.get(c)! + i));
          expect(next.get(c)).toBe(mine.length ? startOf.get(c)! + mine.length : undefined);
        }
      },
    ));
  });
});
