import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

async function monthly(h: Harness, amount: number, name = 'Plan') {
  const product = await must(h.client.POST('/v1/products', { body: { name } }));
  const price = await must(h.client.POST('/v1/prices', { body: { product: product.id, currency: 'usd', unit_amount: amount, recurring: { interval: 'month' } } }));
  return { product, price };
}

describe('coupons on subscriptions', async () => {
  const h = await harness();
  const clockedCustomer = async () => {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    return { clock, customer: await customerWithCard(h, 'tok_visa', clock.id) };
  };
  const discounted = (invoices: any[]) => invoices.map((i) => [i.subtotal, i.total_discount_amounts.reduce((a: number, d: any) => a + d.amount, 0), i.total]);

  it('20% forever, then 10% tax on what is left: 30.00 → −6.00 → +2.40 = 26.40, every month', async () => {
    const { price } = await monthly(h, 3_000);
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 20, duration: 'forever', name: 'Launch' });
    expect(coupon).toMatchObject({ object: 'coupon', percent_off: '20', duration: 'forever', times_redeemed: 0, valid: true });
    const vat = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'VAT', percentage: '10', inclusive: false });
    const { clock, customer } = await clockedCustomer();
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }], default_tax_rates: [vat.id] });
    expect(sub.discounts).toHaveLength(1);
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    for (const inv of invoices) {
      expect(inv).toMatchObject({ subtotal: 3_000, tax: 240, total: 2_640, amount_paid: 2_640, discounts: sub.discounts });
      expect(inv.lines.data[0]!.discount_amounts).toEqual([{ discount: sub.discounts[0], amount: 600 }]);
      expect(inv.total_taxes[0]).toMatchObject({ amount: 240, taxable_amount: 2_400 });
    }
    expect((await ok(h, 'GET', `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(1);
  });

  it('5.00 once: only the first invoice; 50% for 2 months: the first two', async () => {
    const { price } = await monthly(h, 2_000);
    const once = await ok(h, 'POST', '/v1/coupons', { amount_off: 500, currency: 'usd', duration: 'once' });
    const twoMonths = await ok(h, 'POST', '/v1/coupons', { percent_off: '50', duration: 'repeating', duration_in_months: 2 });
    const a = await clockedCustomer();
    const s1 = await ok(h, 'POST', '/v1/subscriptions', { customer: a.customer.id, items: [{ price: price.id }], discounts: [{ coupon: once.id }] });
    await advance(h, a.clock.id, '2027-06-01T00:00:00Z');
    expect(discounted(await invoicesOf(h, s1.id))).toEqual([[2_000, 500, 1_500], [2_000, 0, 2_000], [2_000, 0, 2_000]]);
    const b = await clockedCustomer();
    const s2 = await ok(h, 'POST', '/v1/subscriptions', { customer: b.customer.id, items: [{ price: price.id }], discounts: [{ coupon: twoMonths.id }] });
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: s2.id });
    expect(preview).toMatchObject({ subtotal: 2_000, total: 1_000 });
    await advance(h, b.clock.id, '2027-07-01T00:00:00Z');
    expect(discounted(await invoicesOf(h, s2.id))).toEqual([[2_000, 1_000, 1_000], [2_000, 1_000, 1_000], [2_000, 0, 2_000], [2_000, 0, 2_000]]);
  });

  it('limited to a product, takes only from its lines', async () => {
    const a = await monthly(h, 1_000, 'A');
    const b = await monthly(h, 3_000, 'B');
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 50, duration: 'forever', applies_to: { products: [a.product.id] } });
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: a.price.id }, { price: b.price.id }], discounts: [{ coupon: coupon.id }] });
    const [inv] = await invoicesOf(h, sub.id);
    expect(inv!.lines.data.map((l) => l.discount_amounts.map((d) => d.amount))).toEqual([[500], []]);
    expect(inv).toMatchObject({ subtotal: 4_000, total: 3_500 });
  });

  it('redeems the last of max_redemptions once when two customers race for it', async () => {
    const { price } = await monthly(h, 1_000);
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'once', max_redemptions: 1 });
    const [c1, c2] = [await customerWithCard(h, 'tok_visa'), await customerWithCard(h, 'tok_visa')];
    const results = await Promise.all([c1, c2].map((c) => h.call('POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }] })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)!.body.error).toMatchObject({ code: 'coupon_exhausted', param: 'discounts[0][coupon]' });
    expect(await ok(h, 'GET', `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 1, valid: false });
    const subs = await h.database.pool.query('SELECT count(*)::int AS n FROM discounts WHERE coupon_id = $1', [coupon.id]);
    expect(subs.rows[0].n).toBe(1);
  });

  it('added by a change, discount the next renewal; [] takes them off again', async () => {
    const { price } = await monthly(h, 4_000);
    const half = await ok(h, 'POST', '/v1/coupons', { percent_off: 50, duration: 'forever' });
    const { clock, customer } = await clockedCustomer();
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    await advance(h, clock.id, '2027-04-10T00:00:00Z');
    const changed = await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { discounts: [{ coupon: half.id }] });
    expect(changed.discounts).toHaveLength(1);
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id });
    expect(preview).toMatchObject({ subtotal: 4_000, total: 2_000 });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    expect((await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { discounts: [] })).discounts).toEqual([]);
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    expect(discounted(await invoicesOf(h, sub.id))).toEqual([[4_000, 0, 4_000], [4_000, 2_000, 2_000], [4_000, 0, 4_000]]);
    expect((await ok(h, 'GET', `/v1/coupons/${half.id}`)).times_redeemed).toBe(1);
  });

  it('refuses a coupon past redeem_by, or with a fixed amount in another currency, and writes nothing', async () => {
    const { price } = await monthly(h, 1_000);
    const late = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'once', redeem_by: '2027-03-01T00:00:00Z' });
    const euros = await ok(h, 'POST', '/v1/coupons', { amount_off: 100, currency: 'eur', duration: 'once' });
    const { customer } = await clockedCustomer();
    const before = await h.database.pool.query('SELECT count(*)::int AS n FROM subscriptions');
    const r1 = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: late.id }] });
    expect(r1.body.error).toMatchObject({ code: 'coupon_expired', param: 'discounts[0][coupon]' });
    const r2 = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: euros.id }] });
    expect(r2.body.error).toMatchObject({ code: 'currency_mismatch', param: 'discounts[0][coupon]' });
    expect((await h.database.pool.query('SELECT count(*)::int AS n FROM subscriptions')).rows[0].n).toBe(before.rows[0].n);
  });
});
