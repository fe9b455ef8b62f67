import { OPEN_ATTEMPT_STATUSES } from '../../domain/payment-attempt-status.ts';
import type { Actor, ChargeOutcome, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { invoiceView, paymentAttemptView, type Row } from '../views.ts';

type Pending = ChargeOutcome & { status: 'processing' | 'requires_action' };

/**
 * An attempt whose outcome is not known yet stays open for recovery to ask again later. No
 * answer came: it is `unknown`. The processor is still working on it: it takes the processor's
 * word (`processing`, `requires_action`) with the charge id, and the first time it does so the
 * merchant hears of it; a repeated "still processing" changes nothing and says nothing.
 */
export async function leaveOpen(deps: Deps, actor: Actor, a: Row<'payment_attempts'>, outcome: ChargeOutcome | null): Promise<void> {
  if (!outcome || (outcome.status !== 'processing' && outcome.status !== 'requires_action')) {
    await deps.db.updateTable('payment_attempts').set({ status: 'unknown', updated_at: deps.clock.now() })
      .where('account_id', '=', a.account_id).where('id', '=', a.id).where('status', 'in', ['pending', 'unknown']).execute();
    return;
  }
  await awaitProcessor(deps, actor, a, outcome);
}

async function awaitProcessor(deps: Deps, actor: Actor, a: Row<'payment_attempts'>, outcome: Pending): Promise<void> {
  await command(deps, { ...actor, accountId: a.account_id }, async (u) => {
    const at = await nowFor(deps, u.tx, a.account_id, a.test_clock_id);
    const actionUrl = outcome.status === 'requires_action' ? outcome.actionUrl : null;
    const moved = await u.tx.updateTable('payment_attempts')
      .set({ status: outcome.status, gateway_charge_id: outcome.chargeId, action_url: actionUrl, updated_at: at })
      .where('account_id', '=', a.account_id).where('id', '=', a.id)
      .where('status', 'in', OPEN_ATTEMPT_STATUSES).where('status', '<>', outcome.status)
      .returningAll().executeTakeFirst();
    if (!moved) return;
    const view = paymentAttemptView(moved);
    u.audit(`payment.${outcome.status}`, 'payment', moved.id, { status: a.status }, view, at);
    u.emit(`payment.${outcome.status}`, moved.id, view, at);
    if (outcome.status !== 'requires_action') return;
    // The customer has to act: the merchant gets the invoice and where to send them.
    const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', a.account_id).where('id', '=', a.invoice_id).executeTakeFirstOrThrow();
    const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', '=', a.account_id)
      .where('invoice_id', '=', a.invoice_id).orderBy('position').orderBy('id').execute();
    u.emit('invoice.payment_action_required', invoice.id, invoiceView(invoice, lines), at, { payment: moved.id, next_action: view.next_action });
  });
}
