/**
 * Finds raw card numbers (PANs) in arbitrary request input, so they can be refused before
 * anything is stored or logged. A PAN is 13–19 digits, optionally grouped by up to three spaces,
 * tabs or dashes between digits (as people paste them), that starts like a card network's range
 * (2–6) and passes the Luhn check. Digit runs that start with 1 (Unix timestamps in
 * milliseconds) or repeat one digit are not taken for cards. Dots do not group: a long decimal
 * amount such as "2.123456789012" is not a card.
 *
 * A card may be pasted right after another number ("qty 2 4242 4242 4242 4242"), so every span
 * of whole groups is tried, not only the whole run. Within one unbroken run of digits nothing
 * shorter than the run counts: a 23-digit reference is not a card however its digits fall.
 */
const RUN = /\d+(?:[ \t-]{1,3}\d+)*/g;
const GROUP_SEPARATOR = /[ \t-]+/;

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

const DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

/**
 * Whether a card starts at `from` and ends where a group ends (`isEnd`). The Luhn sums grow
 * digit by digit, kept for both parities because which digits are doubled depends on where the
 * number ends, so each start costs at most 19 steps whatever the length of the run.
 */
function cardStartingAt(digits: string, from: number, isEnd: Uint8Array): boolean {
  const first = digits.charCodeAt(from) - 48;
  if (first < 2 || first > 6) return false;
  // Sums of the digits at even and odd offsets from `from`, as they are and doubled.
  let plainEven = 0, plainOdd = 0, doubledEven = 0, doubledOdd = 0;
  let sameDigit = true;
  const stop = Math.min(digits.length, from + 19);
  for (let at = from; at < stop; at++) {
    const d = digits.charCodeAt(at) - 48;
    const odd = (at - from) & 1;
    if (odd) { plainOdd += d; doubledOdd += DOUBLED[d]!; } else { plainEven += d; doubledEven += DOUBLED[d]!; }
    if (d !== first) sameDigit = false;
    const length = at - from + 1;
    if (length < 13 || isEnd[at + 1] === 0) continue;
    // The last digit is not doubled, nor is every second one before it.
    const sum = odd ? plainOdd + doubledEven : plainEven + doubledOdd;
    if (sum % 10 === 0 && !sameDigit) return true;
  }
  return false;
}

export function containsCardNumber(text: string): boolean {
  for (const m of text.matchAll(RUN)) {
    const groups = m[0].split(GROUP_SEPARATOR);
    const digits = groups.join('');
    const isEnd = new Uint8Array(digits.length + 1);
    const starts: number[] = [];
    let at = 0;
    for (const g of groups) { starts.push(at); at += g.length; isEnd[at] = 1; }
    for (const from of starts) if (cardStartingAt(digits, from, isEnd)) return true;
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
