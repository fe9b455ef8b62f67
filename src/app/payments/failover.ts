import { failoverAllowed, normalizeDecline } from '../../domain/declines.ts';
import { routeAvoiding } from '../../domain/routing.ts';
import { healthKey, routingHealth } from '../gateways/health.ts';
import { chargeOf, methodsOf } from '../gateways/route-charges.ts';
import { liveRules } from '../gateways/routing-rules.ts';
import type { Actor, ChargeOutcome, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { paymentAttemptView, type Row } from '../views.ts';
import { attemptRow, type PendingCharge } from './collect.ts';
import { declineColumns } from './settle.ts';

type Failed = ChargeOutcome & { status: 'failed' };

/** A failed outcome that may move to another gateway: the processor's own error, nothing the card said. */
export const movable = (o: ChargeOutcome | null): o is Failed => o !== null && o.status === 'failed' && failoverAllowed(o.decline);

/**
 * What recovery records on an attempt whose gateway never answered and, asked after the recovery
 * delay, proved it never saw the charge: a processing error, the gateway's fault, nothing charged.
 */
export function neverReached(a: Row<'payment_attempts'>): Failed {
  return {
    status: 'failed', chargeId: null, decline: normalizeDecline('custom_http', { code: 'processing_error' }), gatewayCode: 'gateway_unreachable',
    message: `Gateway '${a.gateway}' did not answer and, asked later, had no such charge.`,
  };
}

/**
 * Whether recovery may take a lookup's "no such charge" as proof that the attempt never reached
 * its gateway: the last call to it failed on the gateway's side (5xx, timeout) and was made at
 * least the recovery delay ago in real time, so a lookup that lags behind writes (Stripe's
 * search) has caught up. A test clock's business time does not count: it can run ahead in a
 * second. docs/failover.md, the proof rule.
 */
export function lookupProves(deps: Pick<Deps, 'clock' | 'recoveryDelayMs'>, a: Row<'payment_attempts'>): boolean {
  return a.gateway_result === 'gateway_error' && a.gateway_charge_id === null && a.gateway_called_at !== null
    && deps.clock.now().getTime() - a.gateway_called_at.getTime() >= deps.recoveryDelayMs;
}

/** The gateways an invoice's charge has been through: the attempt and those it replaced. */
function chainOf(attempts: Pick<Row<'payment_attempts'>, 'id' | 'gateway' | 'failover_of'>[], id: string): Set<string> {
  const byId = new Map(attempts.map((a) => [a.id, a]));
  const gateways = new Set<string>();
  for (let a = byId.get(id); a; a = a.failover_of ? byId.get(a.failover_of) : undefined) gateways.add(a.gateway);
  return gateways;
}

/**
 * Moves an invoice's charge off a gateway that failed on its own side: in one transaction the
 * attempt is closed as failed (its normalized processing error kept) and a new attempt is opened
 * for the customer's method on another gateway, chosen by the account's routing rules among
 * gateways the charge has not been through (no ping-pong), healthy ones first. The new attempt
 * has its own idempotency key, the next attempt number and `failover_of`. Nothing moves while the
 * invoice is not awaiting payment or another of its attempts is open.
 * Returns the attempt to send; null when there is nowhere to go (the caller settles the failure
 * as usual); 'settled' when the attempt was settled meanwhile by someone else.
 */
export async function failOver(deps: Deps, actor: Actor, attempt: Row<'payment_attempts'>, outcome: Failed): Promise<PendingCharge | null | 'settled'> {
  return await command(deps, { ...actor, accountId: attempt.account_id }, async (u) => {
    const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', '=', attempt.invoice_id).forUpdate().executeTakeFirstOrThrow();
    const attempts = await u.tx.selectFrom('payment_attempts').select(['id', 'gateway', 'status', 'failover_of'])
      .where('account_id', '=', u.accountId).where('invoice_id', '=', invoice.id).execute();
    const self = attempts.find((a) => a.id === attempt.id);
    if (!self || self.status === 'succeeded' || self.status === 'failed') return 'settled';
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') return null;
    if (attempts.some((a) => a.id !== attempt.id && a.status !== 'succeeded' && a.status !== 'failed')) return null;
    const tried = chainOf(attempts, attempt.id);
    const methods = (await methodsOf(u, [u.accountId], [invoice.customer_id])).filter((m) => !tried.has(m.gateway));
    const active = new Set((await u.tx.selectFrom('gateways').select('id').where('account_id', '=', u.accountId).where('active', '=', true).execute()).map((g) => g.id));
    const open = methods.filter((m) => m.gateway === 'sandbox' || active.has(m.gateway));
    if (open.length === 0) return null;
    const customer = await u.tx.selectFrom('customers').select('default_payment_method_id').where('account_id', '=', u.accountId).where('id', '=', invoice.customer_id).executeTakeFirstOrThrow();
    const rules = (await liveRules(u.tx, [u.accountId])).get(u.accountId) ?? [];
    const health = await routingHealth(u.tx, open.map((m) => ({ accountId: u.accountId, gateway: m.gateway })), deps.clock.now());
    const charge = chargeOf(invoice.currency, invoice.amount_remaining, open[0]!);
    const pm = routeAvoiding(rules, charge, open, customer.default_payment_method_id, (g) => health.get(healthKey(u.accountId, g)) === 'skip')
      ?? routeAvoiding(rules, charge, open, customer.default_payment_method_id, () => false)!;
    const now = await nowFor(deps, u.tx, u.accountId, attempt.test_clock_id);
    const closed = { ...attempt, status: 'failed', gateway_charge_id: outcome.chargeId, recover_at: null, updated_at: now, ...declineColumns(outcome) };
    const won = await u.tx.updateTable('payment_attempts')
      .set({ status: 'failed', gateway_charge_id: outcome.chargeId, recover_at: null, updated_at: now, ...declineColumns(outcome),
        network_advice: closed.network_advice === null ? null : JSON.stringify(closed.network_advice) })
      .where('account_id', '=', u.accountId).where('id', '=', attempt.id).where('status', 'not in', ['succeeded', 'failed']).executeTakeFirst();
    if (won.numUpdatedRows === 0n) return 'settled';
    const hop = { ...attemptRow(deps, invoice, pm, attempt.test_clock_id, now), failover_of: attempt.id };
    await u.tx.insertInto('payment_attempts').values({ ...hop, network_advice: null }).execute();
    await u.tx.updateTable('invoices').set({ attempt_count: invoice.attempt_count + 1, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', invoice.id).execute();
    // Both attempts show: the failed one with where its charge went next, the new one as created.
    u.audit('payment.failed', 'payment', attempt.id, null, paymentAttemptView(closed), now);
    u.emit('payment.failed', attempt.id, paymentAttemptView(closed), now, { decline_code: closed.decline_code, failover: hop.id });
    u.audit('payment.failover', 'payment', hop.id, { gateway: attempt.gateway, payment: attempt.id }, { gateway: hop.gateway, payment: hop.id }, now);
    u.audit('payment.created', 'payment', hop.id, null, paymentAttemptView(hop), now);
    return { attempt: hop, token: pm.gateway_token, gatewayCustomer: pm.gateway_customer };
  });
}
