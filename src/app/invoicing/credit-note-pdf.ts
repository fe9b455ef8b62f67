import { formatMoney } from '../../domain/format-money.ts';
import { loadAccount } from '../accounts/settings.ts';
import type { Deps } from '../ports.ts';
import type { AccountObject, CreditNoteObject } from '../resources.ts';
import { creditNoteView } from '../views.ts';
import { getCreditNoteRow } from './credit-notes.ts';
import { COLS, day, LEFT, merchantHeader, partyBlock, pdfCustomerOf, pdfDocument, RIGHT, taxLabelsOf, type PdfCustomer, type TaxLabels } from './pdf.ts';
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

  doc.font('bold').fontSize(9);
  doc.text('Description', COLS.description, y, { width: COLS.quantity - COLS.description - 10 });
  doc.text('Qty', COLS.quantity, y, { width: COLS.amount - COLS.quantity - 10, align: 'right' });
  doc.text('Amount', COLS.amount, y, { width: RIGHT - COLS.amount, align: 'right' });
  y = doc.y + 4;
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).stroke();
  y += 6;
  doc.font('regular');
  for (const line of note.lines.data) {
    if (y > 740) { doc.addPage(); y = 50; }
    doc.text(line.description, COLS.description, y, { width: COLS.quantity - COLS.description - 10 });
    const bottom = doc.y;
    doc.text(line.quantity === null ? '' : String(line.quantity), COLS.quantity, y, { width: COLS.amount - COLS.quantity - 10, align: 'right' });
    doc.text(money(line.amount), COLS.amount, y, { width: RIGHT - COLS.amount, align: 'right' });
    y = Math.max(bottom, doc.y) + 6;
  }
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).stroke();
  y += 8;

  const rows: [string, number, boolean][] = [['Subtotal', note.subtotal, false]];
  if (note.discount_amount !== 0) rows.push(['Discounts', -note.discount_amount, false]);
  for (const t of note.total_taxes) {
    const rate = taxLabels.get(t.tax_rate);
    const name = rate ? `${rate.display_name} ${rate.percentage}%` : 'Tax';
    rows.push([t.inclusive ? `${name} (included)` : name, t.amount, false]);
  }
  rows.push(['Total credited', note.total, true]);
  if (note.type === 'pre_payment') rows.push(['Taken off the amount due', note.total, false]);
  if (note.refund_amount) rows.push(['Refunded to the payment method', note.refund_amount, false]);
  if (note.credit_amount) rows.push(['Credited to the customer balance', note.credit_amount, false]);
  if (note.out_of_band_amount) rows.push(['Returned outside Rebill', note.out_of_band_amount, false]);
  for (const [label, amount, strong] of rows) {
    if (y > 770) { doc.addPage(); y = 50; }
    doc.font(strong ? 'bold' : 'regular').fontSize(strong ? 10 : 9);
    doc.text(label, 260, y, { width: 170 });
    doc.text(money(amount), COLS.amount - 40, y, { width: RIGHT - COLS.amount + 40, align: 'right' });
    y = doc.y + 4;
  }
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
