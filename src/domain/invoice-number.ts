import { randomBytes } from 'node:crypto';

/** What a merchant may choose as a customer's invoice prefix: 3–12 capitals or digits. */
export const INVOICE_PREFIX_PATTERN = '^[A-Z0-9]{3,12}$';
const PREFIX = new RegExp(INVOICE_PREFIX_PATTERN);

export function isInvoicePrefix(value: string): boolean {
  return PREFIX.test(value);
}

// Crockford's base32 without the letters people misread (I, L, O, U): a prefix is read aloud
// on the phone and typed from paper.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fresh 8-character prefix; 32^8 choices, so a clash within an account is rare but possible. */
export function newInvoicePrefix(bytes: Uint8Array = randomBytes(8)): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += ALPHABET[bytes[i]! % 32];
  return out;
}

/** "7QK2M4XA-0042": the prefix, a dash, and the sequence padded to four digits (never cut). */
export function invoiceNumber(prefix: string, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError(`invoice sequence must be a positive integer, got ${sequence}`);
  return `${prefix}-${String(sequence).padStart(4, '0')}`;
}

/** A customer's numbering as read: its prefix and the sequence its next invoice takes. */
export type Numbering = { prefix: string; next: number };

/**
 * Numbers invoices in the order given. Invoices of the same customer (same `key`) take
 * consecutive sequences from that customer's `next`; the result says, per customer, where the
 * sequence stands afterwards, which must be stored in the same transaction as the invoices.
 */
export function assignInvoiceNumbers<T>(items: T[], keyOf: (item: T) => string, numberingOf: (item: T) => Numbering): {
  numbers: string[]; next: Map<string, number>;
} {
  const next = new Map<string, number>();
  const numbers = items.map((item) => {
    const key = keyOf(item);
    const numbering = numberingOf(item);
    const sequence = next.get(key) ?? numbering.next;
    next.set(key, sequence + 1);
    return invoiceNumber(numbering.prefix, sequence);
  });
  return { numbers, next };
}
