import type Razorpay from 'razorpay';
import type { RefundOutcome } from '../../../app/ports.ts';

export type RzpRefund = { id: string; status: string; payment_id: string; notes?: Record<string, string> | [] | null };

/** Razorpay's refund status as Rebill's: `pending` stays open for recovery to ask again later. */
export function refundOutcome(r: { id: string; status?: string }): RefundOutcome {
  if (r.status === 'processed') return { status: 'succeeded', refundId: r.id };
  if (r.status === 'failed') return { status: 'failed', refundId: null, code: 'refund_failed', message: `Razorpay could not complete refund ${r.id}.` };
  return { status: 'pending', refundId: r.id };
}

/** Every refund of a payment, 100 a page (Razorpay's largest). */
export async function refundsOf(rzp: Razorpay, paymentId: string): Promise<RzpRefund[]> {
  const all: RzpRefund[] = [];
  for (let skip = 0; ; skip += 100) {
    const page = (await rzp.payments.fetchMultipleRefund(paymentId, { count: 100, skip })) as unknown as { items: RzpRefund[] };
    all.push(...page.items);
    if (page.items.length < 100) return all;
  }
}
