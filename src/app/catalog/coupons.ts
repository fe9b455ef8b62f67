import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { addMonths } from '../../domain/calendar.ts';
import { normalizeCurrency } from '../../domain/currency.ts';
import type { Discount } from '../../domain/discounts.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { parsePercent } from '../../domain/percent.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { activeDiscounts, discountOf } from './discount-rows.ts';
import { checkPromotionCodes, discountParam, type DiscountInput } from './promotion-redemption.ts';
import { couponView, type Row } from '../views.ts';

type Db = Kysely<DB> | Transaction<DB>;

export type CouponInput = {
  name?: string | null; percent_off?: string | number; amount_off?: number; currency?: string; duration: 'once' | 'repeating' | 'forever';
  duration_in_months?: number; max_redemptions?: number; redeem_by?: string; applies_to?: { products: string[] }; metadata?: Record<string, string>;
};

export async function createCoupon(deps: Deps, actor: Actor, input: CouponInput) {
  if ((input.percent_off === undefined) === (input.amount_off === undefined)) {
    throw invalid('parameter_missing', 'give percent_off or amount_off (with currency), one of them', input.percent_off === undefined ? 'percent_off' : 'amount_off');
  }
  const currency = input.currency === undefined ? null : normalizeCurrency(input.currency);
  const percent = input.percent_off === undefined ? null : parsePercent(input.percent_off, 2, 'percent_off');
  if (percent === 0n) throw invalid('parameter_invalid', 'percent_off must be more than 0', 'percent_off');
  if (input.amount_off !== undefined && input.currency === undefined) throw invalid('parameter_missing', 'amount_off needs a currency', 'currency');
  if (input.amount_off === undefined && input.currency !== undefined) throw invalid('parameter_invalid', 'currency goes only with amount_off', 'currency');
  if ((input.duration === 'repeating') !== (input.duration_in_months !== undefined)) {
    throw invalid(input.duration === 'repeating' ? 'parameter_missing' : 'parameter_invalid', 'duration_in_months goes with duration=repeating, and only with it', 'duration_in_months');
  }
  const now = deps.clock.now();
  const redeemBy = input.redeem_by === undefined ? null : new Date(input.redeem_by);
  if (redeemBy && redeemBy <= now) throw invalid('parameter_invalid', 'redeem_by must be in the future', 'redeem_by');
  return await command(deps, actor, async (u) => {
    const products = input.applies_to?.products ?? null;
    if (products) {
      const found = await u.tx.selectFrom('products').select('id').where('account_id', '=', u.accountId).where('id', 'in', products.length ? products : ['']).execute();
      products.forEach((p, i) => { if (!found.some((f) => f.id === p)) throw notFound('product', p, `applies_to[products][${i}]`); });
    }
    const row = await u.tx.insertInto('coupons').values({
      account_id: u.accountId, id: newId('coupon'), name: input.name ?? null, percent_off: percent, amount_off: input.amount_off === undefined ? null : BigInt(input.amount_off),
      currency, duration: input.duration, duration_in_months: input.duration_in_months ?? null, max_redemptions: input.max_redemptions ?? null,
      redeem_by: redeemBy, applies_to_products: products, metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = couponView(row);
    u.audit('coupon.created', 'coupon', row.id, null, view, now);
    u.emit('coupon.created', row.id, view, now);
    return view;
  });
}

export async function getCoupon(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('coupons').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('coupon', id, 'id');
  return couponView(row);
}

export async function listCoupons(deps: Deps, accountId: string, page: Page) {
  return await paginate(deps.db.selectFrom('coupons').selectAll().where('account_id', '=', accountId), 'id', page, couponView);
}

/**
 * What a discount is redeemed for: a subscription, or a customer, invoice item or invoice made by
 * hand (`currency` null: not known yet, a fixed amount in another currency then takes nothing).
 */
export type RedeemTarget = Row<'subscriptions'> | {
  customer_id: string; currency: string | null; subscription_id?: null; invoice_item_id?: string | null; invoice_id?: string | null;
};

/**
 * Redeems coupons, directly or through promotion codes, for a subscription (or a RedeemTarget) at `now` (business
 * time): each must be redeemable (before redeem_by, under max_redemptions; a promotion code also
 * by its own rules) and, if a fixed amount, in the subscription's currency. The redemption counts
 * are written only if no one redeemed them since they were read, so the last redemption goes to
 * one subscription only (the others run again and find it exhausted). `promotionCodes` are for
 * the caller's minimum-amount check once the first invoice is known.
 */
export async function redeemCoupons(u: UnitOfWork, wanted: readonly DiscountInput[], target: RedeemTarget, now: Date): Promise<{ rows: Row<'discounts'>[]; discounts: Discount[]; promotionCodes: (Row<'promotion_codes'> | null)[] }> {
  if (wanted.length === 0) return { rows: [], discounts: [], promotionCodes: [] };
  type Scope = { customer_id: string; currency: string | null; subscription_id?: string | null; invoice_item_id?: string | null; invoice_id?: string | null };
  const sub: Scope = 'recurring_interval' in target ? { customer_id: target.customer_id, currency: target.currency, subscription_id: target.id } : target;
  const promos = await checkPromotionCodes(u, wanted, sub.customer_id, now);
  const ids = wanted.map((d, i) => d.coupon ?? promos[i]!.coupon_id);
  const coupons = await u.tx.selectFrom('coupons').selectAll().where('account_id', '=', u.accountId).where('id', 'in', [...ids]).execute();
  const rows = ids.map((id, i) => {
    const param = discountParam(wanted[i]!, i);
    const c = coupons.find((x) => x.id === id);
    if (!c) throw notFound('coupon', id, param);
    if (ids.indexOf(id) !== i) throw invalid('parameter_invalid', `coupon '${id}' appears twice`, param);
    if (c.redeem_by && c.redeem_by <= now) throw invalid('coupon_expired', `coupon '${id}' could be redeemed until ${c.redeem_by.toISOString()}`, param);
    if (c.max_redemptions !== null && c.times_redeemed >= c.max_redemptions) throw invalid('coupon_exhausted', `coupon '${id}' has been redeemed ${c.max_redemptions} times, its limit`, param);
    if (c.currency !== null && sub.currency !== null && c.currency !== sub.currency) {
      throw invalid('currency_mismatch', `coupon '${id}' takes ${c.currency}; the ${sub.subscription_id ? 'subscription bills' : 'invoice is'} in ${sub.currency}`, param);
    }
    return {
      account_id: u.accountId, id: newId('discount'), coupon_id: c.id, customer_id: sub.customer_id, subscription_id: sub.subscription_id ?? null,
      invoice_item_id: sub.invoice_item_id ?? null, invoice_id: sub.invoice_id ?? null, starts_at: now,
      ends_at: c.duration === 'repeating' ? addMonths(now, c.duration_in_months!) : null, used_at: null, created_at: now, promotion_code_id: promos[i]?.id ?? null,
    };
  });
  u.updateLater('coupons', ids.map((id) => {
    const c = coupons.find((x) => x.id === id)!;
    return { account_id: u.accountId, id, times_redeemed: c.times_redeemed + 1, updated_at: now, version: c.version };
  }));
  u.updateLater('promotion_codes', promos.flatMap((p) => (p ? [{ account_id: u.accountId, id: p.id, times_redeemed: p.times_redeemed + 1, updated_at: now, version: p.version }] : [])));
  u.insertLater('discounts', rows);
  for (const r of rows) {
    u.audit('discount.created', 'discount', r.id, null, {
      coupon: r.coupon_id, promotion_code: r.promotion_code_id, customer: r.customer_id, subscription: r.subscription_id, invoice_item: r.invoice_item_id, invoice: r.invoice_id, ends_at: r.ends_at,
    }, now);
  }
  return { rows, discounts: rows.map((r) => discountOf(r, coupons.find((c) => c.id === r.coupon_id)!)), promotionCodes: promos };
}

/**
 * The discounts that apply to each subscription's invoice for a period starting at `start`, in
 * the order they were added: the subscription's own, or if it has none its customer's (Stripe's
 * precedence). Once-only ones not yet spent, repeating ones until they end, forever ones always.
 * One query for the whole batch.
 */
export async function loadDiscounts(db: Db, subs: readonly { sub: Row<'subscriptions'>; start: Date }[]): Promise<Map<string, { discounts: Discount[]; firstUse: string[] }>> {
  const out = new Map<string, { discounts: Discount[]; firstUse: string[] }>();
  if (subs.length === 0) return out;
  const own = subs.flatMap((x) => x.sub.discount_ids);
  const inheriting = [...new Set(subs.filter((x) => x.sub.discount_ids.length === 0).map((x) => x.sub.customer_id))];
  const rows = await db.selectFrom('discounts as d').innerJoin('coupons as c', (j) => j.onRef('c.account_id', '=', 'd.account_id').onRef('c.id', '=', 'd.coupon_id'))
    // A customer's current discounts are those its discount_ids name (a change replaces them).
    .leftJoin('customers as cu', (j) => j.onRef('cu.account_id', '=', 'd.account_id').onRef('cu.id', '=', 'd.customer_id').on(sql<boolean>`d.id = ANY(cu.discount_ids)`))
    .selectAll('d').select(['c.percent_off', 'c.amount_off', 'c.currency', 'c.applies_to_products', 'c.duration', 'cu.discount_ids as customer_discount_ids'])
    .where('d.account_id', 'in', [...new Set(subs.map((x) => x.sub.account_id))])
    .where((eb) => eb.or([
      ...(own.length ? [eb('d.id', 'in', own)] : []),
      ...(inheriting.length ? [eb.and([eb('d.customer_id', 'in', inheriting), eb('d.subscription_id', 'is', null), eb('cu.id', 'is not', null)])] : []),
    ]))
    .execute();
  // A customer's once-only discount goes to one invoice of the batch: two of its subscriptions
  // renewing together must not both spend it.
  const spent = new Set<string>();
  for (const { sub, start } of subs) {
    const ids = sub.discount_ids.length ? sub.discount_ids : rows.find((r) => r.customer_id === sub.customer_id && r.customer_discount_ids)?.customer_discount_ids ?? [];
    const mine = ids.flatMap((id) => rows.filter((r) => r.id === id && r.account_id === sub.account_id && !spent.has(r.id)));
    if (mine.length === 0) continue;
    const active = activeDiscounts(mine, start);
    for (const r of mine) if (r.duration === 'once' && active.firstUse.includes(r.id)) spent.add(r.id);
    out.set(sub.id, active);
  }
  return out;
}
