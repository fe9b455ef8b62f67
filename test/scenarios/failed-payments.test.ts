import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, eventsOf, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('failed and unknown payments', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2000);

  it('a declined first charge leaves the subscription incomplete, then incomplete_expired after 23 hours', async () => {
    const clock = await clockAt(h, '2027-03-01T12:00:00Z');
    const customer = await customerWithCard(h, 'tok_chargeDeclinedInsufficientFunds', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('incomplete');
    const invoice = await firstInvoiceOf(h, sub.id);
    expect(invoice).toMatchObject({ status: 'open', amount_due: 2000, amount_paid: 0, billing_reason: 'subscription_create' });
    const failed = (await eventsOf(h, 'invoice.payment_failed')).filter((e) => e.data.object.id === invoice.id);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data.decline_code).toBe('insufficient_funds');
    const payFailed = (await eventsOf(h, 'payment.failed')).find((e) => e.data.object.invoice === invoice.id);
    expect(payFailed?.data.object.decline_code).toBe('insufficient_funds');

    await advance(h, clock.id, '2027-03-02T10:59:00Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('incomplete');
    await advance(h, clock.id, '2027-03-02T11:00:00Z'); // created at 12:00 + 23 hours
    const expired = await ok(h, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(expired.status).toBe('incomplete_expired');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('void');
    // Nothing more is ever billed.
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
  });

  it('a declined renewal leaves the invoice open and the subscription past_due, and paying recovers it', async () => {
    const clock = await clockAt(h, '2027-03-01T12:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    // The card starts failing: a new default payment method that declines.
    const bad = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclinedInsufficientFunds', set_default: true });
    await advance(h, clock.id, '2027-04-01T12:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices.map((i) => i.status)).toEqual(['paid', 'open']);
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    const failed = (await eventsOf(h, 'invoice.payment_failed')).filter((e) => e.data.object.id === invoices[1]!.id);
    expect(failed.map((e) => e.data.decline_code)).toEqual(['insufficient_funds']);

    // Paying with the same declining card answers 402 with the decline code; the invoice stays open.
    const declined = await h.call('POST', `/v1/invoices/${invoices[1]!.id}/pay`, { payment_method: bad.id });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' });
    // A good card pays it and the subscription is active again.
    const good = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_mastercard', set_default: true });
    const paid = await ok(h, 'POST', `/v1/invoices/${invoices[1]!.id}/pay`, { payment_method: good.id });
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 2000, amount_remaining: 0 });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    const again = await h.call('POST', `/v1/invoices/${invoices[1]!.id}/pay`, {});
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invoice_not_open');
  });

  it('normalizes each sandbox decline', async () => {
    for (const [token, code] of [['tok_chargeDeclined', 'generic_decline'], ['tok_chargeDeclinedExpiredCard', 'expired_card'], ['tok_chargeDeclinedProcessingError', 'processing_error']]) {
      const customer = await customerWithCard(h, token!);
      const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
      expect(sub.status).toBe('incomplete');
      const ev = (await eventsOf(h, 'invoice.payment_failed')).find((e) => e.data.object.subscription === sub.id);
      expect(ev?.data.decline_code).toBe(code);
    }
  });

  it('a charge with no answer stays unknown until recovery asks the gateway, and is charged once', async () => {
    const clock = await clockAt(h, '2027-03-01T12:00:00Z');
    const customer = await customerWithCard(h, 'tok_timeout', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('incomplete');
    const invoice = await firstInvoiceOf(h, sub.id);
    const attempts = await h.database.pool.query('SELECT status FROM payment_attempts WHERE invoice_id = $1', [invoice.id]);
    expect(attempts.rows.map((r) => r.status)).toEqual(['unknown']);
    // A second charge cannot start while the first one's outcome is unknown.
    const busy = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('payment_in_progress');

    await advance(h, clock.id, '2027-03-01T12:05:00Z'); // past the recovery delay
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    const settled = await h.database.pool.query('SELECT status FROM payment_attempts WHERE invoice_id = $1', [invoice.id]);
    expect(settled.rows.map((r) => r.status)).toEqual(['succeeded']);
    const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1', [invoice.id]);
    expect(charges.rows[0].n).toBe(1);
    // It is not expired at 23 hours: it was paid.
    await advance(h, clock.id, '2027-03-02T13:00:00Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
  });
});
