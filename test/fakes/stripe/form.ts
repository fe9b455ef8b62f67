/**
 * Stripe's v1 wire format for parameters: `application/x-www-form-urlencoded` with bracket
 * nesting (`metadata[rebill_attempt]=…`, `expand[]=…` or `expand[0]=…`). Values stay strings,
 * as Stripe receives them; the routes coerce what they need.
 */
export type Params = { [key: string]: Value };
export type Value = string | Value[] | Params;

export class FormError extends Error {}

export function parseForm(body: string): Params {
  const root: Params = {};
  if (!body) return root;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decode(rawKey);
    const value = decode(rawValue);
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw new FormError(`Invalid parameter name: ${key}`);
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
    assign(root, path, value);
  }
  return root;
}

function decode(s: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { throw new FormError('Malformed percent-encoding'); }
}

function assign(container: Params | Value[], path: string[], value: string): void {
  const [head, ...rest] = path;
  const last = rest.length === 0;
  if (Array.isArray(container)) {
    const index = head === '' ? container.length : Number(head);
    if (!Number.isInteger(index) || index < 0) throw new FormError(`Invalid array index: ${head}`);
    if (last) { container[index] = value; return; }
    container[index] ??= rest[0] === '' || /^\d+$/.test(rest[0]!) ? [] : {};
    return assign(container[index] as Params | Value[], rest, value);
  }
  if (last) { container[head!] = value; return; }
  const existing = container[head!];
  if (existing === undefined) container[head!] = rest[0] === '' || /^\d+$/.test(rest[0]!) ? [] : {};
  else if (typeof existing === 'string') throw new FormError(`Conflicting parameter: ${head}`);
  return assign(container[head!] as Params | Value[], rest, value);
}

/** Key order never makes two requests differ: Stripe compares parameters, not bytes. */
export function canonical(v: Value | undefined): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

export const str = (v: Value | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const bool = (v: Value | undefined): boolean => v === 'true';
export const list = (v: Value | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
export function record(v: Value | undefined): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' && x !== '') out[k] = x;
  return out;
}
