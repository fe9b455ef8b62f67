import type { Recurring } from '../../domain/calendar.ts';
import { periodContaining } from '../../domain/calendar.ts';
import { newId } from '../../domain/ids.ts';
import { buildInvoice, type DraftLine } from '../../domain/invoice-builder.ts';
import { assignInvoiceNumbers, type Numbering } from '../../domain/invoice-number.ts';
import { periodFraction } from '../../domain/proration.ts';
import { priceModelOf } from '../catalog/catalog.ts';
import type { Deps } from '../ports.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, paymentAttemptView, type Row } from '../views.ts';
import { attemptRow, type PendingCharge } from '../payments/collect.ts';

export type ItemWithPrice = { item: Row<'subscription_items'>; price: Row<'prices'> };
export type PaymentMethodRef = { id: string; gateway_token: string };

export function recurringOf(s: Row<'subscriptions'>): Recurring {
  return { interval: s.recurring_interval as Recurring['interval'], interval_count: s.recurring_interval_count };
}

/** Draft lines for one period; a period shorter than the anchor's full period is prorated. */
export function draftLines(s: Row<'subscriptions'>, items: ItemWithPrice[], start: Date, end: Date): DraftLine[] {
  const full = periodContaining(s.billing_cycle_anchor, recurringOf(s), start);
  const whole = full.start.getTime() === start.getTime() && full.end.getTime() === end.getTime();
  const fraction = whole ? null : periodFraction(start, end, full.start, full.end);
  return items.map(({ item, price }) => ({
    description: `${item.quantity} × ${price.nickname ?? price.id} (${start.toISOString().slice(0, 10)} – ${end.toISOString().slice(0, 10)})${fraction ? ', prorated' : ''}`,
    quantity: item.quantity, price_id: price.id, price: priceModelOf(price), period_start: start, period_end: end, fraction,
  }));
}

/** How collection of a new invoice begins. */
export type Collection = 'charge' | 'zero_amount' | 'no_payment_method';

export type InvoicePlan = {
  accountId: string;
  subscription: Row<'subscriptions'>;
  invoice: Row<'invoices'>;
  lines: Row<'invoice_lines'>[];
  attempt: Row<'payment_attempts'> | null;
  token: string | null;
  collection: Collection;
  /** The customer's numbering as read; the number itself is given when the plan is written. */
  numbering: Numbering;
};

/**
 * Prices one subscription period into the rows of a finalized invoice and, when there is
 * something to collect and a card to collect it from, the payment attempt. Nothing is written.
 */
export function planInvoice(
  deps: Pick<Deps, 'gateway' | 'recoveryDelayMs' | 'clock'>, s: Row<'subscriptions'>, items: ItemWithPrice[],
  customer: { pm: PaymentMethodRef | null; numbering: Numbering }, start: Date, end: Date, reason: string, now: Date,
): InvoicePlan {
  const { pm, numbering } = customer;
  const built = buildInvoice(s.currency, draftLines(s, items, start, end));
  const id = newId('invoice');
  const collection: Collection = built.amount_due === 0n ? 'zero_amount' : pm ? 'charge' : 'no_payment_method';
  const invoice: Row<'invoices'> = {
    account_id: s.account_id, id, customer_id: s.customer_id, subscription_id: s.id, number: null,
    status: collection === 'zero_amount' ? 'paid' : 'open', billing_reason: reason, currency: built.currency,
    subtotal: built.subtotal, total: built.total, amount_due: built.amount_due, amount_paid: 0n,
    amount_remaining: collection === 'zero_amount' ? 0n : built.amount_due, period_start: start, period_end: end,
    attempt_count: collection === 'charge' ? 1 : 0, finalized_at: now, paid_at: collection === 'zero_amount' ? now : null,
    voided_at: null, created_at: now, updated_at: now, version: 1,
  };
  const lines: Row<'invoice_lines'>[] = built.lines.map((l) => ({
    account_id: s.account_id, id: newId('invoiceLine'), invoice_id: id, price_id: l.price_id, description: l.description,
    quantity: l.quantity, amount: l.amount, unit_amount_decimal: l.unit_amount_decimal, period_start: l.period_start, period_end: l.period_end,
  }));
  const attempt = collection === 'charge' && pm
    ? attemptRow(deps, { account_id: s.account_id, id, customer_id: s.customer_id, currency: built.currency, amount_remaining: built.amount_due }, pm.id, s.test_clock_id, now)
    : null;
  return { accountId: s.account_id, subscription: s, invoice, lines, attempt, token: pm?.gateway_token ?? null, collection, numbering };
}

/**
 * Numbers the plans' invoices from their customers' sequences and advances those sequences in
 * the same flush. `guarded`: the sequences were read without a lock, so each customer's row is
 * written only if it still holds what was read (one invoice per customer then), else the flush
 * fails with StaleWriteError and the caller runs again. Otherwise the caller holds the customers'
 * rows locked since it read them.
 */
function numberInvoices(u: UnitOfWork, plans: InvoicePlan[], guarded: boolean) {
  const key = (p: InvoicePlan) => `${p.accountId}/${p.invoice.customer_id}`;
  const { numbers, next } = assignInvoiceNumbers(plans, key, (p) => p.numbering);
  plans.forEach((p, i) => { p.invoice.number = numbers[i]!; });
  const first = new Map<string, InvoicePlan>();
  for (const p of plans) if (!first.has(key(p))) first.set(key(p), p);
  u.updateLater('customers', [...next].map(([k, sequence]) => {
    const p = first.get(k)!;
    return { account_id: p.accountId, id: p.invoice.customer_id, invoice_prefix: p.numbering.prefix, next_invoice_sequence: sequence };
  }), guarded ? { guard: 't.next_invoice_sequence = v.next_invoice_sequence - 1 AND t.invoice_prefix = v.invoice_prefix' } : {});
}

/**
 * Writes planned invoices, numbered, with their lines and attempts, all in the command's single
 * flush. With `mayConflict` (one subscription at its own time, which may find its period already
 * invoiced), periods that have an invoice are looked up first and their plans dropped; a batch
 * relies on the unique (account, subscription, period_start) index to fail instead. `guarded`
 * as for numberInvoices. Returns the plans actually written and the charges to send after commit.
 */
export async function writeInvoicePlans(u: UnitOfWork, plans: InvoicePlan[], opts: { mayConflict: boolean; guarded: boolean }): Promise<{ written: InvoicePlan[]; charges: PendingCharge[] }> {
  if (plans.length === 0) return { written: [], charges: [] };
  let written = plans;
  if (opts.mayConflict) {
    const existing = await u.tx.selectFrom('invoices').select(['subscription_id', 'period_start'])
      .where('account_id', 'in', [...new Set(plans.map((p) => p.accountId))])
      .where('subscription_id', 'in', plans.map((p) => p.subscription.id)).execute();
    const taken = new Set(existing.map((e) => `${e.subscription_id}@${e.period_start.getTime()}`));
    written = plans.filter((p) => !taken.has(`${p.subscription.id}@${p.invoice.period_start.getTime()}`));
    if (written.length === 0) return { written, charges: [] };
  }
  numberInvoices(u, written, opts.guarded);
  u.insertLater('invoices', written.map((p) => p.invoice));
  u.insertLater('invoice_lines', written.flatMap((p) => p.lines));
  u.insertLater('payment_attempts', written.flatMap((p) => (p.attempt ? [p.attempt] : [])));
  const charges: PendingCharge[] = [];
  for (const p of written) {
    const w = u.as({ ...u.actor, accountId: p.accountId });
    const view = invoiceView(p.invoice, p.lines);
    const at = p.invoice.created_at;
    w.audit('invoice.finalized', 'invoice', p.invoice.id, null, view, at);
    w.emit('invoice.created', p.invoice.id, view, at);
    w.emit('invoice.finalized', p.invoice.id, view, at);
    if (p.collection === 'zero_amount') w.emit('invoice.paid', p.invoice.id, view, at);
    if (p.collection === 'no_payment_method') w.emit('invoice.payment_failed', p.invoice.id, view, at, { decline_code: 'no_payment_method' });
    if (p.attempt && p.token) {
      w.audit('payment.created', 'payment', p.attempt.id, null, paymentAttemptView(p.attempt), at);
      charges.push({ attempt: p.attempt, token: p.token });
    }
  }
  return { written, charges };
}
