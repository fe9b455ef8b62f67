import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { razorpayFactory } from '../../src/adapters/gateways/razorpay/adapter.ts';
import { recoverNextAttempt } from '../../src/app/payments/recover.ts';
import { recoverNextRefund } from '../../src/app/payments/refunds.ts';
import { advance, clockAt, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { startFakeRazorpay } from '../fakes/razorpay/server.ts';
import { harness } from '../support.ts';

// Rebill's Razorpay adapter, through its real HTTP API, the official `razorpay` SDK and the local
// wire-format server (test/fakes/razorpay/README.md): recurring payments on saved tokens.
describe('Razorpay gateway (official SDK, local wire-format server)', async () => {
  const fake = await startFakeRazorpay();
  afterAll(async () => { await fake.close(); });
  const h = await harness({ recoveryDelayMs: 1000 });
  // A short timeout, so a server that never answers is given up on quickly.
  h.deps.gatewayFactories = { ...h.deps.gatewayFactories, razorpay: razorpayFactory({ timeoutMs: 500 }) };
  // Everything Rebill logs while charging, to look for the key secret in it.
  const logged: string[] = [];
  h.deps.log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { logged.push(String(chunk)); done(); } }));
  const gw = await ok(h, 'POST', '/v1/gateways', {
    type: 'razorpay', name: 'Razorpay India', api_base: fake.url,
    credentials: { key_id: fake.keyId, key_secret: fake.keySecret, webhook_secret: fake.webhookSecret },
  });
  const price = await monthlyPrice(h, 49900, 'inr');
  const rzpCustomer = 'cust_DitrYCFtCIokBO';

  /** A customer with `token` saved on Razorpay, subscribed: its first invoice and that invoice's payments. */
  async function subscribe(token: string) {
    const customer = await ok(h, 'POST', '/v1/customers', { email: `${token}@example.com` });
    const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway: gw.id, gateway_customer: rzpCustomer });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const attempts = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    return { customer, pm, sub, invoice, attempts };
  }
  const ordersOf = (attemptId: string) => fake.control.orders().filter((o) => o.receipt === attemptId);
  const paymentsOf = (attemptId: string) => {
    const ids = new Set(ordersOf(attemptId).map((o) => o.id));
    return fake.control.payments().filter((p) => ids.has(p.order_id));
  };
  async function recoverAll() {
    h.clock.advanceMs(2000);
    while (await recoverNextAttempt(h.deps));
  }

  it('charges a saved card: one order (receipt = the attempt), one captured payment, the invoice paid', async () => {
    const { pm, sub, invoice, attempts } = await subscribe('token_success');
    expect(pm.card).toMatchObject({ brand: 'visa', last4: '1111', exp_month: 12, exp_year: 2031 });
    expect(sub.status).toBe('active');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    const [attempt] = attempts;
    expect(attempt).toMatchObject({ status: 'succeeded', gateway: gw.id, currency: 'inr', amount: 49900 });
    const [order] = ordersOf(attempt.id);
    expect(order).toMatchObject({ amount: 49900, currency: 'INR', status: 'paid', notes: { rebill_invoice: invoice.id, rebill_attempt_number: '1' } });
    expect(attempt.id.length).toBeLessThanOrEqual(40);
    const payments = paymentsOf(attempt.id);
    expect(payments.map((p) => [p.id, p.status, p.token_id, p.customer_id])).toEqual([[attempt.gateway_charge_id, 'captured', 'token_success', rzpCustomer]]);
  });

  it('stores each decline class normalized; the failed payment is the charge', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['token_insufficient_funds', { decline_code: 'insufficient_funds', decline_category: 'soft', do_not_retry: false, gateway_decline_code: 'insufficient_funds' }],
      ['token_card_expired', { decline_code: 'expired_card', decline_category: 'hard', do_not_retry: true, gateway_decline_code: 'card_expired' }],
      ['token_stolen', { decline_code: 'restricted_card', decline_category: 'hard', do_not_retry: true, gateway_decline_code: 'debit_instrument_blocked' }],
      ['token_risk_check_failed', { decline_code: 'fraudulent', decline_category: 'fraud', do_not_retry: true, gateway_decline_code: 'payment_risk_check_failed' }],
      // GATEWAY_ERROR comes with a 5xx status, but its body names the failed payment: a decline, not an unknown outcome.
      ['token_gateway_error', { decline_code: 'processing_error', decline_category: 'soft', do_not_retry: false, gateway_decline_code: 'gateway_technical_error' }],
    ];
    for (const [token, expected] of cases) {
      const { invoice, attempts } = await subscribe(token);
      const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
      expect(attempts).toHaveLength(1);
      expect(attempt, token).toMatchObject({ status: 'failed', ...expected });
      const payments = paymentsOf(attempt.id);
      expect(payments.map((p) => [p.id, p.status]), token).toEqual([[attempt.gateway_charge_id, 'failed']]);
      expect(attempt.network_advice, token).toMatchObject({ network: 'visa' });
    }
  });

  it('charges a renewal on a test clock and a retry (attempt 2) through Razorpay, one order each', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'renewal@example.com', test_clock: clock.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'token_mastercard', gateway: gw.id, gateway_customer: rzpCustomer });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    await advance(h, clock.id, '2027-02-01T06:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    const [renewal] = (await ok(h, 'GET', `/v1/payments?invoice=${invoices[1]!.id}`)).data;
    expect(renewal).toMatchObject({ status: 'succeeded', gateway: gw.id });
    expect(paymentsOf(renewal.id).map((p) => [p.id, p.status, p.token_id])).toEqual([[renewal.gateway_charge_id, 'captured', 'token_mastercard']]);

    const { customer: other, invoice, attempts: [first] } = await subscribe('token_insufficient_funds');
    expect(first.status).toBe('failed');
    const good = await ok(h, 'POST', '/v1/payment_methods', { customer: other.id, token: 'token_success', gateway: gw.id, gateway_customer: rzpCustomer, set_default: true });
    expect((await ok(h, 'POST', `/v1/invoices/${invoice.id}/pay`, { payment_method: good.id })).status).toBe('paid');
    const second = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data.find((a: { id: string }) => a.id !== first.id);
    expect(second).toMatchObject({ status: 'succeeded' });
    expect(ordersOf(second.id).map((o) => o.notes)).toEqual([{ rebill_invoice: invoice.id, rebill_customer: other.id, rebill_attempt_number: '2' }]);
  });

  it('a lost answer to the payment: unknown, then recovery finds it by receipt; one captured payment', async () => {
    fake.control.inject({ kind: 'lose', method: 'POST', path: '/v1/payments/create/recurring' });
    const before = fake.control.paymentRequests();
    const { invoice, attempts: [attempt] } = await subscribe('token_success');
    expect(attempt).toMatchObject({ status: 'unknown', gateway_charge_id: null });
    expect(paymentsOf(attempt.id).map((p) => p.status)).toEqual(['captured']);
    await recoverAll();
    const settled = await ok(h, 'GET', `/v1/payments/${attempt.id}`);
    expect(settled.status).toBe('succeeded');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    expect(fake.control.paymentRequests() - before).toBe(1);
    expect(paymentsOf(attempt.id).map((p) => [p.id, p.status])).toEqual([[settled.gateway_charge_id, 'captured']]);
  });

  it('a 5xx before any work, a proxy page and a timeout: unknown, recovery finds no payment and pays the same order once', async () => {
    const faults = [
      { kind: 'fail' as const, status: 503, method: 'POST', path: '/v1/payments/create/recurring' },
      { kind: 'fail' as const, status: 502, html: true, method: 'POST', path: '/v1/orders' },
      { kind: 'hang' as const, method: 'POST', path: '/v1/payments/create/recurring' },
      // The order is made but its answer lost: recovery finds it by receipt and pays it, making no second order.
      { kind: 'lose' as const, method: 'POST', path: '/v1/orders' },
    ];
    for (const fault of faults) {
      fake.control.inject(fault);
      const { invoice, attempts: [attempt] } = await subscribe('token_success');
      expect(attempt.status, fault.kind).toBe('unknown');
      expect(paymentsOf(attempt.id), fault.kind).toEqual([]);
      await recoverAll();
      expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status, fault.kind).toBe('succeeded');
      expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
      expect(ordersOf(attempt.id), fault.kind).toHaveLength(1);
      expect(paymentsOf(attempt.id).map((p) => p.status), fault.kind).toEqual(['captured']);
    }
  });

  it('an e-mandate debit stays processing, charged once, until the bank settles it and recovery reads it', async () => {
    const { pm, invoice, attempts: [attempt] } = await subscribe('token_processing');
    expect(pm.card.brand).toBe('emandate');
    expect(attempt).toMatchObject({ status: 'processing' });
    expect(attempt.gateway_charge_id).toMatch(/^pay_/);
    await recoverAll();
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('processing');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('open');
    fake.control.settlePayment(attempt.gateway_charge_id, 'succeeded');
    await recoverAll();
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    expect(paymentsOf(attempt.id).map((p) => [p.id, p.status])).toEqual([[attempt.gateway_charge_id, 'captured']]);
  });

  it('refunds a paid invoice through a credit note once, even when the answer is lost', async () => {
    const { invoice, attempts: [attempt] } = await subscribe('token_success');
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 10000, refund_amount: 10000 });
    const refund = await ok(h, 'GET', `/v1/refunds/${note.refund}`);
    expect(refund.status).toBe('succeeded');
    const refundsOf = () => fake.control.refunds().filter((r) => r.payment_id === attempt.gateway_charge_id);
    expect(refundsOf().map((r) => [r.id, r.amount, r.status, r.notes])).toEqual([[refund.gateway_refund_id, 10000, 'processed', { rebill_refund: refund.id, rebill_reference: note.id }]]);

    fake.control.inject({ kind: 'lose', method: 'POST', path: /\/refund$/ });
    const lostNote = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 5000, refund_amount: 5000 });
    expect((await ok(h, 'GET', `/v1/refunds/${lostNote.refund}`)).status).toBe('unknown');
    h.clock.advanceMs(2000);
    while (await recoverNextRefund(h.deps));
    const recovered = await ok(h, 'GET', `/v1/refunds/${lostNote.refund}`);
    expect(recovered.status).toBe('succeeded');
    expect(refundsOf().map((r) => r.amount).sort()).toEqual([10000, 5000].sort());
    expect(refundsOf().find((r) => r.amount === 5000)?.id).toBe(recovered.gateway_refund_id);
  });

  it('a refund Razorpay has not finished stays open and is settled by recovery once processed', async () => {
    const { invoice, attempts: [attempt] } = await subscribe('token_success');
    fake.control.setRefundStatus('pending');
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 49900, refund_amount: 49900 });
    fake.control.setRefundStatus('processed');
    const refund = await ok(h, 'GET', `/v1/refunds/${note.refund}`);
    // Accepted, not final: kept open with Razorpay's id for recovery to ask again.
    expect(refund).toMatchObject({ status: 'unknown' });
    expect(refund.gateway_refund_id).toMatch(/^rfnd_/);
    h.clock.advanceMs(2000);
    while (await recoverNextRefund(h.deps));
    expect((await ok(h, 'GET', `/v1/refunds/${note.refund}`)).status).toBe('unknown');
    fake.control.settleRefund(refund.gateway_refund_id, 'processed');
    h.clock.advanceMs(2000);
    while (await recoverNextRefund(h.deps));
    expect((await ok(h, 'GET', `/v1/refunds/${note.refund}`)).status).toBe('succeeded');
    expect(fake.control.refunds().filter((r) => r.payment_id === attempt.gateway_charge_id)).toHaveLength(1);
  });

  it('refuses a currency Razorpay takes no recurring payments in, before calling it', async () => {
    const usd = await monthlyPrice(h, 2000, 'usd');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'usd@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'token_success', gateway: gw.id, gateway_customer: rzpCustomer });
    const requests = fake.control.requests().length;
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: usd.id }] });
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${(await firstInvoiceOf(h, sub.id)).id}`)).data;
    expect(attempt).toMatchObject({ status: 'failed', decline_code: 'currency_not_supported', decline_category: 'config' });
    expect(fake.control.requests().length).toBe(requests);
  });

  it('keys Razorpay refuses fail the charge as a configuration problem, not the card\'s', async () => {
    const wrong = await ok(h, 'POST', '/v1/gateways', { type: 'razorpay', name: 'Wrong keys', api_base: fake.url, credentials: { key_id: fake.keyId, key_secret: 'not-the-secret' } });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'wrong-keys@example.com' });
    // Attached through the right gateway (tokens are read with valid keys), then moved to the wrong one.
    const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'token_success', gateway: gw.id, gateway_customer: rzpCustomer });
    await h.database.pool.query('UPDATE payment_methods SET gateway = $1 WHERE id = $2', [wrong.id, pm.id]);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${(await firstInvoiceOf(h, sub.id)).id}`)).data;
    expect(attempt).toMatchObject({ status: 'failed', gateway: wrong.id, decline_code: 'merchant_config_error', decline_category: 'config' });
  });

  it('an unknown token is refused when attached; a token needs its Razorpay customer', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'bad-token@example.com' });
    for (const body of [{ token: 'token_nope', gateway_customer: rzpCustomer }, { token: 'token_success' }]) {
      const r = await h.call('POST', '/v1/payment_methods', { customer: customer.id, gateway: gw.id, ...body });
      expect([r.status, r.body.error.code]).toEqual([400, 'token_invalid']);
    }
  });

  it('never keeps or logs the key secret or the webhook secret in clear', async () => {
    for (const table of ['gateways', 'audit_log', 'events', 'payment_attempts', 'payment_methods', 'refunds', 'idempotency_keys']) {
      const dump = await h.database.pool.query(`SELECT t::text AS row FROM ${table} t`);
      const all = dump.rows.map((r) => r.row).join('\n');
      expect(all, table).not.toContain(fake.keySecret);
      expect(all, table).not.toContain(fake.webhookSecret);
    }
    // The lost answers above were logged (outcome unknown); none of it carries a secret.
    const log = logged.join('');
    expect(log).toContain('outcome unknown');
    expect(log).not.toContain(fake.keySecret);
    expect(log).not.toContain(fake.webhookSecret);
  });
});
