import { Writable } from 'node:stream';
import { pino } from 'pino';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { stripeGatewayFactory } from '../../src/adapters/gateways/stripe/adapter.ts';
import { recoverNextAttempt } from '../../src/app/payments/recover.ts';
import { recoverNextRefund } from '../../src/app/payments/refunds.ts';
import { advance, clockAt, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { startFakeStripe } from '../fakes/stripe/server.ts';
import { harness } from '../support.ts';

// Rebill's Stripe adapter, through Rebill's HTTP API, with the official `stripe` SDK talking to the
// local wire-format fake (test/fakes/stripe). The harness registers the adapter as `npm start` does.
describe('Stripe gateway', async () => {
  const fake = await startFakeStripe();
  afterAll(async () => { await fake.close(); });
  const stripe = fake.control;
  const h = await harness({ recoveryDelayMs: 1000 });
  // Everything Rebill logs in this file, to look for the secret in it.
  const logged: string[] = [];
  h.deps.log = pino({ level: 'trace' }, new Writable({ write(chunk, _enc, done) { logged.push(String(chunk)); done(); } }));
  const price = await monthlyPrice(h, 1500);
  const gw = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe', api_base: fake.url, credentials: { secret_key: fake.secretKey } });

  let n = 0;
  /** A Rebill customer with a Stripe card: saved on a Stripe customer, or (declining test cards cannot be saved) a bare test PaymentMethod. */
  async function customerWith(card: string, opts: { saved?: boolean; gateway?: string } = {}) {
    const customer = await ok(h, 'POST', '/v1/customers', { email: `stripe-${++n}@example.com` });
    const saved = opts.saved ?? true;
    const cus = saved ? stripe.createCustomer({ email: customer.email }) : null;
    const token = cus ? stripe.attachPaymentMethod(card, cus.id as string).id as string : card;
    const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway: opts.gateway ?? gw.id, ...(cus ? { gateway_customer: cus.id } : {}) });
    return { customer, pm, token, stripeCustomer: cus?.id as string | undefined };
  }
  async function subscribe(customer: string) {
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    return { sub, invoice, attempt };
  }
  const intentsOf = (attemptId: string) => stripe.intents().filter((pi) => (pi.metadata as Record<string, string>).rebill_attempt === attemptId);
  /** Recovers every overdue attempt (an attempt waiting for its customer to authenticate stays open, and is asked about each time). */
  const recoverDue = async () => { let k = 0; while (await recoverNextAttempt(h.deps)) k++; return k; };
  const invoiceStatus = async (id: string) => (await ok(h, 'GET', `/v1/invoices/${id}`)).status;

  it('charges a saved card off-session through a PaymentIntent keyed and tagged by the attempt', async () => {
    const { customer, pm, stripeCustomer } = await customerWith('pm_card_visa');
    expect(pm.card).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt).toMatchObject({ status: 'succeeded', gateway: gw.id, amount: 1500, decline_code: null });
    expect(await invoiceStatus(invoice.id)).toBe('paid');
    const [pi, ...more] = intentsOf(attempt.id);
    expect(more).toEqual([]);
    expect(pi).toMatchObject({
      id: attempt.gateway_charge_id, status: 'succeeded', amount: 1500, currency: 'usd', customer: stripeCustomer,
      metadata: { rebill_attempt: attempt.id, rebill_invoice: invoice.id, rebill_customer: customer.id, rebill_attempt_number: '1' },
    });
    const create = stripe.intentCreations().find((r) => r.params.metadata && (r.params.metadata as Record<string, string>).rebill_attempt === attempt.id)!;
    expect(create.idempotencyKey).toBe(`rebill:${h.accountId}:${attempt.id}`);
    expect(create.params).toMatchObject({ off_session: 'true', confirm: 'true' });
  });

  it("renews on a test clock through Stripe: the renewal is its own PaymentIntent, tagged with that invoice", async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'renewal@example.com', test_clock: clock.id });
    const cus = stripe.createCustomer();
    const token = stripe.attachPaymentMethod('pm_card_visa', cus.id as string).id as string;
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway: gw.id, gateway_customer: cus.id });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    const renewal = invoices[1]!;
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${renewal.id}`)).data;
    expect(intentsOf(attempt.id)).toMatchObject([{ id: attempt.gateway_charge_id, status: 'succeeded', amount: 1500, metadata: { rebill_invoice: renewal.id, rebill_attempt_number: '1' } }]);
  });

  it("a retried invoice's second attempt is a new PaymentIntent with attempt number 2", async () => {
    const { customer } = await customerWith('pm_card_visa_chargeDeclinedInsufficientFunds', { saved: false });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt.status).toBe('failed');
    const retried = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(retried.status).toBeLessThan(500);
    const attempts = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    const second = attempts.find((a: { id: string }) => a.id !== attempt.id);
    expect(second).toMatchObject({ status: 'failed', decline_code: 'insufficient_funds' });
    expect(intentsOf(second.id)).toMatchObject([{ metadata: { rebill_attempt_number: '2' } }]);
    expect(intentsOf(attempt.id)).toMatchObject([{ metadata: { rebill_attempt_number: '1' } }]);
  });

  it('refuses a PaymentMethod Stripe does not know, writing nothing', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'unknown-pm@example.com' });
    const r = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'pm_1NotAThing', gateway: gw.id });
    expect([r.status, r.body.error.code]).toEqual([400, 'token_invalid']);
    const other = stripe.createCustomer();
    const r2 = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'pm_1NotAThing', gateway: gw.id, gateway_customer: other.id });
    expect([r2.status, r2.body.error.code]).toEqual([400, 'token_invalid']);
    // A card saved on another Stripe customer: an off-session charge with this customer would be refused.
    const owner = stripe.createCustomer();
    const theirs = stripe.attachPaymentMethod('pm_card_visa', owner.id as string).id as string;
    const r3 = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: theirs, gateway: gw.id, gateway_customer: other.id });
    expect([r3.status, r3.body.error.code]).toEqual([400, 'token_invalid']);
    expect((await ok(h, 'GET', `/v1/payment_methods?customer=${customer.id}`)).data).toEqual([]);
  });

  it('stores each decline class normalized: soft, hard with do_not_retry, fraud', async () => {
    const cases: [string, string, string, boolean, string][] = [
      ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'soft', false, 'insufficient_funds'],
      ['pm_card_visa_chargeDeclinedStolenCard', 'stolen_card', 'hard', true, 'stolen_card'],
      ['pm_card_chargeDeclinedFraudulent', 'fraudulent', 'fraud', true, 'fraudulent'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'hard', true, 'expired_card'],
      ['pm_card_chargeDeclinedProcessingError', 'processing_error', 'soft', false, 'processing_error'],
    ];
    for (const [card, code, category, doNotRetry, gatewayCode] of cases) {
      const { customer } = await customerWith(card, { saved: false });
      const { invoice, attempt } = await subscribe(customer.id);
      expect(attempt, card).toMatchObject({ status: 'failed', decline_code: code, decline_category: category, do_not_retry: doNotRetry, gateway_decline_code: gatewayCode });
      expect(attempt.gateway_charge_id, card).toMatch(/^pi_/);
      expect(await invoiceStatus(invoice.id)).toBe('open');
    }
  });

  it("reads the network's advice: a Mastercard 'never' makes a generic decline hard", async () => {
    stripe.definePaymentMethod('pm_card_mastercard_closedAccount', {
      type: 'card', card: { brand: 'mastercard', last4: '0341', exp_month: 12, exp_year: 2034, country: 'US', funding: 'credit' },
      behaviour: { kind: 'decline', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', network_decline_code: '05', network_advice_code: '03' },
    });
    const { customer } = await customerWith('pm_card_mastercard_closedAccount', { saved: false });
    const { attempt } = await subscribe(customer.id);
    expect(attempt).toMatchObject({ status: 'failed', decline_code: 'generic_decline', decline_category: 'hard', do_not_retry: true });
    expect(attempt.network_advice).not.toBeNull();
  });

  it('an off-session charge the issuer wants authenticated stays open with its PaymentIntent, charged nowhere else', async () => {
    const { customer } = await customerWith('pm_card_authenticationRequired', { saved: false });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt).toMatchObject({ status: 'requires_action', gateway_charge_id: expect.stringMatching(/^pi_/) });
    expect(await invoiceStatus(invoice.id)).toBe('open');
    h.clock.advanceMs(2000);
    expect(await recoverDue()).toBeGreaterThan(0);
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('requires_action');
    expect(intentsOf(attempt.id)).toHaveLength(1);
  });

  it('paying with another card cancels the PaymentIntent waiting for authentication, so only the new card is charged', async () => {
    const { customer } = await customerWith('pm_card_authenticationRequired', { saved: false });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt.status).toBe('requires_action');
    // Another card of the same customer, saved on Stripe.
    const cus = stripe.createCustomer();
    const token = stripe.attachPaymentMethod('pm_card_visa', cus.id as string).id as string;
    const other = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway: gw.id, gateway_customer: cus.id });
    const paid = await ok(h, 'POST', `/v1/invoices/${invoice.id}/pay`, { payment_method: other.id });
    expect(paid.status).toBe('paid');
    expect(intentsOf(attempt.id)).toMatchObject([{ id: attempt.gateway_charge_id, status: 'canceled', cancellation_reason: 'abandoned' }]);
    const payments = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    expect(payments.map((p: { status: string; decline_code: string | null }) => [p.status, p.decline_code])).toEqual([['succeeded', null], ['failed', 'authentication_required']]);
    expect(stripe.intents().filter((pi) => (pi.metadata as Record<string, string>).rebill_invoice === invoice.id && pi.status === 'succeeded')).toHaveLength(1);
  });

  it('a customer who completed authentication just before the invoice is paid again: Stripe refuses the cancel, the invoice is paid once', async () => {
    const { customer } = await customerWith('pm_card_authenticationRequired', { saved: false });
    const { invoice, attempt } = await subscribe(customer.id);
    // The customer comes back on-session and confirms that same PaymentIntent, with 3-D Secure.
    const sdk = new Stripe(fake.secretKey, { ...fake.sdkOptions, maxNetworkRetries: 0 });
    const confirmed = await sdk.paymentIntents.confirm(attempt.gateway_charge_id, { payment_method: 'pm_card_authenticationRequired', return_url: 'https://shop.example/back' });
    expect(confirmed.status).toBe('requires_action');
    stripe.authenticate(attempt.gateway_charge_id, true);
    const res = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invoice_not_open' });
    expect(await invoiceStatus(invoice.id)).toBe('paid');
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
    expect(intentsOf(attempt.id).map((pi) => pi.status)).toEqual(['succeeded']);
  });

  it('a lost answer: the attempt stays unknown, recovery finds the PaymentIntent by its metadata, one charge', async () => {
    const { customer } = await customerWith('pm_card_visa');
    // stripe-node retries a dropped connection once by itself, so both answers are lost.
    stripe.fault({ kind: 'lose', times: 2, method: 'POST', path: '/v1/payment_intents' });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt).toMatchObject({ status: 'unknown', gateway_charge_id: null });
    expect(intentsOf(attempt.id)).toHaveLength(1);
    const posts = stripe.intentCreations().length;
    h.clock.advanceMs(2000);
    expect(await recoverDue()).toBeGreaterThan(0);
    const settled = await ok(h, 'GET', `/v1/payments/${attempt.id}`);
    expect(settled).toMatchObject({ status: 'succeeded', gateway_charge_id: intentsOf(attempt.id)[0]!.id });
    expect(await invoiceStatus(invoice.id)).toBe('paid');
    // Found by search: nothing was sent again.
    expect(stripe.intentCreations().length).toBe(posts);
    expect(stripe.requests.some((r) => r.path === '/v1/payment_intents/search')).toBe(true);
    expect(intentsOf(attempt.id)).toHaveLength(1);
  });

  it("a lost decline: recovery reads the PaymentIntent's last_payment_error and fails the attempt normalized, charged once", async () => {
    const { customer } = await customerWith('pm_card_visa_chargeDeclinedInsufficientFunds', { saved: false });
    stripe.fault({ kind: 'lose', times: 2, method: 'POST', path: '/v1/payment_intents' });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt.status).toBe('unknown');
    h.clock.advanceMs(2000);
    expect(await recoverDue()).toBeGreaterThan(0);
    expect(await ok(h, 'GET', `/v1/payments/${attempt.id}`)).toMatchObject({
      status: 'failed', decline_code: 'insufficient_funds', decline_category: 'soft', gateway_decline_code: 'insufficient_funds', gateway_charge_id: intentsOf(attempt.id)[0]!.id,
    });
    expect(await invoiceStatus(invoice.id)).toBe('open');
    expect(intentsOf(attempt.id)).toHaveLength(1);
  });

  it('a lost answer while search lags (no Stripe customer to list by): recovery misses it, charges again with the same key, and Stripe replays the first charge', async () => {
    const { customer } = await customerWith('pm_card_visa', { saved: false });
    stripe.setSearchDelay(60 * 60 * 1000);
    try {
      stripe.fault({ kind: 'lose', times: 2, method: 'POST', path: '/v1/payment_intents' });
      const { invoice, attempt } = await subscribe(customer.id);
      expect(attempt.status).toBe('unknown');
      h.clock.advanceMs(2000);
      expect(await recoverDue()).toBeGreaterThan(0);
      expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
      expect(await invoiceStatus(invoice.id)).toBe('paid');
      const replay = stripe.intentCreations().at(-1)!;
      expect([replay.idempotencyKey, replay.replayed]).toEqual([`rebill:${h.accountId}:${attempt.id}`, true]);
      expect(intentsOf(attempt.id)).toHaveLength(1);
    } finally {
      stripe.setSearchDelay(0);
    }
  });

  it('a timeout after Stripe charged: unknown, then recovered to one charge', async () => {
    // A gateway whose adapter gives up after 300 ms (production waits 10 s).
    h.deps.gatewayFactories = { ...h.deps.gatewayFactories, stripe: stripeGatewayFactory({ timeoutMs: 300 }) };
    const quick = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe (short timeout)', api_base: fake.url, credentials: { secret_key: fake.secretKey } });
    const { customer } = await customerWith('pm_card_visa', { gateway: quick.id });
    stripe.fault({ kind: 'hangAfter', method: 'POST', path: '/v1/payment_intents' });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt.status).toBe('unknown');
    h.clock.advanceMs(2000);
    expect(await recoverDue()).toBeGreaterThan(0);
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
    expect(await invoiceStatus(invoice.id)).toBe('paid');
    expect(intentsOf(attempt.id)).toHaveLength(1);
  });

  it('a 5xx before any work: unknown, recovery finds nothing and charges again under the same key, once', async () => {
    const { customer } = await customerWith('pm_card_visa');
    stripe.fault({ kind: 'error', status: 500, method: 'POST', path: '/v1/payment_intents' });
    const { invoice, attempt } = await subscribe(customer.id);
    expect(attempt.status).toBe('unknown');
    expect(intentsOf(attempt.id)).toHaveLength(0);
    h.clock.advanceMs(2000);
    expect(await recoverDue()).toBeGreaterThan(0);
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
    expect(await invoiceStatus(invoice.id)).toBe('paid');
    expect(intentsOf(attempt.id)).toHaveLength(1);
    const keys = stripe.intentCreations().filter((r) => r.idempotencyKey === `rebill:${h.accountId}:${attempt.id}`);
    expect(keys.map((r) => r.outcome)).toEqual([500, 200]);
  });

  it('refunds a paid invoice once through a credit note, including when the answer is lost', async () => {
    const { customer } = await customerWith('pm_card_visa');
    const { invoice, attempt } = await subscribe(customer.id);
    const pi = attempt.gateway_charge_id as string;
    const first = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 500, refund_amount: 500 });
    const refund = await ok(h, 'GET', `/v1/refunds/${first.refund}`);
    expect(refund).toMatchObject({ status: 'succeeded', amount: 500 });
    const refundsAt = () => stripe.events('refund.created').map((e) => (e.data as { object: Record<string, unknown> }).object).filter((r) => r.payment_intent === pi);
    let made = refundsAt();
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ id: refund.gateway_refund_id, amount: 500, metadata: { rebill_refund: refund.id } });

    stripe.fault({ kind: 'lose', times: 2, method: 'POST', path: '/v1/refunds' });
    const second = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 300, refund_amount: 300 });
    expect((await ok(h, 'GET', `/v1/refunds/${second.refund}`)).status).toBe('unknown');
    h.clock.advanceMs(2000);
    expect(await recoverNextRefund(h.deps)).toBe(true);
    const recovered = await ok(h, 'GET', `/v1/refunds/${second.refund}`);
    expect(recovered.status).toBe('succeeded');
    made = refundsAt();
    expect(made.map((r) => r.amount).sort()).toEqual([300, 500]);
    expect(made.find((r) => r.amount === 300)).toMatchObject({ id: recovered.gateway_refund_id, metadata: { rebill_refund: recovered.id } });
  });

  it('a key Stripe refuses fails the attempt as a configuration problem, without quoting the key', async () => {
    const wrong = `sk_test_${'Z'.repeat(24)}WXYZ`;
    const bad = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe (key to be revoked)', api_base: fake.url, credentials: { secret_key: fake.secretKey } });
    const { customer } = await customerWith('pm_card_visa', { gateway: bad.id });
    // The merchant then saves a key Stripe does not know (a typo, a rolled key).
    await ok(h, 'POST', `/v1/gateways/${bad.id}`, { credentials: { secret_key: wrong } });
    const { attempt } = await subscribe(customer.id);
    expect(attempt).toMatchObject({ status: 'failed', decline_code: 'merchant_config_error', decline_category: 'config' });
    expect(attempt.failure_message).not.toContain('WXYZ');
    expect(JSON.stringify(attempt)).not.toContain('WXYZ');
  });

  it('never stores or logs the secret key in clear', async () => {
    const tail = fake.secretKey.slice(8);
    for (const table of ['gateways', 'audit_log', 'events', 'payment_attempts', 'refunds', 'idempotency_keys']) {
      const dump = await h.database.pool.query(`SELECT t::text AS row FROM ${table} t`);
      expect(dump.rows.map((r) => r.row).join('\n'), table).not.toContain(tail);
    }
    // Something was logged (the unanswered charges above), and none of it holds the key.
    expect(logged.join('').length).toBeGreaterThan(0);
    expect(logged.join('')).not.toContain(tail);
  });
});
