import type { Discount } from '../../domain/discounts.ts';
import type { Row } from '../views.ts';

type StoredDiscount = { id: string; percent_off: string | null; amount_off: string | null; currency: string | null; products: string[] | null };

/** Discounts as an invoice item keeps them (jsonb; amounts as strings, exact). */
export const storedDiscounts = (ds: readonly Discount[]): StoredDiscount[] => ds.map((d) => ({
  id: d.id, percent_off: d.percent_off === null ? null : d.percent_off.toString(), amount_off: d.amount_off === null ? null : d.amount_off.toString(),
  currency: d.currency, products: d.products === null ? null : [...d.products],
}));

export const discountsOfItem = (i: Row<'invoice_items'>): Discount[] => ((typeof i.discounts === 'string' ? JSON.parse(i.discounts) : i.discounts ?? []) as StoredDiscount[]).map((d) => ({
  id: d.id, percent_off: d.percent_off === null ? null : BigInt(d.percent_off), amount_off: d.amount_off === null ? null : BigInt(d.amount_off),
  currency: d.currency, products: d.products,
}));

/** A discount as the pure discount step sees it. */
export const discountOf = (d: Row<'discounts'>, c: Row<'coupons'>): Discount => ({
  id: d.id, percent_off: c.percent_off === null ? null : BigInt(c.percent_off), amount_off: c.amount_off === null ? null : BigInt(c.amount_off),
  currency: c.currency, products: c.applies_to_products,
});

/**
 * Of a subscription's or customer's discounts (with their coupon's terms), in order, those that
 * apply to an invoice for a period starting at `start`: once-only ones not yet spent, repeating
 * ones until they end, forever ones always; `firstUse` those this invoice would be the first to use.
 */
export function activeDiscounts(rows: readonly (Row<'discounts'> & { percent_off: bigint | null; amount_off: bigint | null; currency: string | null; applies_to_products: string[] | null; duration: string })[], start: Date) {
  const active = rows.filter((r) => (r.duration === 'once' ? r.used_at === null : r.duration === 'repeating' ? start < r.ends_at! : true));
  return {
    discounts: active.map((r) => discountOf(r, r as unknown as Row<'coupons'>)),
    firstUse: active.filter((r) => r.used_at === null).map((r) => r.id),
  };
}
