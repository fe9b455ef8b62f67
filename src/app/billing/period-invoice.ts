import type { Recurring } from '../../domain/calendar.ts';
import { periodContaining } from '../../domain/calendar.ts';
import { newId } from '../../domain/ids.ts';
import { buildInvoice, type DraftLine } from '../../domain/invoice-builder.ts';
import { periodFraction } from '../../domain/proration.ts';
import { priceModelOf } from '../catalog.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, type Row } from '../views.ts';

export type ItemWithPrice = { item: Row<'subscription_items'>; price: Row<'prices'> };

export async function loadItems(u: UnitOfWork, subscriptionId: string): Promise<ItemWithPrice[]> {
  const rows = await u.tx.selectFrom('subscription_items as si')
    .innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'si.account_id').onRef('p.id', '=', 'si.price_id'))
    .selectAll('p').select(['si.id as si_id', 'si.quantity as si_quantity', 'si.created_at as si_created_at', 'si.subscription_id as si_subscription_id'])
    .where('si.account_id', '=', u.accountId).where('si.subscription_id', '=', subscriptionId).orderBy('si.id').execute();
  return rows.map(({ si_id, si_quantity, si_created_at, si_subscription_id, ...price }) => ({
    item: { account_id: price.account_id, id: si_id, subscription_id: si_subscription_id, price_id: price.id, quantity: si_quantity, created_at: si_created_at },
    price,
  }));
}

export function recurringOf(s: Row<'subscriptions'>): Recurring {
  return { interval: s.recurring_interval as Recurring['interval'], interval_count: s.recurring_interval_count };
}

/** Draft lines for one period; a period shorter than the anchor's full period is prorated. */
export function draftLines(s: Row<'subscriptions'>, items: ItemWithPrice[], start: Date, end: Date): DraftLine[] {
  const full = periodContaining(s.billing_cycle_anchor, recurringOf(s), start);
  const fraction = full.end.getTime() === end.getTime() && full.start.getTime() === start.getTime()
    ? null : periodFraction(start, end, full.start, full.end > end ? full.end : end);
  return items.map(({ item, price }) => ({
    description: `${item.quantity} × ${price.nickname ?? price.id} (${start.toISOString().slice(0, 10)} – ${end.toISOString().slice(0, 10)})${fraction ? ', prorated' : ''}`,
    quantity: item.quantity, price_id: price.id, price: priceModelOf(price), period_start: start, period_end: end, fraction,
  }));
}

/**
 * Creates and finalizes the invoice of one subscription period. The unique index on
 * (account, subscription, period_start) makes a second invoice for the same period impossible;
 * when one already exists, nothing is written and null is returned.
 */
export async function createPeriodInvoice(
  u: UnitOfWork, s: Row<'subscriptions'>, items: ItemWithPrice[], start: Date, end: Date, reason: string, now: Date,
): Promise<Row<'invoices'> | null> {
  const built = buildInvoice(s.currency, draftLines(s, items, start, end));
  const id = newId('invoice');
  const invoice = await u.tx.insertInto('invoices').values({
    account_id: u.accountId, id, customer_id: s.customer_id, subscription_id: s.id, status: 'open',
    billing_reason: reason, currency: built.currency, subtotal: built.subtotal, total: built.total,
    amount_due: built.amount_due, amount_paid: 0n, amount_remaining: built.amount_due,
    period_start: start, period_end: end, finalized_at: now, paid_at: null, voided_at: null,
    created_at: now, updated_at: now,
  }).onConflict((oc) => oc.columns(['account_id', 'subscription_id', 'period_start']).where('subscription_id', 'is not', null).doNothing())
    .returningAll().executeTakeFirst();
  if (!invoice) return null;
  const lines = built.lines.map((l) => ({
    account_id: u.accountId, id: newId('invoiceLine'), invoice_id: id, price_id: l.price_id, description: l.description,
    quantity: l.quantity, amount: l.amount, unit_amount_decimal: l.unit_amount_decimal, period_start: l.period_start, period_end: l.period_end,
  }));
  const lineRows = lines.length ? await u.tx.insertInto('invoice_lines').values(lines).returningAll().execute() : [];
  const view = invoiceView(invoice, lineRows);
  u.audit('invoice.finalized', 'invoice', id, null, view, now);
  u.emit('invoice.created', id, view, now);
  u.emit('invoice.finalized', id, view, now);
  return invoice;
}
