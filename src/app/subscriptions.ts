import type { Kysely } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';
import { addDays, nextBoundaryAfter, type Recurring } from '../domain/calendar.ts';
import { invalid } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { nextActionAt } from '../domain/subscription-schedule.ts';
import { transition, type SubscriptionStatus } from '../domain/subscription-status.ts';
import { sendAttempts, type PendingCharge } from './billing/collect.ts';
import { loadItems, loadPaymentMethods, subscriptionViewWith } from './billing/load.ts';
import { planInvoice, writeInvoicePlans, type ItemWithPrice } from './billing/plan-invoice.ts';
import { notFound } from './errors.ts';
import { paginate, type Page } from './pagination.ts';
import type { Actor, Deps } from './ports.ts';
import { nowFor } from './time.ts';
import { command } from './unit-of-work.ts';
import { subscriptionItemView, subscriptionView, type Row } from './views.ts';

export type SubscriptionInput = {
  customer: string;
  items: { price: string; quantity?: number }[];
  trial_period_days?: number;
  trial_end?: string;
  billing_cycle_anchor?: string;
  default_payment_method?: string;
  metadata?: Record<string, string>;
};

const MAX_INVOICE_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

export async function subscriptionWithItems(db: Kysely<DB>, s: Row<'subscriptions'>) {
  return subscriptionViewWith(s, (await loadItems(db, [s])).get(s.id));
}

function parseTime(value: string, param: string): Date {
  const t = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t.getTime())) throw invalid('parameter_invalid', `${param} must be an RFC 3339 timestamp`, param);
  return t;
}

/** Loads and checks the prices: all recurring, one currency, one billing interval. */
async function loadPrices(u: { tx: Kysely<DB>; accountId: string }, items: SubscriptionInput['items']) {
  if (items.length === 0) throw invalid('parameter_missing', 'a subscription needs at least one item', 'items');
  const seen = new Set<string>();
  const out: { price: Row<'prices'>; quantity: number }[] = [];
  for (const [i, it] of items.entries()) {
    if (seen.has(it.price)) throw invalid('parameter_invalid', `price '${it.price}' appears twice`, `items[${i}][price]`);
    seen.add(it.price);
    const price = await u.tx.selectFrom('prices').selectAll().where('account_id', '=', u.accountId).where('id', '=', it.price).executeTakeFirst();
    if (!price) throw notFound('price', it.price, `items[${i}][price]`);
    if (!price.active) throw invalid('price_inactive', `price '${it.price}' is archived`, `items[${i}][price]`);
    if (!price.recurring_interval) throw invalid('price_not_recurring', `price '${it.price}' is not recurring`, `items[${i}][price]`);
    const first = out[0]?.price;
    if (first && first.currency !== price.currency) throw invalid('currency_mismatch', 'all items must share one currency', `items[${i}][price]`);
    if (first && (first.recurring_interval !== price.recurring_interval || first.recurring_interval_count !== price.recurring_interval_count)) {
      throw invalid('interval_mismatch', 'all items must share one billing interval', `items[${i}][price]`);
    }
    out.push({ price, quantity: it.quantity ?? 1 });
  }
  return out;
}

/**
 * Subscribes a customer. With a trial it starts `trialing` and the trial's end brings the first
 * invoice; without one the first period is invoiced and charged now, and the subscription is
 * `active` only once that charge succeeds (`incomplete` until then).
 */
export async function createSubscription(deps: Deps, actor: Actor, input: SubscriptionInput) {
  if (input.trial_period_days !== undefined && input.trial_end !== undefined) {
    throw invalid('parameters_exclusive', 'give trial_period_days or trial_end, not both', 'trial_end');
  }
  let charges: PendingCharge[] = [];
  const created = await command(deps, actor, async (u) => {
    const customer = await u.tx.selectFrom('customers').selectAll().where('account_id', '=', u.accountId)
      .where('id', '=', input.customer).forUpdate().executeTakeFirst();
    if (!customer) throw notFound('customer', input.customer, 'customer');
    const prices = await loadPrices(u, input.items);
    const first = prices[0]!.price;
    const recurring: Recurring = { interval: first.recurring_interval as Recurring['interval'], interval_count: first.recurring_interval_count! };
    if (input.default_payment_method) {
      const pm = await u.tx.selectFrom('payment_methods').select('id').where('account_id', '=', u.accountId)
        .where('id', '=', input.default_payment_method).where('customer_id', '=', customer.id).executeTakeFirst();
      if (!pm) throw notFound('payment method', input.default_payment_method, 'default_payment_method');
    }
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const trialEnd = input.trial_period_days !== undefined ? addDays(now, input.trial_period_days)
      : input.trial_end !== undefined ? parseTime(input.trial_end, 'trial_end') : null;
    if (trialEnd && trialEnd <= now) throw invalid('parameter_invalid', 'trial_end must be in the future', 'trial_end');
    const paidStart = trialEnd ?? now;
    let anchor = paidStart;
    if (input.billing_cycle_anchor !== undefined) {
      anchor = parseTime(input.billing_cycle_anchor, 'billing_cycle_anchor');
      if (anchor < paidStart) throw invalid('parameter_invalid', 'billing_cycle_anchor cannot be before the first paid period starts', 'billing_cycle_anchor');
      if (anchor >= nextBoundaryAfter(paidStart, recurring, paidStart)) {
        throw invalid('parameter_invalid', 'billing_cycle_anchor must fall within one billing period of the start', 'billing_cycle_anchor');
      }
    }
    const periodEnd = trialEnd ?? (anchor > now ? anchor : nextBoundaryAfter(anchor, recurring, now));
    const status: SubscriptionStatus = trialEnd ? 'trialing' : 'incomplete';
    const id = newId('subscription');
    const row = {
      account_id: u.accountId, id, customer_id: customer.id, test_clock_id: customer.test_clock_id, status,
      currency: first.currency, recurring_interval: recurring.interval, recurring_interval_count: recurring.interval_count,
      billing_cycle_anchor: anchor, current_period_start: now, current_period_end: periodEnd,
      trial_start: trialEnd ? now : null, trial_end: trialEnd, cancel_at_period_end: false, canceled_at: null, ended_at: null,
      latest_invoice_id: null, default_payment_method_id: input.default_payment_method ?? null,
      metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    };
    const sub = await u.tx.insertInto('subscriptions').values({ ...row, next_action_at: nextActionAt({ ...row, status }) })
      .returningAll().executeTakeFirstOrThrow();
    const itemRows = await u.tx.insertInto('subscription_items').values(prices.map((p) => ({
      account_id: u.accountId, id: newId('subscriptionItem'), subscription_id: id, price_id: p.price.id, quantity: p.quantity, created_at: now,
    }))).returningAll().execute();
    const items: ItemWithPrice[] = itemRows.map((item, i) => ({ item, price: prices[i]!.price }));
    let result = sub;
    if (!trialEnd) {
      // The first period is invoiced and collected now; `incomplete` until the charge succeeds.
      const pm = (await loadPaymentMethods(u.tx, [sub])).get(id) ?? null;
      const plan = planInvoice(deps, sub, items, pm, now, periodEnd, 'subscription_create', now);
      if (plan.invoice.amount_due > MAX_INVOICE_AMOUNT) throw invalid('amount_too_large', 'the first invoice exceeds the largest supported amount', 'items');
      const written = await writeInvoicePlans(u, [plan]);
      charges = written.charges;
      const paidNow = plan.collection === 'zero_amount';
      result = await u.tx.updateTable('subscriptions').set({
        latest_invoice_id: plan.invoice.id,
        ...(paidNow ? { status: transition(status, 'payment_succeeded'), next_action_at: periodEnd } : {}),
      }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    }
    const view = subscriptionView(result, items.map((x) => subscriptionItemView(x.item, x.price)));
    u.audit('subscription.created', 'subscription', id, null, view, now);
    u.emit('subscription.created', id, view, now);
    return result;
  });
  await sendAttempts(deps, actor, charges);
  return await getSubscription(deps, actor.accountId, created.id);
}

export async function getSubscription(deps: Deps, accountId: string, id: string) {
  const s = await deps.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!s) throw notFound('subscription', id, 'id');
  return await subscriptionWithItems(deps.db, s);
}

export async function listSubscriptions(deps: Deps, accountId: string, page: Page & { customer?: string | undefined; status?: string | undefined }) {
  let q = deps.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.status) q = q.where('status', '=', page.status);
  return await paginate(q, 'id', page, (s) => subscriptionWithItems(deps.db, s));
}

/** Cancels now, or at the end of the current period (trial included) with `at_period_end`. */
export async function cancelSubscription(deps: Deps, actor: Actor, id: string, input: { at_period_end?: boolean }) {
  await command(deps, actor, async (u) => {
    const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!s) throw notFound('subscription', id, 'id');
    const from = s.status as SubscriptionStatus;
    const to = transition(from, 'cancel');
    const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
    const set = input.at_period_end
      ? { cancel_at_period_end: true, canceled_at: now }
      : { status: to, canceled_at: now, ended_at: now, next_action_at: null };
    const after = await u.tx.updateTable('subscriptions').set({ ...set, updated_at: now, version: s.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const before = { status: from, cancel_at_period_end: s.cancel_at_period_end, canceled_at: s.canceled_at };
    u.audit(input.at_period_end ? 'subscription.cancel_scheduled' : 'subscription.canceled', 'subscription', id, before,
      { status: after.status, cancel_at_period_end: after.cancel_at_period_end, canceled_at: after.canceled_at }, now);
    const view = await subscriptionWithItems(u.tx, after);
    u.emit(input.at_period_end ? 'subscription.updated' : 'subscription.deleted', id, view, now, { previous_attributes: before });
  });
  return await getSubscription(deps, actor.accountId, id);
}
