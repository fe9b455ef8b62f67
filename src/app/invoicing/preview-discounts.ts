import type { Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { loadDiscounts, redeemCoupons } from '../catalog/coupons.ts';
import type { DiscountInput } from '../catalog/promotion-redemption.ts';
import { NO_DISCOUNTS, type ActiveDiscounts } from '../customers/customer-discounts.ts';
import { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

/**
 * The discounts a change's `discounts` would give the subscription, checked as the change would
 * check them (a refused code is the same 400), redeemed into a unit of work that is never flushed:
 * nothing is written. `at(start)`: those an invoice for a period starting then would take.
 */
export async function proposedDiscounts(db: Kysely<DB>, sub: Row<'subscriptions'>, wanted: readonly DiscountInput[], now: Date) {
  const scratch = new UnitOfWork(db, { accountId: sub.account_id, actor: 'preview', requestId: null });
  const redeemed = await redeemCoupons(scratch, wanted, sub, now);
  // Without discounts of its own the subscription takes its customer's.
  const inherited = redeemed.rows.length ? null : (await loadDiscounts(db, [{ sub: { ...sub, discount_ids: [] }, start: now }])).get(sub.id) ?? NO_DISCOUNTS;
  const at = (start: Date): ActiveDiscounts => {
    if (inherited) return inherited;
    const live = new Set(redeemed.rows.filter((r) => r.ends_at === null || start < r.ends_at).map((r) => r.id));
    return { discounts: redeemed.discounts.filter((d) => live.has(d.id)), firstUse: [] };
  };
  return { now: at(now), at };
}
