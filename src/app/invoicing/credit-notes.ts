import type { CreditNoteFigures } from '../../domain/credit-note.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { conflict, notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import { openRefund, sendRefund } from '../payments/refunds.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { creditNoteView, invoiceView, type Row } from '../views.ts';
import { moveBalanceForCreditNote } from './credit-note-balance.ts';
import { subscriptionPaidByCredit } from './credit-note-paid.ts';
import { planCreditNote, type CreditNoteInput, type CreditNotePlan } from './credit-note-plan.ts';

// jsonb holds plain numbers, as the API shows them (every amount is far below 2^53).
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)));

function rowOf(accountId: string, id: string, p: CreditNotePlan, input: CreditNoteInput): Row<'credit_notes'> {
  const f: CreditNoteFigures = p.figures;
  return {
    account_id: accountId, id, number: p.number, invoice_id: p.invoice.id, customer_id: p.invoice.customer_id, currency: p.invoice.currency,
    status: 'issued', type: p.type, whole: f.whole, subtotal: f.subtotal, discount_amount: f.discount_amount,
    total_discount_amounts: plain(f.total_discount_amounts), tax: f.tax, total_taxes: plain(f.total_taxes), total_excluding_tax: f.total_excluding_tax,
    total: f.total, lines: plain(f.lines), refund_amount: p.split.refund, credit_amount: p.split.credit, out_of_band_amount: p.split.outOfBand,
    refund_id: null, balance_transaction_id: null, reason: input.reason ?? null, memo: input.memo ?? null, metadata: input.metadata ?? {},
    voided_at: null, created_at: p.now, updated_at: p.now, version: 1,
  };
}

/** What the note would be, computed as creation computes it; nothing is written. */
export async function previewCreditNote(deps: Deps, accountId: string, input: CreditNoteInput) {
  const plan = await planCreditNote(deps, deps.db, accountId, input, false);
  return creditNoteView(rowOf(accountId, 'cn_preview', plan, input));
}

/**
 * On an open invoice what is due drops by the note's total (the invoice is paid when nothing is
 * left, as Stripe does, and its subscription moves as on a payment); the version moves so a
 * settlement read before sees the change.
 */
async function lowerAmountDue(u: UnitOfWork, inv: Row<'invoices'>, by: bigint, now: Date): Promise<void> {
  const remaining = BigInt(inv.amount_remaining) + by;
  const paid = remaining === 0n && by < 0n;
  const after = await u.tx.updateTable('invoices').set({
    amount_due: BigInt(inv.amount_due) + by, amount_remaining: remaining, status: paid ? 'paid' : 'open', paid_at: paid ? now : null,
    updated_at: now, version: inv.version + 1,
  }).where('account_id', '=', u.accountId).where('id', '=', inv.id).returningAll().executeTakeFirstOrThrow();
  u.audit('invoice.updated', 'invoice', inv.id, { amount_remaining: Number(inv.amount_remaining), status: inv.status },
    { amount_remaining: Number(remaining), status: after.status }, now);
  if (paid) {
    const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', '=', u.accountId).where('invoice_id', '=', inv.id).orderBy('position').orderBy('id').execute();
    u.emit('invoice.paid', inv.id, invoiceView(after, lines), now);
    await subscriptionPaidByCredit(u, after, now);
  }
}

export async function createCreditNote(deps: Deps, actor: Actor, input: CreditNoteInput) {
  const { note, refund } = await command(deps, actor, async (u) => await issueCreditNote(deps, u, input));
  // Committed with its refund row first: from here on the refund happens once, by this call or by recovery.
  if (refund) await sendRefund(deps, actor, refund);
  return creditNoteView(note);
}

/** Issues a credit note in the caller's transaction; a refund it opens is the caller's to send after commit. */
export async function issueCreditNote(deps: Deps, u: UnitOfWork, input: CreditNoteInput, opts: { creditToBalance?: boolean } = {}) {
  const plan = await planCreditNote(deps, u.tx, u.accountId, input, true, opts);
  const note = rowOf(u.accountId, newId('creditNote'), plan, input);
  const { invoice, now } = plan;
  let refund: Row<'refunds'> | null = null;
  if (plan.type === 'pre_payment') await lowerAmountDue(u, invoice, -note.total, now);
  if (note.refund_amount > 0n) {
    refund = await openRefund(deps, u, invoice, note.id, note.refund_amount, now);
    note.refund_id = refund.id;
  }
  if (note.credit_amount > 0n) {
    const txn = await moveBalanceForCreditNote(u, invoice.customer_id, -note.credit_amount, invoice.currency, 'credit_note', invoice.id, `Credit note ${note.number}`, now);
    note.balance_transaction_id = txn.id;
  }
  u.insertLater('credit_notes', [note]);
  const view = creditNoteView(note);
  u.audit('credit_note.created', 'credit_note', note.id, null, view, now);
  u.emit('credit_note.created', note.id, view, now);
  return { note, refund };
}

/**
 * Voids an issued note and gives back what it took: the amount due of its still-open invoice,
 * or the credit it put on the balance. A note that refunded money cannot be voided: the money
 * has left, and voiding would pretend otherwise.
 */
export async function voidCreditNote(deps: Deps, actor: Actor, id: string) {
  return await command(deps, actor, async (u) => {
    const found = await u.tx.selectFrom('credit_notes').select('invoice_id').where('account_id', '=', u.accountId).where('id', '=', id).executeTakeFirst();
    if (!found) throw notFound('credit note', id, 'id');
    // The invoice first, as creation locks it, so a void and a new note never wait on each other in a circle.
    const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', '=', found.invoice_id).forUpdate().executeTakeFirstOrThrow();
    const note = await u.tx.selectFrom('credit_notes').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    if (note.status !== 'issued') throw invalid('credit_note_not_voidable', `credit note '${id}' is void already`, 'id');
    if (BigInt(note.refund_amount) > 0n) throw invalid('credit_note_not_voidable', `credit note '${id}' refunded ${note.refund_amount} through the gateway; that cannot be undone by voiding`, 'id');
    if (note.type === 'pre_payment' && invoice.status !== 'open') {
      throw invalid('credit_note_not_voidable', `invoice '${invoice.id}' is ${invoice.status} now; what the note took off can no longer be put back`, 'id');
    }
    const now = await nowFor(deps, u.tx, u.accountId, invoice.test_clock_id);
    if (note.type === 'pre_payment') {
      const inFlight = await attemptInFlight(u.tx, u.accountId, invoice.id);
      if (inFlight) throw conflict('payment_in_progress', `A payment for invoice '${invoice.id}' is in progress; retry once it settles.`);
      await lowerAmountDue(u, invoice, BigInt(note.total), now);
    }
    if (BigInt(note.credit_amount) > 0n) {
      await moveBalanceForCreditNote(u, invoice.customer_id, BigInt(note.credit_amount), invoice.currency, 'credit_note_void', invoice.id, `Credit note ${note.number} voided`, now);
    }
    const after = await u.tx.updateTable('credit_notes').set({ status: 'void', voided_at: now, updated_at: now, version: note.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = creditNoteView(after);
    u.audit('credit_note.voided', 'credit_note', id, { status: 'issued' }, { status: 'void' }, now);
    u.emit('credit_note.voided', id, view, now);
    return view;
  });
}

export async function getCreditNoteRow(deps: Deps, accountId: string, id: string): Promise<Row<'credit_notes'>> {
  const row = await deps.db.selectFrom('credit_notes').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('credit note', id, 'id');
  return row;
}

export async function getCreditNote(deps: Deps, accountId: string, id: string) {
  return creditNoteView(await getCreditNoteRow(deps, accountId, id));
}

export async function listCreditNotes(deps: Deps, accountId: string, page: Page & { invoice?: string | undefined; customer?: string | undefined }) {
  let q = deps.db.selectFrom('credit_notes').selectAll().where('account_id', '=', accountId);
  if (page.invoice) q = q.where('invoice_id', '=', page.invoice);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  return await paginate(q, 'id', page, creditNoteView);
}
