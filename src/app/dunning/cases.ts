import { planNextRetry, type RetryPlan } from '../../domain/dunning/next-retry.ts';
import { policyProblem } from '../../domain/dunning/policy.ts';
import { retryInstant } from '../../domain/dunning/schedule.ts';
import { strategyNamed } from '../../domain/dunning/strategies.ts';
import type { CaseDecline } from '../../domain/dunning/strategy.ts';
import type { DeclineCategory } from '../../domain/declines.ts';
import { WINDOW_30D_MS, type DeclineRecord } from '../../domain/declines-network.ts';
import { canTransition, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { newId } from '../../domain/ids.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import { systemActor, type Deps } from '../ports.ts';
import { cancelScheduledSubscription } from '../subscriptions/schedules.ts';
import { subscriptionWithItems } from '../subscriptions/subscriptions.ts';
import { nowFor, type Db } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, type Row } from '../views.ts';
import { policyFor, policyFromJson, policyJson, type PolicyJson } from './policy-of.ts';
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

function storedDecline(a: Row<'payment_attempts'>, at: Date): StoredDecline {
  const advice = (typeof a.network_advice === 'string' ? JSON.parse(a.network_advice) : a.network_advice) as
    { network?: string; code?: string | null; mastercard_advice_code?: string | null } | null;
  return {
    payment: a.id, at: at.toISOString(), decline_code: a.decline_code ?? 'generic_decline',
    decline_category: (a.decline_category ?? 'soft') as DeclineCategory, do_not_retry: a.do_not_retry,
    network: advice?.network ?? null, network_code: advice?.code ?? null, advice_code: advice?.mastercard_advice_code ?? null,
  };
}

const caseDecline = (d: StoredDecline): CaseDecline => ({
  at: new Date(d.at), declineCode: d.decline_code, category: d.decline_category, doNotRetry: d.do_not_retry,
  network: d.network, networkCode: d.network_code, adviceCode: d.advice_code,
});

/** Every decline on this card in the networks' 30-day window, of any invoice: the networks count per card. */
export async function cardDeclines(db: Db, accountId: string, paymentMethodId: string | null, now: Date): Promise<DeclineRecord[]> {
  if (!paymentMethodId) return [];
  const rows = await db.selectFrom('payment_attempts').selectAll().where('account_id', '=', accountId)
    .where('payment_method_id', '=', paymentMethodId).where('status', '=', 'failed')
    .where('updated_at', '>', new Date(now.getTime() - WINDOW_30D_MS)).execute();
  return rows.map((a) => {
    const d = storedDecline(a, a.updated_at);
    return { at: a.updated_at, category: d.decline_category, doNotRetry: d.do_not_retry, network: d.network, networkCode: d.network_code, adviceCode: d.advice_code };
  });
}

/**
 * Records a settled payment of an invoice in its dunning case (the `dunning.payment_settled`
 * job, enqueued by the settlement): a first failure opens a case, a later one is added to it and
 * the next step planned; a success, or an invoice no longer open, closes it. Safe to run again:
 * a payment already in the case changes nothing.
 */
export async function onPaymentSettled(deps: Deps, accountId: string, invoiceId: string, paymentId: string): Promise<void> {
  await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const attempt = await u.tx.selectFrom('payment_attempts').selectAll().where('account_id', '=', accountId).where('id', '=', paymentId).executeTakeFirst();
    if (!attempt || (attempt.status !== 'succeeded' && attempt.status !== 'failed')) return;
    const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', accountId).where('id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
    const active = await u.tx.selectFrom('dunning_cases').selectAll().where('account_id', '=', accountId).where('invoice_id', '=', invoiceId)
      .where('status', '=', 'active').forUpdate().executeTakeFirst();
    const now = await nowFor(deps, u.tx, accountId, invoice.test_clock_id);
    if (invoice.status !== 'open') {
      if (active) closeCase(u, active, invoice.status === 'paid' ? 'recovered' : 'canceled', invoice.status === 'paid' ? 'paid' : `invoice_${invoice.status}`, now);
      return;
    }
    if (attempt.status !== 'failed') return;
    const decline = storedDecline(attempt, attempt.updated_at);
    let c: Row<'dunning_cases'>;
    if (active) {
      if (declinesOf(active).some((d) => d.payment === attempt.id)) return;
      c = { ...active, declines: [...declinesOf(active), decline] };
    } else {
      if (!recovers(invoice)) return;
      c = await openCase(u, invoice, decline, attempt.updated_at, now);
    }
    await planNext(deps, u, c, attempt.payment_method_id, now, active === undefined);
  });
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
 * Decides the case's next step after a decline and writes it (the case row, inserted when new).
 * Waiting for a new card or for the merchant lasts until the schedule's last day; then the case
 * is exhausted as if every retry had failed.
 */
async function planNext(deps: Deps, u: UnitOfWork, c: Row<'dunning_cases'>, paymentMethodId: string | null, now: Date, isNew: boolean) {
  const policy = policyFromJson(c.policy as PolicyJson);
  const strategy = strategyNamed(c.strategy);
  const customer = await u.tx.selectFrom('customers').select('time_zone').where('account_id', '=', u.accountId).where('id', '=', c.customer_id).executeTakeFirstOrThrow();
  const pm = paymentMethodId ? await u.tx.selectFrom('payment_methods').select(['exp_month', 'exp_year']).where('account_id', '=', u.accountId).where('id', '=', paymentMethodId).executeTakeFirst() : undefined;
  const facts = {
    firstFailureAt: c.first_failure_at, declines: declinesOf(c).map(caseDecline), retriesSoFar: c.retries, timeZone: customer.time_zone,
    card: pm && pm.exp_month !== null && pm.exp_year !== null ? { expMonth: pm.exp_month, expYear: pm.exp_year } : null, history: await paymentHistory(u.tx, u.accountId, c.customer_id, c.invoice_id), now,
  };
  const plan: RetryPlan = planNextRetry(policy, strategy, facts, await cardDeclines(u.tx, u.accountId, paymentMethodId, now));
  const lastDay = policy.retryScheduleDays[policy.retryScheduleDays.length - 1]!;
  const deadline = retryInstant(c.first_failure_at, lastDay, policy.preferredHour, customer.time_zone);
  let after: Row<'dunning_cases'>;
  if (plan.kind === 'retry') after = { ...c, awaiting: 'retry', next_attempt_at: plan.at, updated_at: now };
  else if (plan.kind !== 'exhausted' && deadline > now) after = { ...c, awaiting: plan.kind === 'request_new_card' ? 'new_payment_method' : 'merchant', next_attempt_at: deadline, updated_at: now };
  else after = await exhaust(deps, u, c, plan.kind === 'exhausted' ? plan.reason : `${plan.kind}:${plan.reason}`, now);
  await writeCase(u, after, isNew ? null : c);
  const view = dunningCaseView(after);
  u.audit(isNew ? 'dunning_case.created' : 'dunning_case.updated', 'dunning_case', after.id, isNew ? null : dunningCaseView(c), view, now);
  u.emit(after.status !== 'active' ? 'dunning_case.closed' : isNew ? 'dunning_case.created' : 'dunning_case.updated', after.id, view, now,
    plan.kind === 'retry' ? { delayed_by: plan.delayedBy } : { reason: plan.reason });
}

/** Paid at the first try, recovered by retries, lost: the customer's earlier invoices, for strategies that learn. */
async function paymentHistory(db: Db, accountId: string, customerId: string, exceptInvoice: string) {
  const rows = await db.selectFrom('invoices').select(['status', 'attempt_count']).where('account_id', '=', accountId)
    .where('customer_id', '=', customerId).where('id', '<>', exceptInvoice).where('status', 'in', ['paid', 'uncollectible', 'void']).execute();
  return {
    paidFirstTry: rows.filter((r) => r.status === 'paid' && r.attempt_count <= 1).length,
    recovered: rows.filter((r) => r.status === 'paid' && r.attempt_count > 1).length,
    lost: rows.filter((r) => r.status !== 'paid' && r.attempt_count > 0).length,
  };
}

async function writeCase(u: UnitOfWork, after: Row<'dunning_cases'>, before: Row<'dunning_cases'> | null) {
  const values = { ...after, policy: JSON.stringify(after.policy), declines: JSON.stringify(after.declines) };
  if (!before) await u.tx.insertInto('dunning_cases').values(values).execute();
  else {
    await u.tx.updateTable('dunning_cases').set({ ...values, version: before.version + 1 })
      .where('account_id', '=', after.account_id).where('id', '=', after.id).where('version', '=', before.version).execute();
  }
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
