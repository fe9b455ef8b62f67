import { randomInt } from 'node:crypto';
import type { TestToken } from './tokens.ts';

type Notes = Record<string, string> | [];
export type Order = {
  id: string; entity: 'order'; amount: number; amount_paid: number; amount_due: number; currency: string;
  receipt: string | null; offer_id: null; status: 'created' | 'attempted' | 'paid'; attempts: number; notes: Notes; created_at: number;
};
export type Payment = {
  id: string; entity: 'payment'; amount: number; currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string; invoice_id: null; international: boolean; method: string; amount_refunded: number;
  refund_status: null | 'partial' | 'full'; captured: boolean; description: string | null; card_id: string | null;
  bank: string | null; wallet: null; vpa: null; email: string; contact: string; customer_id: string; token_id: string;
  notes: Notes; fee: number | null; tax: number | null; error_code: string | null; error_description: string | null;
  error_source: string | null; error_step: string | null; error_reason: string | null;
  acquirer_data: Record<string, string | null>; created_at: number;
};
export type Refund = {
  id: string; entity: 'refund'; amount: number; currency: string; payment_id: string; notes: Notes; receipt: string | null;
  acquirer_data: { arn: string | null }; created_at: number; batch_id: null; status: 'pending' | 'processed' | 'failed';
  speed_processed?: string; speed_requested: string;
};
export type Dispute = {
  id: string; entity: 'dispute'; payment_id: string; amount: number; currency: string; amount_deducted: number;
  reason_code: string; reason_description: string; respond_by: number; status: 'open' | 'under_review' | 'won' | 'lost' | 'closed';
  phase: string; created_at: number;
};

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Razorpay ids: a prefix and 14 base-62 characters (pay_G8VQzjPLoAvm6D). */
export function newId(prefix: string): string {
  let s = '';
  for (let i = 0; i < 14; i++) s += ALNUM[randomInt(ALNUM.length)];
  return prefix ? `${prefix}_${s}` : s;
}

/** Razorpay (PHP underneath) serialises empty notes as `[]`, not `{}`: the SDK fixtures show it. */
export const notesOf = (n: unknown): Notes =>
  n && typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length ? { ...(n as Record<string, string>) } : [];

/** The fake processor's records. Entities are kept in Razorpay's own shape and copied on the way out. */
export class Books {
  readonly orders = new Map<string, Order>();
  /** Whether an order's payments are captured as soon as they are authorised (`payment_capture`). */
  readonly autoCapture = new Map<string, boolean>();
  readonly payments = new Map<string, Payment>();
  readonly refunds = new Map<string, Refund>();
  readonly disputes = new Map<string, Dispute>();
  /** `X-Refund-Idempotency` keys: the request they first came with and the refund it made. */
  readonly refundKeys = new Map<string, { request: string; refundId: string }>();

  constructor(private readonly nowMs: () => number) {}

  now(): number { return Math.floor(this.nowMs() / 1000); }

  newPayment(order: Order, token: string, t: TestToken, b: Record<string, unknown>): Payment {
    const p: Payment = {
      id: newId('pay'), entity: 'payment', amount: order.amount, currency: order.currency, status: 'created',
      order_id: order.id, invoice_id: null, international: false, method: t.method, amount_refunded: 0, refund_status: null,
      captured: false, description: typeof b.description === 'string' ? b.description : null,
      card_id: t.card ? newId('card') : null, bank: t.bank ?? null, wallet: null, vpa: null,
      email: String(b.email), contact: String(b.contact), customer_id: String(b.customer_id), token_id: token,
      notes: notesOf(b.notes), fee: null, tax: null, error_code: null, error_description: null, error_source: null,
      error_step: null, error_reason: null, acquirer_data: {}, created_at: this.now(),
    };
    this.payments.set(p.id, p);
    order.attempts += 1;
    if (order.status === 'created') order.status = 'attempted';
    return p;
  }

  authorize(p: Payment): void {
    p.status = 'authorized';
    p.acquirer_data = p.method === 'card' ? { auth_code: String(randomInt(100000, 999999)) } : { bank_transaction_id: String(randomInt(1e9, 1e10 - 1)) };
  }

  capture(p: Payment): void {
    p.status = 'captured';
    p.captured = true;
    // Razorpay's fee (GST included in it) shows once the payment is captured.
    p.fee = Math.round(p.amount * 0.02);
    p.tax = Math.round(p.fee * 0.18);
    const order = this.orders.get(p.order_id)!;
    order.amount_paid = p.amount;
    order.amount_due = 0;
    order.status = 'paid';
  }

  fail(p: Payment, d: { code: string; description: string; source: string; step: string; reason: string }): void {
    Object.assign(p, { status: 'failed', error_code: d.code, error_description: d.description, error_source: d.source, error_step: d.step, error_reason: d.reason });
  }

  /** What is still refundable on a captured payment. */
  refundable(p: Payment): number { return p.captured ? p.amount - p.amount_refunded : 0; }

  refund(p: Payment, amount: number, b: { speed?: unknown; notes?: unknown; receipt?: unknown }, status: Refund['status']): Refund {
    const speed = b.speed === 'optimum' ? 'optimum' : 'normal';
    const r: Refund = {
      id: newId('rfnd'), entity: 'refund', amount, currency: p.currency, payment_id: p.id, notes: notesOf(b.notes),
      receipt: typeof b.receipt === 'string' ? b.receipt : null, acquirer_data: { arn: null }, created_at: this.now(),
      batch_id: null, status, speed_requested: speed,
    };
    if (status === 'processed') this.settleRefund(r, 'processed');
    this.refunds.set(r.id, r);
    p.amount_refunded += amount;
    p.refund_status = p.amount_refunded >= p.amount ? 'full' : 'partial';
    if (p.refund_status === 'full') p.status = 'refunded';
    return r;
  }

  settleRefund(r: Refund, status: 'processed' | 'failed'): void {
    r.status = status;
    if (status === 'processed') { r.speed_processed = r.speed_requested === 'optimum' ? 'instant' : 'normal'; r.acquirer_data = { arn: String(randomInt(1e9, 1e10 - 1)) }; }
    const p = this.payments.get(r.payment_id);
    if (status === 'failed' && p) {
      // A failed refund gives the amount back to what can still be refunded.
      p.amount_refunded -= r.amount;
      p.refund_status = p.amount_refunded === 0 ? null : 'partial';
      if (p.status === 'refunded') p.status = 'captured';
    }
  }

  openDispute(p: Payment, o: { amount?: number; reasonCode?: string; phase?: string }): Dispute {
    const d: Dispute = {
      id: newId('disp'), entity: 'dispute', payment_id: p.id, amount: o.amount ?? p.amount, currency: p.currency, amount_deducted: 0,
      reason_code: o.reasonCode ?? 'chargeback', reason_description: 'The customer disputed the charge with their bank.',
      respond_by: this.now() + 7 * 86400, status: 'open', phase: o.phase ?? 'chargeback', created_at: this.now(),
    };
    this.disputes.set(d.id, d);
    return d;
  }
}

export const copy = <T>(x: T): T => structuredClone(x);
