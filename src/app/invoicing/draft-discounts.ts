import { buildInvoice } from '../../domain/invoice-builder.ts';
import type { Discount } from '../../domain/discounts.ts';
import { redeemCoupons } from '../catalog/coupons.ts';
import { checkMinimums, type DiscountInput } from '../catalog/promotion-redemption.ts';
import { loadCustomerDiscounts } from '../customers/customer-discounts.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { draftRows, pendingLine } from './plan-invoice.ts';

type InvoiceDiscounts = { discounts: Discount[]; firstUse: string[]; settle: (invoice: Row<'invoices'>) => void };

/**
 * The discounts of an invoice made by hand: those given for it (redeemed now; [] means none),
 * or else its customer's. `settle`, once the invoice is priced, checks promotion codes' minimum
 * amounts against its subtotal and ties the new discounts to it.
 */
export async function invoiceDiscounts(u: UnitOfWork, wanted: readonly DiscountInput[] | undefined, customer: { id: string; discount_ids: string[] }, currency: string, now: Date): Promise<InvoiceDiscounts> {
  if (wanted === undefined) return { ...await loadCustomerDiscounts(u.tx, u.accountId, customer.discount_ids, now), settle: () => {} };
  const redeemed = await redeemCoupons(u, wanted, { customer_id: customer.id, currency, invoice_id: null }, now);
  return {
    discounts: redeemed.discounts, firstUse: [],
    settle: (invoice) => {
      checkMinimums(wanted, redeemed.promotionCodes, invoice.subtotal, invoice.currency);
      for (const r of redeemed.rows) r.invoice_id = invoice.id;
    },
  };
}

const TOTALS = ['subtotal', 'total', 'tax', 'total_excluding_tax', 'total_taxes', 'discounts', 'total_discount_amounts', 'amount_due', 'amount_remaining'] as const;

/**
 * Prices a draft again from the items it took, with new discounts: new lines replace the old
 * ones (in the caller's transaction) and the totals follow. Returns the columns that changed.
 */
export async function repriceDraft(u: UnitOfWork, invoice: Row<'invoices'>, wanted: readonly DiscountInput[], now: Date) {
  const items = await u.tx.selectFrom('invoice_items').selectAll().where('account_id', '=', u.accountId).where('invoice_id', '=', invoice.id)
    .orderBy('created_at').orderBy('id').execute();
  const d = await invoiceDiscounts(u, wanted, { id: invoice.customer_id, discount_ids: [] }, invoice.currency, now);
  const priced = draftRows({ accountId: u.accountId, customerId: invoice.customer_id, subscriptionId: invoice.subscription_id, testClockId: invoice.test_clock_id,
    reason: invoice.billing_reason, periodStart: invoice.period_start, periodEnd: invoice.period_end }, buildInvoice(invoice.currency, items.map(pendingLine), d.discounts), now);
  const totals = Object.fromEntries(TOTALS.map((k) => [k, priced.invoice[k]])) as Pick<Row<'invoices'>, (typeof TOTALS)[number]>;
  const after = { ...invoice, ...totals };
  d.settle(after);
  await u.tx.deleteFrom('invoice_lines').where('account_id', '=', u.accountId).where('invoice_id', '=', invoice.id).execute();
  const lines = priced.lines.map((l) => ({ ...l, invoice_id: invoice.id }));
  u.insertLater('invoice_lines', lines);
  return { totals, lines };
}
