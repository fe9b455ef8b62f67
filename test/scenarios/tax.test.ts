import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, monthlyPrice, must, ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('tax rates on subscription invoices', async () => {
  const h = await harness();
  const ny = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'NY sales tax', percentage: '8.875', inclusive: false, country: 'us', state: 'NY', tax_type: 'sales_tax' });
  const gst = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'GST', percentage: '15', inclusive: true, country: 'NZ', tax_type: 'gst' });

  it('are registered with their percentage as written', () => {
    expect(ny).toMatchObject({ object: 'tax_rate', percentage: '8.875', inclusive: false, country: 'US', state: 'NY', active: true });
  });

  it('add 8.875% to every invoice of a subscription: 100.00 → 108.88, charged in full, renewals too', async () => {
    const price = await monthlyPrice(h, 10_000);
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], default_tax_rates: [ny.id] });
    expect(sub.default_tax_rates).toEqual([ny.id]);
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices).toHaveLength(2);
    for (const inv of invoices) {
      expect(inv).toMatchObject({ subtotal: 10_000, tax: 888, total_excluding_tax: 10_000, total: 10_888, amount_paid: 10_888, status: 'paid' });
      expect(inv.total_taxes).toEqual([{ tax_rate: ny.id, amount: 888, taxable_amount: 10_000, inclusive: false }]);
      expect(inv.lines.data[0]!.tax_amounts).toEqual([{ tax_rate: ny.id, amount: 888, taxable_amount: 10_000, inclusive: false }]);
    }
    const charged = await h.database.pool.query('SELECT amount::int AS amount FROM sandbox.charges WHERE reference = $1', [invoices[1]!.id]);
    expect(charged.rows).toEqual([{ amount: 10_888 }]);
  });

  it('take an inclusive 15% out of 14.99: net 13.03, tax 1.96, total unchanged', async () => {
    const price = await monthlyPrice(h, 1_499, 'nzd');
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], default_tax_rates: [gst.id] });
    const [inv] = await invoicesOf(h, sub.id);
    expect(inv).toMatchObject({ subtotal: 1_499, tax: 196, total_excluding_tax: 1_303, total: 1_499, amount_paid: 1_499 });
  });

  it('tax prorations and previews alike, and stop when the rates are removed', async () => {
    const small = await monthlyPrice(h, 1_000);
    const large = await monthlyPrice(h, 2_000);
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: small.id }], default_tax_rates: [ny.id] });
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    const change = { items: [{ id: sub.items.data[0].id, price: large.id }], proration_behavior: 'always_invoice' };
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id, subscription_details: change });
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, change);
    const inv = (await invoicesOf(h, sub.id))[1]!;
    // −5.00 and +10.00, each taxed on its own: −0.44375 → −0.44, 0.8875 → 0.89.
    expect(inv.lines.data.map((l) => l.tax_amounts.map((t) => t.amount))).toEqual([[-44], [89]]);
    expect(inv).toMatchObject({ subtotal: 500, tax: 45, total: 545, amount_paid: 545 });
    expect({ tax: preview.tax, total: preview.total, total_taxes: preview.total_taxes }).toEqual({ tax: inv.tax, total: inv.total, total_taxes: inv.total_taxes });

    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { default_tax_rates: [] });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    expect((await invoicesOf(h, sub.id))[2]).toMatchObject({ subtotal: 2_000, tax: 0, total: 2_000, total_taxes: [] });
  });

  it('refuse an archived rate for new use, but keep applying it where it was set', async () => {
    const price = await monthlyPrice(h, 1_000);
    const customer = await customerWithCard(h, 'tok_visa');
    const rate = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'Old VAT', percentage: 20, inclusive: false });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], default_tax_rates: [rate.id] });
    const archived = await ok(h, 'POST', `/v1/tax_rates/${rate.id}`, { active: false });
    expect(archived.active).toBe(false);
    const r = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], default_tax_rates: [rate.id] });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'tax_rate_inactive', param: 'default_tax_rates[0]' });
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id });
    expect(preview).toMatchObject({ tax: 200, total: 1_200 });
    expect((await must(h.client.GET('/v1/tax_rates', { params: { query: { active: 'false' } } }))).data.map((x) => x.id)).toEqual([rate.id]);
  });
});
