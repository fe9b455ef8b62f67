import { restoreCredits } from '../usage/credits.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { openAttempt, sendAttempt } from '../payments/collect.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import { replaceWaitingCharge } from '../payments/replace-waiting.ts';
import { routeCharges } from '../gateways/route-charges.ts';
import { releaseItems } from './invoice-items.ts';
import { conflict, notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { invoiceView, type Row } from '../views.ts';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';

/** A declined charge answered to the caller who asked for it (402, like a card network would). */
export class CardDeclinedError extends DomainError {
  constructor(readonly declineCode: string, message: string) { super('card_declined', message); }
}

export async function withLines(db: Kysely<DB> | Transaction<DB>, i: Row<'invoices'>) {
  const lines = await db.selectFrom('invoice_lines').selectAll().where('account_id', '=', i.account_id).where('invoice_id', '=', i.id).orderBy('position').orderBy('id').execute();
  return invoiceView(i, lines);
}

export async function getInvoice(deps: Deps, accountId: string, id: string) {
  const i = await deps.db.selectFrom('invoices').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!i) throw notFound('invoice', id, 'id');
  return await withLines(deps.db, i);
}

export async function listInvoices(deps: Deps, accountId: string, page: Page & { customer?: string | undefined; subscription?: string | undefined; status?: string | undefined; number?: string | undefined }) {
  let q = deps.db.selectFrom('invoices').selectAll().where('account_id', '=', accountId);
  if (page.number) q = q.where('number', '=', page.number);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.subscription) q = q.where('subscription_id', '=', page.subscription);
  if (page.status) q = q.where('status', '=', page.status);
  return await paginate(q, 'id', page, (i) => withLines(deps.db, i));
}

/** Charges an open invoice now, with the given payment method or the default one. */
export async function payInvoice(deps: Deps, actor: Actor, id: string, input: { payment_method?: string }) {
  await replaceWaitingCharge(deps, actor, id);
  const pending = await command(deps, actor, async (u) => {
    const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!invoice) throw notFound('invoice', id, 'id');
    // An uncollectible invoice can still be paid (Stripe allows it); it is paid like an open one.
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
      throw invalid('invoice_not_open', `Invoice '${id}' is ${invoice.status}; only open or uncollectible invoices can be paid.`, 'id');
    }
    const inFlight = await attemptInFlight(u.tx, u.accountId, id);
    if (inFlight) throw conflict('payment_in_progress', `A payment for invoice '${id}' is still in progress (${inFlight.id}).`);
    const customer = await u.tx.selectFrom('customers').select(['default_payment_method_id', 'test_clock_id'])
      .where('account_id', '=', u.accountId).where('id', '=', invoice.customer_id).executeTakeFirstOrThrow();
    const sub = invoice.subscription_id ? await u.tx.selectFrom('subscriptions').select('default_payment_method_id')
      .where('account_id', '=', u.accountId).where('id', '=', invoice.subscription_id).executeTakeFirst() : undefined;
    const pmId = input.payment_method ?? sub?.default_payment_method_id ?? customer.default_payment_method_id;
    if (!pmId) throw invalid('payment_method_missing', 'The customer has no default payment method; pass payment_method.', 'payment_method');
    const pm = await u.tx.selectFrom('payment_methods').select(['id', 'gateway_token', 'gateway', 'gateway_customer']).where('account_id', '=', u.accountId)
      .where('id', '=', pmId).where('customer_id', '=', invoice.customer_id).executeTakeFirst();
    if (!pm) throw notFound('payment method', pmId, 'payment_method');
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    // A method named in the request is the caller's choice; otherwise routing chooses, as for renewals.
    const charge = { invoice, pm, subscription: sub ?? null, attempt: { amount: invoice.amount_remaining, payment_method_id: pm.id, gateway: pm.gateway } };
    if (!input.payment_method) await routeCharges(u, [charge], deps.clock.now());
    return await openAttempt(deps, u, invoice, charge.pm ?? pm, customer.test_clock_id, now);
  });
  const outcome = await sendAttempt(deps, actor, pending);
  if (outcome?.status === 'failed') throw new CardDeclinedError(outcome.decline.declineCode, outcome.message);
  return await getInvoice(deps, actor.accountId, id);
}

export async function voidInvoice(deps: Deps, actor: Actor, id: string) {
  return await command(deps, actor, async (u) => {
    const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!invoice) throw notFound('invoice', id, 'id');
    if (invoice.status !== 'open' && invoice.status !== 'draft') {
      throw invalid('invoice_not_voidable', `Invoice '${id}' is ${invoice.status}; only draft or open invoices can be voided.`, 'id');
    }
    if (invoice.status === 'open' && BigInt(invoice.amount_paid) > 0n) {
      throw invalid('invoice_partly_paid', `Invoice '${id}' is partly paid (${invoice.amount_paid} of ${invoice.amount_due}); issue a credit note (POST /v1/credit_notes) for what it should no longer charge.`, 'id');
    }
    const inFlight = await attemptInFlight(u.tx, u.accountId, id);
    if (inFlight) throw conflict('payment_in_progress', `A payment for invoice '${id}' is in progress; it cannot be voided now.`);
    const customer = await u.tx.selectFrom('customers').select('test_clock_id').where('account_id', '=', u.accountId).where('id', '=', invoice.customer_id).executeTakeFirstOrThrow();
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const voided = await u.tx.updateTable('invoices').set({ status: 'void', voided_at: now, amount_remaining: 0n, updated_at: now, version: invoice.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    if (invoice.status === 'draft') await releaseItems(u, id, now);
    // What credit grants paid of it goes back to them.
    if (BigInt(invoice.credit_grants_applied) > 0n) await restoreCredits(u, id, now);
    const view = await withLines(u.tx, voided);
    u.audit('invoice.voided', 'invoice', id, { status: invoice.status }, { status: 'void' }, now);
    u.emit('invoice.voided', id, view, now);
    return view;
  });
}
