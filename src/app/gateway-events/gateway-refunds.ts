import { sql } from 'kysely';
import { newId } from '../../domain/ids.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { refundView, type Row } from '../views.ts';
import { applied, attemptOf, ignored, unmatched, type Applied, type EventRow, type Subject } from './subject.ts';

/**
 * Records a refund made at the processor, not asked for by Rebill (a refund in Stripe's or
 * Razorpay's dashboard). The money has left: it is recorded as it happened, a succeeded refund of
 * the payment with `origin: 'gateway'` and no credit note, since nobody issued one and Rebill does
 * not invent documents. It shows in GET /v1/refunds?invoice= and counts against what a later
 * credit note may still refund through the gateway. Recorded once per processor refund id.
 */
export async function recordGatewayRefund(deps: Deps, actor: Actor, ev: EventRow, s: Subject<'refund'>): Promise<Applied> {
  const paid = await attemptOf(deps, ev, { chargeId: s.chargeId });
  if (!paid || paid.status !== 'succeeded') return unmatched('no succeeded payment of this gateway carries this charge');
  if (s.currency !== paid.currency) return ignored(`the refund is in ${s.currency}, the payment in ${paid.currency}`);
  return await command(deps, actor, async (u) => {
    const now = deps.clock.now();
    const row: Row<'refunds'> = {
      account_id: ev.account_id, id: newId('refund'), credit_note_id: null, invoice_id: paid.invoice_id, payment_attempt_id: paid.id,
      customer_id: paid.customer_id, gateway: ev.gateway, gateway_charge_id: s.chargeId, idempotency_key: `gateway:${ev.account_id}:${ev.gateway}:${s.gatewayRefundId}`,
      amount: s.amount, currency: s.currency, status: 'succeeded', gateway_refund_id: s.gatewayRefundId, failure_message: null,
      recover_at: null, origin: 'gateway', created_at: now, updated_at: now,
    };
    const inserted = (await sql<{ id: string }>`
      INSERT INTO refunds (account_id, id, credit_note_id, invoice_id, payment_attempt_id, customer_id, gateway, gateway_charge_id,
        idempotency_key, amount, currency, status, gateway_refund_id, failure_message, recover_at, origin, created_at, updated_at)
      VALUES (${row.account_id}, ${row.id}, NULL, ${row.invoice_id}, ${row.payment_attempt_id}, ${row.customer_id}, ${row.gateway},
        ${row.gateway_charge_id}, ${row.idempotency_key}, ${row.amount}, ${row.currency}, 'succeeded', ${row.gateway_refund_id}, NULL, NULL,
        'gateway', ${now}, ${now})
      ON CONFLICT DO NOTHING RETURNING id`.execute(u.tx)).rows[0];
    if (!inserted) return ignored('this processor refund is already recorded');
    const view = refundView(row);
    u.audit('refund.recorded_from_gateway', 'refund', row.id, null, view, now);
    u.emit('refund.succeeded', row.id, view, now);
    return applied;
  });
}
