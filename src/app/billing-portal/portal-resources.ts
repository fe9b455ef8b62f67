import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CANCELLATION_REASONS } from '../../domain/billing-portal.ts';
import { INVOICE_STATUSES } from '../../domain/invoice-status.ts';
import { SUBSCRIPTION_STATUSES } from '../../domain/subscription-status.ts';
import { Literals, PortalFeaturesObject } from '../resources.ts';

/**
 * What the portal API (/v1/portal/…) answers the customer's browser: only what the customer may
 * see of their own billing, in shapes made for the portal's screens (not the merchant's objects,
 * which carry metadata and internal ids a customer has no business reading).
 */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });
const Lit = Literals;

export const PortalPrice = Type.Object({
  id: Type.String(), nickname: Nullable(Type.String()), product: Type.String(), product_name: Type.String(),
  currency: Type.String(), unit_amount: Nullable(Type.Integer()), interval: Nullable(Type.String()), interval_count: Nullable(Type.Integer()),
});
export const PortalCoupon = Type.Object({
  id: Type.String(), name: Nullable(Type.String()), percent_off: Nullable(Type.String()), amount_off: Nullable(Type.Integer()),
  currency: Nullable(Type.String()), duration: Type.String(), duration_in_months: Nullable(Type.Integer()),
});
export const PortalInfo = Type.Object({
  object: Type.Literal('portal_session'), merchant: Type.String(),
  customer: Type.Object({ id: Type.String(), name: Nullable(Type.String()), email: Nullable(Type.String()) }),
  return_url: Nullable(Type.String()), expires_at: Time, features: PortalFeaturesObject,
  retention_coupon: Nullable(PortalCoupon), plans: Type.Array(PortalPrice),
  payment_method: Nullable(Type.Object({ id: Type.String(), brand: Nullable(Type.String()), last4: Nullable(Type.String()), exp_month: Nullable(Type.Integer()), exp_year: Nullable(Type.Integer()) })),
  test_mode: Type.Boolean({ description: 'The sandbox gateway: the page offers its test cards' }),
});
export const PortalSubscription = Type.Object({
  id: Type.String(), object: Type.Literal('portal_subscription'), status: Lit(SUBSCRIPTION_STATUSES), currency: Type.String(),
  current_period_start: Nullable(Time), current_period_end: Nullable(Time), trial_end: Nullable(Time),
  cancel_at_period_end: Type.Boolean(), canceled_at: Nullable(Time), ended_at: Nullable(Time), paused: Type.Boolean(),
  cancellation_details: Nullable(Type.Object({ reason: Type.Literal('cancellation_requested'), feedback: Nullable(Type.String()), comment: Nullable(Type.String()) })),
  discounts: Type.Array(PortalCoupon),
  items: Type.Array(Type.Object({ id: Type.String(), quantity: Type.Integer(), price: PortalPrice })),
});
export const PortalInvoice = Type.Object({
  id: Type.String(), object: Type.Literal('portal_invoice'), number: Nullable(Type.String()), status: Lit(INVOICE_STATUSES), currency: Type.String(),
  total: Type.Integer(), amount_due: Type.Integer(), amount_paid: Type.Integer(), amount_remaining: Type.Integer(),
  created: Time, period_start: Nullable(Time), period_end: Nullable(Time),
});
export const PortalPreview = Type.Object({
  object: Type.Literal('portal_preview'), subscription: Type.String(), price: Type.String(), quantity: Type.Integer(),
  proration_behavior: Type.String(), currency: Type.String(), subtotal: Type.Integer(), total: Type.Integer(), amount_due: Type.Integer(),
  lines: Type.Array(Type.Object({ description: Nullable(Type.String()), amount: Type.Integer() })),
});
export const PortalList = <T extends TSchema>(item: T) => Type.Object({ object: Type.Literal('list'), data: Type.Array(item), has_more: Type.Boolean() });
export const PortalCancelBody = Type.Object({
  feedback: Type.Optional(Lit(CANCELLATION_REASONS)),
  comment: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export type PortalPriceObject = Static<typeof PortalPrice>;
export type PortalCouponObject = Static<typeof PortalCoupon>;
export type PortalInfoObject = Static<typeof PortalInfo>;
export type PortalSubscriptionObject = Static<typeof PortalSubscription>;
export type PortalInvoiceObject = Static<typeof PortalInvoice>;
export type PortalPreviewObject = Static<typeof PortalPreview>;
