import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SandboxGateway } from '../../src/adapters/gateways/sandbox/gateway.ts';
import { recoverNextRefund } from '../../src/app/payments/refunds.ts';
import { GatewayUnreachableError, type ChargeRequest, type PaymentGateway, type RefundRequest, type ChargeLookup, type RefundLookup } from '../../src/app/ports.ts';
import { customerWithCard, eventsOf, firstInvoiceOf, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** The sandbox, except that the next refund call can be lost before it leaves or after the sandbox made it. */
class LossyGateway implements PaymentGateway {
  readonly name = 'sandbox';
  lose: 'before' | 'after' | null = null;
  constructor(private readonly inner: SandboxGateway) {}
  inspectToken(token: string) { return this.inner.inspectToken(token); }
  retrieve(lookup: ChargeLookup) { return this.inner.retrieve(lookup); }
  charge(req: ChargeRequest) { return this.inner.charge(req); }
  retrieveRefund(lookup: RefundLookup) { return this.inner.retrieveRefund(lookup); }
  async refund(req: RefundRequest) {
    const lose = this.lose;
    this.lose = null;
    if (lose === 'before') throw new GatewayUnreachableError('connection reset before the refund left');
    const outcome = await this.inner.refund(req);
    if (lose === 'after') throw new GatewayUnreachableError('timeout: the refund was made, its answer lost');
    return outcome;
  }
}

/** An invoice of 3 × 10.00 and 1 × 19.99 with 8.875% tax added: 49.99 + 2.66 + 1.77 = 54.42. */
async function taxedInvoice(h: Harness, token: string) {
  const product = await ok(h, 'POST', '/v1/products', { name: 'Coffee box' });
  const beans = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const mug = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1999, recurring: { interval: 'month' } });
  const tax = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'NY sales tax', percentage: '8.875', inclusive: false });
  const customer = await customerWithCard(h, token);
  const sub = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: beans.id, quantity: 3 }, { price: mug.id }], default_tax_rates: [tax.id] });
  const invoice = await firstInvoiceOf(h, sub.body.id ?? (await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data[0].id);
  expect(invoice).toMatchObject({ subtotal: 4999, tax: 443, total: 5442 });
  const [a, b] = invoice.lines.data;
  expect([a!.amount, a!.tax_amounts[0]!.amount, b!.amount, b!.tax_amounts[0]!.amount]).toEqual([3000, 266, 1999, 177]);
  return { invoice, customer, tax, lineA: a!.id, lineB: b!.id };
}

const sandboxRefunds = async (h: Harness) => (await h.database.pool.query<{ amount: string }>('SELECT amount FROM sandbox.refunds ORDER BY created_at')).rows.map((r) => Number(r.amount));

describe('credit notes', async () => {
  const gateway: { g: LossyGateway | null } = { g: null };
  const h = await harness({ gateway: (d) => (gateway.g = new LossyGateway(new SandboxGateway(d.db))) });

  it('on a paid invoice take tax back in proportion, line by line, and never more than the invoice', async () => {
    const { invoice, customer, tax, lineA, lineB } = await taxedInvoice(h, 'tok_visa');
    expect(invoice.status).toBe('paid');
    const preview = await ok(h, 'GET', `/v1/credit_notes/preview?invoice=${invoice.id}&lines[0][invoice_line]=${lineA}&lines[0][quantity]=1&refund_amount=1089`);
    expect(preview).toMatchObject({ number: `${invoice.number}-CN-01`, subtotal: 1000, tax: 89, total: 1089, refund: null });
    // One bag of three: 10.00 and round(2.66 × 1/3) = 0.89 of tax, refunded through the gateway.
    const first = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, lines: [{ invoice_line: lineA, quantity: 1 }], reason: 'product_unsatisfactory', refund_amount: 1089, memo: 'Torn bag' });
    expect(first).toMatchObject({
      object: 'credit_note', number: `${invoice.number}-CN-01`, invoice: invoice.id, customer: customer.id, currency: 'usd', status: 'issued', type: 'post_payment',
      subtotal: 1000, tax: 89, total_excluding_tax: 1000, total: 1089, amount: 1089, refund_amount: 1089, credit_amount: 0, out_of_band_amount: 0,
      total_taxes: [{ tax_rate: tax.id, amount: 89, taxable_amount: 1000, inclusive: false }], reason: 'product_unsatisfactory', memo: 'Torn bag',
    });
    expect(first.lines.data).toEqual([expect.objectContaining({ type: 'invoice_line_item', invoice_line: lineA, quantity: 1, amount: 1000, total: 1089 })]);
    const refund = await ok(h, 'GET', `/v1/refunds/${first.refund}`);
    expect(refund).toMatchObject({ amount: 1089, status: 'succeeded', credit_note: first.id, invoice: invoice.id });
    // The second bag: round(2.66 × 2/3) − 0.89 = 0.88, credited to the balance.
    const second = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, lines: [{ invoice_line: lineA, quantity: 1 }], credit_amount: 1088 });
    expect(second).toMatchObject({ number: `${invoice.number}-CN-02`, tax: 88, total: 1088, credit_amount: 1088 });
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: -1088, currency: 'usd' });
    const ledger = await ok(h, 'GET', `/v1/customers/${customer.id}/balance_transactions`);
    expect(ledger.data[0]).toMatchObject({ type: 'credit_note', amount: -1088, ending_balance: -1088, invoice: invoice.id });
    // The third bag and the mug: 0.89 (2.66 − 1.77) and 1.77; the four notes give back 2.66 + 1.77, all the tax.
    const rest = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, lines: [{ invoice_line: lineA, quantity: 1 }, { invoice_line: lineB, amount: 1999 }], out_of_band_amount: 3265 });
    expect(rest).toMatchObject({ subtotal: 2999, tax: 266, total: 3265, out_of_band_amount: 3265 });
    expect(rest.lines.data.map((l: any) => [l.amount, l.tax_amounts[0].amount])).toEqual([[1000, 89], [1999, 177]]);
    expect(1089 + 1088 + 3265).toBe(invoice.total);
    const more = await h.call('POST', '/v1/credit_notes', { invoice: invoice.id, amount: 1, out_of_band_amount: 1 });
    expect(more.status).toBe(400);
    expect(more.body.error).toMatchObject({ code: 'credit_note_exceeds_invoice', param: 'amount' });
    expect((await ok(h, 'GET', `/v1/credit_notes?invoice=${invoice.id}`)).data.map((n: any) => n.id)).toEqual([rest.id, second.id, first.id]);
    expect((await eventsOf(h, 'credit_note.created')).filter((e) => e.data.object.invoice === invoice.id)).toHaveLength(3);
    expect(await sandboxRefunds(h)).toEqual([1089]);
  });

  it('take a discount back in proportion too: half of 100.00 less a 10.00 coupon, 10% tax on top, is 49.50', async () => {
    const product = await ok(h, 'POST', '/v1/products', { name: 'Grinder' });
    const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 10_000, recurring: { interval: 'month' } });
    const vat = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'Tax', percentage: '10', inclusive: false });
    const coupon = await ok(h, 'POST', '/v1/coupons', { name: 'Ten off', amount_off: 1000, currency: 'usd', duration: 'once' });
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], default_tax_rates: [vat.id], discounts: [{ coupon: coupon.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    expect(invoice).toMatchObject({ subtotal: 10_000, tax: 900, total: 9_900 });
    const line = invoice.lines.data[0]!;
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, lines: [{ invoice_line: line.id, amount: 5_000 }], credit_amount: 4_950 });
    expect(note).toMatchObject({ subtotal: 5_000, discount_amount: 500, tax: 450, total_excluding_tax: 4_500, total: 4_950,
      total_discount_amounts: [{ discount: invoice.discounts[0], amount: 500 }], total_taxes: [{ tax_rate: vat.id, amount: 450, taxable_amount: 4_500, inclusive: false }] });
    const rest = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 4_950, credit_amount: 4_950 });
    expect(rest).toMatchObject({ discount_amount: 500, tax: 450, subtotal: 5_000, total: 4_950 });
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: -9_900 });
  });

  it('on a paid invoice refuse a split that does not add up to the total, and write nothing', async () => {
    const { invoice, lineB } = await taxedInvoice(h, 'tok_visa');
    const r = await h.call('POST', '/v1/credit_notes', { invoice: invoice.id, lines: [{ invoice_line: lineB, quantity: 1 }], refund_amount: 1000, credit_amount: 1000 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'credit_note_split_invalid', param: 'refund_amount' });
    const tooMuch = await h.call('POST', '/v1/credit_notes', { invoice: invoice.id, amount: 5442, refund_amount: 5442 - 1, credit_amount: 1 });
    expect(tooMuch.status).toBe(200);
    expect(tooMuch.body).toMatchObject({ total: 5442, tax: 443, subtotal: 4999 });
    expect((await ok(h, 'GET', `/v1/credit_notes?invoice=${invoice.id}`)).data).toHaveLength(1);
  });

  it('on an open invoice lower what is due, are previewed without writing, void back, and pay it when nothing is left', async () => {
    const { invoice, customer, tax } = await taxedInvoice(h, 'tok_chargeDeclined');
    expect(invoice).toMatchObject({ status: 'open', amount_remaining: 5442 });
    expect(await ok(h, 'GET', `/v1/subscriptions/${invoice.subscription}`)).toMatchObject({ status: 'incomplete' });
    // 10.00 of the whole invoice: round(4.43 × 10.00 ÷ 54.42) = 0.81 of it is tax.
    const preview = await ok(h, 'GET', `/v1/credit_notes/preview?invoice=${invoice.id}&amount=1000&reason=order_change`);
    expect(preview).toMatchObject({ type: 'pre_payment', total: 1000, tax: 81, subtotal: 919, number: `${invoice.number}-CN-01`,
      total_taxes: [{ tax_rate: tax.id, amount: 81, inclusive: false }] });
    expect((await ok(h, 'GET', `/v1/credit_notes?customer=${customer.id}`)).data).toHaveLength(0);
    const refund = await h.call('POST', '/v1/credit_notes', { invoice: invoice.id, amount: 1000, refund_amount: 1000 });
    expect(refund.body.error).toMatchObject({ code: 'credit_note_split_invalid', param: 'refund_amount' });
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 1000, reason: 'order_change' });
    expect({ ...note, id: preview.id, created: preview.created, updated: preview.updated }).toEqual(preview);
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'open', amount_due: 4442, amount_remaining: 4442 });
    const voided = await ok(h, 'POST', `/v1/credit_notes/${note.id}/void`);
    expect(voided).toMatchObject({ status: 'void' });
    expect((await ok(h, 'GET', `/v1/audit_log?object_id=${note.id}`)).data.map((e: any) => e.action)).toEqual(['credit_note.voided', 'credit_note.created']);
    expect((await eventsOf(h, 'credit_note.voided')).map((e) => e.data.object.id)).toContain(note.id);
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'open', amount_due: 5442, amount_remaining: 5442 });
    expect((await h.call('POST', `/v1/credit_notes/${note.id}/void`)).body.error.code).toBe('credit_note_not_voidable');
    const over = await h.call('POST', '/v1/credit_notes', { invoice: invoice.id, amount: 5443 });
    expect(over.body.error.code).toBe('credit_note_exceeds_invoice');
    const all = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 5442 });
    expect(all).toMatchObject({ number: `${invoice.number}-CN-02`, tax: 443, total: 5442 });
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amount_paid: 0, amount_remaining: 0 });
    // Nothing was left to pay: the subscription that waited for its first payment is active, as after a payment.
    expect(await ok(h, 'GET', `/v1/subscriptions/${invoice.subscription}`)).toMatchObject({ status: 'active' });
  });

  it('let exactly one of two racing notes win when both together would exceed the invoice', async () => {
    const { invoice } = await taxedInvoice(h, 'tok_visa');
    const race = await Promise.all([0, 1].map(() => h.call('POST', '/v1/credit_notes', { invoice: invoice.id, amount: 3000, out_of_band_amount: 3000 })));
    expect(race.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(race.find((r) => r.status === 400)!.body.error.code).toBe('credit_note_exceeds_invoice');
    expect((await ok(h, 'GET', `/v1/credit_notes?invoice=${invoice.id}`)).data).toHaveLength(1);
  });

  it('refund once at the sandbox when the POST is retried and when the gateway\'s answer is lost', async () => {
    const before = (await sandboxRefunds(h)).length;
    const { invoice } = await taxedInvoice(h, 'tok_visa');
    const body = { invoice: invoice.id, amount: 500, refund_amount: 500 };
    const headers = { 'idempotency-key': `cn-${invoice.id}` };
    const a = await h.call('POST', '/v1/credit_notes', body, { headers });
    const b = await h.call('POST', '/v1/credit_notes', body, { headers });
    expect(b.body).toEqual(a.body);
    expect((await sandboxRefunds(h)).length).toBe(before + 1);

    for (const lose of ['after', 'before'] as const) {
      gateway.g!.lose = lose;
      const n = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 700, refund_amount: 700 });
      expect(await ok(h, 'GET', `/v1/refunds/${n.refund}`)).toMatchObject({ status: 'unknown' });
      h.clock.advanceMs(61_000);
      while (await recoverNextRefund(h.deps));
      expect(await ok(h, 'GET', `/v1/refunds/${n.refund}`)).toMatchObject({ status: 'succeeded', amount: 700 });
    }
    expect((await sandboxRefunds(h)).slice(before)).toEqual([500, 700, 700]);
    const refunds = await ok(h, 'GET', `/v1/refunds?invoice=${invoice.id}`);
    expect(refunds.data.map((r: any) => r.amount)).toEqual([700, 700, 500]);
  });

  it('at the sandbox: a refund once per key, never more than the charge in all, also when racing', async () => {
    const { invoice } = await taxedInvoice(h, 'tok_visa');
    const [payment] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    const sandbox = new SandboxGateway(h.database.db);
    const req = (key: string, amount: bigint) => ({ idempotencyKey: key, chargeId: payment.gateway_charge_id, amount, currency: 'usd', reference: 'test', refundId: key });
    const first = await sandbox.refund(req(`k1-${invoice.id}`, 3000n));
    expect(first.status).toBe('succeeded');
    expect(await sandbox.refund(req(`k1-${invoice.id}`, 3000n))).toEqual(first);
    expect(await sandbox.retrieveRefund({ idempotencyKey: `k1-${invoice.id}`, refundId: 'x', chargeId: payment.gateway_charge_id })).toEqual(first);
    expect(await sandbox.retrieveRefund({ idempotencyKey: `never-${invoice.id}`, refundId: 'x', chargeId: payment.gateway_charge_id })).toBeNull();
    const race = await Promise.all([2, 3].map((i) => sandbox.refund(req(`k${i}-${invoice.id}`, 2000n))));
    expect(race.map((r) => r.status).sort()).toEqual(['failed', 'succeeded']);
    expect(await sandbox.refund(req(`k4-${invoice.id}`, 442n))).toMatchObject({ status: 'succeeded' });
    expect(await sandbox.refund(req(`k5-${invoice.id}`, 1n))).toMatchObject({ status: 'failed', code: 'amount_too_large' });
  });

  it('refund no more than the gateway took when the customer\'s balance paid part of the invoice', async () => {
    const product = await ok(h, 'POST', '/v1/products', { name: 'Tea box' });
    const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 5000, recurring: { interval: 'month' } });
    const customer = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: -1000, currency: 'usd' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    expect(invoice).toMatchObject({ status: 'paid', total: 5000, amount_paid: 4000 });
    const tooMuch = await h.call('POST', '/v1/credit_notes', { invoice: invoice.id, amount: 5000, refund_amount: 5000 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toMatchObject({ code: 'refund_exceeds_payment', param: 'refund_amount' });
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 5000, refund_amount: 4000, credit_amount: 1000 });
    expect(await ok(h, 'GET', `/v1/refunds/${note.refund}`)).toMatchObject({ amount: 4000, status: 'succeeded' });
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: -1000 });
  });

  it('refuse voiding a partly paid invoice, pointing to credit notes', async () => {
    const { invoice } = await taxedInvoice(h, 'tok_chargeDeclined');
    await h.database.pool.query('UPDATE invoices SET amount_paid = 1000, amount_remaining = 4442 WHERE id = $1', [invoice.id]);
    const r = await h.call('POST', `/v1/invoices/${invoice.id}/void`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invoice_partly_paid');
    expect(r.body.error.message).toContain('credit note');
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'open' });
  });

  it('print as a PDF with the note\'s and the invoice\'s numbers, lines, tax per rate, total and where the money went', async () => {
    await ok(h, 'POST', '/v1/account', { name: 'Acme Coffee GmbH', address: { line1: 'Hauptstraße 5', city: 'Berlin', postal_code: '10115', country: 'DE' } });
    const { invoice, lineA } = await taxedInvoice(h, 'tok_visa');
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, lines: [{ invoice_line: lineA, quantity: 2 }], reason: 'order_change', refund_amount: 1500, credit_amount: 677, memo: 'Two bags returned' });
    expect(note).toMatchObject({ subtotal: 2000, tax: 177, total: 2177 });
    const r = await h.call('GET', `/v1/credit_notes/${note.id}/pdf`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rebill-cn-')), 'cn.pdf');
    writeFileSync(file, r.body);
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    for (const part of ['Acme Coffee GmbH', 'Hauptstraße 5', 'Credit note', `Number: ${note.number}`, `Invoice: ${invoice.number}`, 'Reason: order change', 'Two bags returned']) expect(text).toContain(part);
    expect(text).toMatch(/Subtotal\s+\$20\.00/);
    expect(text).toMatch(/NY sales tax 8\.875%\s+\$1\.77/);
    expect(text).toMatch(/Total credited\s+\$21\.77/);
    expect(text).toMatch(/Refunded to the payment method\s+\$15\.00/);
    expect(text).toMatch(/Credited to the customer balance\s+\$6\.77/);
    expect(text).toMatch(/\s2\s+\$20\.00/);
    expect((await h.call('GET', '/v1/credit_notes/cn_nope/pdf')).status).toBe(404);
  });
});
