import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { lineAmount } from '../../domain/pricing.ts';
import { priceModelOf } from '../catalog/catalog.ts';
import { priceIn, requirePriceIn } from '../catalog/price-currencies.ts';
import { checkTaxRates } from '../catalog/tax-rates.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { atomically, retryingStale, type UnitOfWork } from '../unit-of-work.ts';
import { redeemCoupons } from '../catalog/coupons.ts';
import { storedDiscounts } from '../catalog/discount-rows.ts';
import { checkMinimums, type DiscountInput } from '../catalog/promotion-redemption.ts';
import { invoiceItemView, type Row } from '../views.ts';

export type InvoiceItemInput = {
  customer: string;
  amount?: number;
  currency?: string;
  price?: string;
  quantity?: number;
  description?: string;
  subscription?: string;
  period?: { start: string; end: string };
  metadata?: Record<string, string>;
  /** Replace the invoice's rates on this item's line. */
  tax_rates?: string[];
  discounts?: DiscountInput[];
};

/** The largest one-off charge or credit, in minor units either way. */
export const MAX_ITEM_AMOUNT = 10n ** 12n;

// Subscriptions in these states are never invoiced again: an item bound to one would stay pending forever.
const ENDED = new Set(['canceled', 'incomplete_expired']);

/** What the item charges: a fixed amount, or a price × quantity priced now and fixed from then on. */
type Charge = {
  amount: bigint; currency: string; price: Row<'prices'> | null; quantity: number;
  /** Where the currency came from, for an error about it. */
  param: 'currency' | 'price';
};

async function chargeOf(u: UnitOfWork, input: InvoiceItemInput, customerCurrency: string | null): Promise<Charge> {
  if (input.amount !== undefined && input.price !== undefined) {
    throw invalid('parameters_exclusive', 'give amount or price, not both', 'price');
  }
  if (input.price === undefined) {
    if (input.amount === undefined) throw invalid('parameter_missing', 'give amount and currency, or price', 'amount');
    if (input.quantity !== undefined) {
      throw invalid('parameters_exclusive', 'quantity goes with price; amount is already the total', 'quantity');
    }
    if (input.currency === undefined) throw invalid('parameter_missing', 'amount needs a currency', 'currency');
    const currency = normalizeCurrency(input.currency);
    return { amount: BigInt(input.amount), currency, price: null, quantity: 1, param: 'currency' };
  }
  const currency = input.currency === undefined ? null : normalizeCurrency(input.currency);
  const row = await u.tx.selectFrom('prices').selectAll().where('account_id', '=', u.accountId)
    .where('id', '=', input.price).executeTakeFirst();
  if (!row) throw notFound('price', input.price, 'price');
  if (!row.active) throw invalid('price_inactive', `price '${row.id}' is archived`, 'price');
  if (row.usage_type === 'metered') throw invalid('metered_item_invalid', `price '${row.id}' is metered: it bills a meter's usage, not a one-off quantity`, 'price');
  // In the currency asked for, else the customer's, else the price's own.
  if (currency === null && customerCurrency !== null && !priceIn(row, customerCurrency)) {
    throw invalid('customer_currency_mismatch', `the customer bills in ${customerCurrency}; price '${row.id}' is not offered in it`, 'price');
  }
  const price = requirePriceIn(row, currency ?? customerCurrency ?? row.currency, currency !== null ? 'currency' : 'price');
  const quantity = input.quantity ?? 1;
  const amount = lineAmount(priceModelOf(price), quantity);
  if (amount > MAX_ITEM_AMOUNT) {
    throw invalid('amount_too_large', `price × quantity exceeds the largest item amount (${MAX_ITEM_AMOUNT})`,
      'quantity');
  }
  return { amount, currency: price.currency, price, quantity, param: currency !== null ? 'currency' : 'price' };
}

function periodOf(input: InvoiceItemInput, now: Date): { start: Date; end: Date } {
  if (!input.period) return { start: now, end: now };
  const start = new Date(input.period.start);
  const end = new Date(input.period.end);
  if (end < start) throw invalid('parameter_invalid', 'period[end] cannot be before period[start]', 'period[end]');
  return { start, end };
}

/**
 * A one-off charge (or, negative, a credit) for a customer, pending until an invoice takes it: the
 * next renewal of its subscription (or of any of the customer's subscriptions in its currency),
 * or an invoice made by hand. Its amount is fixed now; a later price change does not alter it.
 */
export async function createInvoiceItem(deps: Deps, actor: Actor, input: InvoiceItemInput) {
  // Nothing read here is locked: the insert goes out as one statement, and every row it names
  // (customer, subscription, price) is never deleted.
  // A coupon's or promotion code's count is written only if still as read; if not, it runs again.
  return await retryingStale(() => atomically(deps, actor, async (u) => {
    const customer = await u.tx.selectFrom('customers').select(['id', 'test_clock_id', 'currency'])
      .where('account_id', '=', u.accountId).where('id', '=', input.customer).executeTakeFirst();
    if (!customer) throw notFound('customer', input.customer, 'customer');
    const charge = await chargeOf(u, input, customer.currency);
    await checkTaxRates(u.tx, u.accountId, input.tax_rates ?? [], 'tax_rates');
    if (customer.currency !== null && charge.currency !== customer.currency) {
      throw invalid('customer_currency_mismatch', `customer '${customer.id}' bills in ${customer.currency}, not ${charge.currency}`, charge.param);
    }
    if (input.subscription !== undefined) {
      const sub = await u.tx.selectFrom('subscriptions').select(['id', 'status', 'currency'])
        .where('account_id', '=', u.accountId).where('id', '=', input.subscription)
        .where('customer_id', '=', customer.id).executeTakeFirst();
      if (!sub) throw notFound('subscription', input.subscription, 'subscription');
      if (ENDED.has(sub.status)) {
        const why = `subscription '${sub.id}' is ${sub.status}; it is not invoiced again`;
        throw invalid('subscription_status_invalid', why, 'subscription');
      }
      if (sub.currency !== charge.currency) {
        const why = `subscription '${sub.id}' bills in ${sub.currency}, not ${charge.currency}`;
        throw invalid('currency_mismatch', why, charge.param);
      }
    }
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const period = periodOf(input, now);
    const row: Row<'invoice_items'> = {
      account_id: u.accountId, id: newId('invoiceItem'), customer_id: customer.id,
      subscription_id: input.subscription ?? null, subscription_item_id: null, invoice_id: null, proration: false,
      price_id: charge.price?.id ?? null, quantity: charge.quantity, amount: charge.amount, unit_amount_decimal: null,
      currency: charge.currency, description: input.description ?? charge.price?.nickname ?? 'Invoice item',
      period_start: period.start, period_end: period.end, metadata: input.metadata ?? {},
      test_clock_id: customer.test_clock_id, created_at: now, updated_at: now, version: 1, tax_rates: input.tax_rates ?? [], discounts: [],
    };
    // The item's own discounts take from its line only; its amount is what a minimum must reach.
    const wanted = input.discounts ?? [];
    const redeemed = await redeemCoupons(u, wanted, { customer_id: customer.id, currency: charge.currency, invoice_item_id: row.id }, now);
    checkMinimums(wanted, redeemed.promotionCodes, charge.amount, charge.currency);
    row.discounts = storedDiscounts(redeemed.discounts);
    u.insertLater('invoice_items', [row]);
    const view = invoiceItemView(row);
    u.audit('invoiceitem.created', 'invoiceitem', row.id, null, view, now);
    u.emit('invoiceitem.created', row.id, view, now);
    return view;
  }));
}

export async function getInvoiceItem(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('invoice_items').selectAll().where('account_id', '=', accountId)
    .where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('invoice item', id, 'id');
  return invoiceItemView(row);
}

export type InvoiceItemFilter = {
  customer?: string | undefined; invoice?: string | undefined; pending?: boolean | undefined;
};

export async function listInvoiceItems(deps: Deps, accountId: string, page: Page & InvoiceItemFilter) {
  let q = deps.db.selectFrom('invoice_items').selectAll().where('account_id', '=', accountId);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.invoice) q = q.where('invoice_id', '=', page.invoice);
  if (page.pending !== undefined) q = q.where('invoice_id', page.pending ? 'is' : 'is not', null);
  return await paginate(q, 'id', page, invoiceItemView);
}

/**
 * A voided draft gives its items back: pending again, for the next invoice. (Stripe deletes a
 * draft instead; a voided one keeps its lines as the record of what it would have billed.)
 */
export async function releaseItems(u: UnitOfWork, invoiceId: string, now: Date): Promise<void> {
  const released = await u.tx.updateTable('invoice_items')
    .set((eb) => ({ invoice_id: null, updated_at: now, version: eb('version', '+', 1) }))
    .where('account_id', '=', u.accountId).where('invoice_id', '=', invoiceId).returning('id').execute();
  for (const { id } of released) {
    u.audit('invoiceitem.released', 'invoiceitem', id, { invoice: invoiceId }, { invoice: null }, now);
  }
}
