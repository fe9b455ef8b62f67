import { copy, type Books, type Dispute, type Payment, type Refund } from './books.ts';
import { createRefund } from './refunds.ts';
import { succeed, type Ctx } from './routes.ts';
import { TEST_TOKENS, type Decline } from './tokens.ts';
import { buildWebhook, entitiesFor, type Outbox, type WebhookEvent } from './webhooks.ts';

/**
 * What a test (or the Razorpay dashboard, or the bank) does to the fake besides calling its API:
 * settle asynchronous payments, refund and dispute from the dashboard, and build signed webhooks.
 * Every change here emits the webhooks Razorpay would send.
 */
export function makeControl(ctx: Ctx, books: Books, outbox: Outbox, o: { accountId: string; secret: string; state: { refundStatus: 'processed' | 'pending' } }) {
  const sign = { accountId: o.accountId, secret: o.secret };
  const payment = (id: string): Payment => {
    const p = books.payments.get(id);
    if (!p) throw new Error(`fake razorpay: no payment '${id}'`);
    return p;
  };
  const declineFor = (reason: string): Decline => {
    const t = Object.values(TEST_TOKENS).find((x) => x.outcome.kind === 'decline' && x.outcome.decline.reason === reason);
    if (!t || t.outcome.kind !== 'decline') throw new Error(`fake razorpay: no test decline with reason '${reason}'`);
    return t.outcome.decline;
  };
  return {
    /** Every payment, order, refund and dispute, as the API would show it now. */
    payments: (): Payment[] => copy([...books.payments.values()]),
    orders: () => copy([...books.orders.values()]),
    refunds: (): Refund[] => copy([...books.refunds.values()]),
    disputes: (): Dispute[] => copy([...books.disputes.values()]),

    /**
     * The bank's late answer on a payment left `created` (token_processing): `succeeded` authorises
     * it (and captures it if its order auto-captures); a reason (`insufficient_funds`, …) fails it.
     */
    settlePayment(paymentId: string, outcome: 'succeeded' | string): Payment {
      const p = payment(paymentId);
      if (p.status !== 'created') throw new Error(`fake razorpay: payment ${p.id} is ${p.status}, not created`);
      if (outcome === 'succeeded') succeed(ctx, p);
      else { books.fail(p, declineFor(outcome)); ctx.emit('payment.failed', { payment: p }); }
      return copy(p);
    },

    /**
     * Late authorisation: the bank approves a payment Razorpay had already reported failed, so a
     * `payment.failed` webhook is followed by `payment.authorized`/`payment.captured` for the same
     * payment (Razorpay documents this). It is captured only if its order is not paid yet.
     */
    lateAuthorize(paymentId: string): Payment {
      const p = payment(paymentId);
      if (p.status !== 'failed') throw new Error(`fake razorpay: payment ${p.id} is ${p.status}, not failed`);
      Object.assign(p, { error_code: null, error_description: null, error_source: null, error_step: null, error_reason: null });
      succeed(ctx, p);
      return copy(p);
    },

    /** New refunds are `processed` at once (default) or stay `pending` until `settleRefund`. */
    setRefundStatus(s: 'processed' | 'pending'): void { o.state.refundStatus = s; },
    settleRefund(refundId: string, status: 'processed' | 'failed'): Refund {
      const r = books.refunds.get(refundId);
      if (!r || r.status !== 'pending') throw new Error(`fake razorpay: no pending refund '${refundId}'`);
      books.settleRefund(r, status);
      ctx.emit(status === 'processed' ? 'refund.processed' : 'refund.failed', { refund: r, payment: payment(r.payment_id) });
      return copy(r);
    },

    /** A refund made by hand in the Razorpay dashboard (Rebill learns of it by webhook only). */
    dashboardRefund(paymentId: string, o: { amount?: number; speed?: 'normal' | 'optimum'; notes?: Record<string, string> } = {}): Refund {
      const a = createRefund(ctx, payment(paymentId), o);
      if (a.status !== 200) throw new Error(`fake razorpay: refund refused: ${JSON.stringify(a.body)}`);
      return a.body as Refund;
    },

    /** The customer's bank opens a dispute on a captured payment. */
    dispute(paymentId: string, o: { amount?: number; reasonCode?: string; phase?: string } = {}): Dispute {
      const p = payment(paymentId);
      if (!p.captured) throw new Error(`fake razorpay: payment ${p.id} is not captured`);
      const d = books.openDispute(p, o);
      ctx.emit('payment.dispute.created', { payment: p, dispute: d });
      return copy(d);
    },
    /** The dispute's end: `lost` deducts its amount from the merchant's balance. */
    resolveDispute(disputeId: string, status: 'won' | 'lost' | 'closed'): Dispute {
      const d = books.disputes.get(disputeId);
      if (!d) throw new Error(`fake razorpay: no dispute '${disputeId}'`);
      d.status = status;
      if (status === 'lost') d.amount_deducted = d.amount;
      ctx.emit(`payment.dispute.${status}`, { payment: payment(d.payment_id), dispute: d });
      return copy(d);
    },

    /**
     * A signed webhook for `event` about `entity` (a payment, refund or dispute, or its id), built
     * from the fake's current records but not sent: for replay, forgery and ordering tests.
     */
    webhookFor(event: WebhookEvent, entity: { entity: string; id: string } | string) {
      const e = typeof entity === 'string' ? lookup(books, entity) : entity;
      return buildWebhook(event, entitiesFor(books, event, e), { ...sign, createdAt: books.now() });
    },
    /** Webhooks the fake has sent, in order (delivered to `setWebhookUrl`'s URL when one is set). */
    webhooks: () => [...outbox.sent],
    deliveries: () => [...outbox.deliveries],
    setWebhookUrl(url: string | null): void { outbox.url = url; },
    flushWebhooks: () => outbox.flush(),
  };
}

function lookup(books: Books, id: string): { entity: string; id: string } {
  const e = books.payments.get(id) ?? books.refunds.get(id) ?? books.disputes.get(id);
  if (!e) throw new Error(`fake razorpay: nothing with id '${id}'`);
  return e;
}
