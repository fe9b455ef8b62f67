import { describe, expect, it } from 'vitest';
import type { SandboxGateway } from '../../src/adapters/gateways/sandbox/gateway.ts';
import { ACTION_WINDOW_MS, recoverNextAttempt } from '../../src/app/payments/recover.ts';
import { advance, clockAt, customerWithCard, eventsOf, firstInvoiceOf, monthlyPrice, must } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

const later = (h: Harness, ms: number) => h.clock.set(new Date(h.clock.now().getTime() + ms));

async function subscribe(h: Harness, token: string, priceId: string) {
  const customer = await customerWithCard(h, token);
  const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: priceId }] } }));
  const invoice = await firstInvoiceOf(h, sub.id);
  const { data: [payment] } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: invoice.id } } }));
  return { sub, invoice, payment: payment! };
}

const eventsFor = async (h: Harness, type: string, id: string) => (await eventsOf(h, type)).filter((e) => e.data.object.id === id);

describe('asynchronous payment outcomes: processing and requires_action keep the invoice open until the processor settles them', async () => {
  const h = await harness({ recoveryDelayMs: 60_000 });
  const sandbox = h.deps.gateway as SandboxGateway;
  const price = await monthlyPrice(h, 4200);

  it('a processing debit blocks a second charge and a void, then is settled once by the status query', async () => {
    const { sub, invoice, payment } = await subscribe(h, 'tok_processing', price.id);
    expect(sub.status).toBe('incomplete');
    expect(invoice).toMatchObject({ status: 'open', amount_paid: 0 });
    expect(payment).toMatchObject({ status: 'processing', gateway_charge_id: expect.any(String), next_action: null });
    expect(await eventsFor(h, 'payment.processing', payment.id)).toHaveLength(1);

    const pay = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(pay.status).toBe(409);
    expect(pay.body.error.code).toBe('payment_in_progress');
    const voiding = await h.call('POST', `/v1/invoices/${invoice.id}/void`, {});
    expect(voiding.status).toBe(409);

    later(h, 60_000);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    const settled = await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } }));
    expect(settled).toMatchObject({ status: 'succeeded', gateway_charge_id: payment.gateway_charge_id });
    expect(await must(h.client.GET('/v1/invoices/{id}', { params: { path: { id: invoice.id } } }))).toMatchObject({ status: 'paid', amount_paid: 4200 });
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('active');
    const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1', [invoice.id]);
    expect(charges.rows[0].n).toBe(1);
  });

  it('requires_action hands the merchant the link once, asks the processor less and less often, and settles when the customer authenticates', async () => {
    const { invoice, payment } = await subscribe(h, 'tok_threeDSecureRequired', price.id);
    expect(payment).toMatchObject({ status: 'requires_action', next_action: { type: 'redirect_to_url', url: expect.stringContaining(payment.gateway_charge_id!) } });
    const announced = await eventsFor(h, 'invoice.payment_action_required', invoice.id);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.data).toMatchObject({ payment: payment.id, next_action: payment.next_action, object: { status: 'open' } });

    // Asked after the recovery delay, then after twice as long each time.
    const asks: number[] = [];
    const start = h.clock.now().getTime();
    for (let waited = 0; asks.length < 3 && waited <= 8 * 60_000; waited += 30_000) {
      h.clock.set(new Date(start + waited));
      while (await recoverNextAttempt(h.deps)) asks.push(waited / 1000);
    }
    expect(asks).toEqual([60, 120, 240]);
    expect(await eventsFor(h, 'invoice.payment_action_required', invoice.id)).toHaveLength(1);
    expect((await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } }))).status).toBe('requires_action');

    expect(await sandbox.authenticate(payment.gateway_charge_id!, true)).toBe(true);
    later(h, 8 * 60_000);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    expect(await must(h.client.GET('/v1/invoices/{id}', { params: { path: { id: invoice.id } } }))).toMatchObject({ status: 'paid', amount_paid: 4200 });
    expect(await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } }))).toMatchObject({ status: 'succeeded', next_action: null });
  });

  it('a failed authentication ends the attempt as a soft authentication_required decline and the invoice can be paid again', async () => {
    const { invoice, payment } = await subscribe(h, 'tok_threeDSecureRequired', price.id);
    expect(await sandbox.authenticate(payment.gateway_charge_id!, false)).toBe(true);
    later(h, 60_000);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    expect(await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } })))
      .toMatchObject({ status: 'failed', decline_code: 'authentication_required', decline_category: 'soft', next_action: null });
    const card = await must(h.client.POST('/v1/payment_methods', { body: { customer: invoice.customer, token: 'tok_visa' } }));
    const paid = await must(h.client.POST('/v1/invoices/{id}/pay', { params: { path: { id: invoice.id } }, body: { payment_method: card.id } }));
    expect(paid.status).toBe('paid');
  });

  it('on a test clock, a processing debit is settled as the clock passes its time, in the clock\'s time', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_processing', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    const invoice = await firstInvoiceOf(h, sub.id);
    expect(invoice.status).toBe('open');
    await advance(h, clock.id, '2027-03-01T01:00:00Z');
    const { data: [payment] } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: invoice.id } } }));
    expect(payment).toMatchObject({ status: 'succeeded', updated: '2027-03-01T00:01:00.000Z' });
    expect((await must(h.client.GET('/v1/invoices/{id}', { params: { path: { id: invoice.id } } }))).status).toBe('paid');
    expect(await eventsFor(h, 'payment.processing', payment!.id)).toEqual([expect.objectContaining({ created: '2027-03-01T00:00:00.000Z' })]);
  });

  const sandboxCharge = async (id: string) => (await h.database.pool.query('SELECT status, decline_code FROM sandbox.charges WHERE id = $1', [id])).rows[0];

  it('paying with another card replaces a charge waiting for authentication: cancelled at the processor, then the new card charged', async () => {
    const { invoice, payment } = await subscribe(h, 'tok_threeDSecureRequired', price.id);
    const card = await must(h.client.POST('/v1/payment_methods', { body: { customer: invoice.customer, token: 'tok_visa' } }));
    const paid = await must(h.client.POST('/v1/invoices/{id}/pay', { params: { path: { id: invoice.id } }, body: { payment_method: card.id } }));
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 4200 });
    const { data } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: invoice.id } } }));
    expect(data.map((p) => [p.id, p.status, p.decline_code])).toEqual([[expect.any(String), 'succeeded', null], [payment.id, 'failed', 'authentication_required']]);
    // The abandoned charge can no longer be completed by the customer: no second payment later.
    expect(await sandboxCharge(payment.gateway_charge_id!)).toEqual({ status: 'failed', decline_code: 'authentication_required' });
    expect(await sandbox.authenticate(payment.gateway_charge_id!, true)).toBe(false);
  });

  it('a charge nobody authenticates is cancelled at the processor after the action window, and fails as a soft decline', async () => {
    const { invoice, payment } = await subscribe(h, 'tok_threeDSecureRequired', price.id);
    const opened = h.clock.now().getTime();
    // Asked within the window: still waiting.
    h.clock.set(new Date(opened + ACTION_WINDOW_MS - 60_000));
    while (await recoverNextAttempt(h.deps));
    expect((await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } }))).status).toBe('requires_action');
    expect((await sandboxCharge(payment.gateway_charge_id!)).status).toBe('requires_action');
    // The next question comes after the window (at most six hours later): the charge is given up.
    h.clock.set(new Date(opened + ACTION_WINDOW_MS + 6 * 3_600_000));
    while (await recoverNextAttempt(h.deps));
    expect(await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } })))
      .toMatchObject({ status: 'failed', decline_code: 'authentication_required', decline_category: 'soft', do_not_retry: false });
    expect(await sandboxCharge(payment.gateway_charge_id!)).toEqual({ status: 'failed', decline_code: 'authentication_required' });
    expect((await must(h.client.GET('/v1/invoices/{id}', { params: { path: { id: invoice.id } } }))).status).toBe('open');
    expect(await eventsFor(h, 'payment.failed', payment.id)).toHaveLength(1);
  });
});
