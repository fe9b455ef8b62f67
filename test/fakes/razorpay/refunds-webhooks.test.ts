import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Razorpay from 'razorpay';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRazorpayHttpError, refundIdempotent } from '../../../src/adapters/gateways/razorpay/sdk.ts';
import type { FakeRazorpay } from './server.ts';
import { charge, fail, fakeAndClient } from './sdk-helpers.ts';

let fake: FakeRazorpay;
let rzp: Razorpay;
beforeEach(async () => { ({ fake, rzp } = await fakeAndClient()); });
afterEach(async () => { await fake.close(); });

const events = () => fake.control.webhooks().map((w) => w.event);
async function paid(amount = 50000) {
  const { pay } = await charge(rzp, 'token_success', { amount });
  return (await pay()).paymentId;
}

describe('refunds through the official SDK', () => {
  it('refunds part, then the rest, then refuses more; each refund is listed under its payment', async () => {
    const id = await paid();
    const part = await rzp.payments.refund(id, { amount: 20000, speed: 'normal', receipt: 'cn_1', notes: { rebill_refund: 'rf_1' } });
    expect(part).toMatchObject({ entity: 'refund', amount: 20000, currency: 'INR', payment_id: id, status: 'processed', receipt: 'cn_1',
      notes: { rebill_refund: 'rf_1' }, speed_requested: 'normal', speed_processed: 'normal' });
    expect(await rzp.payments.fetch(id)).toMatchObject({ status: 'captured', amount_refunded: 20000, refund_status: 'partial' });
    const rest = await rzp.payments.refund(id, {});
    expect(rest.amount).toBe(30000);
    expect(await rzp.payments.fetch(id)).toMatchObject({ status: 'refunded', amount_refunded: 50000, refund_status: 'full' });
    expect(await fail(rzp.payments.refund(id, { amount: 100 }))).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR' } });
    const listed = await rzp.payments.fetchMultipleRefund(id);
    expect(listed.items.map((r) => r.id).sort()).toEqual([part.id, rest.id].sort());
    expect(await rzp.refunds.fetch(part.id)).toMatchObject({ id: part.id, receipt: 'cn_1' });
    expect(events().filter((e) => e.startsWith('refund.'))).toEqual(['refund.created', 'refund.processed', 'refund.created', 'refund.processed']);
  });

  it('refuses a refund above what is left; without an idempotency key a repeated call refunds again', async () => {
    const id = await paid();
    expect(await fail(rzp.payments.refund(id, { amount: 50001 }))).toMatchObject({ statusCode: 400, error: { field: 'amount' } });
    await rzp.payments.refund(id, { amount: 1000, receipt: 'cn_same' });
    await rzp.payments.refund(id, { amount: 1000, receipt: 'cn_same' });
    expect(fake.control.refunds()).toHaveLength(2);
  });

  it('X-Refund-Idempotency: a retry after a lost answer gets the first refund; another body under the key is refused', async () => {
    const id = await paid();
    fake.control.inject({ kind: 'lose', path: `/v1/payments/${id}/refund` });
    const body = { amount: 20000, receipt: 'cn_7', notes: { rebill_refund: 'rf_7' } };
    expect(isRazorpayHttpError(await fail(refundIdempotent(rzp, id, body, 'rebill_rf_7_key')))).toBe(false);
    const again = await refundIdempotent(rzp, id, body, 'rebill_rf_7_key');
    expect(fake.control.refunds().map((r) => r.id)).toEqual([again.id]);
    expect(again).toMatchObject({ amount: 20000, receipt: 'cn_7', status: 'processed' });
    expect(await fail(refundIdempotent(rzp, id, { ...body, amount: 100 }, 'rebill_rf_7_key'))).toMatchObject({ statusCode: 400,
      error: { code: 'BAD_REQUEST_ERROR', description: 'Different request with the same idempotency key has already been processed.' } });
    expect(await fail(refundIdempotent(rzp, id, body, 'short'))).toMatchObject({ statusCode: 400 });
    expect(fake.control.refunds()).toHaveLength(1);
    expect(events().filter((e) => e === 'refund.created')).toHaveLength(1);
  });

  it('X-Refund-Idempotency: a repeat while the first is still being processed gets 409', async () => {
    const id = await paid();
    fake.control.inject({ kind: 'slow', delayMs: 300, path: `/v1/payments/${id}/refund` });
    const both = await Promise.allSettled([0, 1].map(() => refundIdempotent(rzp, id, { amount: 1000 }, 'rebill_rf_8_key')));
    expect(both.map((r) => (r.status === 'fulfilled' ? 200 : (r.reason as { statusCode: number }).statusCode)).sort()).toEqual([200, 409]);
    expect(fake.control.refunds()).toHaveLength(1);
  });

  it('keeps refunds pending when told to, until the bank processes them', async () => {
    const id = await paid();
    fake.control.setRefundStatus('pending');
    const r = await rzp.payments.refund(id, { amount: 5000 });
    expect(r.status).toBe('pending');
    fake.control.settleRefund(r.id, 'processed');
    expect(await rzp.refunds.fetch(r.id)).toMatchObject({ status: 'processed' });
    expect(events().slice(-2)).toEqual(['refund.created', 'refund.processed']);
    const failed = await rzp.payments.refund(id, { amount: 45000 });
    expect(await rzp.payments.fetch(id)).toMatchObject({ status: 'refunded', amount_refunded: 50000 });
    fake.control.settleRefund(failed.id, 'failed');
    expect(await rzp.payments.fetch(id)).toMatchObject({ status: 'captured', amount_refunded: 5000, refund_status: 'partial' });
    expect(events().at(-1)).toBe('refund.failed');
  });
});

describe('webhooks', () => {
  it('signs every sent webhook so the SDK\'s validateWebhookSignature accepts it, and rejects a tampered one', async () => {
    const id = await paid();
    const hooks = fake.control.webhooks();
    expect(hooks.length).toBeGreaterThan(0);
    for (const w of hooks) expect(Razorpay.validateWebhookSignature(w.body, w.signature, fake.webhookSecret)).toBe(true);
    const w = fake.control.webhookFor('payment.captured', id);
    expect(w.headers['x-razorpay-signature']).toBe(w.signature);
    expect(Razorpay.validateWebhookSignature(w.body, w.signature, fake.webhookSecret)).toBe(true);
    expect(Razorpay.validateWebhookSignature(w.body.replace('"amount":50000', '"amount":1'), w.signature, fake.webhookSecret)).toBe(false);
    expect(Razorpay.validateWebhookSignature(w.body, w.signature, 'another_secret')).toBe(false);
    expect(new Set([...hooks, w].map((h) => h.eventId)).size).toBe(hooks.length + 1);
  });

  it('wraps entities in Razorpay\'s envelope', async () => {
    const id = await paid();
    const body = JSON.parse(fake.control.webhookFor('payment.captured', id).body);
    expect(body).toMatchObject({ entity: 'event', account_id: fake.accountId, event: 'payment.captured', contains: ['payment'],
      payload: { payment: { entity: { id, entity: 'payment', status: 'captured', amount: 50000 } } } });
    expect(typeof body.created_at).toBe('number');
    expect(body.payload.order).toBeUndefined();
    expect(JSON.parse(fake.control.webhookFor('order.paid', id).body)).toMatchObject({ contains: ['payment', 'order'],
      payload: { order: { entity: { status: 'paid', amount_paid: 50000 } } } });
    const r = fake.control.dashboardRefund(id, { amount: 100 });
    const refund = JSON.parse(fake.control.webhooks().at(-1)!.body);
    expect(refund).toMatchObject({ event: 'refund.processed', contains: ['refund', 'payment'],
      payload: { refund: { entity: { id: r.id, amount: 100 } }, payment: { entity: { id, amount_refunded: 100 } } } });
  });

  it('POSTs each webhook to the configured URL with its signature and event id headers', async () => {
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { got.push({ headers: req.headers, body }); res.end('ok'); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    fake.control.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`);
    await paid();
    await fake.control.flushWebhooks();
    await new Promise<void>((r) => receiver.close(() => r()));
    expect(got.map((g) => JSON.parse(g.body).event)).toEqual(['payment.authorized', 'payment.captured', 'order.paid']);
    for (const g of got) {
      expect(Razorpay.validateWebhookSignature(g.body, String(g.headers['x-razorpay-signature']), fake.webhookSecret)).toBe(true);
      expect(g.headers['x-razorpay-event-id']).toMatch(/^[A-Za-z0-9]{14}$/);
    }
    expect(fake.control.deliveries().map((d) => d.status)).toEqual([200, 200, 200]);
  });
});

describe('dashboard refunds and disputes', () => {
  it('a dashboard refund shows in the API and is announced by webhook', async () => {
    const id = await paid();
    const r = fake.control.dashboardRefund(id);
    expect(r.amount).toBe(50000);
    expect(await rzp.payments.fetch(id)).toMatchObject({ status: 'refunded', refund_status: 'full' });
    expect(events().slice(-2)).toEqual(['refund.created', 'refund.processed']);
  });

  it('opens a dispute and loses it, each with its webhook; the SDK can fetch it', async () => {
    const id = await paid();
    const d = fake.control.dispute(id, { amount: 20000 });
    expect(d).toMatchObject({ entity: 'dispute', payment_id: id, amount: 20000, status: 'open', phase: 'chargeback', amount_deducted: 0 });
    const created = JSON.parse(fake.control.webhooks().at(-1)!.body);
    expect(created).toMatchObject({ event: 'payment.dispute.created', contains: ['payment', 'dispute'],
      payload: { payment: { entity: { id } }, dispute: { entity: { id: d.id, status: 'open' } } } });
    fake.control.resolveDispute(d.id, 'lost');
    expect(await rzp.disputes.fetch(d.id)).toMatchObject({ status: 'lost', amount_deducted: 20000 });
    expect(events().at(-1)).toBe('payment.dispute.lost');
    const won = fake.control.webhookFor('payment.dispute.won', d.id);
    expect(Razorpay.validateWebhookSignature(won.body, won.signature, fake.webhookSecret)).toBe(true);
  });
});
