import { Type, type TSchema } from '@sinclair/typebox';
import { ref } from './components.ts';

/** Shared request schemas. They validate requests and become the OpenAPI document. */
export const Metadata = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
  // TypeBox turns the key schema into a pattern and drops its maxLength; propertyNames keeps it.
  maxProperties: 50, propertyNames: { minLength: 1, maxLength: 40 }, description: 'Your own key-value pairs; returned as given.',
});
export const Id = (prefix: string) => Type.String({ minLength: 1, maxLength: 64, description: `An id beginning ${prefix}_` });
// Years 1970–2999: beyond 9999 the PostgreSQL driver cannot even write a period end (a 500 after the charge).
export const Timestamp = Type.String({ format: 'date-time', pattern: '^(19[7-9][0-9]|2[0-9]{3})-', description: 'RFC 3339 UTC timestamp, years 1970–2999' });
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListQuery = <T extends Record<string, TSchema>>(extra: T = {} as T) => Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'Page size, 1–100 (default 10)' })),
  starting_after: Type.Optional(Type.String({ maxLength: 64, description: 'Id of the last object of the previous page' })),
  ...extra,
}, { additionalProperties: false });

export function pageOf(q: { limit?: string; starting_after?: string }) {
  return { limit: q.limit ? Number(q.limit) : 10, starting_after: q.starting_after };
}

/** Amounts are integers in the currency's minor unit. */
export const Amount = Type.Integer({ minimum: 0, maximum: 1e15, description: 'Minor units (cents for USD, yen for JPY)' });
export const DecimalAmount = Type.String({ pattern: '^[0-9]{1,15}(\\.[0-9]{1,12})?$', description: 'Minor units, fractional allowed: "0.04" is 0.04 cents for USD' });

/** A route's documented responses: its object on success, the error body otherwise. */
export const replies = <T extends TSchema>(ok: T) => ({ 200: ok, '4xx': ref('Error'), '5xx': ref('Error') });

export const IdempotencyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Retrying with the same key and body returns the first response and writes nothing' })),
});
