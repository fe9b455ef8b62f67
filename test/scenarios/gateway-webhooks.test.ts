import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { customHttpFactory } from '../../src/adapters/gateways/custom-http/adapter.ts';
import { drain } from '../../src/worker/worker.ts';
import { startExampleGateway, type ExampleOptions } from '../../examples/custom-gateway/server.ts';
import { eventsOf, firstInvoiceOf, monthlyPrice, ok } from '../builders.ts';
import { startFakeRazorpay } from '../fakes/razorpay/server.ts';
import { startFakeStripe } from '../fakes/stripe/server.ts';
import { harness, tableCounts, type Harness } from '../support.ts';

// Inbound gateway webhooks end to end: the local wire-format fakes sign and POST their events as
// the processors do, Rebill verifies and stores them, and its worker (drain) applies them.
const baseOf = (h: Harness) => `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;

/** POSTs raw bytes with the processor's headers, no API key. */
const post = (h: Harness, gatewayId: string, body: string, headers: Record<string, string>) =>
  h.call('POST', `/v1/gateway_webhooks/${gatewayId}`, body, { key: null, headers: { 'content-type': 'application/json', ...headers } });

async function paymentsOf(h: Harness, invoice: string) {
  return (await ok(h, 'GET', `/v1/payments?invoice=${invoice}`)).data as any[];
}

describe('Stripe webhooks', async () => {
  const h = await harness();
  const fake = await startFakeStripe({ now: () => h.clock.now().getTime() });
  afterAll(async () => { await fake.close(); });
  const stripe = fake.control;
  // A card whose charges answer `processing` and settle later, as a bank debit does.
  stripe.definePaymentMethod('pm_card_settlesLater', {
    type: 'card', card: { brand: 'visa', last4: '1881', exp_month: 12, exp_year: 2034, country: 'US', funding: 'debit' },
    behaviour: { kind: 'async', outcome: 'succeeded' },
  });
  const gw = await ok(h, 'POST', '/v1/gateways', {
    type: 'stripe', name: 'Stripe', api_base: fake.url, credentials: { secret_key: fake.secretKey, webhook_secret: fake.webhookSecret },
  });
  const url = `${baseOf(h)}/v1/gateway_webhooks/${gw.id}`;
  const price = await monthlyPrice(h, 1500);
  let n = 0;

  async function subscribe(card: string, hh: Harness = h, gateway: string = gw.id) {
    const customer = await ok(hh, 'POST', '/v1/customers', { email: `wh-${++n}@example.com` });
    const cus = stripe.createCustomer({ email: customer.email });
    const token = stripe.attachPaymentMethod(card, cus.id as string).id as string;
    await ok(hh, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway, gateway_customer: cus.id });
    const p = hh === h ? price : await monthlyPrice(hh, 1500);
    const sub = await ok(hh, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: p.id }] });
    const invoice = await firstInvoiceOf(hh, sub.id);
    const [attempt] = await paymentsOf(hh, invoice.id);
    return { customer, invoice, attempt };
  }
  const invoice = async (id: string) => await ok(h, 'GET', `/v1/invoices/${id}`);

  it('settles a processing charge when its verified payment_intent.succeeded arrives: the invoice paid once', async () => {
    const { invoice: inv, attempt } = await subscribe('pm_card_settlesLater');
    expect(attempt.status).toBe('processing');
    expect((await invoice(inv.id)).status).toBe('open');
    const event = stripe.settle(attempt.gateway_charge_id, 'succeeded');
    const first = await stripe.sendWebhook(url, event);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ received: 1, duplicates: 0 });
    await drain(h.deps);
    expect(await invoice(inv.id)).toMatchObject({ status: 'paid', amount_paid: 1500, amount_remaining: 0 });
    expect((await paymentsOf(h, inv.id)).map((p) => p.status)).toEqual(['succeeded']);
    expect((await eventsOf(h, 'invoice.paid')).filter((e) => e.data.object.id === inv.id)).toHaveLength(1);

    // The same event again (Stripe retries until it gets a 2xx): stored once, nothing moves.
    const before = await tableCounts(h);
    const again = await stripe.sendWebhook(url, event);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ received: 0, duplicates: 1 });
    await drain(h.deps);
    expect(await tableCounts(h)).toEqual(before);
  });

  it('the same event delivered five times at once is stored once, with one job, and settles the payment once', async () => {
    const { attempt, invoice: inv } = await subscribe('pm_card_settlesLater');
    const event = stripe.settle(attempt.gateway_charge_id, 'succeeded');
    const answers = await Promise.all(Array.from({ length: 5 }, () => stripe.sendWebhook(url, event)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => JSON.parse(a.body).received).sort()).toEqual([0, 0, 0, 0, 1]);
    const jobs = await h.deps.db.selectFrom('jobs').select('id').where('kind', '=', 'gateway_event.process').where('status', '=', 'ready').execute();
    expect(jobs).toHaveLength(1);
    await drain(h.deps);
    expect(await invoice(inv.id)).toMatchObject({ status: 'paid', amount_paid: 1500 });
  });

  it('refuses a forged signature and a stale timestamp with nothing written', async () => {
    const { attempt, invoice: inv } = await subscribe('pm_card_settlesLater');
    const event = stripe.settle(attempt.gateway_charge_id, 'succeeded');
    const before = await tableCounts(h);
    const forged = stripe.webhookFor(event, { secret: 'whsec_notTheEndpointsSecret123' });
    const r1 = await post(h, gw.id, forged.payload, { 'stripe-signature': forged.header });
    expect(r1.status).toBe(400);
    expect(r1.body.error).toMatchObject({ code: 'webhook_signature_invalid', param: 'signature' });
    const stale = stripe.webhookFor(event, { timestamp: Math.floor(h.clock.now().getTime() / 1000) - 301 });
    const r2 = await post(h, gw.id, stale.payload, { 'stripe-signature': stale.header });
    expect(r2.status).toBe(400);
    expect(r2.body.error.code).toBe('webhook_timestamp_stale');
    // A body changed after signing (an amount, say) no longer matches its signature.
    const signed = stripe.webhookFor(event);
    const r3 = await post(h, gw.id, signed.payload.replace('"succeeded"', '"failed"'), { 'stripe-signature': signed.header });
    expect(r3.body.error?.code).toBe('webhook_signature_invalid');
    const r4 = await post(h, gw.id, signed.payload, {});
    expect(r4.body.error?.code).toBe('webhook_signature_invalid');
    await drain(h.deps);
    expect(await tableCounts(h)).toEqual(before);
    expect((await invoice(inv.id)).status).toBe('open');
  });

  it('a payment_failed arriving after succeeded changes nothing: the invoice stays paid', async () => {
    const { attempt, invoice: inv } = await subscribe('pm_card_settlesLater');
    const succeeded = stripe.settle(attempt.gateway_charge_id, 'succeeded');
    const pi = succeeded.data.object as Record<string, unknown>;
    h.clock.advanceMs(1000);
    const failed = stripe.eventFor('payment_intent.payment_failed', {
      ...pi, status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    });
    await stripe.sendWebhook(url, succeeded);
    await drain(h.deps);
    expect((await stripe.sendWebhook(url, failed)).status).toBe(200);
    await drain(h.deps);
    expect(await invoice(inv.id)).toMatchObject({ status: 'paid', amount_paid: 1500 });
    expect((await paymentsOf(h, inv.id)).map((p) => [p.status, p.decline_code])).toEqual([['succeeded', null]]);
    const stored = await h.deps.db.selectFrom('gateway_events').select(['type', 'status']).where('account_id', '=', h.accountId)
      .where('type', '=', 'payment_intent.payment_failed').execute();
    expect(stored).toEqual([{ type: 'payment_intent.payment_failed', status: 'ignored' }]);
  });

  it('records a refund made in the Stripe dashboard on its payment, once, and counts it against later refunds', async () => {
    const { attempt, invoice: inv } = await subscribe('pm_card_visa');
    expect(attempt.status).toBe('succeeded');
    stripe.dashboardRefund(attempt.gateway_charge_id, { amount: 500 });
    const [created] = stripe.events('refund.created').slice(-1);
    const [chargeRefunded] = stripe.events('charge.refunded').slice(-1);
    await stripe.sendWebhook(url, created!);
    await stripe.sendWebhook(url, chargeRefunded!);
    await stripe.sendWebhook(url, created!);
    await drain(h.deps);
    const refunds = (await ok(h, 'GET', `/v1/refunds?invoice=${inv.id}`)).data;
    expect(refunds).toMatchObject([{ amount: 500, status: 'succeeded', origin: 'gateway', credit_note: null, payment: attempt.id, gateway: gw.id }]);
    expect((await eventsOf(h, 'refund.succeeded')).filter((e) => e.data.object.invoice === inv.id)).toHaveLength(1);
    // 1500 paid, 500 already back by the dashboard: a credit note cannot refund 1500 more.
    const refused = await h.call('POST', '/v1/credit_notes', { invoice: inv.id, amount: 1500, refund_amount: 1500 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('refund_exceeds_payment');
    // A refund Rebill makes is settled by its own answer; its webhook later records nothing more.
    await ok(h, 'POST', '/v1/credit_notes', { invoice: inv.id, amount: 1000, refund_amount: 1000 });
    const [own] = stripe.events('refund.created').slice(-1);
    await stripe.sendWebhook(url, own!);
    await drain(h.deps);
    const after = (await ok(h, 'GET', `/v1/refunds?invoice=${inv.id}`)).data;
    expect(after.map((r: any) => [r.origin, r.amount, r.status])).toEqual([['rebill', 1000, 'succeeded'], ['gateway', 500, 'succeeded']]);
  });

  it('a dispute created, updated and closed: events, marks on the invoice and customer, and a late update ignored', async () => {
    const { attempt, invoice: inv, customer } = await subscribe('pm_card_visa');
    const created = stripe.dispute(attempt.gateway_charge_id, { reason: 'fraudulent' });
    await stripe.sendWebhook(url, created);
    await drain(h.deps);
    const [d] = (await ok(h, 'GET', `/v1/disputes?invoice=${inv.id}`)).data;
    expect(d).toMatchObject({ status: 'needs_response', amount: 1500, currency: 'usd', reason: 'fraudulent', payment: attempt.id, customer: customer.id, closed: null });
    expect((await invoice(inv.id)).disputed).toBe(true);
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ disputed: true, open_disputes: 1 });

    h.clock.advanceMs(1000);
    const updated = stripe.updateDispute((created.data.object as { id: string }).id, 'under_review');
    h.clock.advanceMs(1000);
    const closed = stripe.updateDispute((created.data.object as { id: string }).id, 'won');
    // The close arrives first; the older update after it must not reopen the dispute.
    await stripe.sendWebhook(url, closed);
    await drain(h.deps);
    await stripe.sendWebhook(url, updated);
    await drain(h.deps);
    expect(await ok(h, 'GET', `/v1/disputes/${d.id}`)).toMatchObject({ status: 'won', gateway_status: 'won' });
    expect((await invoice(inv.id)).disputed).toBe(false);
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ disputed: false, open_disputes: 0 });
    const mine = async (type: string) => (await eventsOf(h, type)).filter((e) => e.data.object.id === d.id);
    expect(await mine('dispute.created')).toHaveLength(1);
    expect(await mine('dispute.closed')).toHaveLength(1);
    expect(await mine('dispute.updated')).toHaveLength(0);
    expect((await ok(h, 'GET', '/v1/disputes?status=won')).data.map((x: any) => x.id)).toContain(d.id);
  });

  it('a dispute updated in order moves through under_review', async () => {
    const { attempt, invoice: inv } = await subscribe('pm_card_visa');
    const created = stripe.dispute(attempt.gateway_charge_id);
    const id = (created.data.object as { id: string }).id;
    await stripe.sendWebhook(url, created);
    h.clock.advanceMs(1000);
    await stripe.sendWebhook(url, stripe.updateDispute(id, 'under_review'));
    await drain(h.deps);
    const [d] = (await ok(h, 'GET', `/v1/disputes?invoice=${inv.id}`)).data;
    expect(d.status).toBe('under_review');
    expect((await eventsOf(h, 'dispute.updated')).filter((e) => e.data.object.id === d.id)).toHaveLength(1);
    expect((await invoice(inv.id)).disputed).toBe(true);
  });

  it("unknown, inactive or built-in gateway ids are 404 with nothing written; another account's gateway touches only its own account", async () => {
    const { attempt, invoice: inv } = await subscribe('pm_card_settlesLater');
    const event = stripe.settle(attempt.gateway_charge_id, 'succeeded');
    const signed = stripe.webhookFor(event);
    const before = await tableCounts(h);
    for (const id of ['gw_doesnotexist', 'sandbox']) {
      const r = await post(h, id, signed.payload, { 'stripe-signature': signed.header });
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'resource_missing', param: 'gateway_id' });
    }
    const off = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Old', api_base: fake.url, credentials: { secret_key: fake.secretKey, webhook_secret: fake.webhookSecret } });
    await ok(h, 'POST', `/v1/gateways/${off.id}`, { active: false });
    const counted = await tableCounts(h);
    expect((await post(h, off.id, signed.payload, { 'stripe-signature': signed.header })).status).toBe(404);
    expect(await tableCounts(h)).toEqual(counted);

    // Account B connected the same Stripe account (same webhook secret): A's event sent to B's
    // gateway is verified, stored for B, and finds nothing of B's to change.
    const other = await createAccount(h.database.db, 'Other merchant');
    const hB: Harness = { ...h, accountId: other.account.id, key: other.key.secret,
      call: (m, u, b, o = {}) => h.call(m, u, b, { key: other.key.secret, ...o }) };
    const gwB = await ok(hB, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe', api_base: fake.url, credentials: { secret_key: fake.secretKey, webhook_secret: fake.webhookSecret } });
    const r = await post(h, gwB.id, signed.payload, { 'stripe-signature': signed.header });
    expect(r.status).toBe(200);
    await drain(h.deps);
    expect((await invoice(inv.id)).status).toBe('open');
    const stored = await h.deps.db.selectFrom('gateway_events').select(['account_id', 'status']).where('gateway', '=', gwB.id).execute();
    expect(stored).toEqual([{ account_id: other.account.id, status: 'unmatched' }]);
    // B's key cannot read A's disputes or events either.
    expect((await hB.call('GET', `/v1/disputes?invoice=${inv.id}`)).body.data).toEqual([]);
    expect(before.gateway_events).toBeGreaterThan(0);
  });
});

describe('Razorpay webhooks', async () => {
  const h = await harness();
  const fake = await startFakeRazorpay({ now: () => h.clock.now().getTime() });
  afterAll(async () => { await fake.close(); });
  const rzp = fake.control;
  const gw = await ok(h, 'POST', '/v1/gateways', {
    type: 'razorpay', name: 'Razorpay', api_base: fake.url, credentials: { key_id: fake.keyId, key_secret: fake.keySecret, webhook_secret: fake.webhookSecret },
  });
  const price = await monthlyPrice(h, 49900, 'inr');
  const send = (w: { body: string; headers: Record<string, string> }) => post(h, gw.id, w.body, w.headers);
  let n = 0;

  async function subscribe(token: string) {
    const customer = await ok(h, 'POST', '/v1/customers', { email: `${token}-${++n}@example.com` });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway: gw.id, gateway_customer: 'cust_DitrYCFtCIokBO' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const [attempt] = await paymentsOf(h, invoice.id);
    return { customer, invoice, attempt };
  }

  it('settles an e-mandate payment left `created` when its payment.captured webhook arrives, once', async () => {
    const { attempt, invoice } = await subscribe('token_processing');
    expect(attempt.status).toBe('processing');
    rzp.setWebhookUrl(`${baseOf(h)}/v1/gateway_webhooks/${gw.id}`);
    rzp.settlePayment(attempt.gateway_charge_id, 'succeeded');
    await rzp.flushWebhooks();
    rzp.setWebhookUrl(null);
    expect(rzp.deliveries().every((d) => d.status === 200)).toBe(true);
    await drain(h.deps);
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amount_paid: 49900 });
    // A replay of the captured event (same X-Razorpay-Event-Id) is stored once and changes nothing.
    const captured = rzp.webhooks().find((w) => w.event === 'payment.captured')!;
    const before = await tableCounts(h);
    expect((await send(captured)).body).toMatchObject({ received: 0, duplicates: 1 });
    await drain(h.deps);
    expect(await tableCounts(h)).toEqual(before);
  });

  it('a payment.captured after Rebill recorded the payment failed (a late authorisation) is not applied, and is put on the audit trail', async () => {
    const { attempt, invoice } = await subscribe('token_insufficient_funds');
    expect(attempt.status).toBe('failed');
    rzp.lateAuthorize(attempt.gateway_charge_id);
    const captured = rzp.webhooks().filter((w) => w.event === 'payment.captured').at(-1)!;
    expect((await send(captured)).status).toBe(200);
    await drain(h.deps);
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('open');
    expect((await paymentsOf(h, invoice.id)).map((p) => p.status)).toEqual(['failed']);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${attempt.id}`)).data.map((a: any) => a.action);
    expect(audit).toContain('payment.late_success');
  });

  it('refuses a forged signature and an event created too long ago, writing nothing', async () => {
    const { attempt } = await subscribe('token_processing');
    rzp.settlePayment(attempt.gateway_charge_id, 'succeeded');
    const w = rzp.webhookFor('payment.captured', attempt.gateway_charge_id);
    const before = await tableCounts(h);
    const forged = await send({ body: w.body, headers: { ...w.headers, 'x-razorpay-signature': 'f'.repeat(64) } });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('webhook_signature_invalid');
    h.clock.advanceMs(301_000);
    const stale = await send(w);
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe('webhook_timestamp_stale');
    expect(await tableCounts(h)).toEqual(before);
  });

  it('records a dashboard refund and a dispute that is lost', async () => {
    const { attempt, invoice, customer } = await subscribe('token_success');
    const refund = rzp.dashboardRefund(attempt.gateway_charge_id, { amount: 10000 });
    expect((await send(rzp.webhookFor('refund.processed', refund.id))).status).toBe(200);
    const dispute = rzp.dispute(attempt.gateway_charge_id, { amount: 39900 });
    await send(rzp.webhookFor('payment.dispute.created', dispute.id));
    await drain(h.deps);
    expect((await ok(h, 'GET', `/v1/refunds?invoice=${invoice.id}`)).data).toMatchObject([{ amount: 10000, origin: 'gateway', status: 'succeeded' }]);
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ open_disputes: 1 });
    h.clock.advanceMs(2000);
    rzp.resolveDispute(dispute.id, 'lost');
    await send(rzp.webhookFor('payment.dispute.lost', dispute.id));
    await drain(h.deps);
    expect((await ok(h, 'GET', `/v1/disputes?customer=${customer.id}`)).data).toMatchObject([{ status: 'lost', amount: 39900, currency: 'inr', gateway_dispute_id: dispute.id }]);
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ open_disputes: 0, disputed: false });
  });
});

describe('custom gateway webhooks', async () => {
  const h = await harness();
  // Both sides sign and check freshness on Rebill's clock here, so the service and Rebill agree on "now".
  h.deps.gatewayFactories = { ...h.deps.gatewayFactories, custom_http: customHttpFactory({ timeoutMs: 1000, policy: h.deps.webhooks!.policy, now: () => h.clock.now() }) };
  const opts: ExampleOptions = { apiKey: 'key_live_example_0123456789', signingSecret: 'sign_example_abcdefghijklmnop', now: () => h.clock.now() };
  const service = await startExampleGateway(opts);
  afterAll(async () => { await service.close(); });
  const gw = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Own', api_base: service.url, credentials: { api_key: opts.apiKey, signing_secret: opts.signingSecret } });
  // The service learns Rebill's endpoint for this gateway once the gateway exists.
  opts.webhookUrl = `${baseOf(h)}/v1/gateway_webhooks/${gw.id}`;
  const price = await monthlyPrice(h, 1500, 'eur');

  it('a processing debit that clears is settled by the signed charge.succeeded webhook', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'debit@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'card_processing', gateway: gw.id, gateway_customer: 'cust_1' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const [attempt] = await paymentsOf(h, invoice.id);
    expect(attempt.status).toBe('processing');
    await service.settle(attempt.gateway_charge_id, 'succeeded');
    await drain(h.deps);
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amount_paid: 1500 });
    const stored = await h.deps.db.selectFrom('gateway_events').select(['type', 'status']).where('gateway', '=', gw.id).execute();
    expect(stored).toContainEqual({ type: 'charge.succeeded', status: 'applied' });
  });

  it('refuses a webhook signed with another secret', async () => {
    const { signRequest } = await import('../../src/domain/gateway-signature.ts');
    const body = JSON.stringify({ id: 'evt_x', type: 'charge.succeeded', created: Math.floor(h.clock.now().getTime() / 1000), data: { id: 'ch_x', status: 'succeeded', reference: 'pay_x' } });
    const path = `/v1/gateway_webhooks/${gw.id}`;
    const bad = await post(h, gw.id, body, { 'rebill-signature': signRequest('another_secret_0123', h.clock.now(), { method: 'POST', path, body }) });
    expect(bad.body.error.code).toBe('webhook_signature_invalid');
    const good = await post(h, gw.id, body, { 'rebill-signature': signRequest(opts.signingSecret, h.clock.now(), { method: 'POST', path, body }) });
    expect(good.body).toMatchObject({ received: 1, duplicates: 0 });
  });
});
