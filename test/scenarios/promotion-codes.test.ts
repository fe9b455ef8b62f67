import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

async function monthly(h: Harness, amount: number, currency = 'usd') {
  const product = await must(h.client.POST('/v1/products', { body: { name: 'Plan' } }));
  return await must(h.client.POST('/v1/prices', { body: { product: product.id, currency, unit_amount: amount, recurring: { interval: 'month' } } }));
}

describe('promotion codes', async () => {
  const h = await harness();
  const subscribe = (customer: string, price: string, promo: string) =>
    h.call('POST', '/v1/subscriptions', { customer, items: [{ price }], discounts: [{ promotion_code: promo }] });
  const count = async (table: string) => (await h.database.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

  it('keeps codes unique whatever their case, makes up a readable one, and lists by code, coupon, active and customer', async () => {
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'once' });
    const spring = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, code: 'Spring27', metadata: { campaign: 'spring' } });
    expect(spring).toMatchObject({ object: 'promotion_code', code: 'Spring27', coupon: coupon.id, active: true, times_redeemed: 0, max_redemptions: null,
      customer: null, restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null } });
    const taken = await h.call('POST', '/v1/promotion_codes', { coupon: coupon.id, code: 'SPRING27' });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toMatchObject({ code: 'promotion_code_taken', param: 'code' });
    const made = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id });
    expect(made.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    const customer = await customerWithCard(h, 'tok_visa');
    const own = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, customer: customer.id, active: false });
    const ids = async (q: string) => (await ok(h, 'GET', `/v1/promotion_codes?${q}`)).data.map((p: any) => p.id);
    expect(await ids('code=spring27')).toEqual([spring.id]);
    expect(await ids(`coupon=${coupon.id}`)).toEqual([own.id, made.id, spring.id]);
    expect(await ids(`coupon=${coupon.id}&active=false`)).toEqual([own.id]);
    expect(await ids(`customer=${customer.id}`)).toEqual([own.id]);
    const off = await ok(h, 'POST', `/v1/promotion_codes/${spring.id}`, { active: false, metadata: { wave: '2' } });
    expect(off).toMatchObject({ active: false, metadata: { campaign: 'spring', wave: '2' } });
    expect(await ok(h, 'GET', `/v1/promotion_codes/${spring.id}`)).toEqual(off);
    const missing = await h.call('POST', '/v1/promotion_codes', { coupon: 'co_nope', code: 'X1' });
    expect(missing.body.error).toMatchObject({ code: 'resource_missing', param: 'coupon' });
  });

  it('redeems its coupon on a new subscription: 20% of 50.00 → 40.00 every month, the discount remembering the code', async () => {
    const price = await monthly(h, 5_000);
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 20, duration: 'forever' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, code: 'TWENTY' });
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = (await subscribe(customer.id, price.id, promo.id)).body;
    expect(sub.discounts).toHaveLength(1);
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices.map((i) => [i.subtotal, i.total, i.amount_paid])).toEqual([[5_000, 4_000, 4_000], [5_000, 4_000, 4_000]]);
    expect(invoices[0]!.total_discount_amounts).toEqual([{ discount: sub.discounts[0], amount: 1_000 }]);
    expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(1);
    expect((await ok(h, 'GET', `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(1);
    const row = await h.database.pool.query('SELECT promotion_code_id FROM discounts WHERE id = $1', [sub.discounts[0]]);
    expect(row.rows[0].promotion_code_id).toBe(promo.id);
  });

  it('gives the last redemption to one of two customers racing for it', async () => {
    const price = await monthly(h, 1_000);
    const coupon = await ok(h, 'POST', '/v1/coupons', { amount_off: 300, currency: 'usd', duration: 'once' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, max_redemptions: 1 });
    const [c1, c2] = [await customerWithCard(h, 'tok_visa'), await customerWithCard(h, 'tok_visa')];
    const results = await Promise.all([c1, c2].map((c) => subscribe(c.id, price.id, promo.id)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)!.body.error).toMatchObject({ code: 'promotion_code_exhausted', param: 'discounts[0][promotion_code]' });
    const winner = results.find((r) => r.status === 200)!.body;
    expect((await invoicesOf(h, winner.id))[0]).toMatchObject({ subtotal: 1_000, total: 700 });
    expect(await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).toMatchObject({ times_redeemed: 1 });
    expect((await h.database.pool.query('SELECT count(*)::int AS n FROM discounts WHERE promotion_code_id = $1', [promo.id])).rows[0].n).toBe(1);
  });

  it('refuses an inactive, expired or exhausted code, another customer\'s, or one whose coupon is used up, writing nothing', async () => {
    const price = await monthly(h, 1_000);
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'once', max_redemptions: 1 });
    const spent = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'once', max_redemptions: 1 });
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const other = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', '/v1/subscriptions', { customer: other.id, items: [{ price: price.id }], discounts: [{ coupon: spent.id }] });
    const cases: [Record<string, unknown>, string][] = [
      [{ coupon: coupon.id, active: false }, 'promotion_code_inactive'],
      [{ coupon: coupon.id, expires_at: '2027-04-10T00:00:00Z' }, 'promotion_code_expired'],
      [{ coupon: coupon.id, customer: other.id }, 'promotion_code_customer_mismatch'],
      [{ coupon: spent.id }, 'coupon_exhausted'],
    ];
    await advance(h, clock.id, '2027-04-20T00:00:00Z');
    const [subs, discounts] = [await count('subscriptions'), await count('discounts')];
    for (const [body, code] of cases) {
      const promo = await ok(h, 'POST', '/v1/promotion_codes', body);
      const r = await subscribe(customer.id, price.id, promo.id);
      expect(r.status, code).toBe(400);
      expect(r.body.error).toMatchObject({ code, param: 'discounts[0][promotion_code]' });
      expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(0);
    }
    expect([await count('subscriptions'), await count('discounts')]).toEqual([subs, discounts]);
    expect((await ok(h, 'GET', `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(0);
  });

  it('first_time_transaction: only for a customer without a paid invoice', async () => {
    const price = await monthly(h, 2_000);
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 50, duration: 'once' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, restrictions: { first_time_transaction: true } });
    const returning = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', '/v1/subscriptions', { customer: returning.id, items: [{ price: price.id }] });
    const r = await subscribe(returning.id, price.id, promo.id);
    expect(r.body.error).toMatchObject({ code: 'promotion_code_first_time_only', param: 'discounts[0][promotion_code]' });
    const newcomer = await customerWithCard(h, 'tok_visa');
    const sub = (await subscribe(newcomer.id, price.id, promo.id)).body;
    expect((await invoicesOf(h, sub.id))[0]).toMatchObject({ subtotal: 2_000, total: 1_000 });
  });

  it('minimum_amount: the first invoice\'s subtotal must reach 30.00 USD', async () => {
    const [small, large] = [await monthly(h, 2_999), await monthly(h, 3_000)];
    const coupon = await ok(h, 'POST', '/v1/coupons', { amount_off: 500, currency: 'usd', duration: 'once' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, restrictions: { minimum_amount: 3_000, minimum_amount_currency: 'USD' } });
    expect(promo.restrictions).toEqual({ first_time_transaction: false, minimum_amount: 3_000, minimum_amount_currency: 'usd' });
    const customer = await customerWithCard(h, 'tok_visa');
    const r = await subscribe(customer.id, small.id, promo.id);
    expect(r.body.error).toMatchObject({ code: 'promotion_code_minimum_not_met', param: 'discounts[0][promotion_code]' });
    expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(0);
    const sub = (await subscribe(customer.id, large.id, promo.id)).body;
    expect((await invoicesOf(h, sub.id))[0]).toMatchObject({ subtotal: 3_000, total: 2_500 });
    const half = await h.call('POST', '/v1/promotion_codes', { coupon: coupon.id, restrictions: { minimum_amount: 3_000 } });
    expect(half.body.error).toMatchObject({ code: 'parameter_missing', param: 'restrictions[minimum_amount_currency]' });
  });

  it('redeemed by a subscription change, discounts the next renewal; a coupon and a code apply in order', async () => {
    const price = await monthly(h, 10_000);
    const fixed = await ok(h, 'POST', '/v1/coupons', { amount_off: 1_000, currency: 'usd', duration: 'forever' });
    const tenth = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'forever' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: tenth.id, code: 'TENTH' });
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const both = await h.call('POST', `/v1/subscriptions/${sub.id}`, { discounts: [{ coupon: fixed.id, promotion_code: promo.id }] });
    expect(both.body.error).toMatchObject({ code: 'parameters_exclusive', param: 'discounts[0]' });
    // A preview of the change shows the discounts it would redeem, and redeems nothing.
    const details = { discounts: [{ coupon: fixed.id }, { promotion_code: promo.id }] };
    expect(await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id, subscription_details: details })).toMatchObject({ subtotal: 10_000, total: 8_100 });
    expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(0);
    const off = await ok(h, 'POST', '/v1/promotion_codes', { coupon: tenth.id, active: false });
    const refused = await h.call('POST', '/v1/invoices/create_preview', { subscription: sub.id, subscription_details: { discounts: [{ promotion_code: off.id }] } });
    expect(refused.body.error).toMatchObject({ code: 'promotion_code_inactive', param: 'subscription_details[discounts][0][promotion_code]' });
    const changed = await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { discounts: [{ coupon: fixed.id }, { promotion_code: promo.id }] });
    expect(changed.discounts).toHaveLength(2);
    // 100.00 − 10.00, then 10% of the 90.00 left: 81.00.
    expect(await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id })).toMatchObject({ subtotal: 10_000, total: 8_100 });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const [, renewal] = await invoicesOf(h, sub.id);
    expect(renewal).toMatchObject({ subtotal: 10_000, total: 8_100, total_discount_amounts: [{ amount: 1_000 }, { amount: 900 }] });
    expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(1);
  });
});
