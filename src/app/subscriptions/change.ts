import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { nextBoundaryAfter, type Recurring } from '../../domain/calendar.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { buildInvoice, periodLines, type DraftLine } from '../../domain/invoice-builder.ts';
import { prorationInstant, prorationLines } from '../../domain/prorate-change.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import { isTerminal, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { loadBillingCustomers, loadItems, loadPendingItems } from '../billing/load.ts';
import type { BillingCustomer, InvoicePlan, PauseBehavior } from '../invoicing/finalize.ts';
import { draftRows, itemRates, itemStates, pauseBehaviorAt, pendingLine, recurringOf, withTax, type ItemWithPrice, type PaymentMethodRef } from '../invoicing/plan-invoice.ts';
import { conflict, notFound } from '../errors.ts';
import { checkTaxRates } from '../catalog/tax-rates.ts';
import { loadLineTax, subscriptionTaxNeeds } from '../catalog/line-taxes.ts';
import type { TaxCalculator } from '../ports.ts';
import type { LineTax } from '../../domain/line-tax.ts';
import { requirePriceIn } from '../catalog/price-currencies.ts';
import { loadDiscounts } from '../catalog/coupons.ts';
import type { DiscountInput } from '../catalog/promotion-redemption.ts';
import type { Discount } from '../../domain/discounts.ts';
import { clockTimes } from '../time.ts';
import type { Row } from '../views.ts';
import { checkPeriodAmount, parseTime } from './subscriptions.ts';

type Db = Kysely<DB> | Transaction<DB>;

export type ProrationBehavior = 'create_prorations' | 'always_invoice' | 'none';

/** A change to a subscription, as `POST /v1/subscriptions/:id` and the preview take it. */
export type SubscriptionChange = {
  items?: { id?: string | undefined; price?: string | undefined; quantity?: number | undefined; deleted?: boolean | undefined;
    /** Replaces the item's own tax rates; [] gives it the subscription's again. */
    tax_rates?: string[] | undefined }[] | undefined;
  proration_behavior?: ProrationBehavior | undefined;
  proration_date?: string | undefined;
  billing_cycle_anchor?: 'unchanged' | 'now' | undefined;
  cancel_at_period_end?: boolean | undefined;
  trial_end?: string | undefined;
  metadata?: Record<string, string> | undefined;
  pause_collection?: { behavior: PauseBehavior; resumes_at?: string | null | undefined } | null | '' | undefined;
  default_payment_method?: string | undefined;
  /** A dunning policy of the account for this subscription's failed renewals; null: the customer's, else the default. */
  dunning_policy?: string | null | undefined;
  /** The least a period's usage is billed; null removes it. */
  minimum_amount?: number | null | undefined;
  /** Usage invoiced mid-period once its unbilled amount reaches amount_gte; null removes it. */
  billing_thresholds?: { amount_gte: number } | null | undefined;
  trial_settings?: TrialSettings | null | undefined;
  /** Replaces the subscription's default tax rates; [] removes them. */
  default_tax_rates?: string[] | undefined;
  automatic_tax?: { enabled: boolean } | undefined;
  /** Coupons or promotion codes to redeem, replacing the subscription's discounts; [] removes them. */
  discounts?: DiscountInput[] | undefined;
};

export type TrialSettings = { end_behavior: { missing_payment_method: 'cancel' | 'pause' | 'create_invoice' } };

/** Everything a change is planned from, read in one go. */
export type ChangeState = {
  sub: Row<'subscriptions'>;
  items: ItemWithPrice[];
  prices: Map<string, Row<'prices'>>;
  pending: Row<'invoice_items'>[];
  billing: { customer: BillingCustomer; pm: PaymentMethodRef | null };
  ownCard: PaymentMethodRef | null;
  /** The tax of the subscription's invoices after the change. */
  tax: LineTax;
  /** The discounts an invoice issued now takes. */
  discounts: { discounts: Discount[]; firstUse: string[] };
  now: Date;
};

/**
 * Reads a subscription and what a change to it needs: items, the prices the change names, the
 * customer's numbering and balance, pending items and business time. `lock`: the subscription
 * and customer rows stay locked until the transaction ends (an update); a preview reads freely.
 */
export async function loadChangeState(db: Db, nowReal: Date, accountId: string, id: string, change: SubscriptionChange,
  opts: { lock: boolean; idParam: string; taxCalculator?: TaxCalculator | undefined }): Promise<ChangeState> {
  const { lock } = opts;
  let q = db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).where('id', '=', id);
  if (lock) q = q.forUpdate();
  const sub = await q.executeTakeFirst();
  if (!sub) throw notFound('subscription', id, opts.idParam);
  const priceIds = [...new Set((change.items ?? []).flatMap((i) => (i.price ? [i.price] : [])))];
  const [items, billing, pending, priceRows, timeOf, own] = await Promise.all([
    loadItems(db, [sub]),
    loadBillingCustomers(db, [sub], lock),
    loadPendingItems(db, [sub]),
    priceIds.length ? db.selectFrom('prices').selectAll().where('account_id', '=', accountId).where('id', 'in', priceIds).execute() : [],
    clockTimes(db, nowReal, [sub]),
    change.default_payment_method ? db.selectFrom('payment_methods').select(['id', 'gateway_token', 'gateway', 'gateway_customer']).where('account_id', '=', accountId)
      .where('id', '=', change.default_payment_method).where('customer_id', '=', sub.customer_id).executeTakeFirst() : undefined,
    checkTaxRates(db, accountId, change.default_tax_rates ?? [], 'default_tax_rates'),
    ...(change.items ?? []).map((it, i) => checkTaxRates(db, accountId, it.tax_rates ?? [], `items[${i}][tax_rates]`)),
  ]);
  if (change.default_payment_method && !own) throw notFound('payment method', change.default_payment_method, 'default_payment_method');
  // In the subscription's business time (no query when it has no discount).
  const discounts = (await loadDiscounts(db, [{ sub, start: timeOf(sub) }])).get(sub.id) ?? { discounts: [], firstUse: [] };
  const mine = items.get(sub.id) ?? [];
  const needs = subscriptionTaxNeeds({ account_id: sub.account_id, default_tax_rates: change.default_tax_rates ?? sub.default_tax_rates,
    automatic_tax: change.automatic_tax?.enabled ?? sub.automatic_tax }, billing.get(sub.id)!.customer.tax, mine, pending.get(sub.id) ?? []);
  const tax = await loadLineTax(opts, db, { ...needs, anyOwn: needs.anyOwn || (change.items ?? []).some((it) => (it.tax_rates ?? []).length > 0) });
  return {
    sub, items: items.get(sub.id) ?? [], prices: new Map(priceRows.map((p) => [p.id, p])), pending: pending.get(sub.id) ?? [],
    billing: billing.get(sub.id)!, ownCard: own ?? null, now: timeOf(sub), tax, discounts,
  };
}

/** What a change does: the subscription and items after it, new pending prorations, an invoice now. */
export type ChangePlan = {
  before: Row<'subscriptions'>;
  after: Row<'subscriptions'>;
  items: ItemWithPrice[];
  added: Row<'subscription_items'>[];
  updated: Row<'subscription_items'>[];
  removed: string[];
  prorations: Row<'invoice_items'>[];
  invoice: InvoicePlan | null;
  /** Fields that changed, as they were before (for `previous_attributes`). */
  previous: Record<string, unknown>;
};

const sameInterval = (a: Row<'prices'>, b: Row<'prices'>) =>
  a.recurring_interval === b.recurring_interval && a.recurring_interval_count === b.recurring_interval_count;

const isMetered = (p: Row<'prices'>) => p.usage_type === 'metered';
// Usage is billed per item and period in arrears; a metered item that came or went mid-period
// would leave part of a period unbilled or billed twice, so such changes wait for a new subscription.
const meteredChange = (message: string, param: string) => invalid('metered_item_invalid', message, param);

/** The items after the change, checked like a new subscription's. */
function nextItems(state: ChangeState, change: SubscriptionChange): { items: ItemWithPrice[]; added: Row<'subscription_items'>[]; updated: Row<'subscription_items'>[]; removed: string[] } {
  const s = state.sub;
  const byId = new Map(state.items.map((x) => [x.item.id, x]));
  const result = new Map(state.items.map((x) => [x.item.id, x]));
  const added: Row<'subscription_items'>[] = [];
  const updated: Row<'subscription_items'>[] = [];
  const removed: string[] = [];
  const priceOf = (id: string, param: string) => {
    const p = state.prices.get(id);
    if (!p) throw notFound('price', id, param);
    if (!p.active) throw invalid('price_inactive', `price '${id}' is archived`, param);
    if (!p.recurring_interval) throw invalid('price_not_recurring', `price '${id}' is not recurring`, param);
    return requirePriceIn(p, s.currency, param);
  };
  const seen = new Set<string>();
  for (const [i, it] of (change.items ?? []).entries()) {
    const at = `items[${i}]`;
    if (it.id === undefined) {
      if (it.deleted) throw invalid('parameter_invalid', 'deleted needs the id of an item', `${at}[id]`);
      if (!it.price) throw invalid('parameter_missing', 'a new item needs a price', `${at}[price]`);
      const item = { account_id: s.account_id, id: newId('subscriptionItem'), subscription_id: s.id, price_id: it.price, quantity: it.quantity ?? 1, created_at: state.now,
        tax_rates: it.tax_rates ?? [] };
      const price = priceOf(it.price, `${at}[price]`);
      if (isMetered(price)) throw meteredChange('a metered price can be added to a subscription when it is created, not mid-period', `${at}[price]`);
      added.push(item);
      result.set(item.id, { item, price });
      continue;
    }
    const old = byId.get(it.id);
    if (!old) throw notFound('subscription item', it.id, `${at}[id]`);
    if (seen.has(it.id)) throw invalid('parameter_invalid', `item '${it.id}' appears twice`, `${at}[id]`);
    seen.add(it.id);
    if (isMetered(old.price) && (it.deleted || (it.price && it.price !== old.price.id) || it.quantity !== undefined)) {
      throw meteredChange('a metered item bills its usage until the subscription ends: it cannot be removed, swapped or given a quantity', `${at}[id]`);
    }
    if (it.deleted) {
      removed.push(it.id);
      result.delete(it.id);
      continue;
    }
    const price = it.price && it.price !== old.price.id ? priceOf(it.price, `${at}[price]`) : old.price;
    if (isMetered(price)) throw meteredChange('a licensed item cannot become metered mid-period', `${at}[price]`);
    const item = { ...old.item, price_id: price.id, quantity: it.quantity ?? old.item.quantity, tax_rates: it.tax_rates ?? old.item.tax_rates };
    const ratesChanged = item.tax_rates.join() !== old.item.tax_rates.join();
    if (item.price_id !== old.item.price_id || item.quantity !== old.item.quantity || ratesChanged) updated.push(item);
    result.set(item.id, { item, price });
  }
  const items = [...result.values()];
  if (items.length === 0) throw invalid('parameter_invalid', 'a subscription needs at least one item', 'items');
  const prices = new Set<string>();
  for (const x of items) {
    if (prices.has(x.price.id)) throw invalid('parameter_invalid', `price '${x.price.id}' appears twice`, 'items');
    prices.add(x.price.id);
    if (!sameInterval(x.price, items[0]!.price)) throw invalid('interval_mismatch', 'all items must share one billing interval', 'items');
  }
  checkPeriodAmount(items.map((x) => ({ price: x.price, quantity: x.item.quantity })));
  return { items, added, updated, removed };
}

/** Stripe's rule: `proration_date` must fall in the current period; default now. */
function prorationDate(s: Row<'subscriptions'>, change: SubscriptionChange, now: Date): Date {
  let t = now;
  if (change.proration_date !== undefined) {
    t = parseTime(change.proration_date, 'proration_date');
    if (t < s.current_period_start || t >= s.current_period_end) {
      throw invalid('parameter_invalid', `proration_date must lie in the current period (${s.current_period_start.toISOString()} – ${s.current_period_end.toISOString()})`, 'proration_date');
    }
  }
  // Whole seconds, but never before the period: one that began at 13:53:07.815 is prorated from
  // then, not from 13:53:07.
  const whole = prorationInstant(t);
  return whole < s.current_period_start ? s.current_period_start : whole;
}

const recurringOfPrice = (p: Row<'prices'>): Recurring => ({ interval: p.recurring_interval as Recurring['interval'], interval_count: p.recurring_interval_count! });

/**
 * Plans a change with Stripe's semantics; nothing is written and no gateway is called, so the
 * preview and the update run this same function.
 *  - Items: a changed price or quantity, an added or removed item, prorated by the second from
 *    `proration_date` (credit for the unused time of the old, charge for the rest on the new).
 *  - create_prorations leaves the proration lines as pending invoice items for the next invoice;
 *    always_invoice invoices them (with the subscription's pending items) now; none prorates
 *    nothing and the new prices apply from the next period.
 *  - A new billing interval, or billing_cycle_anchor=now, starts a new period now and invoices
 *    it at once, with the credit for the unused time of the old period.
 *  - trial_end=now ends a trial and invoices the first period now; a later time moves it.
 */
export function planChange(state: ChangeState, change: SubscriptionChange): ChangePlan {
  const s = state.sub;
  const status = s.status as SubscriptionStatus;
  if (isTerminal(status)) {
    throw invalid('subscription_status_invalid', `Subscription '${s.id}' is ${status}; a ${status} subscription cannot be changed.`, 'id');
  }
  const now = state.now;
  const behavior = change.proration_behavior ?? 'create_prorations';
  const after: Row<'subscriptions'> = { ...s, updated_at: now, version: s.version + 1 };
  const previous: Record<string, unknown> = {};
  const itemsChanged = change.items !== undefined && change.items.length > 0;
  const next = itemsChanged ? nextItems(state, change) : { items: state.items, added: [], updated: [], removed: [] };
  const changedItems = next.added.length + next.updated.length + next.removed.length > 0;
  const newRecurring = recurringOfPrice(next.items[0]!.price);
  const intervalChanged = newRecurring.interval !== s.recurring_interval || newRecurring.interval_count !== s.recurring_interval_count;
  const at = prorationDate(s, change, now);

  // Trial moves.
  let endTrialNow = false;
  if (change.trial_end !== undefined) {
    if (status !== 'trialing') throw invalid('parameter_invalid', `trial_end can only change while the subscription is trialing; it is ${status}`, 'trial_end');
    previous.trial_end = s.trial_end?.toISOString() ?? null;
    if (change.trial_end === 'now') {
      endTrialNow = true;
    } else {
      const t = parseTime(change.trial_end, 'trial_end');
      if (t <= now) throw invalid('parameter_invalid', 'trial_end must be in the future, or now', 'trial_end');
      after.trial_end = t;
      after.current_period_end = t;
    }
  }
  const trialing = status === 'trialing' && !endTrialNow;
  const resetAnchor = !trialing && (endTrialNow || intervalChanged || change.billing_cycle_anchor === 'now');
  if (trialing && (intervalChanged || change.billing_cycle_anchor === 'now')) {
    after.recurring_interval = newRecurring.interval;
    after.recurring_interval_count = newRecurring.interval_count;
  }

  let invoiceLines: DraftLine[] = [];
  let period = { start: at, end: s.current_period_end };
  const prorations: Row<'invoice_items'>[] = [];
  // At the period's end no time is left to prorate: a change at a boundary, such as a schedule's
  // next phase, bills its new items from the next period on and credits nothing.
  const prorate = behavior !== 'none' && status !== 'trialing' && !trialing && at < s.current_period_end;
  if (behavior !== 'none' && !trialing && (changedItems || resetAnchor) && at > s.current_period_end) {
    // The period is over but its renewal has not run yet (a worker is behind): nothing is left to
    // prorate in it, and the next one has not begun.
    throw conflict('renewal_pending', `Subscription '${s.id}' is due for renewal (its period ended ${s.current_period_end.toISOString()}); retry in a moment.`);
  }
  const credits = prorate && (changedItems || resetAnchor)
    ? prorationLines({ cycle: { anchor: s.billing_cycle_anchor, recurring: recurringOf(s) }, period: { start: s.current_period_start, end: s.current_period_end },
      at, before: itemStates(state.items), after: resetAnchor ? [] : itemStates(next.items) })
    : [];
  if (resetAnchor) {
    // A new period starts now: the unused time of the old one is credited (unless it was a trial),
    // the new one is billed in full.
    const start = endTrialNow ? now : at;
    const end = nextBoundaryAfter(start, newRecurring, start);
    Object.assign(previous, { billing_cycle_anchor: s.billing_cycle_anchor.toISOString(), current_period_start: s.current_period_start.toISOString(), current_period_end: s.current_period_end.toISOString() });
    Object.assign(after, { billing_cycle_anchor: start, current_period_start: start, current_period_end: end, recurring_interval: newRecurring.interval, recurring_interval_count: newRecurring.interval_count });
    if (endTrialNow) { after.trial_end = now; after.status = transition(status, 'trial_ended'); previous.status = status; }
    period = { start, end };
    invoiceLines = [...credits, ...periodLines({ anchor: start, recurring: newRecurring }, itemStates(next.items), start, end)];
  } else if (credits.length && behavior === 'always_invoice') {
    invoiceLines = credits;
  } else if (credits.length) {
    for (const l of credits) {
      prorations.push({
        account_id: s.account_id, id: newId('invoiceItem'), customer_id: s.customer_id, subscription_id: s.id, subscription_item_id: l.subscription_item ?? null,
        invoice_id: null, proration: true, price_id: l.price_id, quantity: l.quantity, amount: l.amount, unit_amount_decimal: null, currency: s.currency,
        description: l.description, period_start: l.period_start, period_end: l.period_end, metadata: {}, test_clock_id: s.test_clock_id,
        created_at: now, updated_at: now, version: 1, tax_rates: [], discounts: [],
      });
    }
  }

  if (changedItems) previous.items = state.items.map((x) => ({ id: x.item.id, price: x.price.id, quantity: x.item.quantity }));
  if (change.cancel_at_period_end !== undefined && change.cancel_at_period_end !== s.cancel_at_period_end) {
    previous.cancel_at_period_end = s.cancel_at_period_end;
    after.cancel_at_period_end = change.cancel_at_period_end;
    after.canceled_at = change.cancel_at_period_end ? now : null;
  }
  if (change.metadata !== undefined) {
    previous.metadata = s.metadata;
    const merged: Record<string, string> = { ...(s.metadata as Record<string, string>) };
    // Stripe's convention: an empty value removes the key.
    for (const [k, v] of Object.entries(change.metadata)) { if (v === '') delete merged[k]; else merged[k] = v; }
    after.metadata = merged;
  }
  if (change.pause_collection !== undefined) {
    previous.pause_collection = s.pause_collection;
    const p = change.pause_collection;
    if (p === null || p === '') after.pause_collection = null;
    else {
      const resumes = p.resumes_at ? parseTime(p.resumes_at, 'pause_collection[resumes_at]') : null;
      if (resumes && resumes <= now) throw invalid('parameter_invalid', 'pause_collection[resumes_at] must be in the future', 'pause_collection[resumes_at]');
      after.pause_collection = { behavior: p.behavior, resumes_at: resumes?.toISOString() ?? null } as unknown as Row<'subscriptions'>['pause_collection'];
    }
  }
  if (change.trial_settings !== undefined) {
    previous.trial_settings = s.trial_settings;
    after.trial_settings = change.trial_settings as unknown as Row<'subscriptions'>['trial_settings'];
  }
  if (change.default_tax_rates !== undefined) {
    previous.default_tax_rates = s.default_tax_rates;
    after.default_tax_rates = change.default_tax_rates;
  }
  if (change.automatic_tax !== undefined && change.automatic_tax.enabled !== s.automatic_tax) {
    previous.automatic_tax = { enabled: s.automatic_tax };
    after.automatic_tax = change.automatic_tax.enabled;
  }
  if (change.default_payment_method !== undefined) {
    previous.default_payment_method = s.default_payment_method_id;
    after.default_payment_method_id = change.default_payment_method;
  }
  const minimum = change.minimum_amount === undefined ? undefined : change.minimum_amount === null ? null : BigInt(change.minimum_amount);
  if (minimum !== undefined && minimum !== s.minimum_amount) {
    previous.minimum_amount = s.minimum_amount === null ? null : Number(s.minimum_amount);
    after.minimum_amount = minimum;
  }
  const threshold = change.billing_thresholds === undefined ? undefined : change.billing_thresholds === null ? null : BigInt(change.billing_thresholds.amount_gte);
  if (threshold !== undefined && threshold !== s.billing_threshold_amount) {
    previous.billing_thresholds = s.billing_threshold_amount === null ? null : { amount_gte: Number(s.billing_threshold_amount) };
    after.billing_threshold_amount = threshold;
  }
  if (change.dunning_policy !== undefined && change.dunning_policy !== s.dunning_policy_id) {
    previous.dunning_policy = s.dunning_policy_id;
    after.dunning_policy_id = change.dunning_policy;
  }
  after.next_action_at = nextActionAt({ ...after, status: after.status as SubscriptionStatus });

  const invoice = invoiceLines.length ? invoiceNow(state, after, invoiceLines, period, next.items) : null;
  return { before: s, after, items: next.items, added: next.added, updated: next.updated, removed: next.removed, prorations, invoice, previous };
}

/**
 * The invoice a change issues at once (it also takes what was pending for the subscription),
 * drafted for finalization; it becomes the subscription's latest invoice.
 */
export function invoiceNow(state: ChangeState, after: Row<'subscriptions'>, lines: DraftLine[], period: { start: Date; end: Date }, items = state.items): InvoicePlan {
  const s = state.sub;
  const taxed = withTax([...state.pending.map(pendingLine), ...lines], state.tax, itemRates(items, state.pending));
  const built = buildInvoice(s.currency, taxed, state.discounts.discounts);
  const { invoice, lines: rows } = draftRows({ accountId: s.account_id, customerId: s.customer_id, subscriptionId: s.id, testClockId: s.test_clock_id,
    reason: 'subscription_update', periodStart: period.start, periodEnd: period.end, automaticTax: state.tax.automatic }, built, state.now);
  after.latest_invoice_id = invoice.id;
  return { invoice, lines: rows, consumed: state.pending, subscription: after, customer: state.billing.customer,
    pm: state.ownCard ?? state.billing.pm, at: state.now, pause: pauseBehaviorAt(after, state.now), firstUse: state.discounts.firstUse };
}
