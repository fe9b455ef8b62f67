/**
 * Finds raw card numbers (PANs) in arbitrary request input, so they can be refused before
 * anything is stored or logged. A PAN is 13–19 digits, optionally grouped by up to three spaces,
 * tabs or dashes between digits (as people paste them), that starts like a card network's range
 * (2–6) and passes the Luhn check. Digit runs that start with 1 (Unix timestamps in
 * milliseconds) or repeat one digit are not taken for cards. Dots do not group: a long decimal
 * amount such as "2.123456789012" is not a card.
 */
const CANDIDATE = /(?<![\d])(?:\d[ \t-]{0,3}){12,18}\d(?![\d])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function containsCardNumber(text: string): boolean {
  for (const m of text.matchAll(CANDIDATE)) {
    const digits = m[0].replace(/[ \t-]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits)) return true;
  }
  return false;
}

/**
 * The API path (e.g. `metadata[note]`, `items[0][price]`) of the first string, safe integer or
 * object key in request input for which `hit` is true, or null. A key that hits is blamed on its
 * parent, so the offending text is never echoed back in `param`.
 */
export function findInInput(value: unknown, hit: (text: string) => boolean, path = ''): string | null {
  if (typeof value === 'string') return hit(value) ? path || 'body' : null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && hit(String(value)) ? path || 'body' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInInput(value[i], hit, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (hit(k)) return path || 'body';
      const found = findInInput(v, hit, path ? `${path}[${k}]` : k);
      if (found) return found;
    }
  }
  return null;
}

/** The path of the first value holding a card number, or null. */
export const findCardNumber = (value: unknown): string | null => findInInput(value, containsCardNumber);
