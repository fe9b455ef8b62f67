import { formatMoney } from '../../domain/format-money.ts';
import { loadAccount } from '../accounts/settings.ts';
import type { Deps } from '../ports.ts';
import type { AccountObject, CreditNoteObject } from '../resources.ts';
import { creditNoteView } from '../views.ts';
import { getCreditNoteRow } from './credit-notes.ts';
import { COLS, day, LEFT, lineTable, merchantHeader, partyBlock, pdfCustomerOf, pdfDocument, RIGHT, taxLabelsOf, taxRows, totalsBlock, type PdfCustomer, type TaxLabels, type TotalsRow } from './pdf.ts';
import { getInvoice } from './invoices.ts';

/** The credit note as a one-document PDF (A4), laid out as the invoice's: merchant, customer, lines, taxes, and where the money went. */
export async function renderCreditNotePdf(note: CreditNoteObject, invoiceNumber: string, account: AccountObject, customer: PdfCustomer, taxLabels: TaxLabels): Promise<Buffer> {
  const money = (minor: number) => formatMoney(BigInt(minor), note.currency);
  const { doc, done } = pdfDocument(`Credit note ${note.number}`, account);
  const merchantBottom = merchantHeader(doc, account);
  doc.font('bold').fontSize(20).text('Credit note', 330, 50, { width: RIGHT - 330, align: 'right' });
  doc.font('regular').fontSize(9);
  const facts: [string, string][] = [['Number', note.number], ['Invoice', invoiceNumber], ['Status', note.status], ['Date', day(note.created)]];
  if (note.reason) facts.push(['Reason', note.reason.replace(/_/g, ' ')]);
  for (const [k, v] of facts) doc.text(`${k}: ${v}`, 330, doc.y, { width: RIGHT - 330, align: 'right' });

  let y = Math.max(merchantBottom, doc.y) + 20;
  y = partyBlock(doc, 'Credit to', customer, y);

  y = lineTable(doc, y, [
    { header: 'Description', x: COLS.description, width: COLS.quantity - COLS.description - 10 },
    { header: 'Qty', x: COLS.quantity, width: COLS.amount - COLS.quantity - 10, align: 'right' },
    { header: 'Amount', x: COLS.amount, width: RIGHT - COLS.amount, align: 'right' },
  ], note.lines.data.map((line) => [line.description, line.quantity === null ? '' : String(line.quantity), money(line.amount)]));

  const rows: TotalsRow[] = [['Subtotal', note.subtotal, false]];
  if (note.discount_amount !== 0) rows.push(['Discounts', -note.discount_amount, false]);
  rows.push(...taxRows(note.total_taxes, taxLabels));
  rows.push(['Total credited', note.total, true]);
  if (note.type === 'pre_payment') rows.push(['Taken off the amount due', note.total, false]);
  if (note.refund_amount) rows.push(['Refunded to the payment method', note.refund_amount, false]);
  if (note.credit_amount) rows.push(['Credited to the customer balance', note.credit_amount, false]);
  if (note.out_of_band_amount) rows.push(['Returned outside Rebill', note.out_of_band_amount, false]);
  y = totalsBlock(doc, y, rows, money, 260);
  if (note.memo) doc.font('regular').fontSize(9).text(note.memo, LEFT, y + 16, { width: RIGHT - LEFT });
  doc.end();
  return await done;
}

/** Loads what a credit note's PDF shows, all from the caller's account (another's id is a 404). */
export async function creditNotePdf(deps: Deps, accountId: string, id: string): Promise<Buffer> {
  const note = creditNoteView(await getCreditNoteRow(deps, accountId, id));
  const invoice = await getInvoice(deps, accountId, note.invoice);
  const [account, customer, labels] = await Promise.all([loadAccount(deps.db, accountId), pdfCustomerOf(deps, accountId, invoice),
    taxLabelsOf(deps, accountId, note.total_taxes.map((t) => t.tax_rate))]);
  return await renderCreditNotePdf(note, invoice.number ?? '', account, customer, labels);
}
