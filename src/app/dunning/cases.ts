import { planNextRetry, type RetryPlan } from '../../domain/dunning/next-retry.ts';
import { policyProblem } from '../../domain/dunning/policy.ts';
import { retryInstant } from '../../domain/dunning/schedule.ts';
import { strategyNamed } from '../../domain/dunning/strategies.ts';
import type { CaseDecline } from '../../domain/dunning/strategy.ts';
import { canTransition, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { newId } from '../../domain/ids.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import { systemActor, type Deps } from '../ports.ts';
import { cancelScheduledSubscription } from '../subscriptions/schedules.ts';
import { subscriptionWithItems } from '../subscriptions/subscriptions.ts';
import { clockTimes } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, type Row } from '../views.ts';
import { policyFor, policyFromJson, policyJson, type PolicyJson } from './policy-of.ts';
import { cardDeclinesAt, historyOf, loadPlanInputs, storedDecline, type PlanInputs } from './plan-inputs.ts';
import { declinesOf, dunningCaseView, type StoredDecline } from './view.ts';

/**
 * Invoices dunning recovers: a subscription's renewals (and its mid-period charges), collected
 * automatically. A subscription's first invoice is not dunned: an unpaid start is `incomplete`,
 * and expires. Invoices made by hand are the merchant's to chase.
 */
const recovers = (inv: Row<'invoices'>) => inv.subscription_id !== null && inv.collection_method === 'charge_automatically'
  && inv.billing_reason !== 'manual' && inv.billing_reason !== 'subscription_create';

/** Whether a settled payment may concern dunning, decided without reading: its job is enqueued only then. */
export const mayConcernDunning = (inv: Row<'invoices'>, a: Row<'payment_attempts'>) =>
  recovers(inv) && (a.status === 'failed' || inv.attempt_count > 1);

const caseDecline = (d: StoredDecline): CaseDecline => ({
  at: new Date(d.at), declineCode: d.decline_code, category: d.decline_category, doNotRetry: d.do_not_retry,
  network: d.network, networkCode: d.network_code, adviceCode: d.advice_code,
});

/** A payment of an invoice that has settled, to be recorded in the invoice's dunning case. */
export type SettledPayment = { invoiceId: string; paymentId: string };

/**
 * Records settled payments of one account's invoices in their dunning cases, in the caller's
 * transaction: a first failure opens a case, a later one is added to it and the next step
 * planned; a success, or an invoice no longer open, closes it. Safe to run again: a payment
 * already in its case changes nothing. Reads once per batch, whatever its size: the dunning duty
 * records the retries it just sent 25 at a time.
 */
export async function recordSettled(deps: Deps, u: UnitOfWork, items: readonly SettledPayment[]): Promise<void> {
  if (items.length === 0) return;
  const invoiceIds = [...new Set(items.map((i) => i.invoiceId))];
  const [attempts, invoices, actives] = await Promise.all([
    u.tx.selectFrom('payment_attempts').selectAll().where('account_id', '=', u.accountId).where('id', 'in', items.map((i) => i.paymentId)).execute(),
    u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', 'in', invoiceIds).orderBy('id').forUpdate().execute(),
    u.tx.selectFrom('dunning_cases').selectAll().where('account_id', '=', u.accountId).where('invoice_id', 'in', invoiceIds)
      .where('status', '=', 'active').orderBy('id').forUpdate().execute(),
  ]);
  const attemptOf = new Map(attempts.map((a) => [a.id, a]));
  const activeOf = new Map(actives.map((c) => [c.invoice_id, c]));
  const timeOf = await clockTimes(u.tx, deps.clock.now(), invoices);
  const toPlan: { c: Row<'dunning_cases'>; before: Row<'dunning_cases'> | null; pmId: string | null; now: Date }[] = [];
  for (const invoice of invoices) {
    const now = timeOf(invoice);
    const active = activeOf.get(invoice.id);
    if (invoice.status !== 'open') {
      if (active) closeCase(u, active, invoice.status === 'paid' ? 'recovered' : 'canceled', invoice.status === 'paid' ? 'paid' : `invoice_${invoice.status}`, now);
      continue;
    }
    // Several payments of one invoice in a batch: each failure joins the case in turn, planned once after the last.
    let c = active ?? null;
    let pmId: string | null = null;
    for (const item of items.filter((i) => i.invoiceId === invoice.id)) {
      const attempt = attemptOf.get(item.paymentId);
      if (!attempt || attempt.status !== 'failed') continue;
      if (c && declinesOf(c).some((d) => d.payment === attempt.id)) continue;
      const decline = storedDecline(attempt, attempt.updated_at);
      if (c) c = { ...c, declines: [...declinesOf(c), decline] };
      else if (recovers(invoice)) c = await openCase(u, invoice, decline, attempt.updated_at, now);
      else continue;
      pmId = attempt.payment_method_id;
    }
    if (c && c !== active) toPlan.push({ c, before: active ?? null, pmId, now });
  }
  if (toPlan.length === 0) return;
  const earliest = new Date(Math.min(...toPlan.map((p) => p.now.getTime())));
  const inputs = await loadPlanInputs(u.tx, u.accountId, toPlan.map((p) => p.c.customer_id), toPlan.flatMap((p) => (p.pmId ? [p.pmId] : [])), earliest);
  for (const p of toPlan) await planNext(deps, u, p.c, p.before, p.pmId, p.now, inputs);
}

/** The job `dunning.payment_settled`: one settled payment, recorded in its own transaction. */
export async function onPaymentSettled(deps: Deps, accountId: string, invoiceId: string, paymentId: string): Promise<void> {
  await command(deps, systemActor(accountId, deps.workerId), async (u) => { await recordSettled(deps, u, [{ invoiceId, paymentId }]); });
}

async function openCase(u: UnitOfWork, invoice: Row<'invoices'>, decline: StoredDecline, failedAt: Date, now: Date): Promise<Row<'dunning_cases'>> {
  const sub = await u.tx.selectFrom('subscriptions').select('dunning_policy_id').where('account_id', '=', u.accountId).where('id', '=', invoice.subscription_id!).executeTakeFirst();
  const customer = await u.tx.selectFrom('customers').select('dunning_policy_id').where('account_id', '=', u.accountId).where('id', '=', invoice.customer_id).executeTakeFirstOrThrow();
  const { id: policyId, policy } = await policyFor(u.tx, u.accountId, { subscriptionPolicy: sub?.dunning_policy_id ?? null, customerPolicy: customer.dunning_policy_id });
  if (policyProblem(policy)) throw new Error(`dunning policy ${policyId ?? 'built-in'} is not valid: ${policyProblem(policy)!.message}`);
  return {
    account_id: u.accountId, id: newId('dunningCase'), invoice_id: invoice.id, customer_id: invoice.customer_id, subscription_id: invoice.subscription_id,
    test_clock_id: invoice.test_clock_id, policy_id: policyId, policy: policyJson(policy), strategy: policy.retryStrategy, status: 'active', awaiting: null,
    first_failure_at: failedAt, grace_ends_at: new Date(failedAt.getTime() + policy.gracePeriodDays * 86_400_000), retries: 0,
    next_attempt_at: null, declines: [decline], ended_at: null, end_reason: null, created_at: now, updated_at: now, version: 1,
  };
}

/**
 * Decides the case's next step after a decline and writes it (the case row, inserted when new:
 * `before` null). Waiting for a new card or for the merchant lasts until the schedule's last day;
 * then the case is exhausted as if every retry had failed.
 */
async function planNext(deps: Deps, u: UnitOfWork, c: Row<'dunning_cases'>, before: Row<'dunning_cases'> | null, paymentMethodId: string | null, now: Date, inputs: PlanInputs) {
  const policy = policyFromJson(c.policy as PolicyJson);
  const strategy = strategyNamed(c.strategy);
  const timeZone = inputs.timeZones.get(c.customer_id) ?? null;
  const facts = {
    firstFailureAt: c.first_failure_at, declines: declinesOf(c).map(caseDecline), retriesSoFar: c.retries, timeZone,
    card: (paymentMethodId && inputs.cards.get(paymentMethodId)) || null, history: historyOf(inputs, c.customer_id, c.invoice_id), now,
  };
  const plan: RetryPlan = planNextRetry(policy, strategy, facts, cardDeclinesAt(inputs, paymentMethodId, now));
  const lastDay = policy.retryScheduleDays[policy.retryScheduleDays.length - 1]!;
  const deadline = retryInstant(c.first_failure_at, lastDay, policy.preferredHour, timeZone);
  let after: Row<'dunning_cases'>;
  if (plan.kind === 'retry') after = { ...c, awaiting: 'retry', next_attempt_at: plan.at, updated_at: now };
  else if (plan.kind !== 'exhausted' && deadline > now) after = { ...c, awaiting: plan.kind === 'request_new_card' ? 'new_payment_method' : 'merchant', next_attempt_at: deadline, updated_at: now };
  else after = await exhaust(deps, u, c, plan.kind === 'exhausted' ? plan.reason : `${plan.kind}:${plan.reason}`, now);
  writeCase(u, after, before);
  const view = dunningCaseView(after);
  const isNew = before === null;
  u.audit(isNew ? 'dunning_case.created' : 'dunning_case.updated', 'dunning_case', after.id, isNew ? null : dunningCaseView(before), view, now);
  u.emit(after.status !== 'active' ? 'dunning_case.closed' : isNew ? 'dunning_case.created' : 'dunning_case.updated', after.id, view, now,
    plan.kind === 'retry' ? { delayed_by: plan.delayedBy } : { reason: plan.reason });
  // A decline only the merchant can fix (account, currency, amount) is the merchant's alert, apart from the case's own events.
  if (after.awaiting === 'merchant' && before?.awaiting !== 'merchant') u.emit('dunning_case.merchant_action_required', after.id, view, now, { reason: plan.kind === 'retry' ? null : plan.reason });
}

/** The case as planned, written with the unit's other writes: inserted when new, else only over the version it was read at. */
export function writeCase(u: UnitOfWork, after: Row<'dunning_cases'>, before: Row<'dunning_cases'> | null) {
  if (!before) u.insertLater('dunning_cases', [after]);
  else u.updateLater('dunning_cases', [{ ...after, version: before.version }]);
}

/** Ends a case that no longer needs recovering (paid, voided, or the invoice written off by hand). */
export function closeCase(u: UnitOfWork, c: Row<'dunning_cases'>, status: 'recovered' | 'canceled', reason: string, now: Date) {
  const after = { ...c, status, awaiting: null, next_attempt_at: null, ended_at: now, end_reason: reason, updated_at: now };
  u.updateLater('dunning_cases', [{ account_id: c.account_id, id: c.id, status, awaiting: null, next_attempt_at: null, ended_at: now, end_reason: reason, updated_at: now, version: c.version }]);
  u.audit('dunning_case.closed', 'dunning_case', c.id, { status: c.status }, { status, end_reason: reason }, now);
  u.emit('dunning_case.closed', c.id, dunningCaseView(after), now, { reason });
}

/**
 * Retries are over: the policy's end action happens now, to the subscription (cancel, or mark it
 * unpaid) and, if the policy says so, to the invoice (uncollectible). The case is returned, exhausted.
 */
export async function exhaust(deps: Deps, u: UnitOfWork, c: Row<'dunning_cases'>, reason: string, now: Date): Promise<Row<'dunning_cases'>> {
  const policy = policyFromJson(c.policy as PolicyJson);
  if (c.subscription_id) {
    if (policy.endAction === 'cancel') await cancelScheduledSubscription(u, c.subscription_id, now);
    if (policy.endAction === 'mark_unpaid') await markUnpaid(u, c.subscription_id, now);
  }
  if (policy.markUncollectible && !(await attemptInFlight(u.tx, u.accountId, c.invoice_id))) {
    const inv = await u.tx.updateTable('invoices').set((eb) => ({ status: 'uncollectible', marked_uncollectible_at: now, updated_at: now, version: eb('version', '+', 1) }))
      .where('account_id', '=', u.accountId).where('id', '=', c.invoice_id).where('status', '=', 'open').returningAll().executeTakeFirst();
    if (inv) {
      const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', '=', u.accountId).where('invoice_id', '=', inv.id).orderBy('position').orderBy('id').execute();
      u.audit('invoice.marked_uncollectible', 'invoice', inv.id, { status: 'open' }, { status: 'uncollectible' }, now);
      u.emit('invoice.marked_uncollectible', inv.id, invoiceView(inv, lines), now, { dunning_case: c.id });
    }
  }
  deps.log.info({ account: u.accountId, case: c.id, reason, end_action: policy.endAction }, 'dunning case exhausted');
  return { ...c, status: 'exhausted', awaiting: null, next_attempt_at: null, ended_at: now, end_reason: reason, updated_at: now };
}

async function markUnpaid(u: UnitOfWork, subscriptionId: string, now: Date) {
  const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId).where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
  const from = s.status as SubscriptionStatus;
  if (!canTransition(from, 'mark_unpaid')) return;
  const to = transition(from, 'mark_unpaid');
  const after = await u.tx.updateTable('subscriptions').set({ status: to, next_action_at: nextActionAt({ ...s, status: to }), updated_at: now, version: s.version + 1 })
    .where('account_id', '=', u.accountId).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
  u.audit('subscription.status_changed', 'subscription', s.id, { status: from }, { status: to }, now);
  u.emit('subscription.updated', s.id, await subscriptionWithItems(u.tx, after), now, { previous_attributes: { status: from } });
}

/**
 * A new default card is the best news a case can get: every case of the customer in recovery
 * retries at once (the next dunning step, in the customer's business time), whatever it was
 * waiting for. A retry that fails again goes on with the schedule where it was.
 */
export async function retryWithNewCard(u: UnitOfWork, customerId: string, now: Date): Promise<void> {
  const moved = await u.tx.updateTable('dunning_cases').set((eb) => ({ awaiting: 'retry', next_attempt_at: now, updated_at: now, version: eb('version', '+', 1) }))
    .where('account_id', '=', u.accountId).where('customer_id', '=', customerId).where('status', '=', 'active').returningAll().execute();
  for (const c of moved) {
    u.audit('dunning_case.updated', 'dunning_case', c.id, null, { awaiting: 'retry', next_attempt: now.toISOString(), because: 'new_payment_method' }, now);
    u.emit('dunning_case.updated', c.id, dunningCaseView(c), now, { reason: 'new_payment_method' });
  }
}
