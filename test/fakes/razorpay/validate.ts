import { invalid, type Answer } from './answers.ts';

export type Body = Record<string, unknown>;

/** Integer amounts in the currency's smallest unit; Razorpay also takes them as digit strings. */
export function integer(v: unknown, field: string): number | Answer {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) return invalid(`The ${field} must be an integer.`, field);
  return n;
}

export const isAnswer = (x: unknown): x is Answer => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

export function required(b: Body, fields: string[]): Answer | null {
  for (const f of fields) if (b[f] === undefined || b[f] === null || b[f] === '') return invalid(`The ${f} field is required.`, f);
  return null;
}

/** Razorpay refuses parameters it does not know, naming them. */
export function onlyKnown(b: Body, known: string[]): Answer | null {
  const extra = Object.keys(b).filter((k) => !known.includes(k));
  return extra.length ? invalid(`${extra.join(', ')} is/are not required and should not be sent`, extra[0]) : null;
}

export const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

export function notes(v: unknown): Answer | null {
  if (v === undefined || Array.isArray(v)) return null;
  if (typeof v !== 'object' || v === null) return invalid('The notes must be an array.', 'notes');
  const entries = Object.entries(v);
  if (entries.length > 15) return invalid('The notes may not have more than 15 items.', 'notes');
  if (entries.some(([, x]) => String(x).length > 256)) return invalid('The notes value may not be greater than 256 characters.', 'notes');
  return null;
}

/** Form bodies (`notes[key]=v`) as Razorpay also accepts them, turned into the JSON shape. */
export function parseForm(raw: string): Body {
  const out: Body = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const m = /^(\w+)\[(.+)\]$/.exec(k);
    if (m) ((out[m[1]!] ??= {}) as Record<string, string>)[m[2]!] = v;
    else out[k] = v;
  }
  return out;
}
