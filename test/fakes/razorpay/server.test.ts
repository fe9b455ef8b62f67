import type Razorpay from 'razorpay';
import { validatePaymentVerification } from 'razorpay/dist/utils/razorpay-utils.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isRazorpayHttpError, razorpayClient } from '../../../src/adapters/gateways/razorpay/sdk.ts';
import { startFakeRazorpay, type FakeRazorpay } from './server.ts';
import { charge as chargeWith, customer, fail, fakeAndClient, payOrder } from './sdk-helpers.ts';

let fake: FakeRazorpay;
let rzp: Razorpay;
beforeEach(async () => { ({ fake, rzp } = await fakeAndClient()); });
afterEach(async () => { await fake.close(); });

const events = () => fake.control.webhooks().map((w) => w.event);
const charge = (token: string, o?: Parameters<typeof chargeWith>[2]) => chargeWith(rzp, token, o);

describe('orders and recurring payments through the official SDK', () => {
  it('charges a saved token: signed answer, captured payment, paid order, webhooks in order', async () => {
    const { order, pay } = await charge('token_success');
    expect(order).toMatchObject({ entity: 'order', amount: 49900, amount_due: 49900, status: 'created', receipt: 'inv_1', attempts: 0 });
    const res = await pay();
    expect(res.orderId).toBe(order.id);
    expect(validatePaymentVerification({ order_id: order.id, payment_id: res.paymentId }, res.signature, fake.keySecret)).toBe(true);
    const p = await rzp.payments.fetch(res.paymentId);
    expect(p).toMatchObject({ status: 'captured', captured: true, amount: 49900, currency: 'INR', order_id: order.id, method: 'card',
      token_id: 'token_success', customer_id: customer, notes: { rebill_attempt: 'att_1' }, error_code: null, error_reason: null });
    expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid', amount_paid: 49900, amount_due: 0, attempts: 1 });
    expect(events()).toEqual(['payment.authorized', 'payment.captured', 'order.paid']);
  });

  it.each([
    ['token_insufficient_funds', 400, 'BAD_REQUEST_ERROR', 'insufficient_funds', 'customer'],
    ['token_card_expired', 400, 'BAD_REQUEST_ERROR', 'card_expired', 'customer'],
    ['token_card_declined', 400, 'BAD_REQUEST_ERROR', 'card_declined', 'bank'],
    ['token_stolen', 400, 'BAD_REQUEST_ERROR', 'debit_instrument_blocked', 'bank'],
    ['token_gateway_error', 502, 'GATEWAY_ERROR', 'gateway_technical_error', 'gateway'],
  ])('%s: refused with Razorpay\'s error body; the payment is failed and the order can be paid again', async (token, status, code, reason, source) => {
    const { order, pay } = await charge(token);
    const err = await fail(pay());
    expect(isRazorpayHttpError(err)).toBe(true);
    expect(err).toMatchObject({ statusCode: status, error: { code, reason, source, step: 'payment_authorization', field: null } });
    const paymentId = (err as { error: { metadata: { payment_id: string } } }).error.metadata.payment_id;
    expect(await rzp.payments.fetch(paymentId)).toMatchObject({ status: 'failed', error_code: code, error_reason: reason, error_source: source });
    expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'attempted', attempts: 1 });
    expect(events()).toEqual(['payment.failed']);
    expect((await payOrder(rzp, order, 'token_success')).orderId).toBe(order.id);
  });

  it('leaves an e-mandate payment created until the bank settles it, then captures it with its webhook', async () => {
    const { order, pay } = await charge('token_processing');
    const res = await pay();
    expect(await rzp.payments.fetch(res.paymentId)).toMatchObject({ status: 'created', method: 'emandate', bank: 'HDFC' });
    expect(events()).toEqual([]);
    fake.control.settlePayment(res.paymentId, 'succeeded');
    expect(await rzp.payments.fetch(res.paymentId)).toMatchObject({ status: 'captured' });
    expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid' });
    expect(events()).toEqual(['payment.authorized', 'payment.captured', 'order.paid']);
  });

  it('fails a settled e-mandate payment with the reason given', async () => {
    const { pay } = await charge('token_processing');
    const res = await pay();
    fake.control.settlePayment(res.paymentId, 'insufficient_funds');
    expect(await rzp.payments.fetch(res.paymentId)).toMatchObject({ status: 'failed', error_reason: 'insufficient_funds' });
    expect(events()).toEqual(['payment.failed']);
  });

  it('authorises without capturing when the order says payment_capture: false; capture finishes it', async () => {
    const { pay } = await charge('token_success', { capture: false });
    const res = await pay();
    expect(await rzp.payments.fetch(res.paymentId)).toMatchObject({ status: 'authorized', captured: false });
    const captured = await rzp.payments.capture(res.paymentId, 49900, 'INR');
    expect(captured).toMatchObject({ status: 'captured', captured: true });
    expect(await fail(rzp.payments.capture(res.paymentId, 49900, 'INR'))).toMatchObject({ statusCode: 400 });
  });

  it('captures only one of two payments authorised on the same order', async () => {
    const { order, pay } = await charge('token_success', { capture: false });
    const first = await pay();
    const second = await pay();
    await rzp.payments.capture(first.paymentId, 49900, 'INR');
    expect(await fail(rzp.payments.capture(second.paymentId, 49900, 'INR'))).toMatchObject({ statusCode: 400, error: { field: 'order_id' } });
    expect((await rzp.orders.fetchPayments(order.id)).items.map((p) => p.status).sort()).toEqual(['authorized', 'captured']);
  });

  it('late authorisation: a failed payment turns captured, after its payment.failed webhook', async () => {
    const { order, pay } = await charge('token_insufficient_funds');
    const err = await fail(pay()) as { error: { metadata: { payment_id: string } } };
    fake.control.lateAuthorize(err.error.metadata.payment_id);
    expect(await rzp.payments.fetch(err.error.metadata.payment_id)).toMatchObject({ status: 'captured', error_reason: null });
    expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid' });
    expect(events()).toEqual(['payment.failed', 'payment.authorized', 'payment.captured', 'order.paid']);
  });

  it('refuses a second payment on a paid order and a payment of another amount', async () => {
    const { order, pay } = await charge('token_success');
    await pay();
    expect(await fail(pay())).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', field: 'order_id' } });
    const other = await rzp.orders.create({ amount: 1000, currency: 'INR', receipt: 'inv_2' });
    expect(await fail(payOrder(rzp, { id: other.id, amount: 999 }, 'token_success'))).toMatchObject({ statusCode: 400, error: { field: 'amount', reason: 'input_validation_failed' } });
    expect(fake.control.payments().filter((p) => p.order_id === order.id)).toHaveLength(1);
  });

  it('refuses bad credentials, unknown parameters and ids with Razorpay\'s error bodies', async () => {
    const bad = razorpayClient({ keyId: fake.keyId, keySecret: 'nope', apiBase: fake.url });
    expect(await fail(bad.orders.create({ amount: 1000, currency: 'INR' })))
      .toEqual({ statusCode: 401, error: { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' } });
    expect(await fail(rzp.orders.create({ amount: 1000, currency: 'INR', reciept: 'typo' } as never)))
      .toMatchObject({ statusCode: 400, error: { field: 'reciept', description: 'reciept is/are not required and should not be sent' } });
    expect(await fail(rzp.orders.create({ amount: 50, currency: 'INR' }))).toMatchObject({ statusCode: 400, error: { field: 'amount' } });
    expect(await fail(rzp.payments.fetch('pay_doesnotexist00'))).toMatchObject({ statusCode: 400, error: { description: 'The id provided does not exist' } });
    expect(fake.control.orders()).toHaveLength(0);
  });

  it('shows a saved token\'s card (network, last4, expiry) and never its number', async () => {
    const t = await rzp.customers.fetchToken(customer, 'token_card_expired');
    expect(t).toMatchObject({ id: 'token_card_expired', entity: 'token', method: 'card', recurring: true,
      card: { network: 'Visa', last4: '0069', expiry_month: 1, expiry_year: 2020 } });
    const all = await rzp.customers.fetchTokens(customer);
    expect(all.items.map((x) => x.id)).toContain('token_success');
  });
});

describe('options', () => {
  it('stamps created_at from an injected clock and takes other credentials and currencies', async () => {
    const at = Date.UTC(2030, 0, 31, 12);
    const other = await startFakeRazorpay({ now: () => at, keyId: 'rzp_test_rebill', keySecret: 'secret', currencies: ['INR', 'USD'] });
    try {
      const client = razorpayClient({ keyId: 'rzp_test_rebill', keySecret: 'secret', apiBase: other.url });
      const order = await client.orders.create({ amount: 1000, currency: 'USD', receipt: 'usd' });
      expect(order).toMatchObject({ currency: 'USD', created_at: at / 1000 });
      expect(await fail(client.orders.create({ amount: 1000, currency: 'EUR' }))).toMatchObject({ statusCode: 400, error: { field: 'currency' } });
    } finally { await other.close(); }
  });
});

describe('lost answers, 5xx and timeouts', () => {
  it('a lost response still charged once: the payment is found through the order looked up by receipt', async () => {
    fake.control.inject({ kind: 'lose', path: '/v1/payments/create/recurring' });
    const { order, pay } = await charge('token_success', { receipt: 'rebill_att_42' });
    const err = await fail(pay());
    expect(isRazorpayHttpError(err)).toBe(false);
    const found = await rzp.orders.all({ receipt: 'rebill_att_42' });
    expect(found.items.map((o) => o.id)).toEqual([order.id]);
    const payments = await rzp.orders.fetchPayments(order.id);
    expect(payments.items).toHaveLength(1);
    expect(payments.items[0]).toMatchObject({ status: 'captured', amount: 49900 });
    expect(await fail(pay())).toMatchObject({ statusCode: 400 });
    expect(fake.control.payments().filter((p) => p.captured)).toHaveLength(1);
    expect(fake.control.paymentRequests()).toBe(2);
  });

  it('a 5xx answers before anything is done; the next request works', async () => {
    fake.control.inject({ kind: 'fail', status: 503, path: '/v1/payments/' });
    const { order, pay } = await charge('token_success');
    expect(await fail(pay())).toMatchObject({ statusCode: 503, error: { code: 'SERVER_ERROR' } });
    expect((await rzp.orders.fetchPayments(order.id)).items).toHaveLength(0);
    fake.control.inject({ kind: 'fail', status: 502, html: true });
    expect(await fail(pay())).toEqual({ statusCode: 502, error: undefined });
    await pay();
    expect(fake.control.payments()).toHaveLength(1);
  });

  it('a request that hangs times out and charges nothing', async () => {
    fake.control.inject({ kind: 'hang', path: '/v1/payments/create/recurring' });
    const quick = razorpayClient({ keyId: fake.keyId, keySecret: fake.keySecret, apiBase: fake.url, timeoutMs: 150 });
    const { order, pay } = await charge('token_success');
    const err = await fail(payOrder(quick, order, 'token_success'));
    expect(isRazorpayHttpError(err)).toBe(false);
    expect(fake.control.payments()).toHaveLength(0);
    expect(fake.control.requests().at(-1)).toMatchObject({ fault: 'hang', path: '/v1/payments/create/recurring' });
    await pay();
  });

  it('an answer slower than the client\'s timeout: the charge happens anyway and is found by receipt', async () => {
    fake.control.inject({ kind: 'slow', delayMs: 400, path: '/v1/payments/create/recurring' });
    const quick = razorpayClient({ keyId: fake.keyId, keySecret: fake.keySecret, apiBase: fake.url, timeoutMs: 100 });
    const order = await rzp.orders.create({ amount: 1000, currency: 'INR', receipt: 'rebill_att_slow' });
    const err = await fail(payOrder(quick, order, 'token_success'));
    expect(isRazorpayHttpError(err)).toBe(false);
    await vi.waitFor(() => expect(fake.control.payments()).toHaveLength(1), { timeout: 5000 });
    const [found] = (await rzp.orders.all({ receipt: 'rebill_att_slow' })).items;
    expect((await rzp.orders.fetchPayments(found!.id)).items[0]).toMatchObject({ status: 'captured' });
  });
});
