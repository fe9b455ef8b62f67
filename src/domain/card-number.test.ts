import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsCardNumber, luhnValid } from './card-number.ts';

/** A Luhn-valid number of `length` digits starting with `prefix`. */
function pan(prefix: string, body: string, length: number): string {
  const head = (prefix + body).slice(0, length - 1).padEnd(length - 1, '0');
  for (let d = 0; d <= 9; d++) if (luhnValid(head + d)) return head + d;
  throw new Error('unreachable');
}

/** `digits` cut into groups of the given sizes, joined by `sep`. */
const grouped = (digits: string, sizes: number[], sep: string) => {
  let at = 0;
  return sizes.map((n) => digits.slice(at, (at += n))).join(sep);
};

const FULL_WIDTH = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));

describe('card number detection', () => {
  it('finds test cards written the ways people paste them', () => {
    for (const text of ['4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', '4242  4242  4242  4242',
      '4242\t4242\t4242\t4242', '4242 - 4242 - 4242 - 4242', 'card: 5555555555554444, exp 12/30', '3782 822463 10005',
      // Right after another number, and followed by one, as in a pasted line.
      'qty 2 4242 4242 4242 4242', '0 4242424242424242', '4242 4242 4242 4242 12/30 123']) {
      expect(containsCardNumber(text), text).toBe(true);
    }
  });

  it('finds cards grouped by any separator, the variants that used to be stored (issue 12)', () => {
    for (const text of ['4242\u00a04242\u00a04242\u00a04242', '4242    4242    4242    4242', '4242/4242/4242/4242',
      '4242.4242.4242.4242', '4242\n4242\n4242\n4242', '4242\r\n4242\r\n4242\r\n4242', '4242_4242_4242_4242',
      '4242\u20134242\u20134242\u20134242', '4242 \u2014 4242 \u2014 4242 \u2014 4242', FULL_WIDTH('4242 4242 4242 4242'),
      FULL_WIDTH('4242424242424242'), '4242\u30004242\u30004242\u30004242', '4242 / 4242 / 4242 / 4242',
      '4242. 4242. 4242. 4242', '(4242) (4242) (4242) (4242)'.replace(/\) \(/g, ')('), '4242 4242-4242\n4242',
      '4242*4242*4242*4242', '4242\u200b4242\u200b4242\u200b4242', '4242+4242+4242+4242', '+4242 4242 4242 4242',
      'pan=4222.2222.2222.2', '3782/822463/10005', 'card 4242 4242 4242 4242 on file', '"4242.4242.4242.4242"']) {
      expect(containsCardNumber(text), JSON.stringify(text)).toBe(true);
    }
  });

  it('leaves alone what is not a card', () => {
    const decimal = `${pan('250', '', 13).slice(0, 3)}.${pan('250', '123456789', 13).slice(3)}`;
    expect(luhnValid(decimal.replace('.', ''))).toBe(true);
    for (const text of ['4242424242424241', '1700000000000000', '4444444444444444', '2.123456789012', '0.04', decimal,
      '4242 4242', 'order 12345', 'ORD-2027-000123-4242',
      // One unbroken run longer than a card, though it holds a Luhn-valid stretch of 16 digits.
      '04242424242424242', '42424242424242420000',
      // Phone numbers, national and international.
      '+1 (415) 555-2671', '+44 20 7946 0958', '+49 1512 3456780', '+1 (415) 555-2671, +1 (415) 555-2672',
      '+44 20 7946 0958 / +44 20 7946 0959',
      // Dates and timestamps, alone and in pairs.
      '2027-06-30T23:59:59.123Z', '2027-06-30 23:59:59.123', '2027-06-30 2027-07-31', '30.06.2027 31.07.2027',
      '2027-06-30 23:59:59+02:00', '1795415884824', '20270630T235959Z',
      // UUIDs, IP addresses, versions.
      '0b6f7e2a-7c3e-4a52-9d4b-2f0c6d7e8a91', '203.0.113.195:8080', '203.0.113.195, 198.51.100.7',
      '2001:4860:4860:0000:0000:0000:0000:8888', '3.12.4.2.1.5.0.9',
      // Amounts: a list, a grouped integer, decimals.
      '25.00, 49.99, 35.50, 60.00, 12.10', '2,345,678,901,234', "2'345'678'901'234", '123456789012345.123456789012',
      '25,49,35,60,12,44,33,21']) {
      expect(containsCardNumber(text), JSON.stringify(text)).toBe(false);
    }
  });

  it('leaves every UUID alone, alone or inside other text, while a card next to one is still found', () => {
    // One random UUID in about 700 has digit-only groups that pass for a dashed card, e.g. these.
    for (const id of ['5fb4f411-61b3-4502-9983-6571bbb0374e', '125b4430-8f38-4272-9865-24610c953bf7', 'DA329444-4235-4075-9199-48F17046CAF2']) {
      expect(containsCardNumber(id), id).toBe(false);
      expect(containsCardNumber(`evt_${id}`), id).toBe(false);
    }
    fc.assert(fc.property(fc.uuid(), fc.constantFrom('', 'id ', 'evt_', '"'), (id, before) => !containsCardNumber(`${before}${id}`)), { numRuns: 20_000 });
    expect(containsCardNumber('5fb4f411-61b3-4502-9983-6571bbb0374e 4242 4242 4242 4242')).toBe(true);
    expect(containsCardNumber('4242-4242-4242-4242-4242-424242424242')).toBe(true);
    // A UUID's shape with anything but dashes between its groups is no UUID: its cards are found.
    for (const mark of ['\r', ' ', '/', '\u2013']) expect(containsCardNumber(['42424242', '4242', '4242', '0000', '00000000000a'].join(mark)), mark).toBe(true);
  });

  it('finds any Luhn-valid number of 13–19 digits in a network range, however grouped by spaces or dashes', () => {
    const separator = fc.constantFrom('', ' ', '-', '  ', '\t', ' - ', '\n', '\u00a0', '\u2013', '    ');
    fc.assert(fc.property(
      fc.constantFrom('2', '3', '4', '5', '6'), fc.stringMatching(/^\d{18}$/), fc.integer({ min: 13, max: 19 }),
      fc.integer({ min: 1, max: 6 }), separator, fc.string({ maxLength: 8 }).filter((s) => !/[\d+]$/.test(s)),
      (prefix, body, length, group, sep, before) => {
        const digits = pan(prefix, body, length);
        fc.pre(!/^(\d)\1+$/.test(digits));
        const text = digits.match(new RegExp(`.{1,${group}}`, 'g'))!.join(sep);
        return containsCardNumber(`${before}${text} thanks`);
      }));
  });

  it('finds any Luhn-valid 16-digit number starting 4, in groups of four, joined by any run of separators', () => {
    const mark = fc.constantFrom(' ', '-', '.', '/', '_', '\n', '\u00a0', '\u2013', '*', '|', '~', '#', ',', ';', '\u3000');
    fc.assert(fc.property(fc.stringMatching(/^\d{15}$/), fc.array(mark, { minLength: 1, maxLength: 4 }), fc.boolean(),
      (body, marks, fullWidth) => {
        const digits = pan('4', body, 16);
        fc.pre(!/^(\d)\1+$/.test(digits));
        const text = grouped(digits, [4, 4, 4, 4], marks.join(''));
        return containsCardNumber(`paid with ${fullWidth ? FULL_WIDTH(text) : text}.`);
      }));
  });

  it('stays linear on a megabyte of input', () => {
    // Every group could start a card here; a scan that did not stop at 19 digits per start
    // would take minutes, not the fraction of a second this takes (the bound allows for load).
    const start = performance.now();
    expect(containsCardNumber('4444 '.repeat(200_000))).toBe(false);
    expect(containsCardNumber('1.'.repeat(500_000))).toBe(false);
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});
