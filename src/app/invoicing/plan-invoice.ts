import type { Recurring } from '../../domain/calendar.ts';
import type { TaxAmount } from '../../domain/tax.ts';
import { NO_TAX, taxLines, type AutomaticTax, type ItemRates, type LineTax } from '../../domain/line-tax.ts';
import type { Discount, DiscountAmount } from '../../domain/discounts.ts';
import { newId } from '../../domain/ids.ts';
import { buildInvoice, periodLines, type BuiltInvoice, type Cycle, type DraftLine, type FixedDraft, type ItemState, type LineKind } from '../../domain/invoice-builder.ts';
import { priceModelOf } from '../catalog/catalog.ts';
import { discountsOfItem } from '../catalog/discount-rows.ts';
import type { BillingCustomer, InvoicePlan, PauseBehavior } from './finalize.ts';
import type { Row } from '../views.ts';

export type ItemWithPrice = { item: Row<'subscription_items'>; price: Row<'prices'> };
export type PaymentMethodRef = { id: string; gateway_token: string; gateway: string; gateway_customer: string | null };

export function recurringOf(s: Row<'subscriptions'>): Recurring {
  return { interval: s.recurring_interval as Recurring['interval'], interval_count: s.recurring_interval_count };
}

export const cycleOf = (s: Row<'subscriptions'>): Cycle => ({ anchor: s.billing_cycle_anchor, recurring: recurringOf(s) });

/** Licensed subscription items as the pure pricing step sees them; metered ones are billed in arrears (usage-lines.ts). */
export const itemStates = (items: readonly ItemWithPrice[]): ItemState[] => items.filter(({ price }) => price.usage_type !== 'metered').map(({ item, price }) => ({
  id: item.id, price_id: price.id, price: priceModelOf(price), label: price.nickname ?? price.id, quantity: item.quantity, product: price.product_id,
}));

/** A pending invoice item (one-off charge or proration) as a line whose amount is already fixed. */
export const pendingLine = (i: Row<'invoice_items'>): FixedDraft => ({
  kind: i.proration ? 'proration' : 'invoice_item', proration: i.proration, description: i.description, quantity: i.quantity,
  price_id: i.price_id, amount: i.amount, unit_amount_decimal: i.unit_amount_decimal, period_start: i.period_start,
  period_end: i.period_end, subscription_item: i.subscription_item_id, invoice_item: i.id, discounts: discountsOfItem(i),
});

/**
 * Lines of one subscription period, pending items first (they are older), then the period in
 * advance, then the usage of the period that closed (in arrears); each with the tax rates of its
 * item, else the invoice's (domain/line-tax.ts).
 */
export function subscriptionDraftLines(s: Row<'subscriptions'>, items: ItemWithPrice[], pending: Row<'invoice_items'>[], start: Date, end: Date, tax: LineTax = NO_TAX, usage: readonly FixedDraft[] = []): DraftLine[] {
  return withTax([...pending.map(pendingLine), ...periodLines(cycleOf(s), itemStates(items), start, end), ...usage], tax, itemRates(items, pending));
}

/** Subscription items and invoice items with the rates they name themselves. */
export const itemRates = (items: readonly ItemWithPrice[], pending: readonly Row<'invoice_items'>[] = []): ItemRates[] =>
  [...items.map(({ item }) => ({ id: item.id, tax_rates: item.tax_rates })), ...pending.map((i) => ({ id: i.id, tax_rates: i.tax_rates }))];

/** Lines with the tax rates that apply to each. */
export const withTax = (lines: DraftLine[], tax: LineTax, items: readonly ItemRates[] = []): DraftLine[] => taxLines(lines, tax, items);

/** What an invoice is about: whose, which subscription, why, which period. */
export type InvoiceContext = {
  accountId: string;
  customerId: string;
  subscriptionId: string | null;
  testClockId: string | null;
  reason: string;
  periodStart: Date;
  periodEnd: Date;
  collectionMethod?: 'charge_automatically' | 'send_invoice';
  daysUntilDue?: number | null;
  autoAdvance?: boolean;
  description?: string | null;
  automaticTax?: AutomaticTax;
};

/**
 * The draft stage: a priced invoice as the rows of a `draft` invoice and its lines. Totals are
 * the pricing step's; number, balance and amount due are set when it is finalized.
 */
export function draftRows(ctx: InvoiceContext, built: BuiltInvoice, now: Date): { invoice: Row<'invoices'>; lines: Row<'invoice_lines'>[] } {
  const id = newId('invoice');
  const invoice: Row<'invoices'> = {
    account_id: ctx.accountId, id, customer_id: ctx.customerId, subscription_id: ctx.subscriptionId, number: null, status: 'draft',
    billing_reason: ctx.reason, currency: built.currency, subtotal: built.subtotal, total: built.total,
    tax: built.tax, total_excluding_tax: built.total_excluding_tax, total_taxes: taxJson(built.total_taxes),
    discounts: built.total_discount_amounts.map((d) => d.discount), total_discount_amounts: discountJson(built.total_discount_amounts),
    amount_due: built.total > 0n ? built.total : 0n, amount_paid: 0n, amount_remaining: built.total > 0n ? built.total : 0n,
    period_start: ctx.periodStart, period_end: ctx.periodEnd, attempt_count: 0, finalized_at: null, paid_at: null, voided_at: null,
    collection_method: ctx.collectionMethod ?? 'charge_automatically', days_until_due: ctx.daysUntilDue ?? null, due_date: null,
    auto_advance: ctx.autoAdvance ?? true, description: ctx.description ?? null, starting_balance: 0n, ending_balance: null,
    marked_uncollectible_at: null, test_clock_id: ctx.testClockId, created_at: now, updated_at: now, version: 1,
    automatic_tax: ctx.automaticTax ?? { enabled: false, status: null },
    customer_name: null, customer_address: null, customer_tax_ids: null, customer_tax_exempt: null, open_disputes: 0, credit_grants_applied: 0n,
  };
  return { invoice, lines: lineRows(invoice, built) };
}

export function lineRows(invoice: Row<'invoices'>, built: BuiltInvoice): Row<'invoice_lines'>[] {
  return built.lines.map((l, position) => ({
    account_id: invoice.account_id, id: newId('invoiceLine'), invoice_id: invoice.id, kind: l.kind as LineKind, proration: l.proration,
    subscription_item_id: l.subscription_item, invoice_item_id: l.invoice_item, position, price_id: l.price_id,
    description: l.description, quantity: l.quantity, quantity_decimal: l.quantity_decimal, amount: l.amount, unit_amount_decimal: l.unit_amount_decimal,
    period_start: l.period_start, period_end: l.period_end, tax_amounts: taxJson(l.tax_amounts), discount_amounts: discountJson(l.discount_amounts),
  }));
}

/** Discount amounts as stored (jsonb), amounts as JSON numbers. */
export const discountJson = (ds: readonly DiscountAmount[]) => ds.map((d) => ({ discount: d.discount, amount: Number(d.amount) }));

/** Taxes as stored (jsonb): amounts as JSON numbers, exact below 2^53 like every amount shown. */
export const taxJson = (taxes: readonly TaxAmount[]) =>
  taxes.map((t) => ({ tax_rate: t.tax_rate, amount: Number(t.amount), taxable_amount: Number(t.taxable_amount), inclusive: t.inclusive }));

/** Collection of a subscription is paused at `now`: how its invoices are handled, or null. */
export function pauseBehaviorAt(s: Row<'subscriptions'>, now: Date): PauseBehavior | null {
  const p = s.pause_collection as { behavior: PauseBehavior; resumes_at: string | null } | null;
  if (!p) return null;
  if (p.resumes_at && new Date(p.resumes_at).getTime() <= now.getTime()) return null;
  return p.behavior;
}

/**
 * Prices and drafts the invoice of one subscription period with the subscription's pending
 * items; nothing is written. Finalization (finalize.ts) numbers it and starts collection.
 */
export function subscriptionPlan(
  s: Row<'subscriptions'>, items: ItemWithPrice[], pending: Row<'invoice_items'>[],
  billing: { customer: BillingCustomer; pm: PaymentMethodRef | null }, start: Date, end: Date, reason: string, now: Date,
  tax: LineTax = NO_TAX, discounts: { discounts: readonly Discount[]; firstUse: readonly string[] } = { discounts: [], firstUse: [] },
  usage: readonly FixedDraft[] = [],
): InvoicePlan {
  const built = buildInvoice(s.currency, subscriptionDraftLines(s, items, pending, start, end, tax, usage), discounts.discounts);
  const { invoice, lines } = draftRows({
    accountId: s.account_id, customerId: s.customer_id, subscriptionId: s.id, testClockId: s.test_clock_id,
    reason, periodStart: start, periodEnd: end, automaticTax: tax.automatic,
  }, built, now);
  return { invoice, lines, consumed: pending, subscription: s, customer: billing.customer, pm: billing.pm, at: now, pause: pauseBehaviorAt(s, now), firstUse: discounts.firstUse };
}
