import { canTransition, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { loadItems, subscriptionViewWith } from '../billing/load.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

/**
 * An invoice a credit note left nothing due on counts as paid for its subscription, as a payment
 * would (settle.ts): an incomplete or past-due subscription becomes active. An invoice made by
 * hand does not move its subscription, as with payments.
 */
export async function subscriptionPaidByCredit(u: UnitOfWork, inv: Row<'invoices'>, now: Date): Promise<void> {
  if (!inv.subscription_id || inv.billing_reason === 'manual') return;
  const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId).where('id', '=', inv.subscription_id).forUpdate().executeTakeFirst();
  if (!s) return;
  const from = s.status as SubscriptionStatus;
  if (!canTransition(from, 'payment_succeeded')) return;
  const to = transition(from, 'payment_succeeded');
  if (to === from) return;
  const after = await u.tx.updateTable('subscriptions').set({ status: to, next_action_at: nextActionAt({ ...s, status: to }), updated_at: now, version: s.version + 1 })
    .where('account_id', '=', u.accountId).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
  u.audit('subscription.status_changed', 'subscription', s.id, { status: from }, { status: to }, now);
  u.emit('subscription.updated', s.id, subscriptionViewWith(after, (await loadItems(u.tx, [after])).get(after.id)), now, { previous_attributes: { status: from } });
}
