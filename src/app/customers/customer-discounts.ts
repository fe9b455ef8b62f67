import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import type { Discount } from '../../domain/discounts.ts';
import { redeemCoupons } from '../catalog/coupons.ts';
import { activeDiscounts } from '../catalog/discount-rows.ts';
import type { DiscountInput } from '../catalog/promotion-redemption.ts';
import type { UnitOfWork } from '../unit-of-work.ts';

type Db = Kysely<DB> | Transaction<DB>;
export type ActiveDiscounts = { discounts: Discount[]; firstUse: string[] };
export const NO_DISCOUNTS: ActiveDiscounts = { discounts: [], firstUse: [] };

/**
 * Redeems the coupons or promotion codes a customer is to have, replacing its discounts ([]
 * removes them). Its invoices are not known yet: a fixed amount in another currency than an
 * invoice's takes nothing from it, and a promotion code's minimum amount is not checked here.
 */
export async function redeemForCustomer(u: UnitOfWork, customerId: string, wanted: readonly DiscountInput[], now: Date): Promise<string[]> {
  const redeemed = await redeemCoupons(u, wanted, { customer_id: customerId, currency: null }, now);
  return redeemed.rows.map((r) => r.id);
}

/** The customer's discounts (`ids`, in order) that apply to an invoice for a period starting at `start`. */
export async function loadCustomerDiscounts(db: Db, accountId: string, ids: readonly string[], start: Date): Promise<ActiveDiscounts> {
  if (ids.length === 0) return NO_DISCOUNTS;
  const rows = await db.selectFrom('discounts as d').innerJoin('coupons as c', (j) => j.onRef('c.account_id', '=', 'd.account_id').onRef('c.id', '=', 'd.coupon_id'))
    .selectAll('d').select(['c.percent_off', 'c.amount_off', 'c.currency', 'c.applies_to_products', 'c.duration'])
    .where('d.account_id', '=', accountId).where('d.id', 'in', [...ids]).execute();
  return activeDiscounts(ids.flatMap((id) => rows.filter((r) => r.id === id)), start);
}
