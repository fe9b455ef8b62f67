import { expect } from 'vitest';
import { MAX_BILLING_ATTEMPTS, recordBillingFailure } from '../src/app/billing/failures.ts';
import type { Deps } from '../src/app/ports.ts';
import { newId } from '../src/domain/ids.ts';
import { sequenceEvents } from '../src/app/events/sequencer.ts';
import type { Harness } from './support.ts';

/** The data of a typed-client call, or a thrown error carrying the API's error body. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) throw new Error(`${response.url} → ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/** An API error body and nothing else: `{ error: { type, code, message, param } }`. */
export function expectErrorShape(body: any) {
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.type).toMatch(/^[a-z_]+_error$/);
  expect(body.error.code).toMatch(/^[a-z_]+$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.param === null || typeof body.error.param === 'string').toBe(true);
}

/** Small API-level builders so scenarios read like what a merchant does. */
export async function ok(h: Harness, method: string, url: string, body?: unknown) {
  const r = await h.call(method, url, body);
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function monthlyPrice(h: Harness, unit_amount = 2000, currency = 'usd') {
  const product = await must(h.client.POST('/v1/products', { body: { name: 'Coffee box' } }));
  return await must(h.client.POST('/v1/prices', { body: { product: product.id, currency, unit_amount, recurring: { interval: 'month' } } }));
}

export async function clockAt(h: Harness, iso: string) {
  return await must(h.client.POST('/v1/test_clocks', { body: { frozen_time: iso, name: 'scenario' } }));
}

export async function customerWithCard(h: Harness, token: string, testClock?: string) {
  const customer = await must(h.client.POST('/v1/customers', { body: { email: 'buyer@example.com', ...(testClock ? { test_clock: testClock } : {}) } }));
  await must(h.client.POST('/v1/payment_methods', { body: { customer: customer.id, token } }));
  return customer;
}

export async function advance(h: Harness, clockId: string, iso: string) {
  const c = await must(h.client.POST('/v1/test_clocks/{id}/advance', { params: { path: { id: clockId } }, body: { frozen_time: iso } }));
  expect(c.status).toBe('ready');
  return c;
}

/** A subscription's invoices, oldest first. */
export async function invoicesOf(h: Harness, subscription: string) {
  const r = await must(h.client.GET('/v1/invoices', { params: { query: { subscription, limit: '100' } } }));
  return r.data.slice().reverse();
}

/** A subscription's invoices without the zero invoice that opens a trial, oldest first. */
export async function billedInvoicesOf(h: Harness, subscription: string) {
  return (await invoicesOf(h, subscription)).filter((i) => !(i.billing_reason === 'subscription_create' && i.total === 0
    && i.lines.data.every((l) => l.description.startsWith('Trial period'))));
}

/** The oldest invoice of a subscription; fails the test when there is none. */
export async function firstInvoiceOf(h: Harness, subscription: string) {
  const [first] = await invoicesOf(h, subscription);
  if (!first) throw new Error(`subscription ${subscription} has no invoice`);
  return first;
}

/** Events of a type, newest first; their payload is whatever object the event carries. */
export async function eventsOf(h: Harness, type: string) {
  const { data } = await must(h.client.GET('/v1/events', { params: { query: { type, limit: '100' } } }));
  return data as Array<(typeof data)[number] & { data: { object: any } }>;
}

/** Makes billing a subscription fail until it is parked; returns its billing failure's id. */
export async function parkSubscription(deps: Deps, accountId: string, subscription: string, message = 'boom'): Promise<string> {
  for (let i = 0; i < MAX_BILLING_ATTEMPTS; i++) await recordBillingFailure(deps, accountId, subscription, new Error(message), { onClock: false });
  const row = await deps.db.selectFrom('billing_failures').select('id').where('account_id', '=', accountId)
    .where('subscription_id', '=', subscription).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A job of the account whose last allowed attempt failed, as a delivery failing for days would
 * leave it: no API call makes one, and its kind need not be in the catalogue to be listed or retried.
 */
export async function failedJob(deps: Deps, accountId: string, status: 'failed' | 'ready' = 'failed', kind = 'test.deliver'): Promise<string> {
  const now = deps.clock.now();
  const row = await deps.db.insertInto('jobs').values({
    id: newId('job'), account_id: accountId, kind, payload: JSON.stringify({ note: 'x' }), status, attempts: status === 'failed' ? 3 : 0, max_attempts: 3,
    run_at: now, locked_by: null, locked_until: null, last_error: status === 'failed' ? 'receiver answered 500' : null, key: null,
    test_clock_id: null, created_at: now, updated_at: now, finished_at: status === 'failed' ? now : null,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A webhook delivery to `endpointId` (an account's endpoint taking `customer.created`): a
 * customer is created with `key` (the account's) and the event sequenced, which fans it out.
 */
export async function webhookDelivery(h: Harness, endpointId: string, key?: string): Promise<string> {
  const c = await h.call('POST', '/v1/customers', { email: 'delivered@example.com' }, key ? { key } : {});
  if (c.status !== 200) throw new Error(`customer for a delivery: ${c.status}`);
  await sequenceEvents(h.deps.db, h.clock.now());
  const d = await h.deps.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', endpointId).where('event_id', 'in',
    (eb) => eb.selectFrom('events').select('id').where('object_id', '=', c.body.id)).executeTakeFirstOrThrow();
  return d.id;
}

/** A customer on a clock whose first renewal (after a 7-day trial from 2027-01-01) was declined with `token`: one open invoice of 29.00. */
export async function declinedRenewal(h: Harness, token: string) {
  const clock = await clockAt(h, '2027-01-01T00:00:00Z');
  const customer = await customerWithCard(h, token, clock.id);
  const price = await monthlyPrice(h, 2900);
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
  await advance(h, clock.id, '2027-01-08T00:00:01Z');
  const invoice = (await invoicesOf(h, sub.id)).at(-1)!;
  expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'open', amount_remaining: 2900 });
  return { clock, customer, sub, invoice };
}
