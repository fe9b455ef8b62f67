import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rebill-tax-pdf-'));

async function pdfText(h: Harness, id: string): Promise<string> {
  const r = await h.app.inject({ method: 'GET', url: `/v1/invoices/${id}/pdf`, headers: { authorization: `Bearer ${h.key}` } });
  expect(r.statusCode).toBe(200);
  const file = path.join(dir, `${id}.pdf`);
  writeFileSync(file, r.rawPayload);
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/** A customer with a card and these tax details. */
async function taxedCustomer(h: Harness, details: Record<string, unknown>, clock?: string) {
  const c = await customerWithCard(h, 'tok_visa', clock);
  return await ok(h, 'POST', `/v1/customers/${c.id}`, details);
}

describe('automatic tax, exemptions and item rates', async () => {
  const h = await harness();
  const rate = (body: Record<string, unknown>) => ok(h, 'POST', '/v1/tax_rates', { inclusive: false, ...body });
  const deVat = await rate({ display_name: 'MwSt.', percentage: '19', country: 'DE', tax_type: 'vat' });
  const frVat = await rate({ display_name: 'TVA', percentage: '20', country: 'FR', tax_type: 'vat' });
  const nyTax = await rate({ display_name: 'NY sales tax', percentage: '8.875', country: 'US', state: 'NY', tax_type: 'sales_tax' });
  const caTax = await rate({ display_name: 'CA sales tax', percentage: '7.25', country: 'US', state: 'CA', tax_type: 'sales_tax' });
  const oldDe = await rate({ display_name: 'Old MwSt.', percentage: '16', country: 'DE', tax_type: 'vat' });
  await ok(h, 'POST', `/v1/tax_rates/${oldDe.id}`, { active: false });
  const tenPct = await rate({ display_name: 'Ten', percentage: '10' });
  const eur = await monthlyPrice(h, 10_000, 'eur');
  const usd = await monthlyPrice(h, 10_000);

  const berlin = { line1: 'Unter den Linden 1', city: 'Berlin', postal_code: '10117', country: 'de' };

  it('keep an address (country upper-cased), an exemption and tax ids on the customer', async () => {
    const c = await ok(h, 'POST', '/v1/customers', { name: 'Kunde GmbH', address: berlin, tax_ids: [{ type: 'eu_vat', value: 'DE 123456789' }] });
    expect(c).toMatchObject({
      address: { line1: 'Unter den Linden 1', line2: null, city: 'Berlin', state: null, postal_code: '10117', country: 'DE' },
      tax_exempt: 'none', tax_ids: [{ type: 'eu_vat', value: 'DE 123456789' }],
    });
    const updated = await ok(h, 'POST', `/v1/customers/${c.id}`, { tax_exempt: 'reverse', address: { country: 'FR' } });
    expect(updated).toMatchObject({ tax_exempt: 'reverse', address: { line1: null, city: null, country: 'FR' }, tax_ids: [{ type: 'eu_vat' }] });
    expect((await ok(h, 'POST', `/v1/customers/${c.id}`, { address: null, tax_ids: [] }))).toMatchObject({ address: null, tax_ids: [] });
  });

  it('refuse an unknown country, exemption or tax id type, and a tax id of the wrong shape, changing nothing', async () => {
    const c = await ok(h, 'POST', '/v1/customers', { name: 'Before', address: berlin });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ address: { country: 'XX' } }, 'country_invalid', 'address[country]'],
      [{ address: { country: 'Germany' } }, 'parameter_invalid', 'address[country]'],
      [{ tax_exempt: 'sometimes' }, 'parameter_invalid', 'tax_exempt'],
      [{ tax_ids: [{ type: 'xx_vat', value: '123' }] }, 'parameter_invalid', 'tax_ids[0][type]'],
      [{ tax_ids: [{ type: 'eu_vat', value: 'hello world!' }] }, 'tax_id_invalid', 'tax_ids[0][value]'],
      [{ tax_ids: [{ type: 'us_ein', value: '12-345' }] }, 'tax_id_invalid', 'tax_ids[0][value]'],
      [{ tax_ids: [{ type: 'eu_vat', value: '' }] }, 'parameter_invalid', 'tax_ids[0][value]'],
    ];
    for (const [body, code, param] of cases) {
      for (const [method, url] of [['POST', '/v1/customers'], ['POST', `/v1/customers/${c.id}`]] as const) {
        const r = await h.call(method, url, { name: 'After', ...body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error, JSON.stringify(body)).toMatchObject({ code, param });
      }
    }
    expect(await ok(h, 'GET', `/v1/customers/${c.id}`)).toMatchObject({ name: 'Before', address: { country: 'DE' }, tax_exempt: 'none', tax_ids: [] });
  });

  it('charge a German customer the registered 19% German VAT: 100.00 → 119.00, renewals too', async () => {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const c = await taxedCustomer(h, { address: berlin }, clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: eur.id }], automatic_tax: { enabled: true } });
    expect(sub.automatic_tax).toEqual({ enabled: true });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices).toHaveLength(2);
    for (const inv of invoices) {
      expect(inv).toMatchObject({ subtotal: 10_000, tax: 1_900, total: 11_900, amount_paid: 11_900, status: 'paid', automatic_tax: { enabled: true, status: 'complete' } });
      // Neither the French rate nor the archived German one applies.
      expect(inv.total_taxes).toEqual([{ tax_rate: deVat.id, amount: 1_900, taxable_amount: 10_000, inclusive: false }]);
    }
  });

  it('charge a New York customer the NY state rate, not California\'s: 100.00 → 108.88', async () => {
    const c = await taxedCustomer(h, { address: { line1: '1 Main St', city: 'New York', state: 'NY', postal_code: '10001', country: 'US' } });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: usd.id }], automatic_tax: { enabled: true } });
    const inv = await firstInvoiceOf(h, sub.id);
    expect(inv).toMatchObject({ tax: 888, total: 10_888, automatic_tax: { enabled: true, status: 'complete' } });
    expect(inv.total_taxes.map((t: { tax_rate: string }) => t.tax_rate)).toEqual([nyTax.id]);
    expect(caTax.id).not.toBe(nyTax.id);
  });

  it('issue the invoice without tax when the address has no country, saying the location is needed', async () => {
    const c = await taxedCustomer(h, { address: { city: 'Somewhere' } });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: eur.id }], automatic_tax: { enabled: true } });
    expect(await firstInvoiceOf(h, sub.id)).toMatchObject({ tax: 0, total: 10_000, status: 'paid', automatic_tax: { enabled: true, status: 'requires_location_input' } });
    // Once the address is known, the next invoice is taxed.
    await ok(h, 'POST', `/v1/customers/${c.id}`, { address: { country: 'FR' } });
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id });
    expect(preview).toMatchObject({ tax: 2_000, total: 12_000, automatic_tax: { enabled: true, status: 'complete' } });
    expect(preview.total_taxes[0].tax_rate).toBe(frVat.id);
  });

  it('tax an exempt customer nothing, rates given by hand included', async () => {
    const c = await taxedCustomer(h, { address: berlin, tax_exempt: 'exempt' });
    const manual = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: eur.id, tax_rates: [deVat.id] }], default_tax_rates: [deVat.id] });
    const automatic = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: eur.id }], automatic_tax: { enabled: true } });
    for (const sub of [manual, automatic]) {
      const inv = await firstInvoiceOf(h, sub.id);
      expect(inv).toMatchObject({ subtotal: 10_000, tax: 0, total: 10_000, total_taxes: [], customer_tax_exempt: 'exempt' });
    }
  });

  it('apply the reverse charge: no tax, a note on the PDF, the customer as it was at finalization', async () => {
    const c = await taxedCustomer(h, { name: 'Kunde GmbH', address: berlin, tax_exempt: 'reverse', tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }] });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: eur.id }], automatic_tax: { enabled: true } });
    const inv = await firstInvoiceOf(h, sub.id);
    expect(inv).toMatchObject({
      tax: 0, total: 10_000, customer_name: 'Kunde GmbH', customer_tax_exempt: 'reverse',
      customer_address: { line1: 'Unter den Linden 1', city: 'Berlin', postal_code: '10117', country: 'DE' },
      customer_tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    await ok(h, 'POST', `/v1/customers/${c.id}`, { name: 'Renamed AG', address: { line1: 'Elsewhere 2', country: 'AT' }, tax_ids: [] });
    const again = await ok(h, 'GET', `/v1/invoices/${inv.id}`);
    expect(again).toMatchObject({ customer_name: 'Kunde GmbH', customer_address: { line1: 'Unter den Linden 1' }, customer_tax_ids: [{ value: 'DE123456789' }] });
    const text = await pdfText(h, inv.id);
    for (const s of ['Kunde GmbH', 'Unter den Linden 1', '10117 Berlin', 'VAT: DE123456789', 'Reverse charge', '€100.00']) expect(text).toContain(s);
    expect(text).not.toContain('Renamed AG');
    expect(text).not.toContain('Elsewhere');
  });

  it('let an item\'s own rates replace the default ones on its lines, and change them later', async () => {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const c = await customerWithCard(h, 'tok_visa', clock.id);
    const half = await monthlyPrice(h, 5_000);
    const sub = await ok(h, 'POST', '/v1/subscriptions', {
      customer: c.id, default_tax_rates: [nyTax.id], items: [{ price: usd.id, tax_rates: [tenPct.id] }, { price: half.id }],
    });
    const own = sub.items.data.find((i: { price: { id: string } }) => i.price.id === usd.id);
    expect(own.tax_rates).toEqual([tenPct.id]);
    const inv = await firstInvoiceOf(h, sub.id);
    const byPrice = Object.fromEntries(inv.lines.data.map((l) => [l.price, l.tax_amounts]));
    // 10% of 100.00 = 10.00; 8.875% of 50.00 = 4.4375 → 4.44.
    expect(byPrice[usd.id]).toEqual([{ tax_rate: tenPct.id, amount: 1_000, taxable_amount: 10_000, inclusive: false }]);
    expect(byPrice[half.id]).toEqual([{ tax_rate: nyTax.id, amount: 444, taxable_amount: 5_000, inclusive: false }]);
    expect(inv).toMatchObject({ subtotal: 15_000, tax: 1_444, total: 16_444 });
    // [] gives the item the subscription's rates again.
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: own.id, tax_rates: [] }] });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    expect((await invoicesOf(h, sub.id))[1]).toMatchObject({ subtotal: 15_000, tax: 888 + 444, total: 16_332 });
  });

  it('tax an invoice item with its own rates: 10% on 9.99 → 1.00', async () => {
    const c = await customerWithCard(h, 'tok_visa');
    const item = await ok(h, 'POST', '/v1/invoiceitems', { customer: c.id, amount: 999, currency: 'usd', tax_rates: [tenPct.id] });
    expect(item.tax_rates).toEqual([tenPct.id]);
    await ok(h, 'POST', '/v1/invoiceitems', { customer: c.id, amount: 1_000, currency: 'usd' });
    const inv = await ok(h, 'POST', '/v1/invoices', { customer: c.id, auto_advance: true });
    expect(inv).toMatchObject({ subtotal: 1_999, tax: 100, total: 2_099, status: 'paid' });
    expect(inv.lines.data.map((l: { tax_amounts: { amount: number }[] }) => l.tax_amounts.map((t) => t.amount))).toEqual([[100], []]);
  });

  it('tax a manual invoice automatically when asked: 19% for Berlin on 50.00', async () => {
    const c = await taxedCustomer(h, { address: berlin });
    await ok(h, 'POST', '/v1/invoiceitems', { customer: c.id, amount: 5_000, currency: 'eur' });
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: c.id, automatic_tax: { enabled: true } });
    expect(draft).toMatchObject({ status: 'draft', tax: 950, total: 5_950, automatic_tax: { enabled: true, status: 'complete' }, customer_name: null });
    const done = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`);
    expect(done).toMatchObject({ status: 'paid', amount_paid: 5_950, customer_address: { city: 'Berlin', country: 'DE' }, customer_tax_exempt: 'none' });
  });

  it('ask the TaxCalculator put in place of the rules table, with the customer\'s address and the account\'s rates', async () => {
    const asked: unknown[] = [];
    h.deps.taxCalculator = {
      ratesFor: async (req) => { asked.push({ country: req.address?.country, rates: req.registered.length }); return { status: 'complete', rates: [tenPct.id] }; },
    };
    try {
      const c = await taxedCustomer(h, { address: berlin });
      const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: eur.id }], automatic_tax: { enabled: true } });
      expect(await firstInvoiceOf(h, sub.id)).toMatchObject({ tax: 1_000, total: 11_000, total_taxes: [{ tax_rate: tenPct.id, amount: 1_000 }] });
      expect(asked).toEqual([{ country: 'DE', rates: 6 }]);
    } finally {
      delete h.deps.taxCalculator;
    }
  });

  it('refuse an archived rate on an item, naming the item', async () => {
    const c = await customerWithCard(h, 'tok_visa');
    const before = await ok(h, 'GET', `/v1/subscriptions?customer=${c.id}`);
    let r = await h.call('POST', '/v1/subscriptions', { customer: c.id, items: [{ price: usd.id, tax_rates: [oldDe.id] }] });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'tax_rate_inactive', param: 'items[0][tax_rates][0]' });
    expect((await ok(h, 'GET', `/v1/subscriptions?customer=${c.id}`)).data).toEqual(before.data);
    r = await h.call('POST', '/v1/invoiceitems', { customer: c.id, amount: 100, currency: 'usd', tax_rates: [oldDe.id] });
    expect(r.body.error).toMatchObject({ code: 'tax_rate_inactive', param: 'tax_rates[0]' });
    r = await h.call('POST', '/v1/invoiceitems', { customer: c.id, amount: 100, currency: 'usd', tax_rates: ['txr_missing'] });
    expect(r.body.error).toMatchObject({ code: 'resource_missing', param: 'tax_rates[0]' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: usd.id }] });
    r = await h.call('POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, tax_rates: [oldDe.id] }] });
    expect(r.body.error).toMatchObject({ code: 'tax_rate_inactive', param: 'items[0][tax_rates][0]' });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).items.data[0].tax_rates).toEqual([]);
    expect((await ok(h, 'GET', `/v1/invoiceitems?customer=${c.id}`)).data).toEqual([]);
  });
});
