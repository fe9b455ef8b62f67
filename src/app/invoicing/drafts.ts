import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid, type CodeOf } from '../../domain/errors.ts';
import { buildInvoice } from '../../domain/invoice-builder.ts';
import { loadItems } from '../billing/load.ts';
import { conflict, notFound } from '../errors.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { atomically, command, retryingStale, type UnitOfWork } from '../unit-of-work.ts';
import { iso, invoiceView, num, type Row } from '../views.ts';
import { loadLineTax } from '../catalog/line-taxes.ts';
import type { DiscountInput } from '../catalog/promotion-redemption.ts';
import { invoiceDiscounts, repriceDraft } from './draft-discounts.ts';
import { billingCustomer, customerTaxOf, finalizeAndWrite, insertInvoices, type InvoicePlan } from './finalize.ts';
import { getInvoice, withLines } from './invoices.ts';
import { draftRows, itemRates, pendingLine, withTax, type PaymentMethodRef } from './plan-invoice.ts';
import { OPEN_ATTEMPT_STATUSES } from '../../domain/payment-attempt-status.ts';

type CollectionMethod = 'charge_automatically' | 'send_invoice';

export type InvoiceInput = {
  customer: string;
  collection_method?: CollectionMethod;
  days_until_due?: number;
  auto_advance?: boolean;
  description?: string | null;
  subscription?: string;
  currency?: string;
  automatic_tax?: { enabled: boolean };
  /** The invoice's own discounts ([] none); omitted, the customer's apply. */
  discounts?: DiscountInput[];
};

export type InvoiceUpdate = {
  description?: string | null;
  collection_method?: CollectionMethod;
  days_until_due?: number | null;
  auto_advance?: boolean;
  /** Prices the draft again with these discounts ([] none). */
  discounts?: DiscountInput[];
};

// One invoice takes at most this many pending items (Stripe's limit too); the rest wait for the
// next one. It also keeps any invoice's total (at most 10^12 per item) far inside 2^53.
export const MAX_ITEMS_PER_INVOICE = 250;

/** An invoice sent for payment needs days to pay it; one charged automatically has no due date. */
function collectionTerms(method: CollectionMethod, days: number | null) {
  if (method === 'send_invoice' && days === null) {
    throw invalid('parameter_missing', 'send_invoice needs days_until_due', 'days_until_due');
  }
  if (method === 'charge_automatically' && days !== null) {
    throw invalid('parameter_invalid', 'days_until_due goes only with send_invoice', 'days_until_due');
  }
  return { collection_method: method, days_until_due: days };
}

type CustomerWithCard = Row<'customers'> & { pm_id: string | null; pm_token: string | null; pm_gateway: string | null; pm_gateway_customer: string | null };

/** The customer and its default card; `lock` when its sequence and balance advance under the lock. */
async function customerWithCard(u: UnitOfWork, id: string, lock: boolean): Promise<CustomerWithCard | undefined> {
  const q = u.tx.selectFrom('customers as c')
    .leftJoin('payment_methods as pm', (j) => j.onRef('pm.account_id', '=', 'c.account_id')
      .onRef('pm.id', '=', 'c.default_payment_method_id'))
    .selectAll('c').select(['pm.id as pm_id', 'pm.gateway_token as pm_token', 'pm.gateway as pm_gateway', 'pm.gateway_customer as pm_gateway_customer'])
    .where('c.account_id', '=', u.accountId).where('c.id', '=', id);
  return await (lock ? q.forNoKeyUpdate('c') : q).executeTakeFirst();
}

/** The card an invoice charges: its subscription's own default, else the customer's (as payInvoice chooses). */
async function cardFor(
  u: UnitOfWork, customer: CustomerWithCard, sub: Row<'subscriptions'> | null,
): Promise<PaymentMethodRef | null> {
  if (sub?.default_payment_method_id) {
    return await u.tx.selectFrom('payment_methods').select(['id', 'gateway_token', 'gateway', 'gateway_customer'])
      .where('account_id', '=', u.accountId).where('id', '=', sub.default_payment_method_id).executeTakeFirst() ?? null;
  }
  return customer.pm_id && customer.pm_token && customer.pm_gateway ? { id: customer.pm_id, gateway_token: customer.pm_token, gateway: customer.pm_gateway, gateway_customer: customer.pm_gateway_customer } : null;
}

/** The charges to send, each with what settlement needs to apply its outcome without reading again. */
async function withSnapshots(u: UnitOfWork, plan: InvoicePlan, charges: PendingCharge[]): Promise<PendingCharge[]> {
  if (charges.length === 0) return charges;
  const sub = plan.subscription;
  const items = sub ? (await loadItems(u.tx, [sub])).get(sub.id) ?? [] : [];
  const snapshot = { invoice: plan.invoice, lines: plan.lines, subscription: sub, items };
  return charges.map((c) => ({ ...c, snapshot }));
}

/**
 * The customer's pending items an invoice takes, oldest first: in `currency`, else in the
 * currency of the oldest one; only the subscription's when one is named, else only those that
 * belong to no subscription (a subscription's items, its prorations above all, wait for its own
 * invoices, as Stripe keeps them).
 */
async function pendingItems(u: UnitOfWork, customerId: string, subscriptionId: string | null, currency: string | null) {
  const pending = () => {
    const q = u.tx.selectFrom('invoice_items').selectAll().where('account_id', '=', u.accountId)
      .where('customer_id', '=', customerId).where('invoice_id', 'is', null);
    return (subscriptionId ? q.where('subscription_id', '=', subscriptionId) : q.where('subscription_id', 'is', null)).orderBy('created_at').orderBy('id');
  };
  const cur = currency ?? (await pending().limit(1).executeTakeFirst())?.currency;
  if (cur === undefined) return [];
  return await pending().where('currency', '=', cur).limit(MAX_ITEMS_PER_INVOICE).execute();
}

/** Prices the customer's pending items as a draft invoice made by hand; nothing is written. */
async function manualPlan(
  deps: Deps, u: UnitOfWork, input: InvoiceInput, currency: string | null,
): Promise<InvoicePlan> {
  const terms = collectionTerms(input.collection_method ?? 'charge_automatically', input.days_until_due ?? null);
  const customer = await customerWithCard(u, input.customer, false);
  if (!customer) throw notFound('customer', input.customer, 'customer');
  const sub = input.subscription === undefined ? null : await u.tx.selectFrom('subscriptions').selectAll()
    .where('account_id', '=', u.accountId).where('id', '=', input.subscription).where('customer_id', '=', customer.id)
    .executeTakeFirst() ?? null;
  if (input.subscription !== undefined && !sub) throw notFound('subscription', input.subscription, 'subscription');
  if (currency !== null && customer.currency !== null && currency !== customer.currency) {
    throw invalid('customer_currency_mismatch', `customer '${customer.id}' bills in ${customer.currency}, not ${currency}`, 'currency');
  }
  const items = await pendingItems(u, customer.id, sub?.id ?? null, currency ?? customer.currency);
  if (items.length === 0) {
    const which = `${sub ? ` of subscription '${sub.id}'` : ''}${currency ? ` in ${currency}` : ''}`;
    throw invalid('invoice_no_pending_items', `customer '${customer.id}' has no pending invoice items${which}`,
      currency ? 'currency' : sub ? 'subscription' : 'customer');
  }
  const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
  const tax = await loadLineTax(deps, u.tx, { accountId: u.accountId, customer: customerTaxOf(customer), defaults: [],
    automatic: input.automatic_tax?.enabled ?? false, anyOwn: items.some((i) => i.tax_rates.length > 0) });
  const discounts = await invoiceDiscounts(u, input.discounts, customer, items[0]!.currency, now);
  const { invoice, lines } = draftRows({
    accountId: u.accountId, customerId: customer.id, subscriptionId: sub?.id ?? null,
    testClockId: customer.test_clock_id, reason: 'manual', periodStart: now, periodEnd: now,
    collectionMethod: terms.collection_method, daysUntilDue: terms.days_until_due,
    autoAdvance: input.auto_advance ?? false, description: input.description ?? null, automaticTax: tax.automatic,
  }, buildInvoice(items[0]!.currency, withTax(items.map(pendingLine), tax, itemRates([], items)), discounts.discounts), now);
  discounts.settle(invoice);
  const pm = await cardFor(u, customer, sub);
  return { invoice, lines, consumed: items, subscription: sub, customer: billingCustomer(customer, pm), pm, at: now, firstUse: discounts.firstUse };
}

/**
 * An invoice made by hand from the customer's pending items, as a `draft` to edit and finalize
 * later; with `auto_advance` it is finalized (and a charge sent) at once. The items are taken
 * only if no other invoice took them since they were read (version check); if one did, the
 * command runs again and takes what is still pending.
 */
export async function createInvoice(deps: Deps, actor: Actor, input: InvoiceInput) {
  const currency = input.currency === undefined ? null : normalizeCurrency(input.currency);
  let charges: PendingCharge[] = [];
  const plan = await retryingStale(() => atomically(deps, actor, async (u) => {
    charges = [];
    const p = await manualPlan(deps, u, input, currency);
    if (!p.invoice.auto_advance) {
      insertInvoices(u, [p]);
      const view = invoiceView(p.invoice, p.lines);
      u.audit('invoice.created', 'invoice', p.invoice.id, null, view, p.at);
      u.emit('invoice.created', p.invoice.id, view, p.at);
      return p;
    }
    // The customer was read without a lock: its sequence and balance are written only if still as read.
    const { charges: opened } = await finalizeAndWrite(deps, u, [p], { mayConflict: false, guarded: true });
    charges = await withSnapshots(u, p, opened);
    return p;
  }));
  if (charges.length === 0) return invoiceView(plan.invoice, plan.lines);
  await sendAttempts(deps, actor, charges);
  return await getInvoice(deps, actor.accountId, plan.invoice.id);
}

/** The invoice, locked as asked; another account's invoice is as missing as an unknown id. */
async function invoiceOf(u: UnitOfWork, id: string, lock: 'none' | 'update' | 'no_key_update') {
  const q = u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', '=', id);
  const locked = lock === 'update' ? q.forUpdate() : lock === 'no_key_update' ? q.forNoKeyUpdate() : q;
  const row = await locked.executeTakeFirst();
  if (!row) throw notFound('invoice', id, 'id');
  return row;
}

/** Refuses a change the invoice's status does not allow, naming that status. */
function expectStatus(invoice: Row<'invoices'>, status: string, code: CodeOf<'invalid_request_error'>, only: string) {
  if (invoice.status !== status) {
    throw invalid(code, `Invoice '${invoice.id}' is ${invoice.status}; only ${only}.`, 'id');
  }
}

const EDITABLE = ['description', 'collection_method', 'days_until_due', 'auto_advance'] as const;
const editable = (i: Row<'invoices'>) => Object.fromEntries(EDITABLE.map((k) => [k, i[k]]));

/** Edits a draft; anything else is already final. Written only if the draft is still as read. */
export async function updateInvoice(deps: Deps, actor: Actor, id: string, input: InvoiceUpdate) {
  // New discounts replace the draft's lines: that takes a transaction, holding the draft locked.
  const run = <T>(fn: (u: UnitOfWork) => Promise<T>) => (input.discounts === undefined ? retryingStale(() => atomically(deps, actor, fn)) : command(deps, actor, fn));
  return await run(async (u) => {
    const invoice = await invoiceOf(u, id, input.discounts === undefined ? 'none' : 'update');
    expectStatus(invoice, 'draft', 'invoice_not_editable', 'a draft can be edited');
    const method = input.collection_method ?? invoice.collection_method as CollectionMethod;
    // Switching to automatic charging drops the days to pay unless they are given (and refused).
    const days = input.days_until_due !== undefined ? input.days_until_due
      : input.collection_method === 'charge_automatically' ? null : invoice.days_until_due;
    const now = await nowFor(deps, u.tx, u.accountId, invoice.test_clock_id);
    const after: Row<'invoices'> = {
      ...invoice, ...collectionTerms(method, days), auto_advance: input.auto_advance ?? invoice.auto_advance,
      description: input.description !== undefined ? input.description : invoice.description,
      updated_at: now, version: invoice.version + 1,
    };
    const repriced = input.discounts === undefined ? null : await repriceDraft(u, invoice, input.discounts, now);
    if (repriced) Object.assign(after, repriced.totals);
    const changed = (i: Row<'invoices'>) => ({ ...editable(i), ...(repriced ? { discounts: i.discounts, total: num(i.total) } : {}) });
    u.updateLater('invoices', [{ account_id: u.accountId, id, ...editable(after), ...(repriced?.totals ?? {}), updated_at: now,
      version: invoice.version }]);
    const view = repriced ? invoiceView(after, repriced.lines) : await withLines(u.tx, after);
    u.audit('invoice.updated', 'invoice', id, changed(invoice), changed(after), now);
    u.emit('invoice.updated', id, view, now, { previous_attributes: changed(invoice) });
    return view;
  });
}

/**
 * Finalizes a draft: numbered from the customer's sequence, the customer's balance applied, and
 * collection started: paid when nothing is due, open with a due date when sent for payment,
 * else charged (after commit) to the subscription's or the customer's default card.
 */
export async function finalizeInvoice(deps: Deps, actor: Actor, id: string) {
  const charges = await command(deps, actor, async (u) => {
    const invoice = await invoiceOf(u, id, 'no_key_update');
    expectStatus(invoice, 'draft', 'invoice_not_draft', 'a draft can be finalized');
    // The customer's sequence and balance advance under this lock: no other invoice takes the same number.
    const customer = (await customerWithCard(u, invoice.customer_id, true))!;
    const sub = invoice.subscription_id ? await u.tx.selectFrom('subscriptions').selectAll()
      .where('account_id', '=', u.accountId).where('id', '=', invoice.subscription_id).executeTakeFirstOrThrow() : null;
    const pm = await cardFor(u, customer, sub);
    const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', '=', u.accountId)
      .where('invoice_id', '=', id).orderBy('position').orderBy('id').execute();
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const plan: InvoicePlan = {
      invoice, lines, consumed: [], subscription: sub, customer: billingCustomer(customer, pm), pm, at: now,
      // A once-only discount it took (the customer's, say) is spent by finalizing it.
      stored: true, firstUse: invoice.discounts,
    };
    const { charges: opened } = await finalizeAndWrite(deps, u, [plan], { mayConflict: false, guarded: false });
    return await withSnapshots(u, plan, opened);
  });
  if (charges.length) await sendAttempts(deps, actor, charges);
  return await getInvoice(deps, actor.accountId, id);
}

/** An open invoice nobody expects to be paid; it can still be paid later, and then counts as paid. */
export async function markUncollectible(deps: Deps, actor: Actor, id: string) {
  return await command(deps, actor, async (u) => {
    const invoice = await invoiceOf(u, id, 'update');
    expectStatus(invoice, 'open', 'invoice_not_open', 'open invoices can be marked uncollectible');
    const inFlight = await u.tx.selectFrom('payment_attempts').select('id').where('account_id', '=', u.accountId)
      .where('invoice_id', '=', id).where('status', 'in', OPEN_ATTEMPT_STATUSES).executeTakeFirst();
    if (inFlight) {
      throw conflict('payment_in_progress',
        `A payment for invoice '${id}' is in progress (${inFlight.id}); it cannot be marked uncollectible now.`);
    }
    const now = await nowFor(deps, u.tx, u.accountId, invoice.test_clock_id);
    const after = await u.tx.updateTable('invoices')
      .set({ status: 'uncollectible', marked_uncollectible_at: now, updated_at: now, version: invoice.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = await withLines(u.tx, after);
    u.audit('invoice.marked_uncollectible', 'invoice', id, { status: invoice.status },
      { status: after.status, marked_uncollectible_at: iso(now) }, now);
    u.emit('invoice.marked_uncollectible', id, view, now);
    return view;
  });
}
