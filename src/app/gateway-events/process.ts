import { isOpenAttempt } from '../../domain/payment-attempt-status.ts';
import { settleAttempts } from '../payments/settle.ts';
import { settleRefund } from '../payments/refunds.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { applyDispute } from './disputes.ts';
import { recordGatewayRefund } from './gateway-refunds.ts';
import { applied, attemptOf, decodeSubject, ignored, unmatched, type Applied, type EventRow, type Subject } from './subject.ts';


/**
 * Settles an open attempt through the same path as the gateway's own answer (settleAttempts):
 * only an attempt still open changes, so a late `payment_failed` after `succeeded` (or a second
 * success) moves nothing.
 */
async function applyCharge(deps: Deps, actor: Actor, ev: EventRow, s: Subject<'charge'>): Promise<Applied> {
  const attempt = await attemptOf(deps, ev, { attemptId: s.attemptId, chargeId: s.outcome.chargeId });
  if (!attempt) return unmatched('no payment of this gateway carries this charge');
  const outcome = s.outcome;
  if (outcome.status !== 'succeeded' && outcome.status !== 'failed') return ignored(`the charge is still ${outcome.status}`);
  if (!isOpenAttempt(attempt.status)) {
    if (attempt.status === 'failed' && outcome.status === 'succeeded') {
      // Money taken after Rebill recorded a decline (a late authorisation, which Razorpay documents):
      // not flipped here, as dunning may have charged the invoice another way since; put on the
      // audit trail for finance to refund or apply it.
      deps.log.warn({ payment: attempt.id, event: ev.event_id }, 'gateway reports a success for a payment recorded as failed');
      await command(deps, actor, async (u) => {
        u.audit('payment.late_success', 'payment', attempt.id, { status: attempt.status }, { gateway_event: ev.id, gateway_charge_id: outcome.chargeId }, deps.clock.now());
      });
      return ignored('the payment was recorded as failed; the processor now reports it succeeded: check it at the processor');
    }
    return ignored(`the payment is already ${attempt.status}`);
  }
  await settleAttempts(deps, actor, [{ attempt, outcome }]);
  const now = await deps.db.selectFrom('payment_attempts').select('status').where('account_id', '=', attempt.account_id).where('id', '=', attempt.id).executeTakeFirstOrThrow();
  return now.status === outcome.status ? applied : ignored(`the payment was settled meanwhile as ${now.status}`);
}

/**
 * A refund Rebill asked for is settled if still open; one it never asked for (made in the
 * processor's dashboard) is recorded once it has succeeded.
 */
async function applyRefund(deps: Deps, actor: Actor, ev: EventRow, s: Subject<'refund'>): Promise<Applied> {
  const q = deps.db.selectFrom('refunds').selectAll().where('account_id', '=', ev.account_id).where('gateway', '=', ev.gateway);
  const own = (s.rebillRefundId ? await q.where('id', '=', s.rebillRefundId).executeTakeFirst() : undefined)
    ?? await q.where('gateway_refund_id', '=', s.gatewayRefundId).executeTakeFirst();
  if (own) {
    if (own.status !== 'pending' && own.status !== 'unknown') return ignored(`the refund is already ${own.status}`);
    if (s.status === 'pending') return ignored('the refund is still pending');
    await settleRefund(deps, actor, own, s.status === 'succeeded'
      ? { status: 'succeeded', refundId: s.gatewayRefundId }
      : { status: 'failed', refundId: null, code: 'refund_failed', message: s.failure ?? 'the processor reports the refund failed' });
    return applied;
  }
  if (s.status !== 'succeeded') return ignored(`a refund not made by Rebill, ${s.status}: recorded once it succeeds`);
  return await recordGatewayRefund(deps, actor, ev, s);
}

export async function processGatewayEvent(deps: Deps, accountId: string, id: string): Promise<void> {
  const ev = await deps.db.selectFrom('gateway_events').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!ev || ev.status !== 'received') return;
  const actor: Actor = { accountId, actor: `gateway:${ev.gateway}`, requestId: null };
  const s = decodeSubject(ev.subject);
  const result = s.kind === 'charge' ? await applyCharge(deps, actor, ev, s)
    : s.kind === 'refund' ? await applyRefund(deps, actor, ev, s)
    : await applyDispute(deps, actor, ev, s);
  await deps.db.updateTable('gateway_events').set({ status: result.status, note: result.note, processed_at: deps.clock.now() })
    .where('account_id', '=', accountId).where('id', '=', id).where('status', '=', 'received').execute();
}
