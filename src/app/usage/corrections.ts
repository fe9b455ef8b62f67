// Late and canceled usage under the account's late_usage_policy (issue 18, point 4). A correction
// of a period already invoiced is by default an adjustment line on the subscription's next
// invoice (usage-billing.ts puts it there). Under `credit_note` it leaves that invoice and becomes
// its own document: an invoice for what is owed more, a credit note on the invoice that billed the
// period for what is owed less. A finalized invoice is never changed in place.
import { DomainError } from '../../domain/errors.ts';
import type { FixedDraft } from '../../domain/invoice-builder.ts';
import { issueCreditNote } from '../invoicing/credit-notes.ts';
import type { BillingCustomer, InvoicePlan } from '../invoicing/finalize.ts';
import type { Deps } from '../ports.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import type { UsageBill } from './usage-billing.ts';

type Sub = Row<'subscriptions'>;
/** Makes the invoice of a subscription's corrections, like any of its invoices (tax, discounts, customer). */
export type CorrectionInvoice = (s: Sub, lines: FixedDraft[], start: Date, end: Date) => InvoicePlan;

/** The accounts among `accountIds` whose late usage is corrected by credit notes and invoices of their own. */
export async function creditNoteAccounts(u: UnitOfWork, accountIds: string[]): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set();
  const rows = await u.tx.selectFrom('accounts').select('id').where('id', 'in', [...new Set(accountIds)]).where('late_usage_policy', '=', 'credit_note').execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Takes the corrections out of `bill` and issues them as their own documents: credit notes now,
 * and the returned invoice plan (or null) for the caller to finalize with its others, with the
 * bill of its ledger rows. A decrease whose invoice can take no credit note (voided since, or
 * already credited) stays on the next invoice as a line.
 */
export async function issueCorrections(deps: Deps, u: UnitOfWork, s: Sub, bill: UsageBill, customer: BillingCustomer, invoiceOf: CorrectionInvoice, at: Date): Promise<{ plan: InvoicePlan; bill: UsageBill } | null> {
  const owedMore: { line: FixedDraft; ledger: Row<'usage_billings'> }[] = [];
  const keep = { lines: [] as FixedDraft[], ledger: [] as Row<'usage_billings'>[] };
  const ledgerOf = (l: FixedDraft) => bill.ledger.find((r) => r.kind === 'adjustment' && r.subscription_item_id === l.subscription_item && r.period_start.getTime() === l.period_start.getTime());
  const w = u.as({ ...u.actor, accountId: s.account_id });
  for (const line of bill.lines) {
    const ledger = line.kind === 'usage_adjustment' ? ledgerOf(line) : undefined;
    if (!ledger) { keep.lines.push(line); continue; }
    if (line.amount > 0n) { owedMore.push({ line, ledger }); continue; }
    const noteId = line.amount < 0n ? await creditNoteFor(deps, w, s, line) : null;
    if (noteId) u.insertLater('usage_billings', [{ ...ledger, kind: 'correction_credit_note', credit_note_id: noteId }]);
    else { keep.lines.push(line); keep.ledger.push(ledger); }
  }
  keep.ledger.push(...bill.ledger.filter((r) => r.kind !== 'adjustment'));
  if (keep.lines.length < bill.lines.length - owedMore.length) await reread(u, customer);
  bill.lines = keep.lines;
  bill.ledger = keep.ledger;
  if (owedMore.length === 0) return null;
  const start = new Date(Math.min(...owedMore.map((x) => x.line.period_start.getTime())));
  const end = new Date(Math.max(...owedMore.map((x) => x.line.period_end.getTime())));
  const plan = invoiceOf(s, owedMore.map((x) => x.line), start, end);
  plan.at = at;
  return { plan, bill: { lines: [], settle: [], ledger: owedMore.map((x) => ({ ...x.ledger, kind: 'correction_invoice' })) } };
}

/**
 * A credit note credits the customer's balance: the customer as this transaction holds it (locked,
 * shared by its invoices) takes the balance and version the note left, so its invoices build on them.
 */
async function reread(u: UnitOfWork, c: BillingCustomer) {
  const row = await u.tx.selectFrom('customers').select(['balance', 'balance_currency', 'version']).where('account_id', '=', c.accountId).where('id', '=', c.id).executeTakeFirstOrThrow();
  c.balance = BigInt(row.balance);
  c.balanceCurrency = row.balance_currency;
  c.readVersion = row.version;
}

/** A credit note for a decrease, on the latest invoice that billed the period's usage; null when none can take it. */
async function creditNoteFor(deps: Deps, u: UnitOfWork, s: Sub, line: FixedDraft): Promise<string | null> {
  const billed = await u.tx.selectFrom('invoice_lines as l').innerJoin('invoices as i', (j) => j.onRef('i.account_id', '=', 'l.account_id').onRef('i.id', '=', 'l.invoice_id'))
    .select(['l.id', 'l.invoice_id']).where('l.account_id', '=', s.account_id).where('l.subscription_item_id', '=', line.subscription_item ?? '')
    .where('l.kind', '=', 'usage').where('l.period_start', '=', line.period_start).where('i.status', 'in', ['open', 'paid'])
    .orderBy('i.created_at', 'desc').limit(1).executeTakeFirst();
  if (!billed) return null;
  try {
    const { note } = await issueCreditNote(deps, u, {
      invoice: billed.invoice_id, lines: [{ invoice_line: billed.id, amount: Number(-line.amount) }], reason: 'order_change', memo: line.description,
    }, { creditToBalance: true });
    return note.id;
  } catch (err) {
    // Checked before anything is written: the invoice cannot take this note, so the next invoice carries the line.
    if (err instanceof DomainError) return null;
    throw err;
  }
}
