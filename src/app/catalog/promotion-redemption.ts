import { invalid } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/format-money.ts';
import { notFound } from '../errors.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

/** One entry of `discounts: [...]`: a coupon, or a promotion code that redeems its coupon. */
export type DiscountInput = { coupon?: string | undefined; promotion_code?: string | undefined };

export const discountParam = (d: DiscountInput, i: number) => `discounts[${i}][${d.promotion_code !== undefined ? 'promotion_code' : 'coupon'}]`;

/**
 * The promotion codes among `wanted` (null where an entry names a coupon), each checked as
 * redeemable by `customerId` at `now`: active, not expired, under its own limit, the customer's
 * if reserved, and for a first-time customer if so restricted. The coupon's own limits and the
 * minimum amount are checked by the caller, which knows the coupon and the first invoice.
 */
export async function checkPromotionCodes(u: UnitOfWork, wanted: readonly DiscountInput[], customerId: string, now: Date): Promise<(Row<'promotion_codes'> | null)[]> {
  wanted.forEach((d, i) => {
    if ((d.coupon === undefined) === (d.promotion_code === undefined)) {
      throw invalid(d.coupon === undefined ? 'parameter_missing' : 'parameters_exclusive', 'each discount names a coupon or a promotion_code, one of them', `discounts[${i}]`);
    }
  });
  const ids = wanted.flatMap((d) => (d.promotion_code === undefined ? [] : [d.promotion_code]));
  if (ids.length === 0) return wanted.map(() => null);
  const [rows, paidBefore] = await Promise.all([
    u.tx.selectFrom('promotion_codes').selectAll().where('account_id', '=', u.accountId).where('id', 'in', ids).execute(),
    u.tx.selectFrom('invoices').select('id').where('account_id', '=', u.accountId).where('customer_id', '=', customerId)
      .where('status', 'in', ['open', 'paid', 'uncollectible']).where('total', '>', 0n).limit(1).executeTakeFirst(),
  ]);
  return wanted.map((d, i) => {
    if (d.promotion_code === undefined) return null;
    const param = discountParam(d, i);
    const p = rows.find((r) => r.id === d.promotion_code);
    if (!p) throw notFound('promotion code', d.promotion_code, param);
    if (!p.active) throw invalid('promotion_code_inactive', `promotion code '${p.code}' is not active`, param);
    if (p.expires_at && p.expires_at <= now) throw invalid('promotion_code_expired', `promotion code '${p.code}' could be redeemed until ${p.expires_at.toISOString()}`, param);
    if (p.max_redemptions !== null && p.times_redeemed >= p.max_redemptions) {
      throw invalid('promotion_code_exhausted', `promotion code '${p.code}' has been redeemed ${p.max_redemptions} times, its limit`, param);
    }
    if (p.customer_id !== null && p.customer_id !== customerId) throw invalid('promotion_code_customer_mismatch', `promotion code '${p.code}' is reserved for another customer`, param);
    if (p.first_time_transaction && paidBefore) {
      throw invalid('promotion_code_first_time_only', `promotion code '${p.code}' is for first-time customers; this one has invoice '${paidBefore.id}'`, param);
    }
    return p;
  });
}

/**
 * Refuses a promotion code whose minimum_amount the first invoice it discounts does not reach:
 * its subtotal (before discounts and tax), in the code's minimum_amount_currency.
 */
export function checkMinimums(wanted: readonly DiscountInput[], promos: readonly (Row<'promotion_codes'> | null)[], subtotal: bigint, currency: string): void {
  promos.forEach((p, i) => {
    if (!p || p.minimum_amount === null) return;
    const min = BigInt(p.minimum_amount);
    if (p.minimum_amount_currency !== currency || subtotal < min) {
      const need = formatMoney(min, p.minimum_amount_currency!);
      throw invalid('promotion_code_minimum_not_met', `promotion code '${p.code}' needs a first invoice of at least ${need}; this one is ${formatMoney(subtotal, currency)}`, discountParam(wanted[i]!, i));
    }
  });
}
