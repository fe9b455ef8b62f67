import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeRazorpay, type FakeRazorpay } from '../../../../test/fakes/razorpay/server.ts';
import { isRazorpayHttpError, razorpayClient, RAZORPAY_PUBLIC_API } from './sdk.ts';

// Guards the one reach into the SDK's internals: if an upgrade moves the axios instance, these
// fail instead of Rebill quietly talking to https://api.razorpay.com.
describe('razorpayClient', () => {
  let fake: FakeRazorpay;
  beforeAll(async () => { fake = await startFakeRazorpay(); });
  afterAll(async () => { await fake.close(); });

  it('sends the official SDK\'s requests to apiBase, with its Basic credentials', async () => {
    const rzp = razorpayClient({ keyId: fake.keyId, keySecret: fake.keySecret, apiBase: `${fake.url}/` });
    const order = await rzp.orders.create({ amount: 50000, currency: 'INR', receipt: 'sdk-base-url' });
    expect(order.id).toMatch(/^order_/);
    expect(fake.control.requests().map((r) => `${r.method} ${r.path}`)).toContain('POST /v1/orders');
  });

  it('keeps the public API when no apiBase is given', () => {
    const rzp = razorpayClient({ keyId: 'rzp_test_x', keySecret: 'y' }) as unknown as { api: { rq: { defaults: { baseURL: string } } } };
    expect(rzp.api.rq.defaults.baseURL).toBe(RAZORPAY_PUBLIC_API);
  });

  it('gives up after timeoutMs, with an error that carries no status (outcome unknown)', async () => {
    fake.control.inject({ kind: 'hang', path: '/v1/orders' });
    const rzp = razorpayClient({ keyId: fake.keyId, keySecret: fake.keySecret, apiBase: fake.url, timeoutMs: 200 });
    const err = await rzp.orders.fetch('order_whatever').catch((e: unknown) => e);
    expect(isRazorpayHttpError(err)).toBe(false);
  });

  it('surfaces an HTTP error as { statusCode, error }', async () => {
    const rzp = razorpayClient({ keyId: fake.keyId, keySecret: 'wrong', apiBase: fake.url });
    const err = await rzp.orders.fetch('order_whatever').catch((e: unknown) => e);
    expect(isRazorpayHttpError(err) && err.statusCode).toBe(401);
  });
});
