import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsCardNumber, findCardNumber, luhnValid } from './card-number.ts';

/** A Luhn-valid number of `length` digits starting with `prefix`. */
function pan(prefix: string, body: string, length: number): string {
  const head = (prefix + body).slice(0, length - 1).padEnd(length - 1, '0');
  for (let d = 0; d <= 9; d++) if (luhnValid(head + d)) return head + d;
  throw new Error('unreachable');
}

describe('card number detection', () => {
  it('finds test cards written the ways people paste them', () => {
    for (const text of ['4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', '4242  4242  4242  4242',
      '4242\t4242\t4242\t4242', '4242 - 4242 - 4242 - 4242', 'card: 5555555555554444, exp 12/30', '3782 822463 10005',
      // Right after another number, and followed by one, as in a pasted line.
      'qty 2 4242 4242 4242 4242', '0 4242424242424242', '4242 4242 4242 4242 12/30 123']) {
      expect(containsCardNumber(text), text).toBe(true);
    }
  });

  it('leaves alone what is not a card', () => {
    for (const text of ['4242424242424241', '1700000000000000', '4444444444444444', '2.123456789012', '0.04',
      '4242 4242', 'order 12345', '4242    4242    4242    4242',
      // One unbroken run longer than a card, though it holds a Luhn-valid stretch of 16 digits.
      '04242424242424242', '42424242424242420000']) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });

  it('finds any Luhn-valid number of 13–19 digits in a network range, however grouped', () => {
    const separator = fc.constantFrom('', ' ', '-', '  ', '\t', ' - ');
    fc.assert(fc.property(
      fc.constantFrom('2', '3', '4', '5', '6'), fc.stringMatching(/^\d{18}$/), fc.integer({ min: 13, max: 19 }),
      fc.integer({ min: 1, max: 6 }), separator, fc.string({ maxLength: 8 }).filter((s) => !/\d$/.test(s)),
      (prefix, body, length, group, sep, before) => {
        const digits = pan(prefix, body, length);
        fc.pre(!/^(\d)\1+$/.test(digits));
        const grouped = digits.match(new RegExp(`.{1,${group}}`, 'g'))!.join(sep);
        return containsCardNumber(`${before}${grouped} thanks`);
      }));
  });

  it('names where in the input the card was, without echoing it', () => {
    expect(findCardNumber({ metadata: { note: 'pay 4242 4242 4242 4242' } })).toBe('metadata[note]');
    expect(findCardNumber({ items: [{ price: 'price_1' }, { price: '5555-5555-5555-4444' }] })).toBe('items[1][price]');
    expect(findCardNumber({ metadata: { '4242424242424242': 'x' } })).toBe('metadata');
    expect(findCardNumber({ name: 'Ada', amount: 2000 })).toBeNull();
  });
});
