import type { DeclineCategory } from '../domain/declines.ts';
import type { Selectable } from 'kysely';
import { API_VERSION } from './events/api-version.ts';
import type * as S from '../adapters/postgres/schema.ts';
import type { SubscriptionStatus } from '../domain/subscription-status.ts';
import type * as R from './resources.ts';
import { formatPercent } from '../domain/percent.ts';
import { basePrice, optionsOf } from './catalog/price-currencies.ts';
import { messageIdOf, preferencesOf } from '../domain/notification-preferences.ts';

/**
 * API representations of stored rows. Timestamps are RFC 3339 UTC strings; amounts are integers
 * in minor units (bigint internally; every stored amount is capped far below 2^53).
 */
export function iso(t: Date): string;
export function iso(t: Date | null | undefined): string | null;
export function iso(t: Date | null | undefined): string | null {
  return t ? t.toISOString() : null;
}
export function num(x: bigint): number;
export function num(x: bigint | null | undefined): number | null;
export function num(x: bigint | null | undefined): number | null {
  if (x === null || x === undefined) return null;
  if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`amount ${x} exceeds the safe JSON range`);
  return Number(x);
}
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
const meta = (v: unknown) => json(v) as Record<string, string>;
// Text columns whose CHECK constraints hold them to the values the API documents.
const oneOf = <T extends string>(v: string) => v as T;

export type Row<T extends keyof S.DB> = Selectable<S.DB[T]>;

export const customerView = (c: Row<'customers'>): R.CustomerObject => ({
  id: c.id, object: 'customer', email: c.email, name: c.name, metadata: meta(c.metadata),
  test_clock: c.test_clock_id, invoice_settings: { default_payment_method: c.default_payment_method_id },
  invoice_prefix: c.invoice_prefix, next_invoice_sequence: c.next_invoice_sequence,
  balance: num(BigInt(c.balance)), currency: c.currency ?? c.balance_currency,
  address: (json(c.address) ?? null) as R.CustomerObject['address'], tax_exempt: oneOf(c.tax_exempt),
  tax_ids: (json(c.tax_ids) ?? []) as R.CustomerObject['tax_ids'],
  created: iso(c.created_at), updated: iso(c.updated_at), discounts: c.discount_ids ?? [],
  disputed: (c.open_disputes ?? 0) > 0, open_disputes: c.open_disputes ?? 0,
  time_zone: c.time_zone ?? null, dunning_policy: c.dunning_policy_id ?? null,
  phone: c.phone ?? null, notification_preferences: preferencesOf(c.notification_preferences),
});

export const balanceTransactionView = (t: Row<'customer_balance_transactions'>): R.CustomerBalanceTransactionObject => ({
  id: t.id, object: 'customer_balance_transaction', customer: t.customer_id,
  type: oneOf<R.CustomerBalanceTransactionObject['type']>(t.type), amount: num(BigInt(t.amount)), currency: t.currency,
  ending_balance: num(BigInt(t.ending_balance)), invoice: t.invoice_id, description: t.description,
  metadata: meta(t.metadata), created: iso(t.created_at),
});

export const productView = (p: Row<'products'>): R.ProductObject => ({
  id: p.id, object: 'product', name: p.name, description: p.description, active: p.active,
  metadata: meta(p.metadata), created: iso(p.created_at), updated: iso(p.updated_at),
});

type StoredTier = { up_to: number | null; unit_amount: string | null; unit_amount_decimal: string | null; flat_amount: string | null; flat_amount_decimal: string | null };

const tiersView = (tiers: unknown) => (tiers === null ? null : (json(tiers) as StoredTier[]).map((t) => ({
  up_to: t.up_to, unit_amount: t.unit_amount === null ? null : Number(t.unit_amount),
  unit_amount_decimal: t.unit_amount_decimal, flat_amount: t.flat_amount === null ? null : Number(t.flat_amount),
  flat_amount_decimal: t.flat_amount_decimal,
})));

export const priceView = (row: Row<'prices'>): R.PriceObject => {
  const p = basePrice(row);
  return {
    ...priceAmounts(p), id: p.id, object: 'price', product: p.product_id, currency: p.currency, active: p.active, nickname: p.nickname,
    billing_scheme: oneOf(p.billing_scheme), tiers_mode: p.tiers_mode === null ? null : oneOf<'graduated' | 'volume'>(p.tiers_mode),
    currency_options: Object.fromEntries(Object.entries(optionsOf(p)).map(([c, o]) => [c, {
      unit_amount: o.unit_amount === null ? null : Number(o.unit_amount),
      unit_amount_decimal: o.unit_amount_decimal === null ? null : trimDecimal(o.unit_amount_decimal), tiers: tiersView(o.tiers),
    }])),
    transform_quantity: p.transform_quantity === null ? null : json(p.transform_quantity) as R.PriceObject['transform_quantity'],
    recurring: p.recurring_interval ? {
      interval: oneOf(p.recurring_interval), interval_count: p.recurring_interval_count ?? 1,
      usage_type: oneOf<'licensed' | 'metered'>(p.usage_type), meter: p.meter_id,
    } : null,
    percentage: p.percentage === null ? null : json(p.percentage) as R.PriceObject['percentage'],
    type: p.recurring_interval ? 'recurring' : 'one_time',
    metadata: meta(p.metadata), created: iso(p.created_at),
  };
};

const priceAmounts = (p: Row<'prices'>) => ({
  unit_amount: num(p.unit_amount), unit_amount_decimal: p.unit_amount_decimal === null ? null : trimDecimal(p.unit_amount_decimal),
  tiers: tiersView(p.tiers),
});

/** numeric(30,12) comes back padded with zeros; show the shortest exact form. */
export function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export const paymentMethodView = (m: Row<'payment_methods'>): R.PaymentMethodObject => ({
  id: m.id, object: 'payment_method', customer: m.customer_id, type: 'card', gateway: m.gateway, gateway_customer: m.gateway_customer,
  card: { brand: m.brand, last4: m.last4, exp_month: m.exp_month, exp_year: m.exp_year, country: m.country },
  created: iso(m.created_at),
});

export const subscriptionItemView = (i: Row<'subscription_items'>, price: Row<'prices'> | undefined): R.SubscriptionItemObject => ({
  id: i.id, object: 'subscription_item', price: price ? priceView(price) : i.price_id, quantity: i.quantity, tax_rates: i.tax_rates ?? [],
  created: iso(i.created_at),
});

export const subscriptionView = (s: Row<'subscriptions'>, items: R.SubscriptionItemObject[]): R.SubscriptionObject => ({
  id: s.id, object: 'subscription', customer: s.customer_id, status: oneOf<SubscriptionStatus>(s.status), currency: s.currency,
  items: { object: 'list', data: items, has_more: false },
  billing_cycle_anchor: iso(s.billing_cycle_anchor),
  current_period_start: iso(s.current_period_start), current_period_end: iso(s.current_period_end),
  trial_start: iso(s.trial_start), trial_end: iso(s.trial_end),
  cancel_at_period_end: s.cancel_at_period_end, canceled_at: iso(s.canceled_at), ended_at: iso(s.ended_at),
  latest_invoice: s.latest_invoice_id, default_payment_method: s.default_payment_method_id, dunning_policy: s.dunning_policy_id ?? null, default_tax_rates: s.default_tax_rates ?? [], automatic_tax: { enabled: s.automatic_tax ?? false }, discounts: s.discount_ids ?? [],
  minimum_amount: s.minimum_amount === null ? null : Number(s.minimum_amount),
  billing_thresholds: s.billing_threshold_amount === null ? null : { amount_gte: Number(s.billing_threshold_amount) },
  test_clock: s.test_clock_id, metadata: meta(s.metadata),
  pause_collection: s.pause_collection === null ? null : json(s.pause_collection) as R.SubscriptionObject['pause_collection'],
  trial_settings: s.trial_settings === null ? null : json(s.trial_settings) as R.SubscriptionObject['trial_settings'],
  schedule: s.schedule_id,
  cancellation_details: (json(s.cancellation_details) ?? null) as R.SubscriptionObject['cancellation_details'],
  created: iso(s.created_at), updated: iso(s.updated_at),
});

export const couponView = (c: Row<'coupons'>): R.CouponObject => ({
  id: c.id, object: 'coupon', name: c.name, percent_off: c.percent_off === null ? null : formatPercent(BigInt(c.percent_off)),
  amount_off: num(c.amount_off === null ? null : BigInt(c.amount_off)), currency: c.currency, duration: oneOf(c.duration),
  duration_in_months: c.duration_in_months, max_redemptions: c.max_redemptions, times_redeemed: c.times_redeemed, redeem_by: iso(c.redeem_by),
  applies_to: c.applies_to_products === null ? null : { products: c.applies_to_products },
  valid: (c.max_redemptions === null || c.times_redeemed < c.max_redemptions) && (c.redeem_by === null || c.redeem_by.getTime() > Date.now()),
  metadata: meta(c.metadata), created: iso(c.created_at), updated: iso(c.updated_at),
});

export const promotionCodeView = (p: Row<'promotion_codes'>): R.PromotionCodeObject => ({
  id: p.id, object: 'promotion_code', code: p.code, coupon: p.coupon_id, active: p.active, max_redemptions: p.max_redemptions,
  times_redeemed: p.times_redeemed, expires_at: iso(p.expires_at), customer: p.customer_id,
  restrictions: { first_time_transaction: p.first_time_transaction, minimum_amount: num(p.minimum_amount === null ? null : BigInt(p.minimum_amount)), minimum_amount_currency: p.minimum_amount_currency },
  metadata: meta(p.metadata), created: iso(p.created_at), updated: iso(p.updated_at),
});

export const userView = (u: Row<'users'>): R.UserObject => ({
  id: u.id, object: 'user', email: u.email, role: oneOf<R.UserObject['role']>(u.role), disabled: u.disabled,
  last_sign_in: iso(u.last_sign_in_at), created: iso(u.created_at), updated: iso(u.updated_at),
});

export const taxRateView = (r: Row<'tax_rates'>): R.TaxRateObject => ({
  id: r.id, object: 'tax_rate', display_name: r.display_name, description: r.description, percentage: formatPercent(BigInt(r.percentage)),
  inclusive: r.inclusive, country: r.country, state: r.state, jurisdiction: r.jurisdiction, tax_type: r.tax_type, active: r.active,
  metadata: meta(r.metadata), created: iso(r.created_at), updated: iso(r.updated_at),
});

export const invoiceItemView = (i: Row<'invoice_items'>): R.InvoiceItemObject => ({
  id: i.id, object: 'invoiceitem', customer: i.customer_id, subscription: i.subscription_id, subscription_item: i.subscription_item_id,
  invoice: i.invoice_id, proration: i.proration, price: i.price_id, quantity: i.quantity, amount: num(i.amount),
  unit_amount_decimal: i.unit_amount_decimal === null ? null : trimDecimal(i.unit_amount_decimal), currency: i.currency,
  description: i.description, period: { start: iso(i.period_start), end: iso(i.period_end) }, metadata: meta(i.metadata),
  test_clock: i.test_clock_id, tax_rates: i.tax_rates ?? [], created: iso(i.created_at), updated: iso(i.updated_at),
  discounts: (json(i.discounts ?? []) as { id: string }[]).map((d) => d.id),
});

export const invoiceLineView = (l: Row<'invoice_lines'>): R.InvoiceLineObject => ({
  id: l.id, object: 'line_item', kind: oneOf(l.kind), amount: num(l.amount), quantity: l.quantity,
  quantity_decimal: l.quantity_decimal === null ? String(l.quantity) : trimDecimal(l.quantity_decimal), description: l.description,
  price: l.price_id, unit_amount_decimal: l.unit_amount_decimal === null ? null : trimDecimal(l.unit_amount_decimal),
  proration: l.proration, subscription_item: l.subscription_item_id, invoice_item: l.invoice_item_id,
  tax_amounts: json(l.tax_amounts ?? []) as R.InvoiceLineObject['tax_amounts'],
  discount_amounts: json(l.discount_amounts ?? []) as R.InvoiceLineObject['discount_amounts'],
  period: { start: iso(l.period_start), end: iso(l.period_end) },
});

export const invoiceView = (i: Row<'invoices'>, lines: Row<'invoice_lines'>[]): R.InvoiceObject => ({
  id: i.id, object: 'invoice', number: i.number, customer: i.customer_id, subscription: i.subscription_id, status: oneOf(i.status),
  billing_reason: i.billing_reason, currency: i.currency, credit_grants_applied: num(BigInt(i.credit_grants_applied ?? 0n)),
  lines: { object: 'list', data: lines.map(invoiceLineView), has_more: false },
  subtotal: num(i.subtotal), tax: num(BigInt(i.tax ?? 0n)), total_excluding_tax: num(BigInt(i.total_excluding_tax ?? i.total)),
  total_taxes: json(i.total_taxes ?? []) as R.InvoiceObject['total_taxes'], total: num(i.total),
  discounts: i.discounts ?? [], total_discount_amounts: json(i.total_discount_amounts ?? []) as R.InvoiceObject['total_discount_amounts'], starting_balance: num(i.starting_balance), ending_balance: num(i.ending_balance),
  amount_due: num(i.amount_due), amount_paid: num(i.amount_paid), amount_remaining: num(i.amount_remaining),
  collection_method: oneOf(i.collection_method), days_until_due: i.days_until_due, due_date: iso(i.due_date),
  auto_advance: i.auto_advance, description: i.description,
  period_start: iso(i.period_start), period_end: iso(i.period_end), attempt_count: i.attempt_count,
  finalized_at: iso(i.finalized_at), paid_at: iso(i.paid_at), voided_at: iso(i.voided_at),
  marked_uncollectible_at: iso(i.marked_uncollectible_at),
  automatic_tax: (json(i.automatic_tax) ?? { enabled: false, status: null }) as R.InvoiceObject['automatic_tax'],
  customer_name: i.customer_name ?? null, customer_address: (json(i.customer_address) ?? null) as R.InvoiceObject['customer_address'],
  customer_tax_ids: (json(i.customer_tax_ids) ?? null) as R.InvoiceObject['customer_tax_ids'],
  customer_tax_exempt: (i.customer_tax_exempt ?? null) as R.InvoiceObject['customer_tax_exempt'],
  disputed: (i.open_disputes ?? 0) > 0,
  created: iso(i.created_at), updated: iso(i.updated_at),
});

export const paymentAttemptView = (a: Row<'payment_attempts'>): R.PaymentObject => ({
  id: a.id, object: 'payment', invoice: a.invoice_id, customer: a.customer_id, payment_method: a.payment_method_id,
  gateway: a.gateway, amount: num(a.amount), currency: a.currency, status: oneOf(a.status),
  decline_code: a.decline_code, decline_category: a.decline_category === null ? null : oneOf<DeclineCategory>(a.decline_category), do_not_retry: a.do_not_retry,
  gateway_decline_code: a.gateway_decline_code, network_advice: a.network_advice === null ? null : json(a.network_advice) as R.PaymentObject['network_advice'],
  failure_message: a.failure_message, gateway_charge_id: a.gateway_charge_id, failover_of: a.failover_of,
  next_action: a.status === 'requires_action' ? { type: 'redirect_to_url', url: a.action_url } : null,
  created: iso(a.created_at), updated: iso(a.updated_at),
});

export const testClockView = (c: Row<'test_clocks'>): R.TestClockObject => ({
  id: c.id, object: 'test_clock', name: c.name, frozen_time: iso(c.frozen_time), status: oneOf(c.status),
  created: iso(c.created_at), updated: iso(c.updated_at),
});

export const billingFailureView = (f: Row<'billing_failures'>): R.BillingFailureObject => ({
  id: f.id, object: 'billing_failure', subscription: f.subscription_id, test_clock: f.test_clock_id, status: oneOf(f.status),
  due_at: iso(f.due_at), attempts: f.attempts, error_message: f.error_message, failed: iso(f.failed_at),
  retried: iso(f.retried_at), created: iso(f.created_at), updated: iso(f.updated_at),
});

export const jobView = (j: Row<'jobs'>): R.JobObject => ({
  id: j.id, object: 'job', kind: j.kind, status: oneOf(j.status), payload: json(j.payload), attempts: j.attempts,
  max_attempts: j.max_attempts, run_at: iso(j.run_at), last_error: j.last_error, test_clock: j.test_clock_id,
  created: iso(j.created_at), updated: iso(j.updated_at), finished: iso(j.finished_at),
});

export const gatewayView = (g: Row<'gateways'>, credentialKeys: string[]): R.GatewayObject => ({
  id: g.id, object: 'gateway', type: oneOf(g.type), name: g.name, api_base: g.api_base, active: g.active,
  credentials_set: [...credentialKeys].sort(), metadata: meta(g.metadata), created: iso(g.created_at), updated: iso(g.updated_at),
});

export const routingRuleView = (r: Row<'routing_rules'>): R.RoutingRuleObject => ({
  id: r.id, object: 'routing_rule', position: r.position, gateway: r.gateway, currency: r.currency,
  amount_gte: r.amount_gte === null ? null : num(r.amount_gte), amount_lte: r.amount_lte === null ? null : num(r.amount_lte),
  brand: r.brand, card_country: r.card_country, customer_country: r.customer_country, customer_metadata: meta(r.customer_metadata),
  active: r.active, description: r.description, created: iso(r.created_at), updated: iso(r.updated_at),
});

export const webhookDeliveryView = (d: Row<'webhook_deliveries'>): R.WebhookDeliveryObject => ({
  id: d.id, object: 'webhook_delivery', endpoint: d.endpoint_id, event: d.event_id, event_type: d.event_type, status: oneOf(d.status),
  next_attempt: iso(d.next_attempt_at), delivered: iso(d.delivered_at), attempts: json(d.history) as R.WebhookDeliveryObject['attempts'],
  created: iso(d.created_at), updated: iso(d.updated_at),
});

export const eventView = (e: Row<'events'>): R.EventObject => ({
  id: e.id, object: 'event', type: e.type, created: iso(e.created_at), api_version: e.api_version,
  sequence: e.sequence === null ? null : Number(e.sequence), data: json(e.data) as R.EventObject['data'], request: e.request_id,
});

export const auditView = (a: Row<'audit_log'>): R.AuditEntryObject => ({
  id: a.id, object: 'audit_entry', actor: a.actor, action: a.action,
  object_type: a.object_type, object_id: a.object_id, before: json(a.before), after: json(a.after),
  request_id: a.request_id, at: iso(a.at), recorded_at: iso(a.recorded_at),
});

export const accountView = (a: Row<'accounts'>): R.AccountObject => ({
  id: a.id, object: 'account', name: a.name, email: a.email,
  address: a.address === null ? null : json(a.address) as R.AddressObject, tax_id: a.tax_id, renewal_reminder_days: a.renewal_reminder_days ?? null,
  late_usage_policy: a.late_usage_policy as 'next_invoice' | 'credit_note',
  created: iso(a.created_at), updated: iso(a.updated_at),
});

export const refundView = (r: Row<'refunds'>): R.RefundObject => ({
  id: r.id, object: 'refund', amount: num(r.amount), currency: r.currency, status: oneOf(r.status), credit_note: r.credit_note_id,
  invoice: r.invoice_id, payment: r.payment_attempt_id, customer: r.customer_id, gateway: r.gateway, gateway_refund_id: r.gateway_refund_id,
  failure_message: r.failure_message, origin: oneOf(r.origin ?? 'rebill'), created: iso(r.created_at), updated: iso(r.updated_at),
});

export const disputeView = (d: Row<'disputes'>): R.DisputeObject => ({
  id: d.id, object: 'dispute', amount: num(d.amount), currency: d.currency, status: oneOf(d.status), gateway_status: d.gateway_status,
  reason: d.reason, payment: d.payment_attempt_id, invoice: d.invoice_id, customer: d.customer_id, gateway: d.gateway,
  gateway_dispute_id: d.gateway_dispute_id, closed: iso(d.closed_at), created: iso(d.created_at), updated: iso(d.updated_at),
});

type StoredCreditLine = Omit<R.CreditNoteObject['lines']['data'][number], 'object'>;

export const creditNoteView = (c: Row<'credit_notes'>): R.CreditNoteObject => ({
  id: c.id, object: 'credit_note', number: c.number, invoice: c.invoice_id, customer: c.customer_id, currency: c.currency,
  status: oneOf(c.status), type: oneOf(c.type), amount: num(c.total), subtotal: num(c.subtotal), discount_amount: num(c.discount_amount),
  total_discount_amounts: json(c.total_discount_amounts) as R.CreditNoteObject['total_discount_amounts'], tax: num(c.tax),
  total_taxes: json(c.total_taxes) as R.CreditNoteObject['total_taxes'], total_excluding_tax: num(c.total_excluding_tax), total: num(c.total),
  lines: { object: 'list', data: (json(c.lines) as StoredCreditLine[]).map((l) => ({ object: 'credit_note_line_item' as const, ...l })), has_more: false },
  refund_amount: num(c.refund_amount), credit_amount: num(c.credit_amount), out_of_band_amount: num(c.out_of_band_amount),
  refund: c.refund_id, customer_balance_transaction: c.balance_transaction_id, reason: c.reason === null ? null : oneOf<NonNullable<R.CreditNoteObject['reason']>>(c.reason), memo: c.memo,
  metadata: meta(c.metadata), voided_at: iso(c.voided_at), created: iso(c.created_at), updated: iso(c.updated_at),
});

export const webhookEndpointView = (e: Row<'webhook_endpoints'>, now: Date, secret?: string): R.WebhookEndpointObject => ({
  id: e.id, object: 'webhook_endpoint', url: e.url, description: e.description, enabled_events: e.enabled_events,
  status: e.disabled ? 'disabled' : 'enabled', api_version: API_VERSION,
  secret_rotation: e.previous_secret_expires_at && e.previous_secret_expires_at > now ? { previous_secret_expires_at: iso(e.previous_secret_expires_at) } : null,
  ...(secret ? { secret } : {}), metadata: meta(e.metadata), created: iso(e.created_at), updated: iso(e.updated_at),
});

export const notificationView = (n: Row<'notifications'>): R.NotificationObject => ({
  id: n.id, object: 'notification', customer: n.customer_id, kind: oneOf(n.kind), channel: oneOf(n.channel), status: oneOf(n.status),
  recipient: n.recipient, event: n.event_id, invoice: n.invoice_id, message_id: n.channel === 'email' ? messageIdOf(n.id) : null,
  attempts: n.attempts, last_error: n.last_error, sent: iso(n.sent_at), created: iso(n.created_at), updated: iso(n.updated_at),
});
