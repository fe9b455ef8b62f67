import { endedUsageAt } from '../usage/usage-billing.ts';
import { watchCustomer } from '../usage/watch.ts';
import { checkPolicyRef } from '../dunning/policies.ts';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { addDays, nextBoundaryAfter, type Recurring } from '../../domain/calendar.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { normalizeCurrency } from '../../domain/currency.ts';
import { newId } from '../../domain/ids.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import { loadItems, loadPendingItems, subscriptionViewWith } from '../billing/load.ts';
import { billingCustomer, customerTaxOf, finalizeAndWrite } from '../invoicing/finalize.ts';
import { draftRows, itemRates, itemStates, subscriptionPlan, withTax, type ItemWithPrice, type PaymentMethodRef } from '../invoicing/plan-invoice.ts';
import { buildInvoice, trialLines } from '../../domain/invoice-builder.ts';
import { lineAmount } from '../../domain/pricing.ts';
import { priceModelOf } from '../catalog/catalog.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { atomically, command, retryingStale, type UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import type { TrialSettings } from './change.ts';
import { checkTaxRates } from '../catalog/tax-rates.ts';
import { loadLineTax, subscriptionTaxNeeds } from '../catalog/line-taxes.ts';
import { requirePriceIn } from '../catalog/price-currencies.ts';
import { redeemCoupons } from '../catalog/coupons.ts';
import { checkMinimums, type DiscountInput } from '../catalog/promotion-redemption.ts';
import { loadCustomerDiscounts } from '../customers/customer-discounts.ts';

export type SubscriptionInput = {
  customer: string;
  items: { price: string; quantity?: number; tax_rates?: string[] }[];
  trial_period_days?: number;
  trial_end?: string;
  billing_cycle_anchor?: string;
  default_payment_method?: string;
  /** A dunning policy of the account for this subscription's failed renewals, over the customer's and the default. */
  dunning_policy?: string;
  metadata?: Record<string, string>;
  trial_settings?: TrialSettings;
  default_tax_rates?: string[];
  automatic_tax?: { enabled: boolean };
  discounts?: DiscountInput[];
  /** The currency to bill in, one every price offers; default: the customer's, else the first price's. */
  currency?: string;
  /** The least the metered items of a period are billed; usage short of it is trued up. */
  minimum_amount?: number | null;
  /** Usage billed mid-period once its unbilled amount reaches amount_gte. */
  billing_thresholds?: { amount_gte: number } | null;
};

// Every amount the API shows is a JSON number: beyond 2^53 it would no longer be exact.
const MAX_INVOICE_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Refuses items whose full period comes to more than an invoice can hold. A full period is the
 * most any invoice of the subscription can reach (proration only lowers it), so a subscription
 * accepted here can be invoiced at every renewal — with or without a trial first.
 */
export function checkPeriodAmount(items: { price: Row<'prices'>; quantity: number }[]) {
  let total = 0n;
  for (const [i, { price, quantity }] of items.entries()) {
    if (price.usage_type === 'metered') continue;
    const amount = lineAmount(priceModelOf(price), quantity);
    total += amount;
    if (amount > MAX_INVOICE_AMOUNT) throw invalid('amount_too_large', `price × quantity of item ${i} exceeds the largest invoice amount (${MAX_INVOICE_AMOUNT})`, `items[${i}][quantity]`);
  }
  if (total > MAX_INVOICE_AMOUNT) throw invalid('amount_too_large', `the items of one period exceed the largest invoice amount (${MAX_INVOICE_AMOUNT})`, 'items');
}

/** What a full period of the items comes to, before discounts and tax. */
export const periodAmount = (items: readonly ItemWithPrice[]) =>
  items.reduce((a, x) => a + (x.price.usage_type === 'metered' ? 0n : lineAmount(priceModelOf(x.price), x.item.quantity)), 0n);

export async function subscriptionWithItems(db: Kysely<DB>, s: Row<'subscriptions'>) {
  return subscriptionViewWith(s, (await loadItems(db, [s])).get(s.id));
}

export function parseTime(value: string, param: string): Date {
  const t = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t.getTime())) throw invalid('parameter_invalid', `${param} must be an RFC 3339 timestamp`, param);
  return t;
}

/**
 * Loads (in one query) and checks the prices: all recurring, one billing interval, all offered
 * in `currency` (null: the first price's own), each as billed in it.
 */
export async function loadPrices(u: { tx: Kysely<DB> | Transaction<DB>; accountId: string }, items: SubscriptionInput['items'], currency: string | null = null) {
  if (items.length === 0) throw invalid('parameter_missing', 'a subscription needs at least one item', 'items');
  const rows = await u.tx.selectFrom('prices').selectAll().where('account_id', '=', u.accountId)
    .where('id', 'in', items.map((it) => it.price)).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const seen = new Set<string>();
  const out: { price: Row<'prices'>; quantity: number }[] = [];
  for (const [i, it] of items.entries()) {
    if (seen.has(it.price)) throw invalid('parameter_invalid', `price '${it.price}' appears twice`, `items[${i}][price]`);
    seen.add(it.price);
    const row = byId.get(it.price);
    if (!row) throw notFound('price', it.price, `items[${i}][price]`);
    if (!row.active) throw invalid('price_inactive', `price '${it.price}' is archived`, `items[${i}][price]`);
    if (!row.recurring_interval) throw invalid('price_not_recurring', `price '${it.price}' is not recurring`, `items[${i}][price]`);
    currency ??= row.currency;
    const price = requirePriceIn(row, currency, `items[${i}][price]`);
    const first = out[0]?.price;
    if (first && (first.recurring_interval !== price.recurring_interval || first.recurring_interval_count !== price.recurring_interval_count)) {
      throw invalid('interval_mismatch', 'all items must share one billing interval', `items[${i}][price]`);
    }
    if (price.usage_type === 'metered' && it.quantity !== undefined) {
      throw invalid('metered_item_invalid', `price '${it.price}' is metered: its usage is the quantity, billed in arrears`, `items[${i}][quantity]`);
    }
    // Two items on one meter would each bill the customer's whole usage of it.
    if (price.meter_id !== null && out.some((o) => o.price.meter_id === price.meter_id)) {
      throw invalid('metered_item_invalid', `price '${it.price}' bills meter '${price.meter_id}', which another item already bills`, `items[${i}][price]`);
    }
    out.push({ price, quantity: it.quantity ?? 1 });
  }
  checkPeriodAmount(out);
  return out;
}

/**
 * The subscription's prices in the currency it bills in: the one asked for, else the customer's
 * (fixed by its first invoice), else the first price's own. A customer never bills in two.
 */
async function pricesFor(u: UnitOfWork, customer: { id: string; currency: string | null }, input: SubscriptionInput) {
  const asked = input.currency === undefined ? null : normalizeCurrency(input.currency);
  if (asked !== null && customer.currency !== null && asked !== customer.currency) {
    throw invalid('customer_currency_mismatch', `customer '${customer.id}' bills in ${customer.currency}, not ${asked}`, 'currency');
  }
  try {
    return await loadPrices(u, input.items, asked ?? customer.currency);
  } catch (err) {
    if (asked === null && customer.currency !== null && err instanceof DomainError && err.code === 'currency_mismatch') {
      throw invalid('customer_currency_mismatch', `customer '${customer.id}' bills in ${customer.currency}: ${err.message}`, err.param);
    }
    throw err;
  }
}

/**
 * Usage is the customer's, not a subscription's: a meter billed by one of the customer's
 * subscriptions that has not ended would be billed twice by another. Such a price is refused.
 * Two creations at once both read the meter as free (the write runs without a transaction); every
 * creation writes its first invoice's number to the customer's row under its read version, so the
 * second's flush is stale, it reruns, and this check then sees the first (metered-billing.test.ts).
 */
async function checkMetersFree(u: UnitOfWork, customerId: string, prices: Row<'prices'>[]) {
  const meters = prices.flatMap((p) => (p.meter_id === null ? [] : [p.meter_id]));
  if (meters.length === 0) return;
  const taken = await u.tx.selectFrom('subscription_items as si')
    .innerJoin('subscriptions as s', (j) => j.onRef('s.account_id', '=', 'si.account_id').onRef('s.id', '=', 'si.subscription_id'))
    .innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'si.account_id').onRef('p.id', '=', 'si.price_id'))
    .select(['p.meter_id', 's.id as subscription_id']).where('si.account_id', '=', u.accountId).where('s.customer_id', '=', customerId)
    .where('s.ended_at', 'is', null).where('p.meter_id', 'in', meters).executeTakeFirst();
  if (!taken) return;
  const i = prices.findIndex((p) => p.meter_id === taken.meter_id);
  throw invalid('meter_already_billed', `meter '${taken.meter_id}' is already billed to this customer by subscription '${taken.subscription_id}'`, `items[${i}][price]`);
}

// A trial longer than two years is a typo, not a plan.
const MAX_TRIAL_MS = 730 * 24 * 3600 * 1000;

/**
 * Subscribes a customer. With a trial it starts `trialing` and the trial's end brings the first
 * invoice; without one the first period is invoiced and charged now, and the subscription is
 * `active` only once that charge succeeds (`incomplete` until then). The subscription, its
 * items, invoice, lines, attempt, audit and events are written by one statement.
 */
export async function createSubscription(deps: Deps, actor: Actor, input: SubscriptionInput) {
  const opening = subscriptionOpening(deps, input);
  // No transaction: the reads below take no locks, and every write leaves in one statement. The
  // customer's invoice sequence is advanced only if no one else advanced it since it was read;
  // if someone did, the whole command runs again.
  const created = await retryingStale(() => atomically(deps, actor, opening.write));
  // Usage reported for the customer from now on is checked against the threshold (usage/checks.ts).
  if (created.sub.billing_threshold_amount !== null) await command(deps, actor, (u) => watchCustomer(u, created.sub.customer_id));
  // Answer with the subscription as the charge left it, without reading it back.
  const { changed } = await sendAttempts(deps, actor, opening.charges());
  return subscriptionViewWith(changed.get(created.sub.id) ?? created.sub, created.items);
}

/**
 * createSubscription's reads and writes, into a unit of work of the caller's. `write` may run
 * again after a stale read, each run afresh; `charges()` are those the last run opened, to send
 * once it is committed. A schedule starts its subscription with it, in the schedule's own
 * transaction and `at` the instant its first phase starts.
 */
export function subscriptionOpening(deps: Deps, input: SubscriptionInput, opts: { scheduleId?: string; at?: Date } = {}) {
  if (input.trial_period_days !== undefined && input.trial_end !== undefined) {
    throw invalid('parameters_exclusive', 'give trial_period_days or trial_end, not both', 'trial_end');
  }
  let charges: PendingCharge[] = [];
  const write = async (u: UnitOfWork) => {
    charges = [];
    const customer = await u.tx.selectFrom('customers as c')
      .leftJoin('payment_methods as pm', (j) => j.onRef('pm.account_id', '=', 'c.account_id').onRef('pm.id', '=', 'c.default_payment_method_id'))
      .selectAll('c').select(['pm.id as pm_id', 'pm.gateway_token as pm_token', 'pm.gateway as pm_gateway', 'pm.gateway_customer as pm_gateway_customer'])
      .select((eb) => eb.exists(eb.selectFrom('invoice_items as ii').select('ii.id').whereRef('ii.account_id', '=', 'c.account_id')
        .whereRef('ii.customer_id', '=', 'c.id').where('ii.invoice_id', 'is', null).where('ii.subscription_id', 'is', null)).as('has_pending'))
      .where('c.account_id', '=', u.accountId).where('c.id', '=', input.customer).executeTakeFirst();
    if (!customer) throw notFound('customer', input.customer, 'customer');
    const [prices] = await Promise.all([pricesFor(u, customer, input), checkTaxRates(u.tx, u.accountId, input.default_tax_rates ?? [], 'default_tax_rates'),
      ...input.items.map((it, i) => checkTaxRates(u.tx, u.accountId, it.tax_rates ?? [], `items[${i}][tax_rates]`))]);
    await checkMetersFree(u, customer.id, prices.map((p) => p.price));
    const first = prices[0]!.price;
    const recurring: Recurring = { interval: first.recurring_interval as Recurring['interval'], interval_count: first.recurring_interval_count! };
    let pm: PaymentMethodRef | null = customer.pm_id && customer.pm_token && customer.pm_gateway ? { id: customer.pm_id, gateway_token: customer.pm_token, gateway: customer.pm_gateway, gateway_customer: customer.pm_gateway_customer } : null;
    if (input.default_payment_method) {
      const own = await u.tx.selectFrom('payment_methods').select(['id', 'gateway_token', 'gateway', 'gateway_customer']).where('account_id', '=', u.accountId)
        .where('id', '=', input.default_payment_method).where('customer_id', '=', customer.id).executeTakeFirst();
      if (!own) throw notFound('payment method', input.default_payment_method, 'default_payment_method');
      pm = own;
    }
    if (input.dunning_policy) await checkPolicyRef(u, input.dunning_policy, 'dunning_policy');
    const now = opts.at ?? await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const trialEnd = input.trial_period_days !== undefined ? addDays(now, input.trial_period_days)
      : input.trial_end !== undefined ? parseTime(input.trial_end, 'trial_end') : null;
    if (trialEnd && trialEnd <= now) throw invalid('parameter_invalid', 'trial_end must be in the future', 'trial_end');
    if (trialEnd && trialEnd.getTime() - now.getTime() > MAX_TRIAL_MS) throw invalid('parameter_invalid', 'a trial can last at most 730 days', 'trial_end');
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
    const id = newId('subscription');
    const sub: Row<'subscriptions'> = {
      account_id: u.accountId, id, customer_id: customer.id, test_clock_id: customer.test_clock_id,
      status: trialEnd ? 'trialing' : 'incomplete', currency: first.currency,
      recurring_interval: recurring.interval, recurring_interval_count: recurring.interval_count,
      billing_cycle_anchor: anchor, current_period_start: now, current_period_end: periodEnd,
      trial_start: trialEnd ? now : null, trial_end: trialEnd, cancel_at_period_end: false, canceled_at: null, ended_at: null,
      latest_invoice_id: null, default_payment_method_id: input.default_payment_method ?? null,
      metadata: input.metadata ?? {}, next_action_at: null, billing_failure_count: 0, pause_collection: null,
      trial_settings: (input.trial_settings ?? null) as Row<'subscriptions'>['trial_settings'], schedule_id: opts.scheduleId ?? null, dunning_policy_id: input.dunning_policy ?? null, default_tax_rates: input.default_tax_rates ?? [], discount_ids: [],
      automatic_tax: input.automatic_tax?.enabled ?? false,
      minimum_amount: input.minimum_amount === undefined || input.minimum_amount === null ? null : BigInt(input.minimum_amount),
      billing_threshold_amount: input.billing_thresholds?.amount_gte === undefined ? null : BigInt(input.billing_thresholds.amount_gte),
      cancellation_details: null, created_at: now, updated_at: now, version: 1,
    };
    const items: ItemWithPrice[] = prices.map((p, i) => ({
      item: { account_id: u.accountId, id: newId('subscriptionItem'), subscription_id: id, price_id: p.price.id, quantity: p.quantity, created_at: now,
        tax_rates: input.items[i]!.tax_rates ?? [] },
      price: p.price,
    }));
    const redeemed = await redeemCoupons(u, input.discounts ?? [], sub, now);
    sub.discount_ids = redeemed.rows.map((r) => r.id);
    if (!trialEnd) {
      // The first period is invoiced and collected now; `incomplete` until the charge succeeds.
      // The customer's pending one-off items go on the first invoice (the customer is not locked:
      // an item taken meanwhile by another invoice fails the version check and the command reruns).
      const pending = customer.has_pending ? (await loadPendingItems(u.tx, [sub])).get(sub.id) ?? [] : [];
      const tax = await loadLineTax(deps, u.tx, subscriptionTaxNeeds(sub, customerTaxOf(customer), items, pending));
      // Without discounts of its own, the subscription's invoices take its customer's.
      const discounts = redeemed.rows.length ? { discounts: redeemed.discounts, firstUse: [] } : await loadCustomerDiscounts(u.tx, u.accountId, customer.discount_ids, now);
      const plan = subscriptionPlan(sub, items, pending, { customer: billingCustomer(customer, pm), pm }, now, periodEnd, 'subscription_create', now, tax, discounts);
      checkMinimums(input.discounts ?? [], redeemed.promotionCodes, plan.invoice.subtotal, sub.currency);
      const { charges: opened } = await finalizeAndWrite(deps, u, [plan], { mayConflict: false, guarded: true });
      // The discounts are written by this same statement, so their first use is set on the rows
      // themselves (an update would not see them).
      for (const r of redeemed.rows) if (plan.invoice.discounts.includes(r.id)) r.used_at = now;
      sub.latest_invoice_id = plan.invoice.id;
      if (plan.collection === 'zero_amount') sub.status = transition('incomplete', 'payment_succeeded');
      sub.next_action_at = nextActionAt({ ...sub, status: sub.status as SubscriptionStatus });
      u.insertLater('subscriptions', [sub]);
      u.insertLater('subscription_items', items.map((x) => x.item));
      charges = opened.map((c) => ({ ...c, snapshot: { invoice: plan.invoice, lines: plan.lines, subscription: sub, items } }));
    } else {
      // A trial opens with a zero invoice (Stripe's record of it), finalized paid without a charge;
      // a minimum amount is one the first paid invoice, a full period, must reach.
      checkMinimums(input.discounts ?? [], redeemed.promotionCodes, periodAmount(items), sub.currency);
      const tax = await loadLineTax(deps, u.tx, subscriptionTaxNeeds(sub, customerTaxOf(customer), items, []));
      const built = buildInvoice(sub.currency, withTax(trialLines(itemStates(items), now, trialEnd), tax, itemRates(items)));
      const { invoice, lines } = draftRows({ accountId: u.accountId, customerId: customer.id, subscriptionId: id, testClockId: customer.test_clock_id,
        reason: 'subscription_create', periodStart: now, periodEnd: trialEnd, automaticTax: tax.automatic }, built, now);
      const plan = { invoice, lines, consumed: [], subscription: sub, customer: billingCustomer(customer, pm), pm, at: now };
      const { charges: opened } = await finalizeAndWrite(deps, u, [plan], { mayConflict: false, guarded: true });
      sub.latest_invoice_id = invoice.id;
      sub.next_action_at = trialEnd;
      u.insertLater('subscriptions', [sub]);
      u.insertLater('subscription_items', items.map((x) => x.item));
      // Only a balance the customer owes makes it more than zero.
      charges = opened.map((c) => ({ ...c, snapshot: { invoice, lines, subscription: sub, items } }));
    }
    const view = subscriptionViewWith(sub, items);
    u.audit('subscription.created', 'subscription', id, null, view, now);
    u.emit('subscription.created', id, view, now);
    return { sub, items };
  };
  return { write, charges: () => charges };
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
/** Why a customer canceled (the billing portal asks); kept on the subscription as cancellation_details. */
export type CancellationDetails = { reason: 'cancellation_requested'; feedback: string | null; comment: string | null };

export async function cancelSubscription(deps: Deps, actor: Actor, id: string, input: { at_period_end?: boolean; cancellation_details?: CancellationDetails }) {
  await command(deps, actor, async (u) => {
    const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!s) throw notFound('subscription', id, 'id');
    const from = s.status as SubscriptionStatus;
    const to = transition(from, 'cancel');
    const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
    const set = input.at_period_end
      ? { cancel_at_period_end: true, canceled_at: now }
      // The usage of the part-period it ran is billed by the billing duty, at once.
      : { status: to, canceled_at: now, ended_at: now, next_action_at: await endedUsageAt(u.tx, s, now) };
    const details = input.cancellation_details ? { cancellation_details: JSON.stringify(input.cancellation_details) } : {};
    const after = await u.tx.updateTable('subscriptions').set({ ...set, ...details, updated_at: now, version: s.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const before = { status: from, cancel_at_period_end: s.cancel_at_period_end, canceled_at: s.canceled_at };
    u.audit(input.at_period_end ? 'subscription.cancel_scheduled' : 'subscription.canceled', 'subscription', id, before,
      { status: after.status, cancel_at_period_end: after.cancel_at_period_end, canceled_at: after.canceled_at, ...(input.cancellation_details ? { cancellation_details: input.cancellation_details } : {}) }, now);
    const view = await subscriptionWithItems(u.tx, after);
    u.emit(input.at_period_end ? 'subscription.updated' : 'subscription.deleted', id, view, now, { previous_attributes: before });
  });
  return await getSubscription(deps, actor.accountId, id);
}
