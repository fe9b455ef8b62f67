import { newId } from '../../domain/ids.ts';
import { GatewayUnreachableError, type Actor, type ChargeOutcome, type ChargeRequest, type Deps } from '../ports.ts';
import { gatewayFor } from '../gateways/resolve.ts';
import { recordCalls, resultOf, timed, type CallRecord } from '../gateways/health.ts';
import { failOver, movable } from './failover.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { paymentAttemptView, type Row } from '../views.ts';
import { leaveOpen } from './leave-open.ts';
import { settleAttempts, type Settlement, type Snapshot } from './settle.ts';

/** An attempt ready to send: the row, the token it charges and, when known, the state it was opened in. */
export type PendingCharge = {
  attempt: Row<'payment_attempts'>; token: string; gatewayCustomer: string | null; snapshot?: Snapshot;
  /** The sender records the outcome in the invoice's dunning case itself (the dunning duty): the settlement enqueues no job for it. */
  recordedByCaller?: boolean;
};

type InvoiceRef = { account_id: string; id: string; customer_id: string; currency: string; amount_remaining: bigint; attempt_count: number };

/**
 * A pending attempt for the invoice's remaining amount. It carries the idempotency key the
 * gateway will see and a time after which recovery may ask the gateway what became of it.
 */
export function attemptRow(deps: Pick<Deps, 'recoveryDelayMs' | 'clock'>, invoice: InvoiceRef, pm: { id: string; gateway: string }, testClockId: string | null, now: Date): Row<'payment_attempts'> {
  const id = newId('paymentAttempt');
  return {
    account_id: invoice.account_id, id, invoice_id: invoice.id, customer_id: invoice.customer_id, payment_method_id: pm.id,
    // The payment method's gateway charges it; recovery and refunds go back to the same one.
    test_clock_id: testClockId, gateway: pm.gateway, idempotency_key: `rebill:${invoice.account_id}:${id}`,
    amount: invoice.amount_remaining, currency: invoice.currency, status: 'pending', decline_code: null,
    failure_message: null, gateway_charge_id: null, gateway_decline_code: null, decline_category: null, do_not_retry: false, network_advice: null, action_url: null, lookups: 0, attempt_number: invoice.attempt_count + 1,
    gateway_called_at: null, gateway_ms: null, gateway_result: null, failover_of: null, recover_at: new Date(now.getTime() + deps.recoveryDelayMs),
    // On a test clock `now` is the clock's; a crash must still be healed in real time.
    rescue_at: testClockId ? new Date(deps.clock.now().getTime() + deps.recoveryDelayMs) : null,
    created_at: now, updated_at: now,
  };
}

/**
 * Records a payment attempt for an open invoice inside the caller's transaction. It is
 * committed before the gateway is called, so a crash after this point can always be settled
 * by asking the gateway about the attempt's key.
 */
export async function openAttempt(
  deps: Pick<Deps, 'recoveryDelayMs' | 'clock'>, u: UnitOfWork, invoice: Row<'invoices'>,
  pm: { id: string; gateway_token: string; gateway: string; gateway_customer: string | null }, testClockId: string | null, now: Date,
): Promise<PendingCharge> {
  const attempt = attemptRow(deps, invoice, pm, testClockId, now);
  await u.tx.insertInto('payment_attempts').values({ ...attempt, network_advice: null }).execute();
  await u.tx.updateTable('invoices').set({ attempt_count: invoice.attempt_count + 1, updated_at: now })
    .where('account_id', '=', u.accountId).where('id', '=', invoice.id).execute();
  u.audit('payment.created', 'payment', attempt.id, null, paymentAttemptView(attempt), now);
  return { attempt, token: pm.gateway_token, gatewayCustomer: pm.gateway_customer };
}

// Charges of one batch go to the gateway side by side, up to this many at once.
const GATEWAY_PARALLELISM = 8;

/**
 * Sends recorded attempts to the gateway and settles the answers in one transaction. An
 * attempt whose call got no answer is marked `unknown` and left for recovery. How long each call
 * took is recorded for gateway health; a processing error fails over (failover.ts).
 */
export async function sendAttempts(deps: Deps, actor: Actor, pending: PendingCharge[]): Promise<{ outcomes: Map<string, ChargeOutcome | null>; changed: Map<string, Row<'subscriptions'>> }> {
  const outcomes = new Map<string, ChargeOutcome | null>();
  const calls: CallRecord[] = [];
  let next = 0;
  async function lane() {
    while (next < pending.length) {
      const p = pending[next++]!;
      const gateway = await gatewayFor(deps, p.attempt.account_id, p.attempt.gateway);
      const sent = await timed(deps, () => gateway.charge(chargeRequest(p.attempt, p.token, p.gatewayCustomer)));
      if ('error' in sent && !(sent.error instanceof GatewayUnreachableError)) throw sent.error;
      if ('error' in sent) deps.log.warn({ attempt: p.attempt.id, err: (sent.error as Error).message }, 'gateway did not answer; payment outcome unknown until recovery');
      const outcome = 'value' in sent ? sent.value : null;
      outcomes.set(p.attempt.id, outcome);
      calls.push({ account_id: p.attempt.account_id, id: p.attempt.id, gateway_called_at: sent.at, gateway_ms: sent.ms, gateway_result: resultOf(outcome) });
    }
  }
  await Promise.all(Array.from({ length: Math.min(GATEWAY_PARALLELISM, pending.length) }, lane));
  // A call whose attempt settles now is recorded by the settlement's own write; the others (left
  // open, or moving to another gateway, whose health routing reads at once) are recorded here.
  const carried = (id: string) => { const o = outcomes.get(id) ?? null; return isFinal(o) && !movable(o); };
  await recordCalls(deps.db, calls.filter((c) => !carried(c.id)));
  const callOf = new Map(calls.map((c) => [c.id, c]));
  for (const p of pending) {
    const outcome = outcomes.get(p.attempt.id) ?? null;
    if (!isFinal(outcome)) await leaveOpen(deps, actor, p.attempt, outcome);
  }
  // The processor's own failure moves the charge to another gateway when the customer has a method there.
  const hops = new Map<string, PendingCharge>();
  for (const p of pending) {
    const outcome = outcomes.get(p.attempt.id) ?? null;
    if (!movable(outcome)) continue;
    const hop = await failOver(deps, actor, p.attempt, outcome);
    if (hop === 'settled') outcomes.delete(p.attempt.id);
    else if (hop) hops.set(p.attempt.id, hop);
  }
  const settled: Settlement[] = pending.flatMap((p) => {
    const outcome = outcomes.get(p.attempt.id) ?? null;
    const call = callOf.get(p.attempt.id);
    const attempt = call ? { ...p.attempt, gateway_called_at: call.gateway_called_at, gateway_ms: call.gateway_ms, gateway_result: call.gateway_result } : p.attempt;
    return outcome && isFinal(outcome) && !hops.has(p.attempt.id) ? [{ attempt, outcome, snapshot: p.snapshot, recordedByCaller: p.recordedByCaller }] : [];
  });
  const changed = await settleAttempts(deps, actor, settled);
  if (hops.size === 0) return { outcomes, changed };
  // What the invoice's charge came to is what its last hop came to.
  const after = await sendAttempts(deps, actor, [...hops.values()]);
  for (const [from, hop] of hops) outcomes.set(from, after.outcomes.get(hop.attempt.id) ?? null);
  for (const [id, s] of after.changed) changed.set(id, s);
  return { outcomes, changed };
}

/** Succeeded or failed: the attempt can be settled. No answer, `processing` and `requires_action` are not. */
export const isFinal = (o: ChargeOutcome | null): o is ChargeOutcome & { status: 'succeeded' | 'failed' } =>
  o !== null && (o.status === 'succeeded' || o.status === 'failed');

/** What the gateway is asked for an attempt; recovery sends the very same request again. */
export function chargeRequest(a: Row<'payment_attempts'>, token: string, gatewayCustomer: string | null): ChargeRequest {
  return {
    idempotencyKey: a.idempotency_key, attemptId: a.id, token, gatewayCustomer, amount: a.amount, currency: a.currency,
    reference: a.invoice_id, customerId: a.customer_id, attemptNumber: a.attempt_number, attemptedAt: a.created_at,
  };
}

/** One attempt: its outcome, or null when the gateway did not answer. */
export async function sendAttempt(deps: Deps, actor: Actor, p: PendingCharge): Promise<ChargeOutcome | null> {
  return (await sendAttempts(deps, actor, [p])).outcomes.get(p.attempt.id) ?? null;
}
