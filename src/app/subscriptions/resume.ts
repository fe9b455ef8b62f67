import { nextBoundaryAfter } from '../../domain/calendar.ts';
import { invalid } from '../../domain/errors.ts';
import { periodLines } from '../../domain/invoice-builder.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { subscriptionViewWith } from '../billing/load.ts';
import { finalizeAndWrite } from '../invoicing/finalize.ts';
import { itemStates, recurringOf } from '../invoicing/plan-invoice.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { invoiceNow, loadChangeState, type ProrationBehavior } from './change.ts';
import { getSubscription } from './subscriptions.ts';

export type ResumeInput = { billing_cycle_anchor?: 'now' | 'unchanged' | undefined; proration_behavior?: ProrationBehavior | undefined };

/**
 * `POST /v1/subscriptions/:id/resume` for a `paused` subscription (a trial that ended without a
 * payment method, set to pause). With billing_cycle_anchor=now (the default) a new period starts
 * now and is invoiced in full; with `unchanged` the old cycle continues and the part of its
 * period that is left is invoiced prorated — or, with proration_behavior=none, not at all until
 * the next period. The subscription is `active` again (past_due if its invoice cannot be charged).
 */
export async function resumeSubscription(deps: Deps, actor: Actor, id: string, input: ResumeInput) {
  let charges: PendingCharge[] = [];
  await command(deps, actor, async (u) => {
    const state = await loadChangeState(u.tx, deps.clock.now(), u.accountId, id, {}, { lock: true, idParam: 'id', taxCalculator: deps.taxCalculator });
    const s = state.sub;
    if (s.status !== 'paused') throw invalid('subscription_status_invalid', `Subscription '${id}' is ${s.status}; only a paused subscription can be resumed.`, 'id');
    const now = state.now;
    const recurring = recurringOf(s);
    const fresh = (input.billing_cycle_anchor ?? 'now') === 'now';
    const anchor = fresh ? now : s.billing_cycle_anchor;
    const end = nextBoundaryAfter(anchor, recurring, now);
    const after: Row<'subscriptions'> = {
      ...s, status: transition('paused', 'resume'), billing_cycle_anchor: anchor, current_period_start: now, current_period_end: end,
      updated_at: now, version: s.version + 1,
    };
    const billNow = fresh || input.proration_behavior !== 'none';
    const plan = billNow ? invoiceNow(state, after, periodLines({ anchor, recurring }, itemStates(state.items), now, end), { start: now, end }) : null;
    if (plan) {
      const written = await finalizeAndWrite(deps, u, [plan], { mayConflict: false, guarded: false });
      if (plan.collection === 'no_payment_method') after.status = transition(after.status as SubscriptionStatus, 'payment_failed');
      charges = written.charges.map((c) => ({ ...c, snapshot: { invoice: plan.invoice, lines: plan.lines, subscription: after, items: state.items } }));
    }
    after.next_action_at = nextActionAt({ ...after, status: after.status as SubscriptionStatus });
    u.updateLater('subscriptions', [{
      account_id: after.account_id, id, status: after.status, billing_cycle_anchor: anchor, current_period_start: now, current_period_end: end,
      latest_invoice_id: after.latest_invoice_id, next_action_at: after.next_action_at, updated_at: now, version: s.version,
    }]);
    const previous = { status: s.status, billing_cycle_anchor: s.billing_cycle_anchor.toISOString(), current_period_start: s.current_period_start.toISOString(), current_period_end: s.current_period_end.toISOString() };
    const view = subscriptionViewWith(after, state.items);
    u.audit('subscription.resumed', 'subscription', id, previous, { status: view.status, billing_cycle_anchor: view.billing_cycle_anchor, current_period_start: view.current_period_start, current_period_end: view.current_period_end }, now);
    u.emit('subscription.resumed', id, view, now);
    u.emit('subscription.updated', id, view, now, { previous_attributes: previous });
  });
  if (charges.length) await sendAttempts(deps, actor, charges);
  return await getSubscription(deps, actor.accountId, id);
}
