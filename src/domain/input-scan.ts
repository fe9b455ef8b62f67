/**
 * Looks through request input (a parsed JSON body, a query string, path params) for the first
 * text a check refuses, before any schema, service or log sees it.
 *
 * The walk keeps its own stack instead of recursing: a 16 KB body of 8,000 nested `[` used to
 * overflow the JS stack and answer 500 (issue 12). It also refuses input nested deeper than
 * MAX_INPUT_DEPTH, so nothing after it (schema validation, the idempotency fingerprint) meets
 * such input either. The API's deepest real input is four levels (`tiers[0][up_to]` inside the
 * body object); 32 leaves room for metadata-like objects without inviting abuse.
 */
export const MAX_INPUT_DEPTH = 32;

/** What was refused and where: the API path of the value, e.g. `metadata[note]`, `items[1][price]`. */
export type Finding<P extends string> = { problem: P | 'too_deep'; param: string };

/**
 * One value to look at. Its path is made from its parent's only when something is refused: a
 * usage batch holds tens of thousands of values, and building every one's path cost more than
 * looking at it.
 */
type Frame = { value: unknown; parent: Frame | null; key: string | number; depth: number };

/** `items[1][price]`: the API path of a frame's value; '' for the whole input. */
function pathOf(frame: Frame): string {
  const keys: (string | number)[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) keys.push(f.key);
  keys.reverse();
  return keys.map((k, i) => (i === 0 && typeof k === 'string' ? k : `[${k}]`)).join('');
}

/** The top-level key a frame's value is under ('' for the input itself or an array's elements). */
function topOf(frame: Frame): string {
  let f = frame;
  while (f.parent && f.parent.parent) f = f.parent;
  return f.parent && typeof f.key === 'string' ? f.key : '';
}

/**
 * The first string, safe integer or object key for which `check` names a problem, or the first
 * container nested deeper than `maxDepth`. A key that is refused is blamed on its parent, and
 * too-deep input on its top-level param, so neither the offending text nor an unreadable
 * 32-level path is echoed back in `param`.
 */
export function scanInput<P extends string>(
  value: unknown, check: (text: string) => P | null, maxDepth = MAX_INPUT_DEPTH,
): Finding<P> | null {
  const stack: Frame[] = [{ value, parent: null, key: '', depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { value: v, depth } = frame;
    if (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) {
      const problem = check(typeof v === 'string' ? v : String(v));
      if (problem) return { problem, param: pathOf(frame) || 'body' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { problem: 'too_deep', param: topOf(frame) || 'body' };
    // Children are pushed last-first so they are looked at in document order.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: frame, key: i, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (const key of keys) {
      const problem = check(key);
      if (problem) return { problem, param: pathOf(frame) || 'body' };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (v as Record<string, unknown>)[key], parent: frame, key, depth: depth + 1 });
    }
  }
  return null;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether text is well-formed UTF-16: no half of a surrogate pair on its own. JSON may escape
 * one (`"\ud800"`); PostgreSQL's jsonb refuses it and text columns store U+FFFD instead, so the
 * request would fail late or keep something other than what was sent. (With the `u` flag a
 * proper pair is one code point, so only lone halves match `\p{Cs}`.)
 */
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);
