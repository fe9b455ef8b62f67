/**
 * Finds raw card numbers (PANs) in arbitrary request input, so they can be refused before
 * anything is stored or logged. A PAN is 13–19 digits that starts like a card network's range
 * (2–6) and passes the Luhn check, written in digit groups however people paste them.
 *
 * Text is first NFKC-normalized, so full-width digits (４２４２) and no-break or other odd
 * spaces count as what they look like. Digit groups then form one run for as long as what lies
 * between them holds no letter or other digit (issue 12: cards separated by four spaces,
 * slashes, dots, newlines, underscores or en dashes used to be stored). Within a run, a card is
 * a span of whole groups whose separators agree:
 * - whitespace and dashes mix freely ("4242 4242-4242\n4242"), as people type them;
 * - any other punctuation must be the same mark between every group ("4242/4242/4242/4242",
 *   "4242 . 4242 . 4242 . 4242"), and every group but the last holds at least three digits.
 *   Mixed or short punctuated groups are how phone numbers (+1 (415) 555-2671), times, IP
 *   addresses and lists of amounts (25.00, 49.99, 35.50) are written, never cards.
 *
 * Some numbers still have a card's digits and are not cards; the Luhn check alone passes one in
 * ten of them, so these shapes are let through:
 * - digit runs that start with 1 (Unix timestamps in milliseconds) or repeat one digit;
 * - a decimal, two groups joined by one `.` or `,` ("250.1234567890"): prices in minor units go
 *   up to 15 + 12 digits (`unit_amount_decimal`), and nobody writes a card with one decimal point;
 * - a grouped integer, groups of exactly three after the first joined by `,`, `.` or `'`
 *   ("2,345,678,901,234");
 * - an international phone number, a `+` right before at most 15 digits (E.164's maximum;
 *   "+49 1512 3456789");
 * - anything holding a date, groups of 4-2-2 or 2-2-4 digits ("2027-06-30 2027-07-31");
 * - a UUID (8-4-4-4-12 hex digits joined by dashes). When three or four of its groups happen to
 *   hold only digits, they read as a dashed card: one random UUID in about 700, so a batch of
 *   usage events identified by UUIDs was refused more often than not. No card is written in that
 *   shape; a UUID reads as a letter, which ends a run as the letters in most UUIDs do.
 *
 * A card may be pasted right after another number ("qty 2 4242 4242 4242 4242"), so every span
 * of whole groups is tried, not only the whole run; within one unbroken run of digits nothing
 * shorter than the run counts (a 23-digit reference is not a card however its digits fall).
 * Each start costs at most 19 digit steps, so the scan is linear in the length of the text.
 * Digits of other scripts that NFKC keeps (Arabic-Indic ٤٢) are not read as digits.
 */
const NON_ASCII = /[^\x00-\x7f]/;
const DIGITS = /[0-9]+/g;
const ALPHANUMERIC = /[\p{L}\p{N}]/u;
const WHITESPACE_AND_DASHES = /^[\s\p{Pd}]+$/u;
const WHITESPACE = /\s+/gu;
const THOUSANDS_MARKS = new Set([',', '.', "'", '\u2019']);
const UUID = /(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])/gi;

/**
 * One group of digits in a run: where its digits start in the run's digit string, how many
 * there are, the separator before it as written and as compared ('' for whitespace and dashes,
 * else the punctuation without spaces), and whether a `+` comes right before it.
 */
type Group = { at: number; length: number; raw: string; mark: string; plus: boolean };

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

/** Whether groups `from`..`to` of a run have one of the card-like shapes that are not cards. */
function lookAlike(run: Group[], from: number, to: number, length: number): boolean {
  const first = run[from]!;
  if (to === from + 1 && (run[to]!.raw === '.' || run[to]!.raw === ',')) return true;
  if (first.plus && length <= 15) return true;
  let thousands = to > from && first.length <= 3 && THOUSANDS_MARKS.has(run[to]!.mark);
  for (let g = from; g <= to; g++) {
    if (g > from && run[g]!.length !== 3) thousands = false;
    if (g + 2 > to) continue;
    const shape = `${run[g]!.length}${run[g + 1]!.length}${run[g + 2]!.length}`;
    if (shape === '422' || shape === '224') return true;
  }
  return thousands;
}

/**
 * Whether a card starts at group `from`. The Luhn sums grow digit by digit, kept for both
 * parities because which digits are doubled depends on where the number ends.
 */
function cardFrom(digits: string, run: Group[], from: number): boolean {
  const first = digits.charCodeAt(run[from]!.at) - 48;
  if (first < 2 || first > 6) return false;
  const mark = run[from + 1]?.mark ?? '';
  // Sums of the digits at even and odd offsets from the start, as they are and doubled.
  let plainEven = 0, plainOdd = 0, doubledEven = 0, doubledOdd = 0;
  let sameDigit = true;
  let length = 0;
  for (let g = from; g < run.length; g++) {
    const group = run[g]!;
    if (length + group.length > 19) break;
    if (g > from && group.mark !== mark) break;
    // With punctuation between groups, a short group can only be the last one.
    if (g > from && mark !== '' && run[g - 1]!.length < 3) break;
    for (let at = group.at; at < group.at + group.length; at++, length++) {
      const d = digits.charCodeAt(at) - 48;
      if (length & 1) { plainOdd += d; doubledOdd += DOUBLED[d]!; } else { plainEven += d; doubledEven += DOUBLED[d]!; }
      if (d !== first) sameDigit = false;
    }
    if (length < 13 || sameDigit) continue;
    // The last digit is not doubled, nor is every second one before it.
    const sum = (length - 1) & 1 ? plainOdd + doubledEven : plainEven + doubledOdd;
    if (sum % 10 === 0 && !lookAlike(run, from, g, length)) return true;
  }
  return false;
}

const runHasCard = (digits: string, run: Group[]) => run.some((_, from) => cardFrom(digits, run, from));

/**
 * Whether text could hold a card at all: 13 ASCII digits, or a character outside ASCII (NFKC
 * may make digits of it). Most input (keys, names, ids, amounts, timestamps) has fewer, and
 * every string of every request is scanned: a usage batch holds ten thousand of them.
 */
function mayHoldCard(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f || (c >= 48 && c <= 57 && ++digits >= 13)) return true;
  }
  return false;
}

/** Exactly a UUID, 8-4-4-4-12 hex digits (a usage event's identifier, most often): told without a regex. */
function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102))) return false; // | 0x20: A–F as a–f
  }
  return true;
}

export function containsCardNumber(input: string): boolean {
  if (!mayHoldCard(input) || isUuid(input)) return false;
  const normal = NON_ASCII.test(input) ? input.normalize('NFKC') : input;
  const text = normal.length >= 36 && normal.includes('-') ? normal.replace(UUID, 'u') : normal;
  let run: Group[] = [];
  let digits = '';
  let end = 0;
  for (const m of text.matchAll(DIGITS)) {
    const raw = text.slice(end, m.index);
    if (run.length > 0 && ALPHANUMERIC.test(raw)) {
      if (runHasCard(digits, run)) return true;
      run = [];
      digits = '';
    }
    const mark = run.length === 0 || WHITESPACE_AND_DASHES.test(raw) ? '' : raw.replace(WHITESPACE, '');
    run.push({ at: digits.length, length: m[0].length, raw, mark, plus: text[m.index - 1] === '+' });
    digits += m[0];
    end = m.index + m[0].length;
  }
  return run.length > 0 && runHasCard(digits, run);
}
