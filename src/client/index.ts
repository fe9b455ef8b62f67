import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './openapi.ts';

/**
 * The typed TypeScript client for the Rebill API. Paths, parameters, bodies and responses are
 * typed from the OpenAPI document (openapi.ts is generated from it), so a misspelt field or a
 * wrong type fails to compile. Every call answers `{ data }` on success or `{ error }` with the
 * API's error body:
 *
 *   const rebill = rebillClient({ baseUrl: 'http://localhost:4000', apiKey: process.env.REBILL_KEY! });
 *   const { data, error } = await rebill.POST('/v1/customers', { body: { email: 'a@example.com' } });
 *
 * Writes take an Idempotency-Key: `{ body, params: { header: { 'idempotency-key': key } } }`.
 */
export type RebillClient = Client<paths>;
export type { components, paths } from './openapi.ts';

export function rebillClient(opts: { baseUrl: string; apiKey: string; fetch?: (request: Request) => Promise<Response> }): RebillClient {
  return createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${opts.apiKey}` },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The body a path and method answer with on success, e.g. `Ok<'/v1/invoices/{id}', 'get'>`. */
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: infer R } } ? Json<R> : never;

/** The request body a path and method take, e.g. `Body<'/v1/subscriptions', 'post'>`. */
export type Body<P extends keyof paths, M extends keyof paths[P]> =
  paths[P][M] extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

type Schemas = components['schemas'];
export type Customer = Schemas['Customer'];
export type Product = Schemas['Product'];
export type Price = Schemas['Price'];
export type PaymentMethod = Schemas['PaymentMethod'];
export type Subscription = Schemas['Subscription'];
export type Invoice = Schemas['Invoice'];
export type Payment = Schemas['Payment'];
export type TestClock = Schemas['TestClock'];
export type Event = Schemas['Event'];
export type AuditEntry = Schemas['AuditEntry'];
export type ApiError = Schemas['Error'];
