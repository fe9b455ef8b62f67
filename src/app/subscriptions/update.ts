import { refreshWatch, watchCustomer } from '../usage/watch.ts';
import { checkPolicyRef } from '../dunning/policies.ts';
import { transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { finalizeAndWrite } from '../invoicing/finalize.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { invoiceItemView, type Row } from '../views.ts';
import { subscriptionViewWith } from '../billing/load.ts';
import { loadChangeState, planChange, type ChangePlan, type SubscriptionChange } from './change.ts';
import { getSubscription, periodAmount } from './subscriptions.ts';
import { loadDiscounts, redeemCoupons } from '../catalog/coupons.ts';
import { checkMinimums } from '../catalog/promotion-redemption.ts';

/**
 * `POST /v1/subscriptions/:id`: plans the change (change.ts) on the locked subscription and
 * writes it in one transaction — items, pending prorations, an invoice due now with its payment
 * attempt, the subscription, audit and events — then charges the invoice, if any, after commit.
 */
/** `opts.check`: a caller's condition on the subscription as locked, thrown before anything is written (the portal's offer-once rule). */
export async function updateSubscription(deps: Deps, actor: Actor, id: string, change: SubscriptionChange, opts: { check?: (sub: Row<'subscriptions'>) => void } = {}) {
  let charges: PendingCharge[] = [];
  await command(deps, actor, async (u) => {
    const state = await loadChangeState(u.tx, deps.clock.now(), u.accountId, id, change, { lock: true, idParam: 'id', taxCalculator: deps.taxCalculator });
    opts.check?.(state.sub);
    // New discounts replace the old ones, from this change on (an invoice issued now takes them).
    const redeemed = change.discounts === undefined ? null : await redeemCoupons(u, change.discounts, state.sub, state.now);
    if (redeemed) {
      // Taking its own discounts off leaves the subscription with its customer's.
      state.discounts = redeemed.rows.length ? { discounts: redeemed.discounts, firstUse: [] }
        : (await loadDiscounts(u.tx, [{ sub: { ...state.sub, discount_ids: [] }, start: state.now }])).get(state.sub.id) ?? { discounts: [], firstUse: [] };
    }
    if (change.dunning_policy) await checkPolicyRef(u, change.dunning_policy, 'dunning_policy');
    const plan = planChange(state, change);
    if (redeemed) {
      checkMinimums(change.discounts!, redeemed.promotionCodes, plan.invoice?.invoice.subtotal ?? periodAmount(plan.items), state.sub.currency);
      plan.previous.discounts = state.sub.discount_ids;
      plan.after.discount_ids = redeemed.rows.map((r) => r.id);
    }
    charges = await applyChangePlan(deps, u, plan);
    if (change.billing_thresholds !== undefined) await (plan.after.billing_threshold_amount !== null ? watchCustomer(u, plan.after.customer_id) : refreshWatch(u, plan.after.customer_id));
    // Written by this same statement: their first use is set on the rows themselves.
    for (const r of redeemed?.rows ?? []) if (plan.invoice?.invoice.discounts.includes(r.id)) r.used_at = state.now;
  });
  if (charges.length) await sendAttempts(deps, actor, charges);
  return await getSubscription(deps, actor.accountId, id);
}

/**
 * Writes a planned change into the caller's transaction, which holds the subscription and its
 * customer locked since loadChangeState: items, pending prorations, an invoice due now with its
 * payment attempt, the subscription, audit and events. Returns the charges to send after commit.
 * A schedule's phase boundary goes through here too, as an update at the boundary's instant.
 */
export async function applyChangePlan(deps: Deps, u: UnitOfWork, plan: ChangePlan): Promise<PendingCharge[]> {
  let charges: PendingCharge[] = [];
  const { after, before } = plan;
  const now = after.updated_at;
  if (plan.removed.length) {
    await u.tx.deleteFrom('subscription_items').where('account_id', '=', u.accountId).where('subscription_id', '=', after.id).where('id', 'in', plan.removed).execute();
  }
  u.insertLater('subscription_items', plan.added);
  u.updateLater('subscription_items', plan.updated.map((i) => ({ account_id: i.account_id, id: i.id, price_id: i.price_id, quantity: i.quantity, tax_rates: i.tax_rates })));
  u.insertLater('invoice_items', plan.prorations);
  for (const p of plan.prorations) {
    const view = invoiceItemView(p);
    u.audit('invoiceitem.created', 'invoiceitem', p.id, null, view, now);
    u.emit('invoiceitem.created', p.id, view, now);
  }
  if (plan.invoice) {
    const written = await finalizeAndWrite(deps, u, [plan.invoice], { mayConflict: false, guarded: false });
    if (plan.invoice.collection === 'no_payment_method' && after.status !== 'incomplete') {
      after.status = transition(after.status as SubscriptionStatus, 'payment_failed');
    }
    charges = written.charges.map((c) => ({ ...c, snapshot: { invoice: plan.invoice!.invoice, lines: plan.invoice!.lines, subscription: after, items: plan.items } }));
  }
  u.updateLater('subscriptions', [{
    account_id: after.account_id, id: after.id, status: after.status, billing_cycle_anchor: after.billing_cycle_anchor,
    current_period_start: after.current_period_start, current_period_end: after.current_period_end, recurring_interval: after.recurring_interval,
    recurring_interval_count: after.recurring_interval_count, trial_end: after.trial_end, cancel_at_period_end: after.cancel_at_period_end,
    canceled_at: after.canceled_at, metadata: after.metadata, pause_collection: after.pause_collection, trial_settings: after.trial_settings,
    default_payment_method_id: after.default_payment_method_id, dunning_policy_id: after.dunning_policy_id, default_tax_rates: after.default_tax_rates, automatic_tax: after.automatic_tax,
    minimum_amount: after.minimum_amount, billing_threshold_amount: after.billing_threshold_amount, discount_ids: after.discount_ids, latest_invoice_id: after.latest_invoice_id, next_action_at: after.next_action_at,
    updated_at: now, version: before.version,
  }]);
  const view = subscriptionViewWith(after, plan.items);
  const changedNow = Object.fromEntries(Object.keys(plan.previous).map((k) => [k, k === 'items' ? view.items.data.map((i) => ({ id: i.id, price: typeof i.price === 'string' ? i.price : i.price.id, quantity: i.quantity })) : (view as Record<string, unknown>)[k]]));
  u.audit('subscription.updated', 'subscription', after.id, plan.previous, changedNow, now);
  u.emit('subscription.updated', after.id, view, now, { previous_attributes: plan.previous });
  return charges;
}
