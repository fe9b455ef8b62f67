import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, must, ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('prices in several currencies, one currency per customer', async () => {
  const h = await harness();
  const product = await must(h.client.POST('/v1/products', { body: { name: 'Roaster club' } }));
  const monthly = (body: Record<string, unknown>) => ok(h, 'POST', '/v1/prices', { product: product.id, recurring: { interval: 'month' }, ...body });
  const basic = await monthly({ currency: 'usd', unit_amount: 2_000, currency_options: { eur: { unit_amount: 1_800 }, JPY: { unit_amount: 3_000 } } });
  const pro = await monthly({ currency: 'usd', unit_amount: 5_000, currency_options: { eur: { unit_amount_decimal: '4600.5' } } });
  const usdOnly = await monthly({ currency: 'usd', unit_amount: 900 });
  const seats = await monthly({
    currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'graduated',
    tiers: [{ up_to: 5, unit_amount: 1_000 }, { up_to: 'inf', unit_amount: 800 }],
    currency_options: { eur: { tiers: [{ up_to: 5, unit_amount: 900 }, { up_to: 'inf', unit_amount: 700, flat_amount: 50 }] } },
  });

  it('show each further currency with its own amounts, keyed by lower-case currency', async () => {
    expect(basic.currency_options).toEqual({
      eur: { unit_amount: 1_800, unit_amount_decimal: null, tiers: null },
      jpy: { unit_amount: 3_000, unit_amount_decimal: null, tiers: null },
    });
    expect(usdOnly.currency_options).toEqual({});
    expect((await ok(h, 'GET', `/v1/prices/${seats.id}`)).currency_options.eur.tiers).toEqual([
      { up_to: 5, unit_amount: 900, unit_amount_decimal: null, flat_amount: null, flat_amount_decimal: null },
      { up_to: null, unit_amount: 700, unit_amount_decimal: null, flat_amount: 50, flat_amount_decimal: null },
    ]);
  });

  it('bill a subscription in the currency asked for, renewals too, and fix the customer to it', async () => {
    const clock = await clockAt(h, '2027-01-10T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    expect(customer.currency).toBeNull();
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, currency: 'eur', items: [{ price: basic.id, quantity: 2 }] });
    expect(sub).toMatchObject({ currency: 'eur', status: 'active' });
    // The item still shows the price as created, in its own currency.
    expect(sub.items.data[0].price).toMatchObject({ id: basic.id, currency: 'usd', unit_amount: 2_000 });
    await advance(h, clock.id, '2027-02-10T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices.map((i) => [i.billing_reason, i.currency, i.total, i.status])).toEqual([
      ['subscription_create', 'eur', 3_600, 'paid'], ['subscription_cycle', 'eur', 3_600, 'paid']]);
    const charged = await h.database.pool.query('SELECT amount::int AS amount, currency FROM sandbox.charges WHERE reference = $1', [invoices[1]!.id]);
    expect(charged.rows).toEqual([{ amount: 3_600, currency: 'eur' }]);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).currency).toBe('eur');

    // Later subscriptions take the customer's currency; another one is refused.
    const second = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: pro.id }] });
    expect(second.currency).toBe('eur');
    // 4600.5 cents a month, rounded half-up once on the line.
    expect((await invoicesOf(h, second.id))[0]).toMatchObject({ currency: 'eur', total: 4_601 });
    const usd = await h.call('POST', '/v1/subscriptions', { customer: customer.id, currency: 'usd', items: [{ price: basic.id }] });
    expect(usd.status).toBe(400);
    expect(usd.body.error).toMatchObject({ code: 'customer_currency_mismatch', param: 'currency' });
    const notOffered = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: usdOnly.id }] });
    expect(notOffered.body.error).toMatchObject({ code: 'customer_currency_mismatch', param: 'items[0][price]' });
    expect((await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data).toHaveLength(2);
  });

  it('price tiers and plan changes in the subscription currency; a price without it is refused', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, currency: 'eur', items: [{ price: seats.id, quantity: 7 }] });
    // 5 × 9.00 + 2 × 7.00 + 0.50 flat on the second tier.
    expect((await invoicesOf(h, sub.id))[0]).toMatchObject({ currency: 'eur', total: 5 * 900 + 2 * 700 + 50 });

    const item = sub.items.data[0].id;
    const refused = await h.call('POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: item, price: usdOnly.id }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'currency_mismatch', param: 'items[0][price]' });

    // Halfway through March (31 days): swap to basic (18.00 €); credit and charge in euros.
    await advance(h, clock.id, '2027-03-16T12:00:00Z');
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: item, price: basic.id, quantity: 1 }], proration_behavior: 'always_invoice' });
    const [, change] = await invoicesOf(h, sub.id);
    expect(change!.currency).toBe('eur');
    expect(change!.lines.data.map((l) => l.amount)).toEqual([-Math.round(5_950 / 2), Math.round(1_800 / 2)]);
  });

  it('price a one-off item in the customer currency, and refuse one in another', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, currency: 'jpy', items: [{ price: basic.id }] });
    const item = await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, price: basic.id, quantity: 3 });
    expect(item).toMatchObject({ currency: 'jpy', amount: 9_000 });
    const eur = await h.call('POST', '/v1/invoiceitems', { customer: customer.id, price: basic.id, currency: 'eur' });
    expect(eur.body.error).toMatchObject({ code: 'customer_currency_mismatch', param: 'currency' });
    const adjust = await h.call('POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: -100, currency: 'usd' });
    expect(adjust.body.error).toMatchObject({ code: 'customer_currency_mismatch', param: 'currency' });
  });

  it('refuse options that repeat the price currency, name no currency, or do not fit the charge model', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ currency: 'usd', unit_amount: 100, currency_options: { usd: { unit_amount: 90 } } }, 'parameter_invalid', 'currency_options[usd]'],
      [{ currency: 'usd', unit_amount: 100, currency_options: { xyz: { unit_amount: 90 } } }, 'currency_invalid', 'currency_options[xyz]'],
      [{ currency: 'usd', unit_amount: 100, currency_options: { eur: {} } }, 'parameter_missing', 'currency_options[eur][unit_amount]'],
      [{ currency: 'usd', unit_amount: 100, currency_options: { eur: { tiers: [{ up_to: 'inf', unit_amount: 1 }] } } }, 'parameter_invalid', 'currency_options[eur][tiers]'],
      [{ currency: 'usd', unit_amount: 100, currency_options: { eur: { unit_amount: -5 } } }, 'parameter_invalid', 'currency_options[eur][unit_amount]'],
      [{ currency: 'usd', unit_amount: 100, currency_options: { eur: { unit_amount: '90' } } }, 'parameter_invalid', 'currency_options[eur][unit_amount]'],
      [{ currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'volume', tiers: [{ up_to: 'inf', unit_amount: 1 }], currency_options: { eur: { unit_amount: 1 } } }, 'parameter_invalid', 'currency_options[eur][unit_amount]'],
    ];
    const before = (await ok(h, 'GET', '/v1/prices?limit=100')).data.length;
    for (const [body, code, param] of cases) {
      const r = await h.call('POST', '/v1/prices', { product: product.id, recurring: { interval: 'month' }, ...body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error, JSON.stringify(body)).toMatchObject({ code, param });
    }
    expect((await ok(h, 'GET', '/v1/prices?limit=100')).data).toHaveLength(before);
  });
});
