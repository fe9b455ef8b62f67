import type { Obj } from './objects.ts';

/**
 * The part of Stripe's search query language (docs.stripe.com/search#search-query-language)
 * that PaymentIntent search needs: clauses `field:value`, `field>value` (also `<`, `>=`, `<=`)
 * and `-field:value`, joined by AND or by OR (Stripe refuses a query that mixes them);
 * fields `amount`, `created`, `currency`, `customer`, `status` and `metadata['key']`.
 * Values are quoted strings or numbers. Anything else is refused like Stripe refuses it: 400.
 */
export class QueryError extends Error {}

type Clause = { field: string; key?: string; op: ':' | '>' | '<' | '>=' | '<='; value: string; negate: boolean };

const FIELDS = new Set(['amount', 'created', 'currency', 'customer', 'status', 'metadata']);
const NUMERIC = new Set(['amount', 'created']);

export function parseQuery(query: string): (o: Obj) => boolean {
  let i = 0;
  const s = query.trim();
  const ws = () => { while (i < s.length && /\s/.test(s[i]!)) i++; };
  const quoted = (): string => {
    const q = s[i];
    if (q !== "'" && q !== '"') throw new QueryError(`Expected a quoted value at position ${i}`);
    let out = '';
    i++;
    while (i < s.length && s[i] !== q) {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i++];
    }
    if (s[i] !== q) throw new QueryError('Unterminated quoted value');
    i++;
    return out;
  };
  const clause = (): Clause => {
    const negate = s[i] === '-';
    if (negate) i++;
    const m = /^[a-z_]+/.exec(s.slice(i));
    if (!m) throw new QueryError(`Expected a field at position ${i}`);
    const field = m[0];
    i += field.length;
    if (!FIELDS.has(field)) throw new QueryError(`Field \`${field}\` is an unsupported search field for resource \`payment_intents\`.`);
    let key: string | undefined;
    if (field === 'metadata') {
      if (s[i] !== '[') throw new QueryError('metadata must be followed by [\'key\']');
      i++;
      key = quoted();
      if (s[i] !== ']') throw new QueryError('Expected ]');
      i++;
    }
    const op = (['>=', '<=', ':', '>', '<'] as const).find((o) => s.startsWith(o, i));
    if (!op) throw new QueryError(`Expected an operator at position ${i}`);
    i += op.length;
    let value: string;
    if (s[i] === "'" || s[i] === '"') value = quoted();
    else {
      const n = /^-?\d+/.exec(s.slice(i));
      if (!n) throw new QueryError(`Expected a value at position ${i}`);
      value = n[0];
      i += value.length;
    }
    if (op !== ':' && !NUMERIC.has(field)) throw new QueryError(`Field \`${field}\` does not support the ${op} operator.`);
    return { field, ...(key !== undefined ? { key } : {}), op, value, negate };
  };

  const clauses: Clause[] = [];
  const joins = new Set<string>();
  ws();
  if (!s) throw new QueryError('The query is empty.');
  clauses.push(clause());
  for (ws(); i < s.length; ws()) {
    const j = /^(AND|OR)\s+/i.exec(s.slice(i));
    if (!j) throw new QueryError(`Expected AND or OR at position ${i}`);
    joins.add(j[1]!.toUpperCase());
    i += j[0].length;
    clauses.push(clause());
  }
  if (joins.size > 1) throw new QueryError('Queries cannot combine AND and OR.');
  if (clauses.length > 10) throw new QueryError('A query can have at most 10 clauses.');
  const any = joins.has('OR');
  return (o) => (any ? clauses.some((c) => test(c, o)) : clauses.every((c) => test(c, o)));
}

function test(c: Clause, o: Obj): boolean {
  const actual = c.field === 'metadata' ? o.metadata?.[c.key!] : o[c.field];
  let hit: boolean;
  if (NUMERIC.has(c.field)) {
    const a = Number(actual);
    const v = Number(c.value);
    hit = c.op === ':' ? a === v : c.op === '>' ? a > v : c.op === '<' ? a < v : c.op === '>=' ? a >= v : a <= v;
  } else {
    // Stripe matches string fields exactly (case-insensitively for enums like status/currency).
    hit = actual != null && (c.field === 'metadata' || c.field === 'customer' ? String(actual) === c.value : String(actual).toLowerCase() === c.value.toLowerCase());
  }
  return c.negate ? !hit : hit;
}
