import { gatewayFor } from '../gateways/resolve.ts';
import { GatewayUnreachableError, type Actor, type Deps } from '../ports.ts';
import { isFinal } from './collect.ts';
import { settleAttempts } from './settle.ts';

/**
 * Paying an invoice again while its charge waits for the customer to authenticate replaces that
 * charge: it is cancelled at the processor first, so it can never complete as a second payment
 * later (Stripe's own invoices do the same when paid another way). Should the customer have
 * completed it meanwhile, it settles as paid instead. When no charge waits, when the processor
 * cannot cancel, or when it does not answer, nothing changes and the pay is refused as before
 * (`payment_in_progress`).
 */
export async function replaceWaitingCharge(deps: Deps, actor: Actor, invoiceId: string): Promise<void> {
  const waiting = await deps.db.selectFrom('payment_attempts').selectAll().where('account_id', '=', actor.accountId)
    .where('invoice_id', '=', invoiceId).where('status', '=', 'requires_action').executeTakeFirst();
  if (!waiting?.gateway_charge_id) return;
  const gateway = await gatewayFor(deps, waiting.account_id, waiting.gateway);
  if (!gateway.cancel) return;
  try {
    const outcome = await gateway.cancel({ chargeId: waiting.gateway_charge_id, attemptId: waiting.id });
    if (isFinal(outcome)) await settleAttempts(deps, actor, [{ attempt: waiting, outcome }]);
  } catch (err) {
    if (!(err instanceof GatewayUnreachableError)) throw err;
  }
}
