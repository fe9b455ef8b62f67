import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { customerWithCard, firstInvoiceOf, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rebill-pdf-'));

async function pdfOf(h: Harness, id: string, key = h.key) {
  const r = await h.app.inject({ method: 'GET', url: `/v1/invoices/${id}/pdf`, headers: { authorization: `Bearer ${key}` } });
  return { status: r.statusCode, type: String(r.headers['content-type']), body: r.rawPayload };
}

/** The PDF's text as poppler reads it, laid out as on the page (columns stay on their line). */
function textOf(pdf: Buffer, name: string): string {
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

async function subscribed(h: Harness, currency: string, unitAmount: number, email: string) {
  const product = await must(h.client.POST('/v1/products', { body: { name: 'Coffee box' } }));
  const price = await must(h.client.POST('/v1/prices', { body: {
    product: product.id, currency, unit_amount: unitAmount, nickname: 'Beans', recurring: { interval: 'month' },
  } }));
  const customer = await customerWithCard(h, 'tok_visa');
  await must(h.client.POST('/v1/customers/{id}', { params: { path: { id: customer.id } }, body: { name: `Buyer ${currency}`, email } }));
  const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id, quantity: 3 }] } }));
  return await firstInvoiceOf(h, sub.id);
}

describe('invoice PDFs', async () => {
  const h = await harness();
  await must(h.client.POST('/v1/account', { body: {
    name: 'Acme Coffee GmbH', email: 'billing@acme.example', tax_id: 'DE123456789',
    address: { line1: 'Hauptstraße 5', city: 'Berlin', postal_code: '10115', country: 'DE' },
  } }));

  it.each([
    ['usd', 41152, '$1,234.56'],
    ['jpy', 41152, '¥123,456'],
    ['kwd', 41152, 'KWD 123.456'],
    ['inr', 4115200, '₹1,23,456.00'],
  ])('print a paid %s invoice with its number, lines and totals in the currency\'s format', async (currency, unit, total) => {
    const invoice = await subscribed(h, currency, unit, `${currency}@buyer.example`);
    expect(invoice.status).toBe('paid');
    const r = await pdfOf(h, invoice.id);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/pdf');
    expect(r.body.subarray(0, 5).toString()).toBe('%PDF-');
    const text = textOf(r.body, currency);
    for (const part of ['Acme Coffee GmbH', 'Hauptstraße 5', '10115 Berlin', 'DE123456789', `Buyer ${currency}`, `${currency}@buyer.example`,
      invoice.number!, 'Status: paid', `Finalized: ${invoice.finalized_at!.slice(0, 10)}`]) expect(text).toContain(part);
    const line = invoice.lines.data[0]!;
    expect(invoice.total).toBe(unit * 3);
    expect(text).toContain(line.description);
    expect(text).toMatch(new RegExp(`${line.period.start!.slice(0, 10)} – ${line.period.end!.slice(0, 10)}\\s+3\\s+${escape(total)}`));
    expect(text).toMatch(new RegExp(`Subtotal\\s+${escape(total)}`));
    expect(text).toMatch(new RegExp(`Total\\s+${escape(total)}`));
    expect(text).toMatch(new RegExp(`Amount paid\\s+${escape(total)}`));
    expect(text).toMatch(new RegExp(`Amount due\\s+${escape(total)}`));
    expect(text).not.toContain('Starting balance');
  });

  it('print each discount by its coupon\'s name and each tax rate with its percentage', async () => {
    const product = await must(h.client.POST('/v1/products', { body: { name: 'Coffee box' } }));
    const price = await must(h.client.POST('/v1/prices', { body: { product: product.id, currency: 'usd', unit_amount: 10_000, recurring: { interval: 'month' } } }));
    const ny = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'NY sales tax', percentage: '8.875', inclusive: false });
    const customer = await customerWithCard(h, 'tok_visa');
    const coupon = await ok(h, 'POST', '/v1/coupons', { name: 'Launch offer', amount_off: 1_000, currency: 'usd', duration: 'once' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], default_tax_rates: [ny.id], discounts: [{ coupon: coupon.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const text = textOf((await pdfOf(h, invoice.id)).body, 'taxed');
    // 100.00 − 10.00, then 8.875% of 90.00 = 7.9875 → 7.99: 97.99.
    expect(text).toMatch(/Subtotal\s+\$100\.00/);
    expect(text).toMatch(/Discount: Launch offer\s+-\$10\.00/);
    expect(text).toMatch(/NY sales tax 8\.875%\s+\$7\.99/);
    expect(text).toMatch(/Total\s+\$97\.99/);
    expect(text).toMatch(/Amount paid\s+\$97\.99/);
  });

  it('print the euro sign, mark a draft DRAFT and show a due date for send_invoice', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, currency: 'eur', amount: 123456, description: 'Espresso machine' });
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, collection_method: 'send_invoice', days_until_due: 30 });
    const text = textOf((await pdfOf(h, draft.id)).body, 'draft');
    expect(text).toContain('Number: DRAFT');
    expect(text).toContain('Status: draft');
    expect(text).toMatch(/Espresso machine\s+[0-9-]+ – [0-9-]+\s+1\s+€1,234\.56/);
    expect(text).toMatch(/Amount due\s+€1,234\.56/);
    const open = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    const finalText = textOf((await pdfOf(h, open.id)).body, 'open');
    expect(finalText).toContain(`Number: ${open.number}`);
    expect(finalText).toContain(`Due: ${open.due_date.slice(0, 10)}`);
  });

  it('keep the account settings, with an audit entry and an account.updated event', async () => {
    const account = await must(h.client.GET('/v1/account'));
    expect(account).toMatchObject({
      object: 'account', id: h.accountId, name: 'Acme Coffee GmbH', email: 'billing@acme.example', tax_id: 'DE123456789',
      address: { line1: 'Hauptstraße 5', line2: null, city: 'Berlin', state: null, postal_code: '10115', country: 'DE' },
    });
    const [event] = (await ok(h, 'GET', `/v1/events?type=account.updated&object_id=${h.accountId}`)).data;
    expect(event.data.object).toEqual(account);
    const [audit] = (await ok(h, 'GET', `/v1/audit_log?object_id=${h.accountId}`)).data;
    expect(audit).toMatchObject({ action: 'account.updated', object_type: 'account', after: account });
    expect(audit.before).toMatchObject({ name: 'Test merchant', address: null });
  });

  it('answer 404 for an unknown invoice and for another account\'s', async () => {
    const invoice = await subscribed(h, 'usd', 500, 'x@buyer.example');
    const unknown = await pdfOf(h, 'in_doesnotexist');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString()).error.code).toBe('resource_missing');
    const other = await createAccount(h.database.db, 'Other merchant');
    const foreign = await pdfOf(h, invoice.id, other.key.secret);
    expect(foreign.status).toBe(404);
    expect(JSON.parse(foreign.body.toString()).error.code).toBe('resource_missing');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
