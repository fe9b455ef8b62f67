import { afterAll, describe, expect, it } from 'vitest';
import { razorpayFactory } from '../../src/adapters/gateways/razorpay/adapter.ts';
import { stripeGatewayFactory } from '../../src/adapters/gateways/stripe/adapter.ts';
import { processNextDue } from '../../src/app/billing/process-due.ts';
import { recoverNextAttempt } from '../../src/app/payments/recover.ts';
import { eventsOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { startFakeRazorpay } from '../fakes/razorpay/server.ts';
import { startFakeStripe } from '../fakes/stripe/server.ts';
import { harness } from '../support.ts';

// Failover between gateways (issue 16, point 6): renewals charged through the official `stripe` SDK
// against test/fakes/stripe, with a backup method on Razorpay (official SDK, test/fakes/razorpay).
describe('failover from Stripe to a backup method on Razorpay', async () => {
  const stripeFake = await startFakeStripe();
  const rzpFake = await startFakeRazorpay();
  afterAll(async () => { await stripeFake.close(); await rzpFake.close(); });
  const stripe = stripeFake.control;
  const RECOVERY_MS = 1000;
  const h = await harness({ recoveryDelayMs: RECOVERY_MS });
  h.deps.gatewayFactories = { ...h.deps.gatewayFactories, stripe: stripeGatewayFactory({ timeoutMs: 500 }), razorpay: razorpayFactory({ timeoutMs: 500 }) };
  const onStripe = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe', api_base: stripeFake.url, credentials: { secret_key: stripeFake.secretKey } });
  const onRzp = await ok(h, 'POST', '/v1/gateways', {
    type: 'razorpay', name: 'Razorpay', api_base: rzpFake.url, credentials: { key_id: rzpFake.keyId, key_secret: rzpFake.keySecret, webhook_secret: rzpFake.webhookSecret },
  });
  // Razorpay's recurring payments take INR only; Stripe takes it too, so one invoice can go either way.
  const price = await monthlyPrice(h, 49900, 'inr');

  let n = 0;
  /**
   * A customer whose default card is on Stripe (saved on a Stripe customer, or a bare test
   * PaymentMethod for cards that decline) and, unless `backup` is false, a backup token on Razorpay.
   * Subscribed with a one-day trial: the first charge is the renewal that ends the trial.
   */
  async function renewalOf(card: string, opts: { saved?: boolean; backup?: string | false } = {}) {
    const customer = await ok(h, 'POST', '/v1/customers', { email: `failover-${++n}@example.com` });
    const cus = opts.saved === false ? null : stripe.createCustomer({ email: customer.email });
    const token = cus ? stripe.attachPaymentMethod(card, cus.id as string).id as string : card;
    const main = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway: onStripe.id, ...(cus ? { gateway_customer: cus.id } : {}) });
    const backup = opts.backup === false ? null : await ok(h, 'POST', '/v1/payment_methods', {
      customer: customer.id, token: opts.backup ?? 'token_success', gateway: onRzp.id, gateway_customer: 'cust_DitrYCFtCIokBO', set_default: false,
    });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 1 });
    h.clock.advanceMs(2 * 86_400_000);
    while (await processNextDue(h.deps) > 0);
    const renewal = (await invoicesOf(h, sub.id)).find((i) => i.billing_reason === 'subscription_cycle')!;
    return { customer, sub, main, backup, renewal };
  }
  const attemptsOf = async (invoice: string) => (await ok(h, 'GET', `/v1/payments?invoice=${invoice}&limit=100`)).data.slice()
    .sort((a: { created: string; id: string }, b: { created: string; id: string }) => a.id.localeCompare(b.id));
  /** Money actually taken for an invoice, as each processor's books show it. */
  const stripeCharges = (invoice: string) => stripe.intents().filter((pi) => (pi.metadata as Record<string, string>).rebill_invoice === invoice && pi.status === 'succeeded');
  const rzpCharges = (invoice: string) => {
    const orders = new Set(rzpFake.control.orders().filter((o) => (o.notes as Record<string, string>).rebill_invoice === invoice).map((o) => o.id));
    return rzpFake.control.payments().filter((p) => orders.has(p.order_id) && p.status === 'captured');
  };
  const recoverAfterDelay = async () => {
    h.clock.advanceMs(RECOVERY_MS + 1);
    let k = 0;
    while (await recoverNextAttempt(h.deps)) k++;
    return k;
  };
  const invoiceStatus = async (id: string) => (await ok(h, 'GET', `/v1/invoices/${id}`)).status;

  it('a 5xx on Stripe: unknown until recovery proves Stripe never saw it, then one charge on Razorpay, the invoice paid', async () => {
    stripe.fault({ kind: 'error', status: 500, method: 'POST', path: '/v1/payment_intents' });
    const { sub, renewal, backup } = await renewalOf('pm_card_visa');
    const [first] = await attemptsOf(renewal.id);
    expect(first).toMatchObject({ status: 'unknown', gateway: onStripe.id });
    // Not before recovery: nothing has moved yet.
    expect(rzpCharges(renewal.id)).toEqual([]);
    expect(await recoverAfterDelay()).toBeGreaterThan(0);
    const attempts = await attemptsOf(renewal.id);
    expect(attempts).toMatchObject([
      { id: first.id, status: 'failed', gateway: onStripe.id, decline_code: 'processing_error', decline_category: 'soft', gateway_decline_code: 'gateway_unreachable', failover_of: null },
      { status: 'succeeded', gateway: onRzp.id, payment_method: backup.id, failover_of: first.id, currency: 'inr', amount: 49900 },
    ]);
    expect(attempts[1].id).not.toBe(first.id);
    expect(await invoiceStatus(renewal.id)).toBe('paid');
    expect([stripeCharges(renewal.id).length, rzpCharges(renewal.id).length]).toEqual([0, 1]);
    // Razorpay was asked under the new attempt's own reference, as attempt number 2.
    expect(rzpFake.control.orders().filter((o) => o.receipt === attempts[1].id)).toMatchObject([{ notes: { rebill_attempt_number: '2' } }]);
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    // Both attempts show in events and audit; the invoice never reported a failed payment.
    const failed = (await eventsOf(h, 'payment.failed')).find((e) => e.data.object.id === first.id)!;
    expect(failed.data).toMatchObject({ failover: attempts[1].id });
    expect((await eventsOf(h, 'payment.succeeded')).some((e) => e.data.object.id === attempts[1].id)).toBe(true);
    expect((await eventsOf(h, 'invoice.payment_failed')).some((e) => e.data.object.id === renewal.id)).toBe(false);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${attempts[1].id}&limit=100`)).data.map((a: { action: string }) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['payment.failover', 'payment.created', 'payment.succeeded']));
  });

  it('a processing_error decline on Stripe hops at once to Razorpay: one charge in total, the invoice paid', async () => {
    const { renewal, backup } = await renewalOf('pm_card_chargeDeclinedProcessingError', { saved: false });
    const attempts = await attemptsOf(renewal.id);
    expect(attempts).toMatchObject([
      { status: 'failed', gateway: onStripe.id, decline_code: 'processing_error', gateway_decline_code: 'processing_error', do_not_retry: false },
      { status: 'succeeded', gateway: onRzp.id, payment_method: backup.id, failover_of: attempts[0].id },
    ]);
    expect(await invoiceStatus(renewal.id)).toBe('paid');
    expect([stripeCharges(renewal.id).length, rzpCharges(renewal.id).length]).toEqual([0, 1]);
  });

  it('a hard decline never fails over: flagged do_not_retry, Razorpay never asked', async () => {
    const before = rzpFake.control.paymentRequests();
    const { renewal } = await renewalOf('pm_card_visa_chargeDeclinedStolenCard', { saved: false });
    expect(await attemptsOf(renewal.id)).toMatchObject([{ status: 'failed', gateway: onStripe.id, decline_code: 'stolen_card', decline_category: 'hard', do_not_retry: true, failover_of: null }]);
    expect(rzpFake.control.paymentRequests()).toBe(before);
    expect(await invoiceStatus(renewal.id)).toBe('open');
    expect(await recoverAfterDelay()).toBe(0);
    expect(await attemptsOf(renewal.id)).toHaveLength(1);
  });

  /** Stripe made the charge but Rebill never got the answer: recovery must find it there, and nothing moves. */
  async function foundWhereItWas(fault: Parameters<typeof stripe.fault>[0]) {
    stripe.fault(fault);
    const { renewal } = await renewalOf('pm_card_visa');
    expect((await attemptsOf(renewal.id)).map((a: { status: string }) => a.status)).toEqual(['unknown']);
    await recoverAfterDelay();
    expect(await attemptsOf(renewal.id)).toMatchObject([{ status: 'succeeded', gateway: onStripe.id, failover_of: null }]);
    expect(await invoiceStatus(renewal.id)).toBe('paid');
    expect([stripeCharges(renewal.id).length, rzpCharges(renewal.id).length]).toEqual([1, 0]);
  }

  it('a 5xx after Stripe saved the charge: recovery finds it, no failover, one charge, even while search lags', async () => {
    // Search misses the charge for an hour; the lookup lists the Stripe customer's PaymentIntents instead.
    stripe.setSearchDelay(60 * 60 * 1000);
    try {
      await foundWhereItWas({ kind: 'errorAfter', status: 500, method: 'POST', path: '/v1/payment_intents' });
    } finally {
      stripe.setSearchDelay(0);
    }
  });

  it('the same with the answer lost after Stripe charged: recovery finds it, no failover', async () => {
    await foundWhereItWas({ kind: 'lose', times: 2, method: 'POST', path: '/v1/payment_intents' });
  });

  it('no ping-pong: when the backup fails on its own side too, the charge does not go back to Stripe', async () => {
    const { renewal } = await renewalOf('pm_card_chargeDeclinedProcessingError', { saved: false, backup: 'token_gateway_error' });
    const attempts = await attemptsOf(renewal.id);
    expect(attempts).toMatchObject([
      { status: 'failed', gateway: onStripe.id, decline_code: 'processing_error' },
      { status: 'failed', gateway: onRzp.id, decline_code: 'processing_error', failover_of: attempts[0].id },
    ]);
    expect(await invoiceStatus(renewal.id)).toBe('open');
    expect(stripe.intents().filter((pi) => (pi.metadata as Record<string, string>).rebill_invoice === renewal.id)).toHaveLength(1);
    expect((await eventsOf(h, 'invoice.payment_failed')).filter((e) => e.data.object.id === renewal.id)).toHaveLength(1);
  });

  it('without a method on another gateway, a processing error and a 5xx behave as before: no new attempt', async () => {
    const { renewal } = await renewalOf('pm_card_chargeDeclinedProcessingError', { saved: false, backup: false });
    expect(await attemptsOf(renewal.id)).toMatchObject([{ status: 'failed', decline_code: 'processing_error', failover_of: null }]);
    stripe.fault({ kind: 'error', status: 500, method: 'POST', path: '/v1/payment_intents' });
    const second = await renewalOf('pm_card_visa', { backup: false });
    await recoverAfterDelay();
    // Recovery sent it again under the same key, to Stripe: one attempt, one charge.
    expect(await attemptsOf(second.renewal.id)).toMatchObject([{ status: 'succeeded', gateway: onStripe.id }]);
    expect(stripeCharges(second.renewal.id)).toHaveLength(1);
  });
});
