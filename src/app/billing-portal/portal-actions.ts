// What a customer may change in the billing portal. Each action checks that the session's
// configuration offers it and that the subscription is the session customer's, then calls the same
// application service as the merchant's API (one implementation, one command per change), acting
// as `customer:<id>/billing_portal_session:<id>` so the audit trail says who did it.
import { allowedPrices } from '../../domain/billing-portal.ts';
import type { CancellationReason } from '../../domain/billing-portal.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { isTerminal, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { attachPaymentMethod } from '../customers/payment-methods.ts';
import { createPreview } from '../invoicing/preview.ts';
import type { Deps } from '../ports.ts';
import { cancelSubscription } from '../subscriptions/subscriptions.ts';
import { updateSubscription } from '../subscriptions/update.ts';
import type { Row } from '../views.ts';
import { ownSubscription, portalInfo, portalSubscriptions } from './portal-reads.ts';
import type * as P from './portal-resources.ts';
import type { PortalContext } from './sessions.ts';

type Feature = 'payment_method_update' | 'subscription_update' | 'subscription_pause' | 'subscription_cancel';
const WHAT: Record<Feature, string> = {
  payment_method_update: 'update the payment method', subscription_update: 'change plans', subscription_pause: 'pause a subscription', subscription_cancel: 'cancel a subscription',
};

function requireFeature(ctx: PortalContext, feature: Feature) {
  if (!ctx.features[feature].enabled) throw new DomainError('portal_feature_disabled', `This portal does not let you ${WHAT[feature]}; contact the merchant.`);
}

function requireLive(s: Row<'subscriptions'>) {
  if (isTerminal(s.status as SubscriptionStatus)) throw invalid('subscription_status_invalid', `Subscription '${s.id}' is ${s.status}.`, 'id');
}

/** The one subscription returned after a change, in the portal's shape. */
const shown = async (deps: Deps, ctx: PortalContext, id: string) => (await portalSubscriptions(deps, ctx, id))[0]!;

/** A new card from a gateway token (the sandbox's test tokens in test mode): the customer's default from now on. */
export async function portalUpdatePaymentMethod(deps: Deps, ctx: PortalContext, input: { token: string }) {
  requireFeature(ctx, 'payment_method_update');
  await attachPaymentMethod(deps, ctx.actor, { customer: ctx.customerId, token: input.token, set_default: true });
  return await portalInfo(deps, ctx);
}

export type PortalChange = { item?: string | undefined; price: string; quantity?: number | undefined };

/**
 * The change as the subscription API takes it: the item (the only one, unless named), moved to a
 * price the configuration offers for the item's product, with the configuration's proration.
 */
async function planned(deps: Deps, ctx: PortalContext, id: string, input: PortalChange) {
  requireFeature(ctx, 'subscription_update');
  const s = await ownSubscription(deps, ctx, id);
  requireLive(s);
  const items = await deps.db.selectFrom('subscription_items as i').innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.price_id'))
    .select(['i.id', 'i.quantity', 'p.product_id']).where('i.account_id', '=', ctx.accountId).where('i.subscription_id', '=', s.id).execute();
  const item = input.item === undefined ? (items.length === 1 ? items[0] : undefined) : items.find((i) => i.id === input.item);
  if (!item) {
    throw input.item === undefined ? invalid('parameter_missing', 'This subscription has several items: name the one to change.', 'item')
      : invalid('parameter_invalid', `Subscription '${s.id}' has no item '${input.item}'.`, 'item');
  }
  if (!allowedPrices(ctx.features, item.product_id).includes(input.price)) {
    throw new DomainError('portal_price_not_allowed', `Price '${input.price}' is not one this portal offers for this subscription.`, 'price');
  }
  const quantity = input.quantity ?? item.quantity;
  const proration = ctx.features.subscription_update.proration_behavior;
  return { s, quantity, proration, change: { items: [{ id: item.id, price: input.price, quantity }], proration_behavior: proration } };
}

/** What the change would cost, by the same preview the merchant's API and dashboard show; writes nothing. */
export async function portalPreviewChange(deps: Deps, ctx: PortalContext, id: string, input: PortalChange): Promise<P.PortalPreviewObject> {
  const p = await planned(deps, ctx, id, input);
  const inv = await createPreview(deps, ctx.accountId, { customer: ctx.customerId, subscription: p.s.id, subscription_details: p.change });
  return {
    object: 'portal_preview', subscription: p.s.id, price: input.price, quantity: p.quantity, proration_behavior: p.proration, currency: inv.currency,
    subtotal: inv.subtotal, total: inv.total, amount_due: inv.amount_due, lines: inv.lines.data.map((l) => ({ description: l.description, amount: l.amount })),
  };
}

export async function portalApplyChange(deps: Deps, ctx: PortalContext, id: string, input: PortalChange) {
  const p = await planned(deps, ctx, id, input);
  await updateSubscription(deps, ctx.actor, p.s.id, p.change);
  return await shown(deps, ctx, id);
}

/** Pausing stops collection (invoices are voided) until the customer, or the merchant, resumes it. */
export async function portalPause(deps: Deps, ctx: PortalContext, id: string, pause: boolean) {
  requireFeature(ctx, 'subscription_pause');
  const s = await ownSubscription(deps, ctx, id);
  requireLive(s);
  if (pause === (s.pause_collection !== null)) return await shown(deps, ctx, id);
  await updateSubscription(deps, ctx.actor, s.id, { pause_collection: pause ? { behavior: 'void' } : '' });
  return await shown(deps, ctx, id);
}

export type PortalCancel = { feedback?: CancellationReason | undefined; comment?: string | undefined };

function checkedFeedback(ctx: PortalContext, input: PortalCancel) {
  const asked = ctx.features.subscription_cancel.cancellation_reason;
  if (input.feedback !== undefined && (!asked.enabled || !asked.options.includes(input.feedback))) {
    throw invalid('parameter_invalid', `'${input.feedback}' is not one of the reasons this portal offers.`, 'feedback');
  }
  const comment = input.comment?.trim();
  return { reason: 'cancellation_requested' as const, feedback: input.feedback ?? null, comment: comment ? comment : null };
}

function requireCancelable(s: Row<'subscriptions'>) {
  requireLive(s);
  if (s.cancel_at_period_end) throw invalid('subscription_status_invalid', `Subscription '${s.id}' is already set to end at the end of its period.`, 'id');
}

/** Cancels at period end or at once, as configured, with the customer's reason kept on the subscription. */
export async function portalCancel(deps: Deps, ctx: PortalContext, id: string, input: PortalCancel) {
  requireFeature(ctx, 'subscription_cancel');
  const details = checkedFeedback(ctx, input);
  const s = await ownSubscription(deps, ctx, id);
  requireCancelable(s);
  await cancelSubscription(deps, ctx.actor, s.id, { at_period_end: ctx.features.subscription_cancel.mode === 'at_period_end', cancellation_details: details });
  return await shown(deps, ctx, id);
}

/**
 * The retention offer accepted: the configured coupon goes on the subscription (through the same
 * update as the API's `discounts`) and nothing is canceled. Offered once: a subscription that
 * already has a discount (this one, or the merchant's) is not offered another over it.
 */
export async function portalAcceptRetention(deps: Deps, ctx: PortalContext, id: string) {
  requireFeature(ctx, 'subscription_cancel');
  const coupon = ctx.features.subscription_cancel.retention?.coupon;
  const s = await ownSubscription(deps, ctx, id);
  requireCancelable(s);
  const offered = (sub: Row<'subscriptions'>) => {
    if (coupon === undefined || (sub.discount_ids ?? []).length > 0) throw invalid('portal_retention_unavailable', 'There is no offer to accept for this subscription.', 'id');
  };
  offered(s);
  // Checked again on the locked row: two accepts at once apply the coupon once.
  await updateSubscription(deps, ctx.actor, s.id, { discounts: [{ coupon: coupon! }] }, { check: offered });
  return await shown(deps, ctx, id);
}
