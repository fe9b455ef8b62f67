// Every type of event Rebill emits, in one place: webhook endpoints subscribe to these (or `*`),
// and UnitOfWork.emit takes only these, so a new event type is added here or does not compile.
export const EVENT_TYPES = [
  'account.updated',
  'billing.alert.created', 'billing.alert.updated', 'billing.alert.triggered',
  'billing_failure.retried',
  'coupon.created',
  'credit_grant.created', 'credit_grant.updated', 'credit_grant.voided',
  'credit_note.created', 'credit_note.voided',
  'customer.created', 'customer.updated', 'customer.balance_changed',
  'customer_balance_transaction.created',
  'dispute.created', 'dispute.updated', 'dispute.closed',
  'dunning_case.created', 'dunning_case.updated', 'dunning_case.closed', 'dunning_case.merchant_action_required',
  'entitlements.updated',
  'exchange_rate.created',
  'feature.created', 'feature.updated',
  'gateway.created', 'gateway.updated',
  'invoice.created', 'invoice.finalized', 'invoice.updated', 'invoice.paid', 'invoice.payment_failed', 'invoice.payment_action_required',
  'invoice.voided', 'invoice.marked_uncollectible',
  'invoiceitem.created',
  'meter.created', 'meter.updated', 'billing.meter_event_adjustment.created',
  'payment.succeeded', 'payment.failed', 'payment.processing', 'payment.requires_action',
  'payment_link.created', 'payment_link.used',
  'portal_configuration.created', 'portal_configuration.updated', 'portal_session.created', 'portal_session.revoked',
  'payment_method.attached',
  'price.created',
  'product.created',
  'promotion_code.created', 'promotion_code.updated',
  'refund.succeeded', 'refund.failed',
  'subscription.created', 'subscription.updated', 'subscription.deleted', 'subscription.paused',
  'subscription.resumed', 'subscription.billing_failed',
  'subscription_schedule.created', 'subscription_schedule.updated', 'subscription_schedule.released',
  'subscription_schedule.completed', 'subscription_schedule.canceled', 'subscription_schedule.phase_failed',
  'tax_rate.created', 'tax_rate.updated',
  'test_clock.created', 'test_clock.ready',
  'webhook_endpoint.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export const isEventType = (t: string): t is EventType => KNOWN.has(t);
