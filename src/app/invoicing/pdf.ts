import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { formatMoney } from '../../domain/format-money.ts';
import { formatPercent } from '../../domain/percent.ts';
import { loadAccount } from '../accounts/settings.ts';
import { notFound } from '../errors.ts';
import type { Deps } from '../ports.ts';
import type { AccountObject, AddressObject, InvoiceObject } from '../resources.ts';
import { getInvoice } from './invoices.ts';

/** Who the invoice is billed to: as recorded at finalization, or (a draft) as the customer is now. */
export type PdfCustomer = {
  name: string | null; email: string | null; address?: AddressObject | null; tax_ids?: readonly { type: string; value: string }[];
  tax_exempt?: string | null;
};

// The 14 standard PDF fonts have no ₹ or ₩, so a TrueType font goes into every PDF. DejaVu
// ships in the repository (assets/fonts, with its licence) so no machine needs it installed.
const FONTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../assets/fonts');
export const REGULAR = path.join(FONTS, 'DejaVuSans.ttf');
export const BOLD = path.join(FONTS, 'DejaVuSans-Bold.ttf');

const TAX_ID_LABELS: Record<string, string> = {
  eu_vat: 'VAT', gb_vat: 'VAT', ch_vat: 'VAT', no_vat: 'VAT', in_gst: 'GSTIN', us_ein: 'EIN', au_abn: 'ABN', nz_gst: 'GST',
  ca_bn: 'BN', ca_gst_hst: 'GST/HST', jp_cn: 'Corporate number', sg_gst: 'GST',
};
const EXEMPT_NOTES: Record<string, string | undefined> = {
  reverse: 'Reverse charge: no tax is charged; the customer accounts for it.',
  exempt: 'The customer is exempt from tax.',
};

export const LEFT = 50;
export const RIGHT = 545; // A4 is 595pt wide; 50pt margins.
export const COLS = { description: LEFT, period: 250, quantity: 390, amount: 440 };
export const day = (t: string | null) => (t ? t.slice(0, 10) : '');
const span = (start: string | null, end: string | null) => (start && end ? `${day(start)} – ${day(end)}` : '');

export function addressLines(ad: AddressObject | null | undefined): string[] {
  if (!ad) return [];
  const cityLine = [ad.postal_code, ad.city, ad.state].filter(Boolean).join(' ');
  return [ad.line1, ad.line2, cityLine, ad.country].filter((x): x is string => Boolean(x));
}

/** An A4 document with the bundled fonts, and the bytes it will come to once ended. */
export function pdfDocument(title: string, account: AccountObject): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  for (const f of [REGULAR, BOLD]) {
    if (!existsSync(f)) throw new Error(`The invoice font ${f} is missing; it ships with Rebill in assets/fonts/.`);
  }
  const doc = new PDFDocument({ size: 'A4', margin: LEFT, info: { Title: title, Author: account.name } });
  doc.registerFont('regular', REGULAR);
  doc.registerFont('bold', BOLD);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

/** The merchant's name, address, email and tax id, top left; answers where it ends. */
export function merchantHeader(doc: PDFKit.PDFDocument, account: AccountObject): number {
  doc.font('bold').fontSize(16).text(account.name, LEFT, 50, { width: 280 });
  doc.font('regular').fontSize(9);
  for (const line of [...addressLines(account.address), account.email, account.tax_id ? `Tax ID: ${account.tax_id}` : null]) {
    if (line) doc.text(line, { width: 280 });
  }
  return doc.y;
}

/** The customer under `label` (name, address, email, tax ids) at `y`; answers where the table starts. */
export function partyBlock(doc: PDFKit.PDFDocument, label: string, customer: PdfCustomer, y: number): number {
  doc.font('bold').fontSize(10).text(label, LEFT, y);
  doc.font('regular').fontSize(9);
  const taxIds = (customer.tax_ids ?? []).map((t) => `${TAX_ID_LABELS[t.type] ?? t.type}: ${t.value}`);
  for (const line of [customer.name, ...addressLines(customer.address), customer.email, ...taxIds]) if (line) doc.text(line, LEFT, doc.y);
  return doc.y + 20;
}

/** A column of a document's line table. */
export type Column = { header: string; x: number; width: number; align?: 'right' };

/**
 * The lines as a table under a bold header, ruled above and below; a long cell wraps and its row
 * is as tall as its tallest cell; a page is added when one fills up. Answers where it ends.
 */
export function lineTable(doc: PDFKit.PDFDocument, top: number, columns: readonly Column[], rows: readonly string[][]): number {
  let y = top;
  doc.font('bold').fontSize(9);
  for (const c of columns) doc.text(c.header, c.x, y, { width: c.width, ...(c.align ? { align: c.align } : {}) });
  y = doc.y + 4;
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).stroke();
  y += 6;
  doc.font('regular');
  for (const cells of rows) {
    if (y > 740) { doc.addPage(); y = 50; }
    let bottom = y;
    for (const [i, c] of columns.entries()) {
      doc.text(cells[i] ?? '', c.x, y, { width: c.width, ...(c.align ? { align: c.align } : {}) });
      bottom = Math.max(bottom, doc.y);
    }
    y = bottom + 6;
  }
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).stroke();
  return y + 8;
}

/** A totals row: label, amount, and whether it stands out. */
export type TotalsRow = [string, number, boolean];

/** One row per tax rate, named by its rate; an included tax is part of the subtotal already: shown for the record, not added again. */
export const taxRows = (taxes: readonly { tax_rate: string; amount: number; inclusive: boolean }[], labels: TaxLabels): TotalsRow[] => taxes.map((t) => {
  const rate = labels.get(t.tax_rate);
  const name = rate ? `${rate.display_name} ${rate.percentage}%` : 'Tax';
  return [t.inclusive ? `${name} (included)` : name, t.amount, false];
});

/** The totals, right-aligned under the table, labels from `labelX`; answers where they end. */
export function totalsBlock(doc: PDFKit.PDFDocument, top: number, rows: readonly TotalsRow[], money: (minor: number) => string, labelX: number): number {
  let y = top;
  for (const [label, amount, strong] of rows) {
    if (y > 770) { doc.addPage(); y = 50; }
    doc.font(strong ? 'bold' : 'regular').fontSize(strong ? 10 : 9);
    doc.text(label, labelX, y, { width: COLS.amount - 10 - labelX });
    doc.text(money(amount), COLS.amount - 40, y, { width: RIGHT - COLS.amount + 40, align: 'right' });
    y = doc.y + 4;
  }
  return y;
}

/** The invoice as a one-document PDF (A4), in the account's name, for the customer. */
/** How a tax rate is named on the page: its display name and percentage. */
export type TaxLabels = ReadonlyMap<string, { display_name: string; percentage: string }>;

/** How a discount is named on the page: its coupon's name, or what it takes off. */
export type DiscountLabels = ReadonlyMap<string, string>;

export async function renderInvoicePdf(invoice: InvoiceObject, account: AccountObject, customer: PdfCustomer, taxLabels: TaxLabels = new Map(),
  discountLabels: DiscountLabels = new Map()): Promise<Buffer> {
  const money = (minor: number) => formatMoney(BigInt(minor), invoice.currency);
  const title = invoice.number ?? 'DRAFT';
  const { doc, done } = pdfDocument(`Invoice ${title}`, account);
  // Header: the merchant on the left, the invoice's identity on the right.
  const merchantBottom = merchantHeader(doc, account);
  doc.font('bold').fontSize(20).text('Invoice', 350, 50, { width: RIGHT - 350, align: 'right' });
  doc.font('regular').fontSize(9);
  const facts: [string, string][] = [
    ['Number', title],
    ['Status', invoice.status],
    ['Created', day(invoice.created)],
  ];
  if (invoice.finalized_at) facts.push(['Finalized', day(invoice.finalized_at)]);
  if (invoice.collection_method === 'send_invoice' && invoice.due_date) facts.push(['Due', day(invoice.due_date)]);
  facts.push(['Period', span(invoice.period_start, invoice.period_end)]);
  for (const [k, v] of facts) doc.text(`${k}: ${v}`, 350, doc.y, { width: RIGHT - 350, align: 'right' });

  let y = Math.max(merchantBottom, doc.y) + 20;
  y = partyBlock(doc, 'Bill to', customer, y);

  y = lineTable(doc, y, [
    { header: 'Description', x: COLS.description, width: COLS.period - COLS.description - 10 },
    { header: 'Period', x: COLS.period, width: COLS.quantity - COLS.period - 10 },
    { header: 'Qty', x: COLS.quantity, width: COLS.amount - COLS.quantity - 10, align: 'right' },
    { header: 'Amount', x: COLS.amount, width: RIGHT - COLS.amount, align: 'right' },
  ], invoice.lines.data.map((line) => [line.description, span(line.period.start, line.period.end), String(line.quantity), money(line.amount)]));

  const rows: TotalsRow[] = [['Subtotal', invoice.subtotal, false]];
  for (const d of invoice.total_discount_amounts) rows.push([`Discount: ${discountLabels.get(d.discount) ?? d.discount}`, -d.amount, false]);
  rows.push(...taxRows(invoice.total_taxes, taxLabels));
  rows.push(['Total', invoice.total, true]);
  if (invoice.starting_balance !== 0) rows.push(['Starting balance applied', invoice.starting_balance, false]);
  rows.push(['Amount paid', invoice.amount_paid, false], ['Amount due', invoice.amount_due, true]);
  y = totalsBlock(doc, y, rows, money, 300);
  const note = EXEMPT_NOTES[customer.tax_exempt ?? 'none'];
  if (note) { doc.font('bold').fontSize(9).text(note, LEFT, y + 16, { width: RIGHT - LEFT }); y = doc.y; }
  if (invoice.description) doc.font('regular').fontSize(9).text(invoice.description, LEFT, y + 16, { width: RIGHT - LEFT });
  doc.end();
  return await done;
}

/** The customer as an invoice's documents print it: as it was at finalization; on a draft, as it is now. */
export async function pdfCustomerOf(deps: Deps, accountId: string, invoice: InvoiceObject): Promise<PdfCustomer> {
  const live = await deps.db.selectFrom('customers').select(['name', 'email', 'address', 'tax_ids', 'tax_exempt'])
    .where('account_id', '=', accountId).where('id', '=', invoice.customer).executeTakeFirst();
  if (!live) throw notFound('customer', invoice.customer);
  return invoice.finalized_at
    ? { name: invoice.customer_name, email: live.email, address: invoice.customer_address, tax_ids: invoice.customer_tax_ids ?? [], tax_exempt: invoice.customer_tax_exempt }
    : { name: live.name, email: live.email, address: live.address as AddressObject | null, tax_ids: live.tax_ids as PdfCustomer['tax_ids'], tax_exempt: live.tax_exempt };
}

/** Each tax rate's name and percentage, for the rates a document shows. */
export async function taxLabelsOf(deps: Deps, accountId: string, rateIds: string[]): Promise<TaxLabels> {
  const rates = rateIds.length ? await deps.db.selectFrom('tax_rates').select(['id', 'display_name', 'percentage'])
    .where('account_id', '=', accountId).where('id', 'in', rateIds).execute() : [];
  return new Map(rates.map((r) => [r.id, { display_name: r.display_name, percentage: formatPercent(BigInt(r.percentage)) }]));
}

/** Loads what an invoice's PDF shows, all from the caller's account (another's id is a 404). */
export async function invoicePdf(deps: Deps, accountId: string, id: string): Promise<Buffer> {
  const invoice = await getInvoice(deps, accountId, id);
  const [account, customer, labels] = await Promise.all([loadAccount(deps.db, accountId), pdfCustomerOf(deps, accountId, invoice),
    taxLabelsOf(deps, accountId, invoice.total_taxes.map((t) => t.tax_rate))]);
  const discountIds = invoice.total_discount_amounts.map((d) => d.discount);
  const coupons = discountIds.length ? await deps.db.selectFrom('discounts as d')
    .innerJoin('coupons as c', (j) => j.onRef('c.account_id', '=', 'd.account_id').onRef('c.id', '=', 'd.coupon_id'))
    .select(['d.id', 'c.name', 'c.percent_off', 'c.amount_off']).where('d.account_id', '=', accountId).where('d.id', 'in', discountIds).execute() : [];
  const discountLabels = new Map(coupons.map((c) => [c.id, c.name ?? (c.percent_off !== null ? `${formatPercent(BigInt(c.percent_off))}% off` : 'amount off')]));
  return await renderInvoicePdf(invoice, account, customer, labels, discountLabels);
}
