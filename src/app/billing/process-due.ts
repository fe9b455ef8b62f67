import { nextBoundaryAfter } from '../../domain/calendar.ts';
import { dueAction, nextActionAt } from '../../domain/subscription-schedule.ts';
import { transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { systemActor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, subscriptionView, type Row } from '../views.ts';
import { openAttempt, sendAttempt, type PendingCharge } from './collect.ts';
import { createPeriodInvoice, loadItems, recurringOf } from './period-invoice.ts';

export type DueResult = { subscriptionId: string; action: string; charge: PendingCharge | null } | null;

/**
 * Does what is due for one locked subscription at `now`: expire an unpaid first invoice, end a
 * trial, renew, or end at period end. Everything is written in the caller's transaction; a
 * charge, if any, is returned to be sent after commit.
 */
export async function applyDue(deps: Deps, u: UnitOfWork, s: Row<'subscriptions'>, now: Date): Promise<DueResult> {
  const status = s.status as SubscriptionStatus;
  const action = dueAction({ ...s, status }, now);
  if (!action) return null;
  if (action === 'expire_incomplete') return await expireIncomplete(deps, u, s, now);
  if (action === 'cancel_at_period_end') {
    const after = await update(u, s, { status: transition(status, 'cancel'), ended_at: s.current_period_end, next_action_at: null }, now);
    u.audit('subscription.ended', 'subscription', s.id, { status }, { status: after.status, ended_at: after.ended_at }, now);
    u.emit('subscription.deleted', s.id, subscriptionView(after, []), now);
    return { subscriptionId: s.id, action, charge: null };
  }
  // end_trial or renew: the next period starts where the current one ends.
  const start = s.current_period_end;
  const end = nextBoundaryAfter(s.billing_cycle_anchor, recurringOf(s), start);
  const nextStatus = action === 'end_trial' ? transition(status, 'trial_ended') : status;
  const items = await loadItems(u, s.id);
  const invoice = await createPeriodInvoice(u, s, items, start, end, 'subscription_cycle', now);
  const after = await update(u, s, {
    status: nextStatus, current_period_start: start, current_period_end: end,
    next_action_at: nextActionAt({ ...s, status: nextStatus, current_period_end: end }),
    latest_invoice_id: invoice?.id ?? s.latest_invoice_id,
  }, now);
  u.audit(action === 'end_trial' ? 'subscription.trial_ended' : 'subscription.renewed', 'subscription', s.id,
    { status, current_period_start: s.current_period_start, current_period_end: s.current_period_end },
    { status: after.status, current_period_start: start, current_period_end: end }, now);
  u.emit('subscription.updated', s.id, subscriptionView(after, []), now,
    { previous_attributes: { status, current_period_start: s.current_period_start, current_period_end: s.current_period_end } });
  const charge = invoice ? await collectOrFail(deps, u, s, invoice, now) : null;
  return { subscriptionId: s.id, action, charge };
}

/** Starts collection of a finalized invoice: pays a zero invoice, fails one without a payment method. */
export async function collectOrFail(deps: Deps, u: UnitOfWork, s: Row<'subscriptions'>, invoice: Row<'invoices'>, now: Date): Promise<PendingCharge | null> {
  if (invoice.amount_due === 0n) {
    const paid = await u.tx.updateTable('invoices').set({ status: 'paid', paid_at: now, amount_remaining: 0n, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', invoice.id).returningAll().executeTakeFirstOrThrow();
    u.audit('invoice.paid', 'invoice', invoice.id, { status: 'open' }, { status: 'paid' }, now);
    u.emit('invoice.paid', invoice.id, invoiceView(paid, []), now);
    return null;
  }
  const pmId = s.default_payment_method_id ?? (await u.tx.selectFrom('customers').select('default_payment_method_id')
    .where('account_id', '=', u.accountId).where('id', '=', s.customer_id).executeTakeFirstOrThrow()).default_payment_method_id;
  const pm = pmId ? await u.tx.selectFrom('payment_methods').select(['id', 'gateway_token'])
    .where('account_id', '=', u.accountId).where('id', '=', pmId).executeTakeFirst() : undefined;
  if (!pm) {
    u.emit('invoice.payment_failed', invoice.id, invoiceView(invoice, []), now, { decline_code: 'no_payment_method' });
    if (s.status !== 'incomplete') {
      const from = s.status as SubscriptionStatus;
      const to = from === 'trialing' ? 'past_due' : transition(from, 'payment_failed');
      await u.tx.updateTable('subscriptions').set({ status: to }).where('account_id', '=', u.accountId).where('id', '=', s.id).execute();
      u.audit('subscription.status_changed', 'subscription', s.id, { status: from }, { status: to }, now);
    }
    return null;
  }
  return await openAttempt(deps, u, invoice, pm, s.test_clock_id, now);
}

async function expireIncomplete(deps: Deps, u: UnitOfWork, s: Row<'subscriptions'>, now: Date): Promise<DueResult> {
  const inFlight = await u.tx.selectFrom('payment_attempts').select('id').where('account_id', '=', u.accountId)
    .where('invoice_id', '=', s.latest_invoice_id ?? '').where('status', 'in', ['pending', 'unknown']).executeTakeFirst();
  if (inFlight) {
    // A charge whose outcome is not yet known might still pay the invoice: look again after recovery.
    await update(u, s, { next_action_at: new Date(now.getTime() + deps.recoveryDelayMs) }, now);
    return { subscriptionId: s.id, action: 'expire_deferred', charge: null };
  }
  const after = await update(u, s, { status: transition(s.status as SubscriptionStatus, 'incomplete_expired'), ended_at: now, next_action_at: null }, now);
  if (s.latest_invoice_id) {
    const voided = await u.tx.updateTable('invoices').set({ status: 'void', voided_at: now, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', s.latest_invoice_id).where('status', '=', 'open').returningAll().executeTakeFirst();
    if (voided) {
      u.audit('invoice.voided', 'invoice', voided.id, { status: 'open' }, { status: 'void' }, now);
      u.emit('invoice.voided', voided.id, invoiceView(voided, []), now);
    }
  }
  u.audit('subscription.status_changed', 'subscription', s.id, { status: s.status }, { status: after.status }, now);
  u.emit('subscription.updated', s.id, subscriptionView(after, []), now, { previous_attributes: { status: s.status } });
  return { subscriptionId: s.id, action: 'expire_incomplete', charge: null };
}

async function update(u: UnitOfWork, s: Row<'subscriptions'>, set: Partial<Row<'subscriptions'>>, now: Date) {
  return await u.tx.updateTable('subscriptions').set({ ...set, updated_at: now, version: s.version + 1 } as never)
    .where('account_id', '=', u.accountId).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
}

/**
 * Real time: claims the most overdue subscription no other worker holds (SKIP LOCKED), applies
 * what is due, commits, then sends the charge. Returns false when nothing is due.
 */
export async function processNextDue(deps: Deps): Promise<boolean> {
  const now = deps.clock.now();
  const result = await deps.db.transaction().execute(async (tx) => {
    const s = await tx.selectFrom('subscriptions').selectAll()
      .where('next_action_at', '<=', now).where('test_clock_id', 'is', null)
      .orderBy('next_action_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
    if (!s) return undefined;
    const u = new UnitOfWork(tx, systemActor(s.account_id));
    const r = await applyDue(deps, u, s, now);
    await u.flush();
    return r;
  });
  if (result === undefined) return false;
  if (result?.charge) await sendAttempt(deps, systemActor(result.charge.attempt.account_id), result.charge);
  return true;
}

/** Test clocks: processes one named subscription if something is due at the clock's time. */
export async function processDueSubscription(deps: Deps, accountId: string, subscriptionId: string): Promise<DueResult> {
  const result = await command(deps, systemActor(accountId), async (u) => {
    const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId)
      .where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
    const now = await nowFor(deps, u.tx, accountId, s.test_clock_id);
    return await applyDue(deps, u, s, now);
  });
  if (result?.charge) await sendAttempt(deps, systemActor(accountId), result.charge);
  return result;
}
