import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';
import { processNextDue } from '../../src/app/billing/process-due.ts';

async function monthly(h: Harness, amount: number) {
  const product = await must(h.client.POST('/v1/products', { body: { name: 'Plan' } }));
  return await must(h.client.POST('/v1/prices', { body: { product: product.id, currency: 'usd', unit_amount: amount, recurring: { interval: 'month' } } }));
}

describe('discounts on customers, invoice items and draft invoices', async () => {
  const h = await harness();
  const totals = (invoices: any[]) => invoices.map((i) => [i.subtotal, i.total]);
  const lineDiscounts = (inv: any) => inv.lines.data.map((l: any) => l.discount_amounts.map((d: any) => d.amount));
  const clocked = async (discounts?: unknown[]) => {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    if (discounts) await ok(h, 'POST', `/v1/customers/${customer.id}`, { discounts });
    return { clock, customer };
  };

  it("a customer's 25% applies to its subscriptions without discounts of their own; one with its own keeps only those", async () => {
    const price = await monthly(h, 4_000);
    const quarter = await ok(h, 'POST', '/v1/coupons', { percent_off: 25, duration: 'forever' });
    const tenth = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'forever' });
    const { clock, customer } = await clocked([{ coupon: quarter.id }]);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).discounts).toHaveLength(1);
    const plain = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const own = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: tenth.id }] });
    expect(await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: plain.id })).toMatchObject({ subtotal: 4_000, total: 3_000 });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    expect(totals(await invoicesOf(h, plain.id))).toEqual([[4_000, 3_000], [4_000, 3_000]]);
    expect(totals(await invoicesOf(h, own.id))).toEqual([[4_000, 3_600], [4_000, 3_600]]);
    // Taking the subscription's own discount off leaves it with the customer's.
    await ok(h, 'POST', `/v1/subscriptions/${own.id}`, { discounts: [] });
    expect(await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: own.id })).toMatchObject({ total: 3_000 });
    // And [] on the customer removes its discounts from the next invoices.
    expect((await ok(h, 'POST', `/v1/customers/${customer.id}`, { discounts: [] })).discounts).toEqual([]);
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    expect(totals(await invoicesOf(h, plain.id))[2]).toEqual([4_000, 4_000]);
  });

  it("a customer's 5.00 once discounts its first invoice only; 50% for one month its first month only", async () => {
    const price = await monthly(h, 2_000);
    const once = await ok(h, 'POST', '/v1/coupons', { amount_off: 500, currency: 'usd', duration: 'once' });
    const month = await ok(h, 'POST', '/v1/coupons', { percent_off: 50, duration: 'repeating', duration_in_months: 1 });
    const a = await clocked([{ coupon: once.id }]);
    const s1 = await ok(h, 'POST', '/v1/subscriptions', { customer: a.customer.id, items: [{ price: price.id }] });
    await advance(h, a.clock.id, '2027-06-01T00:00:00Z');
    expect(totals(await invoicesOf(h, s1.id))).toEqual([[2_000, 1_500], [2_000, 2_000], [2_000, 2_000]]);
    const b = await clocked([{ coupon: month.id }]);
    const s2 = await ok(h, 'POST', '/v1/subscriptions', { customer: b.customer.id, items: [{ price: price.id }] });
    await advance(h, b.clock.id, '2027-06-01T00:00:00Z');
    expect(totals(await invoicesOf(h, s2.id))).toEqual([[2_000, 1_000], [2_000, 2_000], [2_000, 2_000]]);
  });

  it("a customer's once-only discount goes to one of two subscriptions renewed in the same batch", async () => {
    const price = await monthly(h, 2_000);
    const once = await ok(h, 'POST', '/v1/coupons', { amount_off: 700, currency: 'usd', duration: 'once' });
    h.clock.set(new Date('2027-08-01T00:00:00Z'));
    const customer = await customerWithCard(h, 'tok_visa');
    const subs = [
      await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] }),
      await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] }),
    ];
    await ok(h, 'POST', `/v1/customers/${customer.id}`, { discounts: [{ coupon: once.id }] });
    // A month on, the worker claims both in one batch (one transaction). Were the discount given to
    // both, the batch would fail on its used_at and fall back to one subscription at a time.
    h.clock.set(new Date('2027-09-01T00:00:01Z'));
    expect(await processNextDue(h.deps)).toBe(2);
    const renewals = await Promise.all(subs.map(async (s) => (await invoicesOf(h, s.id))[1]!));
    expect(renewals.map((i) => i.billing_reason)).toEqual(['subscription_cycle', 'subscription_cycle']);
    expect(renewals.map((i) => i.total).sort()).toEqual([1_300, 2_000]);
  });

  it("an invoice item's discount takes from its own line only, on an invoice made by hand and on a renewal", async () => {
    const half = await ok(h, 'POST', '/v1/coupons', { percent_off: 50, duration: 'once' });
    const three = await ok(h, 'POST', '/v1/coupons', { amount_off: 300, currency: 'usd', duration: 'once' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: three.id, code: 'ITEM3' });
    const customer = await customerWithCard(h, 'tok_visa');
    const item = await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 3_000, currency: 'usd', discounts: [{ coupon: half.id }] });
    expect(item.discounts).toHaveLength(1);
    await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 1_000, currency: 'usd' });
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    expect(draft).toMatchObject({ subtotal: 4_000, total: 2_500, total_discount_amounts: [{ discount: item.discounts[0], amount: 1_500 }] });
    expect(lineDiscounts(draft)).toEqual([[1_500], []]);

    const { clock, customer: subscriber } = await clocked();
    const price = await monthly(h, 2_000);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: subscriber.id, items: [{ price: price.id }] });
    await ok(h, 'POST', '/v1/invoiceitems', { customer: subscriber.id, subscription: sub.id, amount: 1_000, currency: 'usd', discounts: [{ promotion_code: promo.id }] });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const [, renewal] = await invoicesOf(h, sub.id);
    expect(renewal).toMatchObject({ subtotal: 3_000, total: 2_700 });
    expect(lineDiscounts(renewal)).toEqual([[300], []]);
    expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(1);
  });

  it("a draft's own discounts cover all its lines and replace the customer's; editing them prices the draft again", async () => {
    const tenth = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'forever' });
    const fifth = await ok(h, 'POST', '/v1/coupons', { percent_off: 20, duration: 'forever' });
    const five = await ok(h, 'POST', '/v1/coupons', { amount_off: 500, currency: 'usd', duration: 'once' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: five.id, restrictions: { minimum_amount: 4_000, minimum_amount_currency: 'usd' } });
    const customer = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', `/v1/customers/${customer.id}`, { discounts: [{ coupon: fifth.id }] });
    const pending = async () => {
      await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 3_000, currency: 'usd' });
      await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 1_000, currency: 'usd' });
    };
    await pending();
    // Inherits the customer's 20%: 40.00 → 32.00.
    expect(await ok(h, 'POST', '/v1/invoices', { customer: customer.id })).toMatchObject({ subtotal: 4_000, total: 3_200 });
    await pending();
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, discounts: [{ coupon: tenth.id }] });
    expect(draft).toMatchObject({ subtotal: 4_000, total: 3_600 });
    expect(lineDiscounts(draft)).toEqual([[300], [100]]);
    const repriced = await ok(h, 'POST', `/v1/invoices/${draft.id}`, { discounts: [{ promotion_code: promo.id }], description: 'Spring' });
    expect(repriced).toMatchObject({ subtotal: 4_000, total: 3_500, description: 'Spring' });
    expect(lineDiscounts(repriced)).toEqual([[375], [125]]);
    expect(await ok(h, 'GET', `/v1/invoices/${draft.id}`)).toEqual(repriced);
    expect((await ok(h, 'POST', `/v1/invoices/${draft.id}`, { discounts: [] })).total).toBe(4_000);
    const final = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(final).toMatchObject({ status: 'paid', total: 4_000, amount_paid: 4_000, discounts: [] });
  });

  it('refuses a promotion code reserved for another customer on a customer, and below its minimum on an item, writing nothing', async () => {
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'forever' });
    const someone = await customerWithCard(h, 'tok_visa');
    const reserved = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, customer: someone.id });
    const minimum = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, restrictions: { minimum_amount: 5_000, minimum_amount_currency: 'usd' } });
    const customer = await customerWithCard(h, 'tok_visa');
    const r1 = await h.call('POST', `/v1/customers/${customer.id}`, { discounts: [{ promotion_code: reserved.id }] });
    expect(r1.body.error).toMatchObject({ code: 'promotion_code_customer_mismatch', param: 'discounts[0][promotion_code]' });
    const r2 = await h.call('POST', '/v1/invoiceitems', { customer: customer.id, amount: 4_999, currency: 'usd', discounts: [{ promotion_code: minimum.id }] });
    expect(r2.body.error).toMatchObject({ code: 'promotion_code_minimum_not_met', param: 'discounts[0][promotion_code]' });
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).discounts).toEqual([]);
    expect((await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}`)).data).toEqual([]);
    expect((await ok(h, 'GET', `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(0);
  });
});
