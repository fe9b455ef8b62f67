// What the billing portal shows a customer: only rows of the session's (account, customer). Every
// query names both; an id of anyone else's object is as unknown as a made-up one.
import { formatPercent } from '../../domain/percent.ts';
import type { SubscriptionStatus } from '../../domain/subscription-status.ts';
import { notFound } from '../errors.ts';
import { invoicePdf } from '../invoicing/pdf.ts';
import type { Deps } from '../ports.ts';
import type { Row } from '../views.ts';
import type * as P from './portal-resources.ts';
import type { PortalContext } from './sessions.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

export const couponView = (c: Row<'coupons'>): P.PortalCouponObject => ({
  id: c.id, name: c.name, percent_off: c.percent_off === null ? null : formatPercent(BigInt(c.percent_off)),
  amount_off: c.amount_off === null ? null : Number(c.amount_off), currency: c.currency, duration: c.duration, duration_in_months: c.duration_in_months,
});

/** Prices with their product's name, of the session's account only. */
export async function portalPrices(deps: Deps, accountId: string, ids: readonly string[]): Promise<Map<string, P.PortalPriceObject>> {
  if (ids.length === 0) return new Map();
  const rows = await deps.db.selectFrom('prices as p').innerJoin('products as pr', (j) => j.onRef('pr.account_id', '=', 'p.account_id').onRef('pr.id', '=', 'p.product_id'))
    .select(['p.id', 'p.nickname', 'p.product_id', 'pr.name as product_name', 'p.currency', 'p.unit_amount', 'p.recurring_interval', 'p.recurring_interval_count'])
    .where('p.account_id', '=', accountId).where('p.id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, {
    id: r.id, nickname: r.nickname, product: r.product_id, product_name: r.product_name, currency: r.currency,
    unit_amount: r.unit_amount === null ? null : Number(r.unit_amount), interval: r.recurring_interval, interval_count: r.recurring_interval_count,
  }]));
}

/** The header of every portal page: who the merchant and the customer are, and what the session offers. */
export async function portalInfo(deps: Deps, ctx: PortalContext): Promise<P.PortalInfoObject> {
  const account = await deps.db.selectFrom('accounts').select('name').where('id', '=', ctx.accountId).executeTakeFirstOrThrow();
  const customer = await deps.db.selectFrom('customers').select(['id', 'name', 'email', 'default_payment_method_id'])
    .where('account_id', '=', ctx.accountId).where('id', '=', ctx.customerId).executeTakeFirstOrThrow();
  const pm = customer.default_payment_method_id === null ? null : await deps.db.selectFrom('payment_methods').select(['id', 'brand', 'last4', 'exp_month', 'exp_year'])
    .where('account_id', '=', ctx.accountId).where('customer_id', '=', ctx.customerId).where('id', '=', customer.default_payment_method_id).executeTakeFirst();
  const f = ctx.features;
  const couponId = f.subscription_cancel.enabled ? f.subscription_cancel.retention?.coupon : undefined;
  const coupon = couponId === undefined ? undefined : await deps.db.selectFrom('coupons').selectAll().where('account_id', '=', ctx.accountId).where('id', '=', couponId).executeTakeFirst();
  const allowed = f.subscription_update.enabled ? f.subscription_update.products.flatMap((p) => p.prices) : [];
  const prices = await portalPrices(deps, ctx.accountId, allowed);
  return {
    object: 'portal_session', merchant: account.name, customer: { id: customer.id, name: customer.name, email: customer.email },
    return_url: ctx.returnUrl, expires_at: ctx.expiresAt.toISOString(), features: f, retention_coupon: coupon ? couponView(coupon) : null,
    plans: allowed.flatMap((id) => prices.get(id) ?? []), payment_method: pm ?? null, test_mode: deps.gateway.tokenizeTestCard !== undefined,
  };
}

/** One of the session customer's subscriptions, or a 404 exactly like an unknown id's. */
export async function ownSubscription(deps: Deps, ctx: PortalContext, id: string): Promise<Row<'subscriptions'>> {
  const s = await deps.db.selectFrom('subscriptions').selectAll().where('account_id', '=', ctx.accountId).where('customer_id', '=', ctx.customerId)
    .where('id', '=', id).executeTakeFirst();
  if (!s) throw notFound('subscription', id, 'id');
  return s;
}

export async function portalSubscriptions(deps: Deps, ctx: PortalContext, only?: string): Promise<P.PortalSubscriptionObject[]> {
  let q = deps.db.selectFrom('subscriptions').selectAll().where('account_id', '=', ctx.accountId).where('customer_id', '=', ctx.customerId)
    .where('status', '<>', 'incomplete_expired');
  if (only !== undefined) q = q.where('id', '=', only);
  const subs = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(100).execute();
  if (subs.length === 0) return [];
  const ids = subs.map((s) => s.id);
  const items = await deps.db.selectFrom('subscription_items').selectAll().where('account_id', '=', ctx.accountId).where('subscription_id', 'in', ids)
    .orderBy('created_at').orderBy('id').execute();
  const prices = await portalPrices(deps, ctx.accountId, items.map((i) => i.price_id));
  const discountIds = subs.flatMap((s) => s.discount_ids ?? []);
  const coupons = discountIds.length ? await deps.db.selectFrom('discounts as d')
    .innerJoin('coupons as c', (j) => j.onRef('c.account_id', '=', 'd.account_id').onRef('c.id', '=', 'd.coupon_id'))
    .selectAll('c').select('d.id as discount_id').where('d.account_id', '=', ctx.accountId).where('d.id', 'in', discountIds).execute() : [];
  const couponOf = new Map(coupons.map((c) => [c.discount_id, couponView(c)]));
  return subs.map((s) => ({
    id: s.id, object: 'portal_subscription', status: s.status as SubscriptionStatus, currency: s.currency,
    current_period_start: iso(s.current_period_start), current_period_end: iso(s.current_period_end), trial_end: iso(s.trial_end),
    cancel_at_period_end: s.cancel_at_period_end, canceled_at: iso(s.canceled_at), ended_at: iso(s.ended_at), paused: s.pause_collection !== null,
    cancellation_details: (json(s.cancellation_details) ?? null) as P.PortalSubscriptionObject['cancellation_details'],
    discounts: (s.discount_ids ?? []).flatMap((d) => couponOf.get(d) ?? []),
    items: items.filter((i) => i.subscription_id === s.id && prices.has(i.price_id)).map((i) => ({ id: i.id, quantity: i.quantity, price: prices.get(i.price_id)! })),
  }));
}

// Drafts are the merchant's work in progress, not the customer's bill.
const SHOWN_INVOICES = ['open', 'paid', 'void', 'uncollectible'];

export async function portalInvoices(deps: Deps, ctx: PortalContext): Promise<P.PortalInvoiceObject[]> {
  const rows = await deps.db.selectFrom('invoices').selectAll().where('account_id', '=', ctx.accountId).where('customer_id', '=', ctx.customerId)
    .where('status', 'in', SHOWN_INVOICES).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(100).execute();
  return rows.map((i) => ({
    id: i.id, object: 'portal_invoice', number: i.number, status: i.status as P.PortalInvoiceObject['status'], currency: i.currency,
    total: Number(i.total), amount_due: Number(i.amount_due), amount_paid: Number(i.amount_paid), amount_remaining: Number(i.amount_remaining),
    created: i.created_at.toISOString(), period_start: iso(i.period_start), period_end: iso(i.period_end),
  }));
}

/** The PDF the merchant's API serves, of one of the customer's own finalized invoices only. */
export async function portalInvoicePdf(deps: Deps, ctx: PortalContext, id: string): Promise<Buffer> {
  const own = await deps.db.selectFrom('invoices').select('id').where('account_id', '=', ctx.accountId).where('customer_id', '=', ctx.customerId)
    .where('id', '=', id).where('status', 'in', SHOWN_INVOICES).executeTakeFirst();
  if (!own) throw notFound('invoice', id, 'id');
  return await invoicePdf(deps, ctx.accountId, id);
}
