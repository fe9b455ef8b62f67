import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { creditNoteFigures, splitOf, type CreditNoteFigures, type CreditNoteLine, type CreditRequest, type Split } from '../../domain/credit-note.ts';
import type { DiscountAmount } from '../../domain/discounts.ts';
import { invalid } from '../../domain/errors.ts';
import type { TaxAmount } from '../../domain/tax.ts';
import { conflict, notFound } from '../errors.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import type { Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import type { Row } from '../views.ts';

type Db = Kysely<DB> | Transaction<DB>;

export type CreditNoteInput = {
  invoice: string;
  lines?: { invoice_line: string; quantity?: number | undefined; amount?: number | undefined }[] | undefined;
  amount?: number | undefined;
  reason?: 'duplicate' | 'fraudulent' | 'order_change' | 'product_unsatisfactory' | undefined;
  refund_amount?: number | undefined; credit_amount?: number | undefined; out_of_band_amount?: number | undefined;
  memo?: string | undefined; metadata?: Record<string, string> | undefined;
};

export type CreditNotePlan = {
  invoice: Row<'invoices'>; type: 'pre_payment' | 'post_payment'; number: string; figures: CreditNoteFigures; split: Split; now: Date;
};

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
type StoredTax = Omit<TaxAmount, 'amount' | 'taxable_amount'> & { amount: number; taxable_amount: number };
const taxes = (v: unknown): TaxAmount[] => json<StoredTax[]>(v ?? []).map((t) => ({ ...t, amount: BigInt(t.amount), taxable_amount: BigInt(t.taxable_amount) }));
const discounts = (v: unknown): DiscountAmount[] => json<{ discount: string; amount: number }[]>(v ?? []).map((d) => ({ discount: d.discount, amount: BigInt(d.amount) }));

/**
 * Everything a credit note on `input.invoice` would be, read and checked but not written. With
 * `lock` the invoice row stays locked until the caller's transaction ends, so two notes on one
 * invoice are planned one after the other and the second sees what the first took.
 */
export async function planCreditNote(deps: Pick<Deps, 'clock'>, db: Db, accountId: string, input: CreditNoteInput, lock: boolean, opts: { creditToBalance?: boolean } = {}): Promise<CreditNotePlan> {
  if (input.lines !== undefined && input.amount !== undefined) throw invalid('parameters_exclusive', 'give lines or amount, not both', 'amount');
  if (input.lines === undefined && input.amount === undefined) throw invalid('parameter_missing', 'give lines or amount', 'lines');
  let q = db.selectFrom('invoices').selectAll().where('account_id', '=', accountId).where('id', '=', input.invoice);
  if (lock) q = q.forUpdate();
  const invoice = await q.executeTakeFirst();
  if (!invoice) throw notFound('invoice', input.invoice, 'invoice');
  if (invoice.status !== 'open' && invoice.status !== 'paid') {
    throw invalid('invoice_not_creditable', `invoice '${invoice.id}' is ${invoice.status}; credit notes go on open or paid invoices`, 'invoice');
  }
  const type = invoice.status === 'open' ? 'pre_payment' : 'post_payment';
  if (type === 'pre_payment') {
    const inFlight = await attemptInFlight(db, accountId, invoice.id);
    if (inFlight) throw conflict('payment_in_progress', `A payment for invoice '${invoice.id}' is in progress (${inFlight.id}); retry once it settles.`);
  }
  const [lines, notes] = await Promise.all([
    db.selectFrom('invoice_lines').selectAll().where('account_id', '=', accountId).where('invoice_id', '=', invoice.id).orderBy('position').orderBy('id').execute(),
    db.selectFrom('credit_notes').select(['status', 'whole', 'total', 'lines']).where('account_id', '=', accountId).where('invoice_id', '=', invoice.id).execute(),
  ]);
  const issued = notes.filter((n) => n.status === 'issued');
  const byLine = new Map<string, bigint>();
  for (const l of issued.flatMap((n) => json<(Omit<CreditNoteLine, 'amount'> & { amount: number })[]>(n.lines))) {
    if (l.invoice_line) byLine.set(l.invoice_line, (byLine.get(l.invoice_line) ?? 0n) + BigInt(l.amount));
  }
  const credited = {
    byLine, whole: issued.filter((n) => n.whole).reduce((a, n) => a + BigInt(n.total), 0n), total: issued.reduce((a, n) => a + BigInt(n.total), 0n),
  };
  const request: CreditRequest = input.lines !== undefined ? { lines: input.lines } : { amount: input.amount! };
  const figures = creditNoteFigures({
    total: BigInt(invoice.total), total_taxes: taxes(invoice.total_taxes), total_discount_amounts: discounts(invoice.total_discount_amounts),
    lines: lines.map((l) => ({ id: l.id, description: l.description, amount: BigInt(l.amount), quantity: l.quantity, tax_amounts: taxes(l.tax_amounts), discount_amounts: discounts(l.discount_amounts) })),
  }, credited, request);
  if (type === 'pre_payment' && figures.total > BigInt(invoice.amount_remaining)) {
    throw invalid('credit_note_exceeds_invoice', `${invoice.amount_remaining} is still due on the open invoice; a credit note of ${figures.total} would take it below zero`, input.amount !== undefined ? 'amount' : 'lines');
  }
  // A note Rebill issues itself (a usage correction) credits a paid invoice to the customer's balance.
  const split = splitOf(type, figures.total, opts.creditToBalance && type === 'post_payment' ? { credit_amount: Number(figures.total) } : input);
  const number = `${invoice.number}-CN-${String(notes.length + 1).padStart(2, '0')}`;
  const now = await nowFor(deps, db, accountId, invoice.test_clock_id);
  return { invoice, type, number, figures, split, now };
}
