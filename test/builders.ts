import { expect } from 'vitest';
import type { Harness } from './support.ts';

/** Small API-level builders so scenarios read like what a merchant does. */
export async function ok(h: Harness, method: string, url: string, body?: unknown) {
  const r = await h.call(method, url, body);
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function monthlyPrice(h: Harness, unit_amount = 2000, currency = 'usd') {
  const product = await ok(h, 'POST', '/v1/products', { name: 'Coffee box' });
  return await ok(h, 'POST', '/v1/prices', { product: product.id, currency, unit_amount, recurring: { interval: 'month' } });
}

export async function clockAt(h: Harness, iso: string) {
  return await ok(h, 'POST', '/v1/test_clocks', { frozen_time: iso, name: 'scenario' });
}

export async function customerWithCard(h: Harness, token: string, testClock?: string) {
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'buyer@example.com', ...(testClock ? { test_clock: testClock } : {}) });
  await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token });
  return customer;
}

export async function advance(h: Harness, clockId: string, iso: string) {
  const c = await ok(h, 'POST', `/v1/test_clocks/${clockId}/advance`, { frozen_time: iso });
  expect(c.status).toBe('ready');
  return c;
}

export async function invoicesOf(h: Harness, subscription: string) {
  const r = await ok(h, 'GET', `/v1/invoices?subscription=${subscription}&limit=100`);
  return (r.data as any[]).slice().reverse();
}

export async function eventsOf(h: Harness, type: string) {
  return (await ok(h, 'GET', `/v1/events?type=${type}&limit=100`)).data as any[];
}
