import { routeCharges } from '../gateways/route-charges.ts';
import { applyCredits } from '../usage/credits.ts';
import { addDays } from '../../domain/calendar.ts';
import { applyBalance } from '../../domain/customer-balance.ts';
import type { CustomerTax } from '../../domain/customer-tax.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { invoiceNumber } from '../../domain/invoice-number.ts';
import { attemptRow, type PendingCharge } from '../payments/collect.ts';
import type { Deps } from '../ports.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, paymentAttemptView, type Row } from '../views.ts';
import type { PaymentMethodRef } from './plan-invoice.ts';

/** How collection of a finalized invoice begins. */
export type Collection = 'charge' | 'zero_amount' | 'no_payment_method' | 'send_invoice' | 'paused';
export type PauseBehavior = 'void' | 'keep_as_draft' | 'mark_uncollectible';

/**
 * A customer as finalization needs it: numbering and balance. One object per customer is shared
 * by all plans of a command, so two invoices of one customer take consecutive numbers and the
 * second sees the balance the first left.
 */
export type BillingCustomer = {
  accountId: string;
  id: string;
  prefix: string;
  next: number;
  /** The sequence as read, for the optimistic guard. */
  readNext: number;
  balance: bigint;
  balanceCurrency: string | null;
  /** The currency the customer bills in: fixed by its first finalized invoice. */
  currency: string | null;
  /** The row's version as read: every change of the balance or the sequence moves it. */
  readVersion: number;
  /** The customer's default card. */
  pm: PaymentMethodRef | null;
  touched: boolean;
  /** Name, address and tax status, recorded on each invoice finalized. */
  tax: CustomerTax;
};

export type BillingCustomerRow = Pick<Row<'customers'>, 'account_id' | 'id' | 'invoice_prefix' | 'next_invoice_sequence' | 'balance' | 'balance_currency' | 'currency' | 'version'
  | 'name' | 'address' | 'tax_exempt' | 'tax_ids'>;

export const customerTaxOf = (c: Pick<Row<'customers'>, 'name' | 'address' | 'tax_exempt' | 'tax_ids'>): CustomerTax => ({
  name: c.name, address: (c.address ?? null) as CustomerTax['address'], tax_exempt: c.tax_exempt as CustomerTax['tax_exempt'], tax_ids: (c.tax_ids ?? []) as CustomerTax['tax_ids'],
});

export function billingCustomer(c: BillingCustomerRow, pm: PaymentMethodRef | null): BillingCustomer {
  return { accountId: c.account_id, id: c.id, prefix: c.invoice_prefix, next: c.next_invoice_sequence, readNext: c.next_invoice_sequence,
    balance: BigInt(c.balance), balanceCurrency: c.balance_currency, currency: c.currency, readVersion: c.version, pm, touched: false, tax: customerTaxOf(c) };
}

/** An invoice on its way through the pipeline: priced and drafted, then finalized and written. */
export type InvoicePlan = {
  invoice: Row<'invoices'>;
  lines: Row<'invoice_lines'>[];
  /** Pending invoice items this invoice takes. */
  consumed: Row<'invoice_items'>[];
  subscription: Row<'subscriptions'> | null;
  customer: BillingCustomer;
  /** The card to charge: the subscription's own default, else the customer's. */
  pm: PaymentMethodRef | null;
  /** The business time of finalization (the customer's clock). */
  at: Date;
  /** Discounts this invoice may be the first to use (a once-only one is then spent). */
  firstUse?: readonly string[];
  /** Already stored as a draft: finalizing updates it. */
  stored?: boolean;
  /** The subscription's collection is paused: handled by behaviour, never charged. */
  pause?: PauseBehavior | null;
  collection?: Collection;
  attempt?: Row<'payment_attempts'> | null;
  balanceTransaction?: Row<'customer_balance_transactions'> | null;
};

/**
 * The finalize stage, in memory: number, the customer's balance applied, totals frozen, the
 * status collection starts from, and the payment attempt when a card is to be charged.
 */
export function finalizePlan(deps: Pick<Deps, 'gateway' | 'recoveryDelayMs' | 'clock'>, plan: InvoicePlan, now: Date): void {
  const inv = plan.invoice;
  const c = plan.customer;
  if (plan.pause === 'keep_as_draft') {
    plan.collection = 'paused';
    inv.auto_advance = false;
    return;
  }
  const usable = c.balanceCurrency === null || c.balanceCurrency === inv.currency;
  if (!usable && inv.total < 0n) {
    throw invalid('balance_currency_mismatch', `The customer's balance is in ${c.balanceCurrency}; a credit in ${inv.currency} cannot be added to it.`, 'customer');
  }
  // Credit grants paid part of it already (applyUsageCredits); the balance applies to the rest.
  const b = applyBalance(inv.total - BigInt(inv.credit_grants_applied), usable ? c.balance : 0n);
  inv.number = invoiceNumber(c.prefix, c.next++);
  c.currency ??= inv.currency;
  c.touched = true;
  inv.starting_balance = b.starting_balance;
  inv.ending_balance = b.ending_balance;
  inv.amount_due = b.amount_due;
  inv.amount_remaining = b.amount_due;
  inv.finalized_at = now;
  inv.updated_at = now;
  // Who it was addressed to, as of now: a later edit of the customer leaves the invoice as issued.
  inv.customer_name = c.tax.name;
  inv.customer_address = c.tax.address;
  inv.customer_tax_ids = c.tax.tax_ids;
  inv.customer_tax_exempt = c.tax.tax_exempt;
  if (usable && b.ending_balance !== b.starting_balance) {
    c.balance = b.ending_balance;
    c.balanceCurrency = b.ending_balance === 0n ? null : inv.currency;
    plan.balanceTransaction = {
      account_id: inv.account_id, id: newId('balanceTransaction'), customer_id: c.id,
      // An invoice that consumes a debt lowers the balance too, yet applies it as a credit would.
      type: inv.total < 0n ? 'invoice_credit' : 'applied_to_invoice',
      amount: b.ending_balance - b.starting_balance, currency: inv.currency, ending_balance: b.ending_balance,
      invoice_id: inv.id, description: null, metadata: {}, created_at: now,
    };
  }
  plan.attempt = null;
  if (plan.pause) {
    plan.collection = 'paused';
    inv.status = plan.pause === 'void' ? 'void' : 'uncollectible';
    if (plan.pause === 'void') { inv.voided_at = now; inv.amount_remaining = 0n; } else inv.marked_uncollectible_at = now;
  } else if (inv.amount_due === 0n) {
    plan.collection = 'zero_amount';
    inv.status = 'paid';
    inv.paid_at = now;
  } else if (inv.collection_method === 'send_invoice') {
    plan.collection = 'send_invoice';
    inv.status = 'open';
    inv.due_date = addDays(now, inv.days_until_due ?? 30);
  } else {
    inv.status = 'open';
    plan.collection = plan.pm ? 'charge' : 'no_payment_method';
    if (plan.pm) {
      plan.attempt = attemptRow(deps, inv, plan.pm, inv.test_clock_id, now);
      inv.attempt_count += 1;
    }
  }
}

/** The billing reasons whose invoice is unique per subscription period. */
const PERIOD_REASONS = new Set(['subscription_create', 'subscription_cycle']);

/**
 * Finalizes the plans and writes them, numbered, with their lines, consumed items, balance
 * changes and attempts, all in the command's single flush. With `mayConflict` (one subscription
 * at its own time, which may find its period already invoiced), periods that have an invoice
 * are looked up first and their plans dropped; a batch relies on the unique (account,
 * subscription, period_start) index to fail instead. `guarded`: the customers were read without
 * a lock, so each customer's row is written only if its sequence is still the one read (one
 * invoice per customer then), else the flush fails with StaleWriteError and the caller runs
 * again. Otherwise the caller holds the customers' rows locked since it read them.
 * Returns the plans written and the charges to send after commit.
 */
export async function finalizeAndWrite(
  deps: Pick<Deps, 'gateway' | 'recoveryDelayMs' | 'clock'>, u: UnitOfWork, plans: InvoicePlan[], opts: { mayConflict: boolean; guarded: boolean },
): Promise<{ written: InvoicePlan[]; charges: PendingCharge[] }> {
  if (plans.length === 0) return { written: [], charges: [] };
  let written = plans;
  if (opts.mayConflict) {
    const periodic = plans.filter((p) => p.subscription && PERIOD_REASONS.has(p.invoice.billing_reason));
    const existing = periodic.length ? await u.tx.selectFrom('invoices').select(['subscription_id', 'period_start'])
      .where('account_id', 'in', [...new Set(periodic.map((p) => p.invoice.account_id))])
      .where('subscription_id', 'in', periodic.map((p) => p.subscription!.id))
      .where('billing_reason', 'in', [...PERIOD_REASONS]).execute() : [];
    const taken = new Set(existing.map((e) => `${e.subscription_id}@${e.period_start.getTime()}`));
    written = plans.filter((p) => !(PERIOD_REASONS.has(p.invoice.billing_reason) && taken.has(`${p.invoice.subscription_id}@${p.invoice.period_start.getTime()}`)));
    if (written.length === 0) return { written, charges: [] };
  }
  for (const p of written) if (p.pause !== 'keep_as_draft') await applyUsageCredits(u, p);
  for (const p of written) finalizePlan(deps, p, p.at);
  await routeCharges(u, written, deps.clock.now());
  writeCustomers(u, written, opts.guarded);
  insertInvoices(u, written.filter((p) => !p.stored));
  u.updateLater('invoices', written.filter((p) => p.stored).map((p) => finalizedColumns(p.invoice)));
  u.insertLater('payment_attempts', written.flatMap((p) => (p.attempt ? [p.attempt] : [])));
  u.insertLater('customer_balance_transactions', written.flatMap((p) => (p.balanceTransaction ? [p.balanceTransaction] : [])));
  u.updateLater('discounts', written.flatMap((p) => (p.firstUse ?? []).filter((id) => p.invoice.discounts.includes(id))
    .map((id) => ({ account_id: p.invoice.account_id, id, used_at: p.at }))));
  return { written, charges: recordFinalized(u, written) };
}

const USAGE_KINDS = new Set(['usage', 'usage_adjustment']);
type StoredAmount = { amount: number; inclusive?: boolean };

/**
 * The customer's credit grants pay the invoice's usage lines first (what those lines come to,
 * discounts off and tax added, never more than the invoice's total): the grants are debited in
 * this transaction and the amount applied is kept on the invoice.
 */
async function applyUsageCredits(u: UnitOfWork, p: InvoicePlan): Promise<void> {
  const usage = p.lines.filter((l) => USAGE_KINDS.has(l.kind)).reduce((a, l) => {
    const discounts = (l.discount_amounts as StoredAmount[] ?? []).reduce((x, d) => x + BigInt(d.amount), 0n);
    const taxOnTop = (l.tax_amounts as StoredAmount[] ?? []).filter((t) => !t.inclusive).reduce((x, t) => x + BigInt(t.amount), 0n);
    return a + BigInt(l.amount) - discounts + taxOnTop;
  }, 0n);
  const creditable = usage < p.invoice.total ? usage : p.invoice.total;
  if (creditable <= 0n) return;
  const w = u.as({ ...u.actor, accountId: p.invoice.account_id });
  const { applied } = await applyCredits(w, { customerId: p.invoice.customer_id, currency: p.invoice.currency, amount: creditable, invoiceId: p.invoice.id, at: p.at });
  p.invoice.credit_grants_applied = applied;
}

/**
 * Writes new invoices with their lines and takes the pending items they consume. Each item is
 * taken only if its version is still the one read, so two invoices made at once cannot both
 * take it: the later flush fails with StaleWriteError.
 */
export function insertInvoices(u: UnitOfWork, plans: InvoicePlan[]): void {
  u.insertLater('invoices', plans.map((p) => p.invoice));
  u.insertLater('invoice_lines', plans.flatMap((p) => p.lines));
  u.updateLater('invoice_items', plans.flatMap((p) => p.consumed.map((i) => ({
    account_id: i.account_id, id: i.id, invoice_id: p.invoice.id, updated_at: p.invoice.updated_at, version: i.version,
  }))));
}

/** What finalizing changes on a stored draft; the version read guards the write. */
const finalizedColumns = (i: Row<'invoices'>) => ({
  account_id: i.account_id, id: i.id, number: i.number, status: i.status, amount_due: i.amount_due, amount_remaining: i.amount_remaining,
  starting_balance: i.starting_balance, ending_balance: i.ending_balance, attempt_count: i.attempt_count, finalized_at: i.finalized_at,
  paid_at: i.paid_at, voided_at: i.voided_at, due_date: i.due_date, marked_uncollectible_at: i.marked_uncollectible_at,
  auto_advance: i.auto_advance, updated_at: i.updated_at, version: i.version, customer_name: i.customer_name,
  customer_address: i.customer_address, customer_tax_ids: i.customer_tax_ids, customer_tax_exempt: i.customer_tax_exempt,
});

/** The customers' sequences and balances as the plans left them, one row per customer. */
function writeCustomers(u: UnitOfWork, plans: InvoicePlan[], guarded: boolean) {
  const touched = [...new Set(plans.map((p) => p.customer))].filter((c) => c.touched);
  // With the version as read, the write lands only on the row as it was read, and moves the
  // version on: a balance adjustment (which does not touch the sequence) is caught as well. Under
  // a lock that holds by itself; without one, the guard also keeps to one invoice per customer.
  u.updateLater('customers', touched.map((c) => ({
    account_id: c.accountId, id: c.id, invoice_prefix: c.prefix, next_invoice_sequence: c.next, balance: c.balance,
    balance_currency: c.balanceCurrency, currency: c.currency, version: c.readVersion,
  })), guarded ? { guard: 't.next_invoice_sequence = v.next_invoice_sequence - 1 AND t.invoice_prefix = v.invoice_prefix' } : {});
}

/** Audit and events of written plans; the charges to send once the transaction commits. */
function recordFinalized(u: UnitOfWork, plans: InvoicePlan[]): PendingCharge[] {
  const charges: PendingCharge[] = [];
  for (const p of plans) {
    const w = u.as({ ...u.actor, accountId: p.invoice.account_id });
    const view = invoiceView(p.invoice, p.lines);
    const at = p.invoice.updated_at;
    if (!p.stored) w.emit('invoice.created', p.invoice.id, view, at);
    if (p.collection === 'paused' && p.invoice.status === 'draft') {
      w.audit('invoice.created', 'invoice', p.invoice.id, null, view, at);
      continue;
    }
    w.audit('invoice.finalized', 'invoice', p.invoice.id, p.stored ? { status: 'draft' } : null, view, at);
    w.emit('invoice.finalized', p.invoice.id, view, at);
    if (p.invoice.status === 'void') w.emit('invoice.voided', p.invoice.id, view, at);
    if (p.invoice.status === 'uncollectible') w.emit('invoice.marked_uncollectible', p.invoice.id, view, at);
    if (p.collection === 'zero_amount') w.emit('invoice.paid', p.invoice.id, view, at);
    if (p.collection === 'no_payment_method') w.emit('invoice.payment_failed', p.invoice.id, view, at, { decline_code: 'no_payment_method' });
    if (p.balanceTransaction) {
      const t = p.balanceTransaction;
      const before = { balance: Number(t.ending_balance - t.amount) };
      w.audit('customer.balance_changed', 'customer', t.customer_id, before, { balance: Number(t.ending_balance), currency: t.currency, invoice: t.invoice_id }, at);
      w.emit('customer.balance_changed', t.customer_id, { id: t.customer_id, object: 'customer', balance: Number(t.ending_balance), currency: t.currency },
        at, { previous_attributes: before, invoice: t.invoice_id });
    }
    if (p.attempt && p.pm) {
      w.audit('payment.created', 'payment', p.attempt.id, null, paymentAttemptView(p.attempt), at);
      charges.push({ attempt: p.attempt, token: p.pm.gateway_token, gatewayCustomer: p.pm.gateway_customer });
    }
  }
  return charges;
}
