import { createHmac } from 'node:crypto';
import { newId, notesOf, type Books, type Payment } from './books.ts';
import { collection, errorAnswer, invalid, noSuchId, notFoundUrl, ok, type Answer } from './answers.ts';
import { disputeRoutes, refundRoutes, tokenRoutes } from './refunds.ts';
import { TEST_TOKENS } from './tokens.ts';
import { integer, isAnswer, notes, onlyKnown, required, truthy, type Body } from './validate.ts';
import type { Entities, WebhookEvent } from './webhooks.ts';

export type Ctx = {
  books: Books; keySecret: string; currencies: string[]; defaultCapture: boolean;
  refundStatus: () => 'processed' | 'pending';
  emit: (event: WebhookEvent, e: Entities) => void;
};
export type Req = { method: string; path: string; query: URLSearchParams; body: Body; headers: Record<string, string | string[] | undefined> };

const ORDER_FIELDS = ['amount', 'currency', 'receipt', 'notes', 'payment_capture', 'partial_payment', 'first_payment_min_amount', 'method', 'customer_id', 'token', 'notification', 'offer_id'];
const RECURRING_FIELDS = ['email', 'contact', 'amount', 'currency', 'order_id', 'customer_id', 'token', 'recurring', 'notes', 'description', 'ip', 'referer', 'user_agent'];

export function route(ctx: Ctx, req: Req): Answer {
  const parts = req.path.split('/').filter(Boolean);
  if (parts[0] !== 'v1') return notFoundUrl;
  const [, res, id, sub] = parts;
  const key = `${req.method} ${res}${id ? (id === 'create' ? '/create' : '/:id') : ''}${sub ? `/${sub}` : ''}`;
  const { books } = ctx;
  switch (key) {
    case 'POST orders': return createOrder(ctx, req.body);
    case 'GET orders': {
      const receipt = req.query.get('receipt');
      const authorized = req.query.get('authorized');
      const all = [...books.orders.values()].filter((o) => (receipt === null || o.receipt === receipt)
        && (authorized !== '1' || [...books.payments.values()].some((p) => p.order_id === o.id && p.status === 'authorized')));
      return collection(all, req.query);
    }
    case 'GET orders/:id': { const o = books.orders.get(id!); return o ? ok(o) : noSuchId(); }
    case 'GET orders/:id/payments':
      if (!books.orders.has(id!)) return noSuchId();
      return collection([...books.payments.values()].filter((p) => p.order_id === id), new URLSearchParams({ count: '100' }));
    case 'POST payments/create/recurring': return createRecurring(ctx, req.body);
    case 'GET payments': return collection([...books.payments.values()], req.query);
    case 'GET payments/:id': { const p = books.payments.get(id!); return p ? ok(p) : noSuchId(); }
    case 'POST payments/:id/capture': return capture(ctx, id!, req.body);
  }
  return refundRoutes(ctx, key, parts, req) ?? tokenRoutes(key, parts) ?? disputeRoutes(ctx, key, parts, req) ?? notFoundUrl;
}

function createOrder(ctx: Ctx, b: Body): Answer {
  const bad = onlyKnown(b, ORDER_FIELDS) ?? required(b, ['amount']) ?? notes(b.notes);
  if (bad) return bad;
  const amount = integer(b.amount, 'amount');
  if (isAnswer(amount)) return amount;
  const currency = typeof b.currency === 'string' ? b.currency : 'INR';
  if (!ctx.currencies.includes(currency)) return invalid('The currency is invalid.', 'currency');
  if (amount < 100) return invalid(`The amount must be atleast ${currency} 1.00`, 'amount');
  if (b.receipt !== undefined && (typeof b.receipt !== 'string' || b.receipt.length > 40)) {
    return invalid('The receipt may not be greater than 40 characters.', 'receipt');
  }
  const order = {
    id: newId('order'), entity: 'order' as const, amount, amount_paid: 0, amount_due: amount, currency,
    receipt: (b.receipt as string | undefined) ?? null, offer_id: null, status: 'created' as const, attempts: 0,
    notes: notesOf(b.notes), created_at: ctx.books.now(),
  };
  ctx.books.orders.set(order.id, order);
  ctx.books.autoCapture.set(order.id, b.payment_capture === undefined ? ctx.defaultCapture : truthy(b.payment_capture));
  return ok(order);
}

function createRecurring(ctx: Ctx, b: Body): Answer {
  const bad = onlyKnown(b, RECURRING_FIELDS)
    ?? required(b, ['email', 'contact', 'amount', 'currency', 'order_id', 'customer_id', 'token', 'recurring']) ?? notes(b.notes);
  if (bad) return bad;
  if (!truthy(b.recurring)) return invalid('The selected recurring is invalid.', 'recurring');
  const amount = integer(b.amount, 'amount');
  if (isAnswer(amount)) return amount;
  const order = ctx.books.orders.get(String(b.order_id));
  if (!order) return noSuchId('order_id');
  if (order.status === 'paid') return invalid('Order has already been paid', 'order_id');
  if (amount !== order.amount) {
    return invalid('Your payment amount is different from your order amount. To pay successfully, please try using right amount.', 'amount');
  }
  if (b.currency !== order.currency) return invalid('The currency should be same as the order currency.', 'currency');
  if (!String(b.customer_id).startsWith('cust_')) return noSuchId('customer_id');
  const token = TEST_TOKENS[String(b.token)];
  if (!token) return noSuchId('token');
  const p = ctx.books.newPayment(order, String(b.token), token, b);
  const { outcome } = token;
  if (outcome.kind === 'decline') {
    const d = outcome.decline;
    ctx.books.fail(p, d);
    ctx.emit('payment.failed', { payment: p });
    return errorAnswer(d.status, { ...d, field: null, metadata: { payment_id: p.id, order_id: order.id } });
  }
  if (outcome.kind === 'success') succeed(ctx, p);
  const signature = createHmac('sha256', ctx.keySecret).update(`${order.id}|${p.id}`).digest('hex');
  return ok({ razorpay_payment_id: p.id, razorpay_order_id: order.id, razorpay_signature: signature });
}

/** Authorise, and capture at once if the order asked for it, with the webhooks Razorpay sends. */
export function succeed(ctx: Ctx, p: Payment): void {
  ctx.books.authorize(p);
  ctx.emit('payment.authorized', { payment: p });
  const paid = ctx.books.orders.get(p.order_id)?.status === 'paid';
  if (ctx.books.autoCapture.get(p.order_id) && !paid) captured(ctx, p);
}

function captured(ctx: Ctx, p: Payment): void {
  ctx.books.capture(p);
  ctx.emit('payment.captured', { payment: p });
  ctx.emit('order.paid', { payment: p, order: ctx.books.orders.get(p.order_id)! });
}

function capture(ctx: Ctx, id: string, b: Body): Answer {
  const p = ctx.books.payments.get(id);
  if (!p) return noSuchId();
  const amount = integer(b.amount, 'amount');
  if (isAnswer(amount)) return amount;
  if (p.captured) return invalid('This payment has already been captured');
  if (p.status !== 'authorized') return invalid('Only payments which have been authorized and not yet captured can be captured');
  // One order, one captured payment: a second authorised payment on a paid order is refused.
  if (ctx.books.orders.get(p.order_id)?.status === 'paid') return invalid('Order has already been paid', 'order_id');
  if (amount !== p.amount) return invalid('Capture amount must be equal to the amount authorized', 'amount');
  if (b.currency !== undefined && b.currency !== p.currency) return invalid('The currency should be same as the payment currency.', 'currency');
  captured(ctx, p);
  return ok(p);
}
