import { createHash } from 'node:crypto';
import { collection, errorAnswer, invalid, noSuchId, ok, type Answer } from './answers.ts';
import type { Ctx, Req } from './routes.ts';
import { TEST_TOKENS } from './tokens.ts';
import { integer, isAnswer, notes, onlyKnown, type Body } from './validate.ts';
import type { Payment } from './books.ts';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{10,}$/;
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) =>
  x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x);

/**
 * A refund, from the API or the dashboard. Without an `X-Refund-Idempotency` key every call is a
 * new refund; with one, a repeat with the same body answers the first refund as it is now, and
 * another body under the same key is refused. Keys are kept for the fake's lifetime.
 */
export function createRefund(ctx: Ctx, p: Payment, b: Body, key?: string): Answer {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    return errorAnswer(400, { description: 'The idempotency key must be at least 10 characters long and contain only letters, digits, hyphens and underscores.' });
  }
  const seen = key === undefined ? undefined : ctx.books.refundKeys.get(key);
  if (seen) {
    if (seen.request !== canonical({ payment: p.id, b })) return errorAnswer(400, { description: 'Different request with the same idempotency key has already been processed.' });
    return ok(ctx.books.refunds.get(seen.refundId));
  }
  const bad = onlyKnown(b, ['amount', 'speed', 'notes', 'receipt']) ?? notes(b.notes);
  if (bad) return bad;
  if (!p.captured) return invalid('The payment status should be captured for action to be taken.', null);
  const left = ctx.books.refundable(p);
  if (left <= 0) return invalid('The payment has been fully refunded already', null);
  const amount = b.amount === undefined ? left : integer(b.amount, 'amount');
  if (isAnswer(amount)) return amount;
  if (amount < 100) return invalid(`The amount must be atleast ${p.currency} 1.00`, 'amount');
  if (amount > left) return invalid('The refund amount provided is greater than amount captured', 'amount');
  if (b.speed !== undefined && b.speed !== 'normal' && b.speed !== 'optimum') return invalid('The selected speed is invalid.', 'speed');
  if (b.receipt !== undefined && (typeof b.receipt !== 'string' || b.receipt.length > 40)) {
    return invalid('The receipt may not be greater than 40 characters.', 'receipt');
  }
  const r = ctx.books.refund(p, amount, b, ctx.refundStatus());
  if (key !== undefined) ctx.books.refundKeys.set(key, { request: canonical({ payment: p.id, b }), refundId: r.id });
  ctx.emit('refund.created', { refund: r, payment: p });
  if (r.status === 'processed') ctx.emit('refund.processed', { refund: r, payment: p });
  return ok(r);
}

export function refundRoutes(ctx: Ctx, key: string, parts: string[], req: Req): Answer | null {
  const { books } = ctx;
  const p = parts[2] ? books.payments.get(parts[2]) : undefined;
  switch (key) {
    case 'POST payments/:id/refund': {
      const key = req.headers['x-refund-idempotency'];
      return p ? createRefund(ctx, p, req.body, Array.isArray(key) ? key[0] : key) : noSuchId();
    }
    case 'GET payments/:id/refunds': {
      if (!p) return noSuchId();
      if (parts[4]) { const r = books.refunds.get(parts[4]); return r && r.payment_id === p.id ? ok(r) : noSuchId(); }
      return collection([...books.refunds.values()].filter((r) => r.payment_id === p.id), req.query);
    }
    case 'GET refunds/:id': { const r = books.refunds.get(parts[2]!); return r ? ok(r) : noSuchId(); }
    case 'GET refunds': return collection([...books.refunds.values()], req.query);
  }
  return null;
}

/** A saved token as `GET /v1/customers/:id/tokens/:token_id` shows it (card details, never the number). */
export function tokenEntity(id: string) {
  const t = TEST_TOKENS[id]!;
  const created = 1_700_000_000;
  return {
    id, entity: 'token', token: createHash('sha256').update(id).digest('base64url').slice(0, 14), bank: t.bank ?? null, wallet: null,
    method: t.method,
    ...(t.card ? {
      card: {
        entity: 'card', name: 'Test Customer', ...t.card, international: false, emi: false, sub_type: 'consumer',
        flows: { recurring: true },
      },
    } : { bank_details: { beneficiary_name: 'Test Customer', account_number: '1121431121541121', ifsc: 'HDFC0000001', account_type: 'savings' }, max_amount: 9999900 }),
    recurring: true, recurring_details: { status: 'confirmed', failure_reason: null }, auth_type: t.card ? null : 'netbanking',
    mrn: null, used_at: created, created_at: created,
    expired_at: t.card ? Math.floor(Date.UTC(t.card.expiry_year, t.card.expiry_month, 0, 23, 59, 59) / 1000) : 4_102_444_800,
    dcc_enabled: false, billing_address: null,
  };
}

/**
 * A customer as `GET /v1/customers/:id` shows it. The fake keeps no customers, so every `cust_…`
 * exists, with the email and phone Razorpay requires on each recurring payment.
 */
export function customerEntity(id: string) {
  return {
    id, entity: 'customer', name: 'Gaurav Kumar', email: 'gaurav.kumar@example.com', contact: '+919000090000',
    gstin: null, notes: [], created_at: 1_700_000_000,
  };
}

export function tokenRoutes(key: string, parts: string[]): Answer | null {
  if (key === 'GET customers/:id') return parts[2]!.startsWith('cust_') ? ok(customerEntity(parts[2]!)) : noSuchId();
  if (key !== 'GET customers/:id/tokens') return null;
  if (!parts[2]!.startsWith('cust_')) return noSuchId();
  if (parts[4]) return TEST_TOKENS[parts[4]] ? ok(tokenEntity(parts[4])) : noSuchId();
  const items = Object.keys(TEST_TOKENS).map(tokenEntity);
  return ok({ entity: 'collection', count: items.length, items });
}

export function disputeRoutes(ctx: Ctx, key: string, parts: string[], req: Req): Answer | null {
  if (key === 'GET disputes/:id') { const d = ctx.books.disputes.get(parts[2]!); return d ? ok(d) : noSuchId(); }
  if (key === 'GET disputes') return collection([...ctx.books.disputes.values()], req.query);
  return null;
}
