import { newId } from '../../domain/ids.ts';
import { transition, canTransition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { GatewayUnreachableError, type Actor, type ChargeOutcome, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, paymentAttemptView, subscriptionView, type Row } from '../views.ts';

/** An attempt ready to send: the row plus the token it charges. */
export type PendingCharge = { attempt: Row<'payment_attempts'>; token: string };

/**
 * Records a payment attempt for an open invoice inside the caller's transaction. It is
 * committed before the gateway is called, with the idempotency key the gateway will see, so a
 * crash after this point can always be settled by asking the gateway about that key.
 */
export async function openAttempt(
  deps: Pick<Deps, 'gateway' | 'recoveryDelayMs'>, u: UnitOfWork, invoice: Row<'invoices'>,
  pm: { id: string; gateway_token: string }, testClockId: string | null, now: Date,
): Promise<PendingCharge> {
  const id = newId('paymentAttempt');
  const attempt = await u.tx.insertInto('payment_attempts').values({
    account_id: u.accountId, id, invoice_id: invoice.id, customer_id: invoice.customer_id, payment_method_id: pm.id,
    test_clock_id: testClockId, gateway: deps.gateway.name, idempotency_key: `rebill:${u.accountId}:${id}`,
    amount: invoice.amount_remaining, currency: invoice.currency, status: 'pending', decline_code: null,
    failure_message: null, gateway_charge_id: null, recover_at: new Date(now.getTime() + deps.recoveryDelayMs),
    created_at: now, updated_at: now,
  }).returningAll().executeTakeFirstOrThrow();
  await u.tx.updateTable('invoices').set({ attempt_count: invoice.attempt_count + 1, updated_at: now })
    .where('account_id', '=', u.accountId).where('id', '=', invoice.id).execute();
  u.audit('payment.created', 'payment', id, null, paymentAttemptView(attempt), now);
  return { attempt, token: pm.gateway_token };
}

/** Sends a recorded attempt to the gateway and settles it; an unanswered call leaves it `unknown`. */
export async function sendAttempt(deps: Deps, actor: Actor, p: PendingCharge): Promise<ChargeOutcome | null> {
  let outcome: ChargeOutcome;
  try {
    outcome = await deps.gateway.charge({
      idempotencyKey: p.attempt.idempotency_key, token: p.token, amount: p.attempt.amount,
      currency: p.attempt.currency, reference: p.attempt.invoice_id,
    });
  } catch (err) {
    if (!(err instanceof GatewayUnreachableError)) throw err;
    deps.log.warn({ attempt: p.attempt.id, err: err.message }, 'gateway did not answer; payment outcome unknown until recovery');
    await deps.db.updateTable('payment_attempts').set({ status: 'unknown', updated_at: deps.clock.now() })
      .where('account_id', '=', p.attempt.account_id).where('id', '=', p.attempt.id).where('status', '=', 'pending').execute();
    return null;
  }
  await settleAttempt(deps, actor, p.attempt.account_id, p.attempt.id, outcome);
  return outcome;
}

/**
 * Applies a gateway outcome to the attempt, its invoice and its subscription, once: an
 * attempt that is already settled is left alone, so recovery and a late answer cannot both count.
 */
export async function settleAttempt(deps: Deps, actor: Actor, accountId: string, attemptId: string, outcome: ChargeOutcome): Promise<void> {
  await command(deps, actor, async (u) => {
    const current = await u.tx.selectFrom('payment_attempts').select('test_clock_id')
      .where('account_id', '=', accountId).where('id', '=', attemptId).executeTakeFirstOrThrow();
    const now = await nowFor(deps, u.tx, accountId, current.test_clock_id);
    const attempt = await u.tx.updateTable('payment_attempts').set(outcome.status === 'succeeded'
      ? { status: 'succeeded', gateway_charge_id: outcome.chargeId, recover_at: null, updated_at: now }
      : { status: 'failed', gateway_charge_id: outcome.chargeId, decline_code: outcome.declineCode, failure_message: outcome.message, recover_at: null, updated_at: now })
      .where('account_id', '=', accountId).where('id', '=', attemptId).where('status', 'in', ['pending', 'unknown'])
      .returningAll().executeTakeFirst();
    if (!attempt) return;
    const before = await u.tx.selectFrom('invoices').selectAll()
      .where('account_id', '=', accountId).where('id', '=', attempt.invoice_id).forUpdate().executeTakeFirstOrThrow();
    u.audit(`payment.${attempt.status}`, 'payment', attempt.id, null, paymentAttemptView(attempt), now);
    if (outcome.status === 'succeeded') await applyPaid(u, before, attempt, now);
    else await applyFailed(u, before, attempt, outcome.declineCode, now);
  });
}

async function applyPaid(u: UnitOfWork, before: Row<'invoices'>, attempt: Row<'payment_attempts'>, now: Date) {
  u.emit('payment.succeeded', attempt.id, paymentAttemptView(attempt), now);
  if (before.status !== 'open') {
    // Paid while void or already paid elsewhere: money arrived that the invoice did not expect.
    u.audit('payment.unexpected', 'invoice', before.id, null, { invoice_status: before.status, attempt: attempt.id }, now);
    return;
  }
  const paid = await u.tx.updateTable('invoices').set({
    status: 'paid', amount_paid: before.amount_paid + attempt.amount, amount_remaining: before.amount_remaining - attempt.amount,
    paid_at: now, updated_at: now, version: before.version + 1,
  }).where('account_id', '=', u.accountId).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
  const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', '=', u.accountId).where('invoice_id', '=', before.id).orderBy('id').execute();
  const view = invoiceView(paid, lines);
  u.audit('invoice.paid', 'invoice', paid.id, { status: before.status, amount_paid: Number(before.amount_paid) }, { status: 'paid', amount_paid: Number(paid.amount_paid) }, now);
  u.emit('invoice.paid', paid.id, view, now);
  if (paid.subscription_id) await moveSubscription(u, paid.subscription_id, 'payment_succeeded', now);
}

async function applyFailed(u: UnitOfWork, invoice: Row<'invoices'>, attempt: Row<'payment_attempts'>, declineCode: string, now: Date) {
  const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', '=', u.accountId).where('invoice_id', '=', invoice.id).orderBy('id').execute();
  u.emit('payment.failed', attempt.id, paymentAttemptView(attempt), now, { decline_code: declineCode });
  u.emit('invoice.payment_failed', invoice.id, invoiceView(invoice, lines), now, { decline_code: declineCode, payment: attempt.id });
  if (invoice.subscription_id && invoice.status === 'open') {
    await moveSubscription(u, invoice.subscription_id, invoice.billing_reason === 'subscription_create' ? 'first_payment_failed' : 'payment_failed', now);
  }
}

/** Applies a payment event to a subscription when its status allows it; a canceled one stays canceled. */
export async function moveSubscription(u: UnitOfWork, subscriptionId: string, event: 'payment_succeeded' | 'payment_failed' | 'first_payment_failed', now: Date) {
  const s = await u.tx.selectFrom('subscriptions').selectAll()
    .where('account_id', '=', u.accountId).where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
  const from = s.status as SubscriptionStatus;
  if (!canTransition(from, event)) return;
  const to = transition(from, event);
  if (to === from) return;
  const next = nextActionAt({ ...s, status: to });
  const after = await u.tx.updateTable('subscriptions').set({ status: to, next_action_at: next, updated_at: now, version: s.version + 1 })
    .where('account_id', '=', u.accountId).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
  u.audit('subscription.status_changed', 'subscription', s.id, { status: from }, { status: to }, now);
  u.emit('subscription.updated', s.id, subscriptionView(after, []), now, { previous_attributes: { status: from } });
}
