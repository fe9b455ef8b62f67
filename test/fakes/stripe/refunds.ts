import { record, str, type Params } from './form.ts';
import * as o from './objects.ts';
import type { Obj } from './objects.ts';
import { invalid, noSuch, type Ctx, type State } from './state.ts';

/**
 * Refunds (docs.stripe.com/api/refunds; spec /v1/refunds) and disputes (`dispute` schema;
 * events charge.dispute.*). A refund made in the Dashboard goes through the same code with no
 * request behind it, so its events carry `request.id: null` as Stripe's do.
 */
const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

function chargeFor(s: State, p: Params): Obj {
  const chargeId = str(p.charge);
  const piId = str(p.payment_intent);
  if (!chargeId && !piId) throw invalid('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' });
  if (chargeId) {
    const ch = s.charges.get(chargeId)?.obj;
    if (!ch) throw noSuch('charge', chargeId, 'charge');
    return ch;
  }
  const pi = s.intents.get(piId!)?.obj;
  if (!pi) throw noSuch('payment_intent', piId!, 'payment_intent');
  const ch = pi.latest_charge ? s.charges.get(pi.latest_charge)?.obj : undefined;
  if (!ch || ch.status !== 'succeeded' || !ch.captured) {
    throw invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, { param: 'payment_intent' });
  }
  return ch;
}

export function createRefund(s: State, p: Params, ctx: Ctx): Obj {
  const ch = chargeFor(s, p);
  const remaining = ch.amount_captured - ch.amount_refunded;
  if (remaining <= 0) throw invalid(`Charge ${ch.id} has already been refunded.`, { code: 'charge_already_refunded' });
  const rawAmount = str(p.amount);
  if (rawAmount !== undefined && !/^\d+$/.test(rawAmount)) throw invalid(`Invalid integer: ${rawAmount}`, { code: 'parameter_invalid_integer', param: 'amount' });
  const amount = rawAmount === undefined ? remaining : Number(rawAmount);
  if (amount < 1) throw invalid('This value must be greater than or equal to 1.', { code: 'parameter_invalid_integer', param: 'amount' });
  if (amount > remaining) throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { code: 'amount_too_large', param: 'amount' });
  const reason = str(p.reason) ?? null;
  if (reason && !REASONS.includes(reason)) throw invalid(`Invalid reason: must be one of ${REASONS.join(', ')}`, { param: 'reason' });
  const pending = s.charges.get(ch.id)!.template.refunds === 'pending';
  const r = o.refund(o.newId('re', 24), s.created(), ch, { amount, metadata: record(p.metadata), reason, status: pending ? 'pending' : 'succeeded' });
  s.refunds.set(r.id, r);
  const previous = { amount_refunded: ch.amount_refunded, refunded: ch.refunded };
  ch.amount_refunded += amount;
  ch.refunded = ch.amount_refunded === ch.amount_captured;
  s.emit('refund.created', r, ctx);
  s.emit('charge.refunded', ch, ctx, previous);
  return r;
}

/** Ends a `pending` refund (pm_card_pendingRefund) or fails a succeeded one, as Stripe does later in live mode. */
export function settleRefund(s: State, id: string, outcome: 'succeeded' | 'failed', ctx: Ctx): Obj {
  const r = s.refunds.get(id);
  if (!r) throw new Error(`settleRefund: no refund ${id}`);
  const previous = { status: r.status };
  if (outcome === 'failed') {
    Object.assign(r, { status: 'failed', failure_reason: 'declined', failure_balance_transaction: o.newId('txn') });
    const ch = s.charges.get(r.charge)!.obj;
    ch.amount_refunded -= r.amount;
    ch.refunded = false;
    s.emit('refund.updated', r, ctx, previous);
    return s.emit('refund.failed', r, ctx);
  }
  r.status = 'succeeded';
  return s.emit('refund.updated', r, ctx, previous);
}

export function listRefunds(s: State, p: Params): Obj {
  const piId = str(p.payment_intent);
  const chargeId = str(p.charge);
  const limit = Math.min(100, Math.max(1, Number(str(p.limit) ?? 10) || 10));
  let all = [...s.refunds.values()].reverse()
    .filter((r) => (!piId || r.payment_intent === piId) && (!chargeId || r.charge === chargeId));
  const after = str(p.starting_after);
  if (after) all = all.slice(all.findIndex((r) => r.id === after) + 1);
  return { object: 'list', data: all.slice(0, limit), has_more: all.length > limit, url: '/v1/refunds' };
}

export function openDispute(s: State, chargeOrIntent: string, p: { reason?: string; amount?: number }, ctx: Ctx): Obj {
  const chId = chargeOrIntent.startsWith('pi_') ? s.intents.get(chargeOrIntent)?.obj.latest_charge : chargeOrIntent;
  const ch = chId ? s.charges.get(chId)?.obj : undefined;
  if (!ch || ch.status !== 'succeeded') throw new Error(`dispute: ${chargeOrIntent} has no succeeded charge`);
  const d = o.dispute(o.newId('dp', 24), s.created(), ch, { amount: p.amount ?? ch.amount_captured, reason: p.reason ?? 'fraudulent', status: 'needs_response' });
  s.disputes.set(d.id, d);
  ch.disputed = true;
  return s.emit('charge.dispute.created', d, ctx);
}

const OPEN = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review'];
const CLOSED = ['won', 'lost', 'warning_closed'];

export function updateDispute(s: State, id: string, status: string, ctx: Ctx): Obj {
  const d = s.disputes.get(id);
  if (!d) throw new Error(`dispute: no dispute ${id}`);
  if (![...OPEN, ...CLOSED].includes(status)) throw new Error(`dispute: unknown status ${status}`);
  const previous = { status: d.status };
  d.status = status;
  if (status === 'under_review') d.evidence_details = { ...d.evidence_details, has_evidence: true, submission_count: d.evidence_details.submission_count + 1 };
  return s.emit(CLOSED.includes(status) ? 'charge.dispute.closed' : 'charge.dispute.updated', d, ctx, previous);
}
