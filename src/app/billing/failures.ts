import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import type { SubscriptionStatus } from '../../domain/subscription-status.ts';
import { conflict, notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { systemActor, type Actor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { billingFailureView } from '../views.ts';

/**
 * Billing a subscription can fail for a reason nobody foresaw (data that breaks an invariant, a
 * bug). Such a subscription must neither be retried silently forever nor hold up the others:
 * it is tried again a few times, then parked — `next_action_at` cleared, a `billing_failures`
 * row and a `subscription.billing_failed` event — until an operator retries it.
 */
export const MAX_BILLING_ATTEMPTS = 3;
// Real time: how long to wait before the 2nd and 3rd try. On a test clock the tries follow at once.
const RETRY_DELAYS_MS = [60_000, 300_000];
const MAX_ERROR_LENGTH = 500;

export type FailureResult = { parked: boolean; attempts: number };

/**
 * Counts one failed try at billing a subscription (in its own transaction, after the failed one
 * rolled back) and schedules the next try, or parks the subscription after the last one.
 * `onClock`: the next try happens at once, in the same advance, rather than minutes later.
 */
export async function recordBillingFailure(deps: Deps, accountId: string, subscriptionId: string, err: unknown, opts: { onClock: boolean }): Promise<FailureResult | null> {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_LENGTH);
  return await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId)
      .where('id', '=', subscriptionId).forUpdate().executeTakeFirst();
    if (!s || !s.next_action_at) return null; // gone, or parked already by someone else
    const attempts = s.billing_failure_count + 1;
    const now = await nowFor(deps, u.tx, accountId, s.test_clock_id);
    const parked = attempts >= MAX_BILLING_ATTEMPTS;
    const retryAt = opts.onClock ? s.next_action_at : new Date(deps.clock.now().getTime() + RETRY_DELAYS_MS[attempts - 1]!);
    await u.tx.updateTable('subscriptions')
      .set({ billing_failure_count: attempts, next_action_at: parked ? null : retryAt, updated_at: now, version: s.version + 1 })
      .where('account_id', '=', accountId).where('id', '=', subscriptionId).execute();
    if (!parked) {
      u.audit('subscription.billing_deferred', 'subscription', s.id, { next_action_at: s.next_action_at }, { next_action_at: retryAt, attempts, error: message }, now);
      return { parked, attempts };
    }
    const failure = await u.tx.insertInto('billing_failures').values({
      account_id: accountId, id: newId('billingFailure'), subscription_id: s.id, test_clock_id: s.test_clock_id, status: 'failed',
      due_at: s.next_action_at, attempts, error_message: message, failed_at: now, retried_at: null, created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = billingFailureView(failure);
    u.audit('subscription.billing_failed', 'subscription', s.id, { next_action_at: s.next_action_at }, { next_action_at: null, billing_failure: failure.id }, now);
    u.emit('subscription.billing_failed', s.id, view, now);
    return { parked, attempts };
  });
}

export async function listBillingFailures(deps: Deps, accountId: string, page: Page & { status?: string | undefined; subscription?: string | undefined }) {
  let q = deps.db.selectFrom('billing_failures').selectAll().where('account_id', '=', accountId);
  if (page.status) q = q.where('status', '=', page.status);
  if (page.subscription) q = q.where('subscription_id', '=', page.subscription);
  return await paginate(q, 'id', page, billingFailureView);
}

export async function getBillingFailure(deps: Deps, accountId: string, id: string) {
  const f = await deps.db.selectFrom('billing_failures').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!f) throw notFound('billing failure', id, 'id');
  return billingFailureView(f);
}

/**
 * Sends a parked subscription back to billing: it is due again when it was due (so the period it
 * missed is billed), with a fresh count of tries. Once a fix is deployed, this is how the
 * subscription catches up. A subscription canceled meanwhile has nothing left to bill; one
 * parked after it ended (while billing its usage) is due again.
 */
export async function retryBillingFailure(deps: Deps, actor: Actor, id: string) {
  return await command(deps, actor, async (u) => {
    const f = await u.tx.selectFrom('billing_failures').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!f) throw notFound('billing failure', id, 'id');
    if (f.status !== 'failed') throw conflict('billing_failure_retried', `Billing failure '${id}' was already retried.`, 'id');
    const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId)
      .where('id', '=', f.subscription_id).forUpdate().executeTakeFirstOrThrow();
    if (s.next_action_at) throw invalid('subscription_not_parked', `Subscription '${s.id}' is already scheduled for billing.`, 'id');
    const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
    // Canceled: due again only if it had already ended when it was parked (its usage still to
    // bill, an `ended_usage` look); ended since, there is nothing left of the missed period.
    const endedBefore = s.status === 'canceled' && s.ended_at !== null && s.ended_at.getTime() <= f.failed_at.getTime();
    const due = endedBefore || nextActionAt({ ...s, status: s.status as SubscriptionStatus }) ? f.due_at : null;
    await u.tx.updateTable('subscriptions').set({ next_action_at: due, billing_failure_count: 0, updated_at: now, version: s.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', s.id).execute();
    const after = await u.tx.updateTable('billing_failures').set({ status: 'retried', retried_at: now, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = billingFailureView(after);
    u.audit('billing_failure.retried', 'billing_failure', id, { status: f.status }, { status: after.status, next_action_at: due }, now);
    u.emit('billing_failure.retried', id, view, now);
    return view;
  });
}

/** Every account's parked subscriptions, oldest first: the operator's report (`rebill billing-failures`). */
export async function listAllFailed(deps: Pick<Deps, 'db'>, limit = 100) {
  return await deps.db.selectFrom('billing_failures').selectAll().where('status', '=', 'failed').orderBy('failed_at').limit(limit).execute();
}
