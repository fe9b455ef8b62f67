import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge as orderAndPay, customer } from '../../../../test/fakes/razorpay/sdk-helpers.ts';
import { startFakeRazorpay, type FakeRazorpay } from '../../../../test/fakes/razorpay/server.ts';
import { GatewayUnreachableError, type ChargeRequest } from '../../../app/ports.ts';
import { RazorpayGateway } from './adapter.ts';
import { razorpayClient } from './sdk.ts';

// What the scenario test cannot reach through Rebill's API: orders left in a given state by an
// earlier try, found again by their receipt.
describe('RazorpayGateway against the local server', () => {
  let fake: FakeRazorpay;
  let gateway: RazorpayGateway;
  let n = 0;
  const attemptId = () => `pay_01jadaptertest${String(++n).padStart(14, '0')}`;
  const request = (id: string, token = 'token_success'): ChargeRequest => ({
    idempotencyKey: `rebill:acct_1:${id}`, attemptId: id, token, gatewayCustomer: customer, amount: 49900n, currency: 'inr',
    reference: 'in_1', customerId: 'cus_1', attemptNumber: 1, attemptedAt: new Date('2027-01-01T00:00:00Z'),
  });
  const lookup = (id: string) => ({ idempotencyKey: `rebill:acct_1:${id}`, attemptId: id, gatewayCustomer: customer, attemptedAt: new Date() });
  beforeAll(async () => {
    fake = await startFakeRazorpay();
    gateway = new RazorpayGateway({ name: 'gw_test', keyId: fake.keyId, keySecret: fake.keySecret, apiBase: fake.url, timeoutMs: 300 });
  });
  afterAll(async () => { await fake.close(); });

  it('captures a payment left authorised on the attempt\'s order, once', async () => {
    const id = attemptId();
    const rzp = razorpayClient({ keyId: fake.keyId, keySecret: fake.keySecret, apiBase: fake.url });
    const { pay } = await orderAndPay(rzp, 'token_success', { receipt: id, capture: false });
    const { paymentId } = await pay();
    expect(fake.control.payments().find((p) => p.id === paymentId)?.status).toBe('authorized');
    expect(await gateway.retrieve(lookup(id))).toEqual({ status: 'succeeded', chargeId: paymentId });
    expect(await gateway.charge(request(id))).toEqual({ status: 'succeeded', chargeId: paymentId });
    expect(fake.control.requests().filter((r) => r.path.endsWith('/capture'))).toHaveLength(1);
  });

  it('a resend of an attempt whose payment failed answers that failure, paying nothing again', async () => {
    const id = attemptId();
    const first = await gateway.charge(request(id, 'token_card_declined'));
    expect(first).toMatchObject({ status: 'failed', gatewayCode: 'card_declined' });
    const before = fake.control.paymentRequests();
    expect(await gateway.charge(request(id, 'token_card_declined'))).toEqual(first);
    expect(await gateway.retrieve(lookup(id))).toEqual(first);
    expect(fake.control.paymentRequests()).toBe(before);
  });

  it('knows nothing of an attempt that never reached it', async () => {
    expect(await gateway.retrieve(lookup(attemptId()))).toBeNull();
  });

  it('treats no answer as unknown, in charges, lookups and refunds', async () => {
    fake.control.inject({ kind: 'hang', times: 3 });
    await expect(gateway.charge(request(attemptId()))).rejects.toBeInstanceOf(GatewayUnreachableError);
    await expect(gateway.retrieve(lookup(attemptId()))).rejects.toBeInstanceOf(GatewayUnreachableError);
    const refund = gateway.refund({ idempotencyKey: 'k', chargeId: 'pay_x', amount: 100n, currency: 'inr', reference: 'cn_1', refundId: 're_1234567890' });
    await expect(refund).rejects.toBeInstanceOf(GatewayUnreachableError);
    fake.control.clearFaults();
  });

  it('reads a token\'s card under its customer, and nothing without one', async () => {
    expect(await gateway.inspectToken('token_mastercard', { gatewayCustomer: customer })).toEqual({ brand: 'mastercard', last4: '5449', exp_month: 6, exp_year: 2030 });
    expect(await gateway.inspectToken('token_mastercard', { gatewayCustomer: null })).toBeNull();
    expect(await gateway.inspectToken('token_unknown', { gatewayCustomer: customer })).toBeNull();
  });
});
