import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, must, ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('invoice items: one-off charges and credits', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2000);
  const product = await ok(h, 'POST', '/v1/products', { name: 'Extras' });
  const setup = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd',
    unit_amount_decimal: '333.5', nickname: 'Setup fee' });

  it('fixes the amount when created: a plain amount, or price × quantity rounded once', async () => {
    const clock = await clockAt(h, '2027-02-10T09:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const credit = await must(h.client.POST('/v1/invoiceitems', { body: { customer: customer.id, amount: -750,
      currency: 'USD', metadata: { why: 'goodwill' } } }));
    expect(credit).toMatchObject({
      object: 'invoiceitem', customer: customer.id, amount: -750, currency: 'usd', quantity: 1, price: null, invoice: null,
      description: 'Invoice item', proration: false, subscription: null, test_clock: clock.id, metadata: { why: 'goodwill' },
      // The customer's business time: the test clock's, not the machine's.
      period: { start: '2027-02-10T09:00:00.000Z', end: '2027-02-10T09:00:00.000Z' }, created: '2027-02-10T09:00:00.000Z',
    });
    const fees = await must(h.client.POST('/v1/invoiceitems', { body: {
      customer: customer.id, price: setup.id, quantity: 3, period: { start: '2027-02-01T00:00:00Z', end: '2027-03-01T00:00:00Z' },
    } }));
    // 3 × 333.5 = 1000.5, half-up.
    expect(fees).toMatchObject({ amount: 1001, currency: 'usd', quantity: 3, price: setup.id, description: 'Setup fee',
      period: { start: '2027-02-01T00:00:00.000Z', end: '2027-03-01T00:00:00.000Z' } });

    expect(await ok(h, 'GET', `/v1/invoiceitems/${credit.id}`)).toEqual(credit);
    const listed = await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}&pending=true`);
    expect(listed.data.map((i: { id: string }) => i.id)).toEqual([fees.id, credit.id]);
    expect((await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}&pending=false`)).data).toEqual([]);
    const created = (await eventsOf(h, 'invoiceitem.created')).find((e) => e.data.object.id === credit.id);
    expect(created?.data.object).toEqual(credit);
    const audit = await ok(h, 'GET', `/v1/audit_log?object_id=${credit.id}`);
    expect(audit.data.map((a: { action: string }) => a.action)).toEqual(['invoiceitem.created']);
  });

  it('refuses a subscription of another customer, one in another currency, and one that has ended', async () => {
    const a = await customerWithCard(h, 'tok_visa');
    const b = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: a.id, items: [{ price: price.id }] });
    const other = await h.call('POST', '/v1/invoiceitems', { customer: b.id, amount: 100, currency: 'usd',
      subscription: sub.id });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'resource_missing', param: 'subscription' });
    const eur = await h.call('POST', '/v1/invoiceitems', { customer: a.id, amount: 100, currency: 'eur',
      subscription: sub.id });
    // The customer's first invoice fixed its currency: no item in another one.
    expect(eur.body.error).toMatchObject({ code: 'customer_currency_mismatch', param: 'currency' });
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    const ended = await h.call('POST', '/v1/invoiceitems', { customer: a.id, amount: 100, currency: 'usd',
      subscription: sub.id });
    expect(ended.body.error).toMatchObject({ code: 'subscription_status_invalid', param: 'subscription' });
    expect((await ok(h, 'GET', `/v1/invoiceitems?customer=${a.id}`)).data).toEqual([]);
  });

  it('a pending item lands on the next renewal invoice on a test clock, and is no longer pending', async () => {
    const clock = await clockAt(h, '2027-01-31T10:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id,
      items: [{ price: price.id }] } }));
    expect(sub.status).toBe('active');
    await advance(h, clock.id, '2027-02-05T00:00:00Z');
    const fee = await must(h.client.POST('/v1/invoiceitems', { body: { customer: customer.id, price: setup.id,
      description: 'Installation' } }));
    const bound = await must(h.client.POST('/v1/invoiceitems', { body: { customer: customer.id, amount: -200,
      currency: 'usd', subscription: sub.id } }));
    // The customer bills in usd since its first invoice: an item in yen is refused.
    const yen = await h.call('POST', '/v1/invoiceitems', { customer: customer.id, amount: 500, currency: 'jpy' });
    expect(yen.body.error).toMatchObject({ code: 'customer_currency_mismatch', param: 'currency' });
    // Created between two renewals: the invoice of 02-28 takes them, not the one already paid.
    expect((await invoicesOf(h, sub.id))[0]!.lines.data.map((l) => l.kind)).toEqual(['subscription']);

    await advance(h, clock.id, '2027-03-01T00:00:00Z');
    const [, renewal] = await invoicesOf(h, sub.id);
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', period_start: '2027-02-28T10:00:00.000Z',
      status: 'paid',
      subtotal: 334 - 200 + 2000, total: 2134, amount_paid: 2134 });
    expect(renewal!.lines.data.map((l) => [l.kind, l.invoice_item, l.amount])).toEqual([
      ['invoice_item', fee.id, 334], ['invoice_item', bound.id, -200], ['subscription', null, 2000]]);
    expect(renewal!.lines.data[0]).toMatchObject({ description: 'Installation', price: setup.id, quantity: 1 });

    for (const item of [fee, bound]) expect((await ok(h, 'GET',
      `/v1/invoiceitems/${item.id}`)).invoice).toBe(renewal!.id);
    const pending = await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}&pending=true`);
    expect(pending.data).toEqual([]);
    const onRenewal = await ok(h, 'GET', `/v1/invoiceitems?invoice=${renewal!.id}`);
    expect(onRenewal.data.map((i: { id: string }) => i.id).sort()).toEqual([fee.id, bound.id].sort());

    // The next renewal takes nothing again.
    await advance(h, clock.id, '2027-04-01T00:00:00Z');
    const third = (await invoicesOf(h, sub.id))[2]!;
    expect(third.lines.data.map((l) => l.kind)).toEqual(['subscription']);
    expect(third.total).toBe(2000);
  });
});
