import type Razorpay from 'razorpay';
import { razorpayClient } from '../../../src/adapters/gateways/razorpay/sdk.ts';
import { startFakeRazorpay, type FakeRazorpay } from './server.ts';

export const customer = 'cust_DitrYCFtCIokBO';

/** The promise's rejection (fails the test if it resolves). */
export const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

/** A fake and the official SDK pointed at it, for one test. */
export async function fakeAndClient() {
  const fake: FakeRazorpay = await startFakeRazorpay();
  const rzp = razorpayClient({ keyId: fake.keyId, keySecret: fake.keySecret, apiBase: fake.url, timeoutMs: 2000 });
  return { fake, rzp };
}

/** The SDK's recurring payment on `token` for an order; the answer's ids, typed as always present. */
export async function payOrder(client: Razorpay, order: { id: string; amount: number | string }, token: string) {
  const res = await client.payments.createRecurringPayment({
    email: 'gaurav.kumar@example.com', contact: '9123456789', amount: Number(order.amount), currency: 'INR',
    order_id: order.id, customer_id: customer, token, recurring: true, description: 'Renewal', notes: { rebill_attempt: 'att_1' },
  });
  return { paymentId: res.razorpay_payment_id!, orderId: res.razorpay_order_id!, signature: res.razorpay_signature! };
}

/** An order (receipt = Rebill's reference) and a function that pays it with `token`. */
export async function charge(rzp: Razorpay, token: string, o: { amount?: number; receipt?: string; capture?: boolean } = {}) {
  const order = await rzp.orders.create({
    amount: o.amount ?? 49900, currency: 'INR', receipt: o.receipt ?? 'inv_1', notes: { rebill_attempt: 'att_1' },
    ...(o.capture === undefined ? {} : { payment_capture: o.capture }),
  });
  return { order, pay: () => payOrder(rzp, order, token) };
}
