/**
 * Finds raw card numbers (PANs) in arbitrary request input, so they can be refused before
 * anything is stored or logged. A PAN is 13–19 digits, optionally grouped by spaces or dashes,
 * that starts like a card network's range (2–6) and passes the Luhn check. Digit runs that
 * start with 1 (Unix timestamps in milliseconds) or repeat one digit are not taken for cards.
 */
const CANDIDATE = /(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])/g;

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
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits)) return true;
  }
  return false;
}

/** The path (e.g. `metadata[note]`) of the first value holding a card number, or null. */
export function findCardNumber(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return containsCardNumber(value) ? path || 'body' : null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && containsCardNumber(String(value)) ? path || 'body' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findCardNumber(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // A key holding a card number is blamed on its parent: the param must not echo the number back.
      if (containsCardNumber(k)) return path || 'body';
      const hit = findCardNumber(v, path ? `${path}[${k}]` : k);
      if (hit) return hit;
    }
  }
  return null;
}
