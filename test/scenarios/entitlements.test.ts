import { describe, expect, it } from 'vitest';
import { recheckDueEntitlements } from '../../src/app/entitlements/recheck-due.ts';
import { advance, clockAt, invoicesOf, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** A product granting `keys`, with a monthly price of 29.00. */
async function productWith(h: Harness, features: { id: string }[]) {
  const product = await ok(h, 'POST', '/v1/products', { name: 'Pro plan' });
  for (const f of features) await ok(h, 'POST', `/v1/products/${product.id}/features`, { feature: f.id });
  const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' } });
  return { product, price };
}

const keysOf = async (h: Harness, customer: string) =>
  (await ok(h, 'GET', `/v1/customers/${customer}/entitlements`)).data.map((e: { lookup_key: string }) => e.lookup_key);

/** The customer's entitlements.updated events, oldest first: when, and the lookup keys before and after. */
async function changes(h: Harness, customer: string) {
  const { data } = await ok(h, 'GET', `/v1/events?type=entitlements.updated&object_id=${customer}&limit=100`);
  const keys = (list: { lookup_key: string }[]) => list.map((e) => e.lookup_key);
  return data.slice().reverse().map((e: any) => ({ at: e.created, now: keys(e.data.object.entitlements), before: keys(e.data.previous_attributes.entitlements) }));
}

describe('entitlements follow subscription state, grace periods and overrides, on test clocks', async () => {
  const h = await harness();
  const api = await ok(h, 'POST', '/v1/features', { lookup_key: 'api_access', name: 'API access' });
  const exp = await ok(h, 'POST', '/v1/features', { lookup_key: 'export', name: 'Exports' });
  const sso = await ok(h, 'POST', '/v1/features', { lookup_key: 'sso', name: 'Single sign-on' });
  const { product, price } = await productWith(h, [api, exp]);

  it('an active subscription grants its product\'s features; a failed renewal keeps them through the 7-day grace and ends them when it ends, not before; paying restores them', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'grace@example.com', test_clock: clock.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    const [granted] = (await ok(h, 'GET', `/v1/customers/${customer.id}/entitlements`)).data;
    expect(granted).toEqual({ object: 'entitlement', feature: api.id, lookup_key: 'api_access', source: { type: 'subscription', subscription: sub.id, status: 'active' } });
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);

    // From now on every charge is declined for insufficient funds.
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclinedInsufficientFunds', set_default: true });
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    const [c] = (await ok(h, 'GET', `/v1/dunning_cases?customer=${customer.id}`)).data;
    expect(c.grace_ends).toBe('2027-02-08T00:00:00.000Z');
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}/entitlements`)).data[0].source).toEqual({ type: 'subscription', subscription: sub.id, status: 'past_due' });

    await advance(h, clock.id, '2027-02-07T23:59:59Z');
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);
    expect(await changes(h, customer.id)).toEqual([{ at: '2027-01-01T00:00:00.000Z', now: ['api_access', 'export'], before: [] }]);

    await advance(h, clock.id, '2027-02-09T00:00:00Z');
    expect(await keysOf(h, customer.id)).toEqual([]);
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    expect(await changes(h, customer.id)).toEqual([
      { at: '2027-01-01T00:00:00.000Z', now: ['api_access', 'export'], before: [] },
      { at: '2027-02-08T00:00:00.000Z', now: [], before: ['api_access', 'export'] },
    ]);

    // The customer pays with a working card: the subscription is active again, and so is access.
    const card = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', set_default: true });
    const renewal = (await invoicesOf(h, sub.id)).at(-1)!;
    expect((await ok(h, 'POST', `/v1/invoices/${renewal.id}/pay`, { payment_method: card.id })).status).toBe('paid');
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);
    // The worker's duty announces it (at the customer's business time), once.
    while (await recheckDueEntitlements(h.deps) > 0);
    await advance(h, clock.id, '2027-02-10T00:00:00Z');
    expect((await changes(h, customer.id)).slice(2)).toEqual([{ at: '2027-02-09T00:00:00.000Z', now: ['api_access', 'export'], before: [] }]);
  });

  it('a renewal recovered by a retry within grace never interrupts access: nothing to announce', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'recovers@example.com', test_clock: clock.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclinedInsufficientFundsRecoversAfter2' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    await advance(h, clock.id, '2027-01-09T12:00:00Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);
    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);
    expect(await changes(h, customer.id)).toEqual([{ at: '2027-01-01T00:00:00.000Z', now: ['api_access', 'export'], before: [] }]);
  });

  it("past_due with no dunning case (no card to charge): grace counts from the renewal's finalization with the customer's policy's grace days", async () => {
    const brief = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Brief grace', grace_period_days: 3 });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'nocard@example.com', test_clock: clock.id, dunning_policy: brief.id });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}/entitlements`)).data[0].source).toEqual({ type: 'subscription', subscription: sub.id, status: 'trialing' });
    await advance(h, clock.id, '2027-01-10T23:59:59Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    expect((await ok(h, 'GET', `/v1/dunning_cases?customer=${customer.id}`)).data).toEqual([]);
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);
    await advance(h, clock.id, '2027-01-12T00:00:00Z');
    expect(await keysOf(h, customer.id)).toEqual([]);
    expect(await changes(h, customer.id)).toEqual([
      { at: '2027-01-01T00:00:00.000Z', now: ['api_access', 'export'], before: [] },
      { at: '2027-01-11T00:00:00.000Z', now: [], before: ['api_access', 'export'] },
    ]);
  });

  it('an override grants a feature to a customer without a subscription until it expires, then it is gone; audited as the caller', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'gift@example.com', test_clock: clock.id });
    const o = await ok(h, 'POST', `/v1/customers/${customer.id}/entitlement_overrides`, { feature: sso.id, grant: true, expires_at: '2027-03-10T00:00:00Z', reason: 'pilot' });
    expect(o).toMatchObject({ object: 'entitlement_override', customer: customer.id, feature: sso.id, lookup_key: 'sso', grant: true, expired: false, reason: 'pilot', created: '2027-03-01T00:00:00.000Z' });
    expect(o.created_by).toMatch(/^api_key:key_/);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}/entitlements`)).data).toEqual([
      { object: 'entitlement', feature: sso.id, lookup_key: 'sso', source: { type: 'override', override: o.id } }]);
    // Announced in the override's own transaction.
    expect(await changes(h, customer.id)).toEqual([{ at: '2027-03-01T00:00:00.000Z', now: ['sso'], before: [] }]);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${o.id}`)).data;
    expect(audit.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([['entitlement_override.granted', o.created_by]]);

    await advance(h, clock.id, '2027-03-09T23:59:59Z');
    expect(await keysOf(h, customer.id)).toEqual(['sso']);
    await advance(h, clock.id, '2027-03-12T00:00:00Z');
    expect(await keysOf(h, customer.id)).toEqual([]);
    expect((await changes(h, customer.id)).slice(1)).toEqual([{ at: '2027-03-10T00:00:00.000Z', now: [], before: ['sso'] }]);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}/entitlement_overrides`)).data.map((x: { id: string; expired: boolean }) => [x.id, x.expired])).toEqual([[o.id, true]]);
  });

  it('a revoke removes a feature the subscription grants until it expires; a plan change and catalog edits are announced too', async () => {
    const clock = await clockAt(h, '2027-05-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'revoke@example.com', test_clock: clock.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const revoke = await ok(h, 'POST', `/v1/customers/${customer.id}/entitlement_overrides`, { feature: api.id, grant: false, expires_at: '2027-05-03T00:00:00Z' });
    expect(revoke).toMatchObject({ grant: false, lookup_key: 'api_access' });
    expect(await keysOf(h, customer.id)).toEqual(['export']);
    await advance(h, clock.id, '2027-05-04T00:00:00Z');
    expect(await keysOf(h, customer.id)).toEqual(['api_access', 'export']);
    // The subscription's own change (made before the revoke, announced at once) is folded into the revoke's announcement.
    expect(await changes(h, customer.id)).toEqual([
      { at: '2027-05-01T00:00:00.000Z', now: ['export'], before: [] },
      { at: '2027-05-03T00:00:00.000Z', now: ['api_access', 'export'], before: ['export'] },
    ]);

    // Attaching a feature to the product grants it to every subscriber; archiving it takes it away.
    await ok(h, 'POST', `/v1/products/${product.id}/features`, { feature: sso.id });
    expect((await ok(h, 'GET', `/v1/products/${product.id}/features`)).data.map((pf: any) => pf.feature.lookup_key)).toEqual(['api_access', 'export', 'sso']);
    await advance(h, clock.id, '2027-05-05T00:00:00Z');
    await ok(h, 'POST', `/v1/features/${sso.id}`, { active: false });
    await advance(h, clock.id, '2027-05-06T00:00:00Z');
    await ok(h, 'POST', `/v1/features/${sso.id}`, { active: true });
    await ok(h, 'DELETE', `/v1/products/${product.id}/features/${sso.id}`);
    await advance(h, clock.id, '2027-05-07T00:00:00Z');
    expect((await changes(h, customer.id)).slice(2)).toEqual([
      { at: '2027-05-04T00:00:00.000Z', now: ['api_access', 'export', 'sso'], before: ['api_access', 'export'] },
      { at: '2027-05-05T00:00:00.000Z', now: ['api_access', 'export'], before: ['api_access', 'export', 'sso'] },
    ]);

    // A plan change to a product without features: the items changed, the status did not.
    const bare = await ok(h, 'POST', '/v1/products', { name: 'Basic' });
    const basic = await ok(h, 'POST', '/v1/prices', { product: bare.id, currency: 'usd', unit_amount: 900, recurring: { interval: 'month' } });
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, price: basic.id }], proration_behavior: 'none' });
    await advance(h, clock.id, '2027-05-08T00:00:00Z');
    expect(await keysOf(h, customer.id)).toEqual([]);
    expect((await changes(h, customer.id)).slice(4)).toEqual([{ at: '2027-05-07T00:00:00.000Z', now: [], before: ['api_access', 'export'] }]);

    // Canceling grants nothing, and a customer whose set did not change hears nothing.
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`);
    await advance(h, clock.id, '2027-05-09T00:00:00Z');
    expect(await changes(h, customer.id)).toHaveLength(5);
  });
});

describe('in real time, the worker\'s duty announces what changed and what time ended', async () => {
  const h = await harness();
  const sso = await ok(h, 'POST', '/v1/features', { lookup_key: 'sso', name: 'Single sign-on' });
  const { price } = await productWith(h, [sso]);
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'realtime@example.com' });
  const duty = async () => { let n = 0; for (let k; (k = await recheckDueEntitlements(h.deps)) > 0;) n += k; return n; };

  it('a new subscription is announced by the duty; an override expiring an hour later is announced when the hour is up, not before', async () => {
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(await changes(h, customer.id)).toEqual([]);
    expect(await duty()).toBe(1);
    expect(await changes(h, customer.id)).toEqual([{ at: '2027-01-01T00:00:00.000Z', now: ['sso'], before: [] }]);

    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    await ok(h, 'POST', `/v1/customers/${customer.id}/entitlement_overrides`, { feature: sso.id, grant: true, expires_at: '2027-01-01T01:00:00Z' });
    expect(await duty()).toBe(0);
    h.clock.advanceMs(59 * 60_000);
    expect(await duty()).toBe(0);
    expect(await keysOf(h, customer.id)).toEqual(['sso']);
    h.clock.advanceMs(60_000);
    expect(await duty()).toBe(1);
    expect(await keysOf(h, customer.id)).toEqual([]);
    expect((await changes(h, customer.id)).slice(1)).toEqual([{ at: '2027-01-01T01:00:00.000Z', now: [], before: ['sso'] }]);
  });
});
