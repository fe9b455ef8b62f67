import { DECLINE_CATEGORIES } from '../domain/declines.ts';
import { CHANNELS_BEFORE } from '../domain/dunning/recovery.ts';
import { GATEWAY_TYPES } from '../domain/gateway-types.ts';
import { DISPUTE_STATUSES } from '../domain/dispute-status.ts';
import { CATEGORY_ACTIONS, END_ACTIONS, RETRY_STRATEGIES } from '../domain/dunning/policy.ts';
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { ERROR_TYPES, ERRORS } from '../domain/error-catalogue.ts';
import { SUBSCRIPTION_STATUSES } from '../domain/subscription-status.ts';
import { INVOICE_PREFIX_PATTERN } from '../domain/invoice-number.ts';
import { LINE_KINDS } from '../domain/invoice-builder.ts';
import { INVOICE_STATUSES } from '../domain/invoice-status.ts';
import { PAYMENT_ATTEMPT_STATUSES } from '../domain/payment-attempt-status.ts';
import { TAX_EXEMPT, TAX_ID_TYPES, type TaxIdType } from '../domain/customer-tax.ts';
import { NOTIFICATION_KINDS } from '../domain/notification-templates.ts';
import { FORMULAS } from '../domain/usage/aggregate.ts';
import { ROLES } from './accounts/accounts.ts';
import { CANCEL_MODES, CANCELLATION_REASONS, PORTAL_PRORATIONS } from '../domain/billing-portal.ts';

/**
 * The API's objects, as TypeBox schemas. The views (views.ts) are typed by them, the routes
 * declare them as responses, so the OpenAPI document and the typed client generated from it
 * describe exactly what the server sends; in tests every response is checked against them.
 */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time', description: 'RFC 3339 UTC timestamp' });
const Ref = (prefix: string, what: string) => Type.String({ description: `Id of the ${what} (${prefix}_…)` });
const Minor = (description = 'Minor units of the currency') => Type.Integer({ description });
const Currency = Type.String({ pattern: '^[a-z]{3}$', description: 'Lower-case ISO 4217 code' });
export const Literals = <const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> => Type.Union(values.map((v) => Type.Literal(v)));
export const MetadataObject = Type.Record(Type.String(), Type.String(), { description: 'Your own key-value pairs, as given' });

export const ListOf = <T extends TSchema>(item: T) => Type.Object({
  object: Type.Literal('list'), data: Type.Array(item), has_more: Type.Boolean(),
});

// The codes are documented once, as an extension, rather than as an enum on `code`: a client
// built before a code was added must still accept a body that carries it.
export const ErrorBody = Type.Object({
  error: Type.Object({
    type: Literals(ERROR_TYPES),
    code: Type.String({ description: 'Stable, machine-readable; every code, with its HTTP status and type, is listed in x-error-codes' }),
    message: Type.String({ description: 'For people; may change' }),
    param: Nullable(Type.String({ description: 'The offending request field, e.g. items[0][price]' })),
    decline_code: Type.Optional(Type.String({ description: 'Normalized reason a card was declined' })),
  }),
}, { 'x-error-codes': ERRORS });

export const Address = Type.Object({
  line1: Nullable(Type.String()), line2: Nullable(Type.String()), city: Nullable(Type.String()),
  state: Nullable(Type.String()), postal_code: Nullable(Type.String()),
  country: Nullable(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. DE' })),
});

const TaxIdObject = Type.Object({ type: Literals(TAX_ID_TYPES as unknown as readonly [TaxIdType, ...TaxIdType[]]), value: Type.String() });
const TaxExempt = Literals(TAX_EXEMPT);

export const Customer = Type.Object({
  id: Type.String(), object: Type.Literal('customer'), email: Nullable(Type.String()), name: Nullable(Type.String()),
  metadata: MetadataObject, test_clock: Nullable(Ref('clock', 'test clock')),
  invoice_settings: Type.Object({ default_payment_method: Nullable(Ref('pm', 'payment method')) }),
  invoice_prefix: Type.String({ pattern: INVOICE_PREFIX_PATTERN, description: 'Starts the number of each of this customer\'s invoices; unique in the account' }),
  next_invoice_sequence: Type.Integer({ minimum: 1, description: 'The sequence the next finalized invoice takes' }),
  balance: Type.Integer({ description: 'Minor units of `currency`: negative is credit the next invoices consume, positive is owed and added to the next invoice' }),
  currency: Nullable(Currency),
  address: Nullable(Address), tax_exempt: Type.Union(TaxExempt.anyOf, { description: 'exempt: no tax; reverse: no tax, the customer accounts for it (reverse charge)' }),
  tax_ids: Type.Array(TaxIdObject),
  created: Time, updated: Time,
  discounts: Type.Array(Ref('di', 'discount'), { description: 'Apply, in order, to invoices of subscriptions without discounts of their own and to invoices made by hand' }),
  disputed: Type.Boolean({ description: 'One of the customer\'s payments has an open dispute' }),
  open_disputes: Type.Integer({ minimum: 0, description: 'How many disputes of the customer\'s payments are open' }),
  time_zone: Nullable(Type.String({ description: "IANA time zone: dunning retries fall at the policy's preferred hour of the customer's day" })),
  dunning_policy: Nullable(Ref('dpol', "dunning policy for this customer's failed renewals; null: the account's default")),
  phone: Nullable(Type.String({ description: 'E.164 number text messages go to' })),
  notification_preferences: Type.Object({
    email: Type.Boolean({ description: 'Send emails (default true); an unsubscribe link turns it off' }),
    sms: Type.Boolean({ description: 'Send text messages to `phone` (default false)' }),
  }, { description: 'Channels the customer accepts messages on' }),
});

export const BALANCE_TRANSACTION_TYPES = ['adjustment', 'applied_to_invoice', 'invoice_credit', 'credit_note', 'credit_note_void'] as const;

export const CustomerBalanceTransaction = Type.Object({
  id: Type.String(), object: Type.Literal('customer_balance_transaction'), customer: Ref('cus', 'customer'),
  type: Literals(BALANCE_TRANSACTION_TYPES),
  amount: Type.Integer({ description: 'The change of the balance in minor units: negative credits the customer, positive is owed' }),
  currency: Currency,
  ending_balance: Type.Integer({ description: 'The customer\'s balance after this transaction' }),
  invoice: Nullable(Ref('in', 'invoice that applied or credited the balance')),
  description: Nullable(Type.String()), metadata: MetadataObject, created: Time,
});

export const Product = Type.Object({
  id: Type.String(), object: Type.Literal('product'), name: Type.String(), description: Nullable(Type.String()),
  active: Type.Boolean(), metadata: MetadataObject, created: Time, updated: Time,
});

export const Feature = Type.Object({
  id: Type.String(), object: Type.Literal('feature'),
  lookup_key: Type.String({ description: 'Stable machine name your code checks (e.g. api_access); unique in the account' }),
  name: Type.String(), active: Type.Boolean({ description: 'An archived feature grants nothing and cannot be attached or granted anew' }),
  metadata: MetadataObject, created: Time, updated: Time,
});

export const Meter = Type.Object({
  id: Type.String(), object: Type.Literal('billing.meter'),
  event_name: Type.String({ description: 'The name events are sent with; unique among the account\'s active meters' }),
  display_name: Type.String(),
  default_aggregation: Type.Object({ formula: Literals(FORMULAS) }),
  value_settings: Type.Object({ event_payload_key: Type.String({ description: 'The payload key holding the value (a number or numeric string)' }) }),
  customer_mapping: Type.Object({ type: Type.Literal('by_id'), event_payload_key: Type.String({ description: 'The payload key holding the Rebill customer id' }) }),
  dimensions: Type.Array(Type.String(), { description: 'Payload keys kept with each event, to group usage by later' }),
  status: Literals(['active', 'inactive'] as const), created: Time, updated: Time,
});

export const MeterEventSummary = Type.Object({
  object: Type.Literal('billing.meter_event_summary'), meter: Type.String(), customer: Type.String(),
  start_time: Time, end_time: Time,
  aggregated_value: Type.String({ description: "The meter's aggregate over [start_time, end_time), an exact decimal" }),
});

export const MeterEvent = Type.Object({
  object: Type.Literal('billing.meter_event'), identifier: Type.String(), event_name: Type.String(), timestamp: Time,
  payload: Type.Record(Type.String(), Type.String()),
  status: Literals(['accepted', 'duplicate'] as const),
});

export const MeterEventAdjustment = Type.Object({
  id: Type.String(), object: Type.Literal('billing.meter_event_adjustment'), event_name: Type.String(),
  type: Type.Literal('cancel'), cancel: Type.Object({ identifier: Type.String() }), status: Type.Literal('complete'),
  meter: Ref('mtr', 'meter'), customer: Ref('cus', 'customer'), event_timestamp: Time, created: Time,
});

const MeterEventResult = Type.Object({
  index: Type.Integer({ description: 'Position of the event in `events`, from 0' }),
  status: Literals(['accepted', 'duplicate', 'rejected'] as const),
  code: Type.Union([Type.String(), Type.Null()], { description: 'Why it was rejected: an error code of the Errors table' }),
  message: Type.Union([Type.String(), Type.Null()]),
  param: Type.Union([Type.String(), Type.Null()], { description: 'The offending field of the event' }),
});

export const MeterEventBatch = Type.Object({
  object: Type.Literal('billing.meter_event_batch'),
  accepted: Type.Integer(), duplicates: Type.Integer(), rejected: Type.Integer(),
  results: Type.Array(MeterEventResult, { description: 'One per event, in the order sent' }),
});

const Monetary = (description: string) => Type.Object({
  type: Type.Literal('monetary'),
  monetary: Type.Object({ currency: Currency, value: Minor() }),
}, { description });

export const CREDIT_GRANT_CATEGORIES = ['paid', 'promotional'] as const;

export const CreditGrant = Type.Object({
  id: Type.String(), object: Type.Literal('billing.credit_grant'), customer: Ref('cus', 'customer'),
  amount: Monetary('What was granted; what is left shows in the credit balance summary'),
  applicability_config: Type.Object({ scope: Type.Object({ price_type: Type.Literal('metered') }) }, { description: 'What the credit pays for: metered (usage) lines' }),
  category: Literals(CREDIT_GRANT_CATEGORIES), name: Nullable(Type.String()),
  priority: Type.Integer({ minimum: 0, maximum: 100, description: 'Lower is consumed first' }),
  effective_at: Time, expires_at: Nullable(Time), voided_at: Nullable(Time),
  metadata: MetadataObject, test_clock: Nullable(Ref('clock', 'test clock of the customer')), created: Time, updated: Time,
});

export const CreditBalanceSummary = Type.Object({
  object: Type.Literal('billing.credit_balance_summary'), customer: Ref('cus', 'customer'),
  balances: Type.Array(Type.Object({
    available_balance: Monetary('Usable now: what is left of grants already effective and not yet expired'),
    ledger_balance: Monetary('What is left of every grant neither voided nor expired, those not yet effective included'),
  }), { description: 'One per currency the customer has grants in' }),
});

export const BillingAlert = Type.Object({
  id: Type.String(), object: Type.Literal('billing.alert'), alert_type: Type.Literal('usage_threshold'), title: Type.String(),
  status: Literals(['active', 'inactive', 'archived'] as const),
  usage_threshold: Type.Object({
    gte: Type.String({ description: 'The threshold, a decimal: the alert fires when the aggregated usage reaches it' }),
    meter: Ref('mtr', 'meter'),
    filters: Type.Array(Type.Object({ type: Type.Literal('customer'), customer: Ref('cus', 'customer') })),
    recurrence: Type.Union(Literals(['one_time', 'per_period'] as const).anyOf, { description: 'per_period: once in each billing period; one_time: once ever' }),
  }),
  created: Time, updated: Time,
});

export const ExchangeRate = Type.Object({
  id: Type.String(), object: Type.Literal('exchange_rate'), base_currency: Currency, quote_currency: Currency,
  rate: Type.String({ description: 'How many quote_currency units one base_currency unit is worth, an exact decimal (up to 12 decimals)' }),
  effective_date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'The rate applies from 00:00 UTC of this day until the pair\'s next rate' }),
  created: Time,
});

export const AlertTriggered = Type.Object({
  object: Type.Literal('billing.alert_triggered'), alert: BillingAlert, customer: Ref('cus', 'customer'), meter: Ref('mtr', 'meter'),
  value: Type.String({ description: 'The aggregated usage in the period when the alert fired, a decimal' }), gte: Type.String(),
  period_start: Time, period_end: Time, created: Time,
});

export const ProductFeature = Type.Object({
  object: Type.Literal('product_feature'), product: Ref('prod', 'product'), feature: Feature, created: Time,
});

const EntitlementSource = Type.Union([
  Type.Object({ type: Type.Literal('subscription'), subscription: Ref('sub', 'subscription'), status: Literals(SUBSCRIPTION_STATUSES) }),
  Type.Object({ type: Type.Literal('override'), override: Ref('entov', 'entitlement override') }),
], { description: 'What grants it: a subscription (with its status: active, trialing, or past_due in grace) or a manual override' });

export const Entitlement = Type.Object({
  object: Type.Literal('entitlement'), feature: Ref('feat', 'feature'), lookup_key: Type.String(), source: EntitlementSource,
});

export const EntitlementSummary = Type.Object({
  object: Type.Literal('entitlement_summary'), customer: Ref('cus', 'customer'), entitlements: Type.Array(Entitlement),
}, { description: 'The object of an entitlements.updated event; its previous_attributes hold the former list' });

export const EntitlementOverride = Type.Object({
  id: Type.String(), object: Type.Literal('entitlement_override'), customer: Ref('cus', 'customer'), feature: Ref('feat', 'feature'),
  lookup_key: Type.String(), grant: Type.Boolean({ description: 'true adds the feature, false removes it, until expires_at' }),
  expires_at: Time, expired: Type.Boolean({ description: "Whether expires_at has passed in the customer's business time" }),
  reason: Nullable(Type.String()), created_by: Type.String({ description: 'The actor (API key or user) that created it' }), created: Time,
});

const DecimalString = Type.String({ description: 'Minor units, may be fractional: "0.04" is 0.04 cents for USD' });
export const Interval = Literals(['day', 'week', 'month', 'year'] as const);

const PriceTiers = Type.Array(Type.Object({
  up_to: Nullable(Type.Integer({ description: 'Last quantity of the tier; null for the last tier' })),
  unit_amount: Nullable(Minor()), unit_amount_decimal: Nullable(DecimalString),
  flat_amount: Nullable(Minor()), flat_amount_decimal: Nullable(DecimalString),
}));

export const Price = Type.Object({
  id: Type.String(), object: Type.Literal('price'), product: Ref('prod', 'product'), currency: Currency,
  active: Type.Boolean(), nickname: Nullable(Type.String()),
  billing_scheme: Literals(['per_unit', 'tiered', 'percentage'] as const),
  unit_amount: Nullable(Minor()), unit_amount_decimal: Nullable(DecimalString),
  percentage: Nullable(Type.Object({
    rate: Type.String(), fixed_amount: Nullable(DecimalString), free_units_per_events: Nullable(Type.Integer()),
    free_units_per_total_aggregation: Nullable(DecimalString), per_event_min: Nullable(DecimalString), per_event_max: Nullable(DecimalString),
  }, { description: 'The percentage model of a metered price: percent of each event\'s value, a fixed fee per event, free events or value, a per-event minimum and maximum (minor units)' })),
  tiers_mode: Nullable(Literals(['graduated', 'volume'] as const)),
  tiers: Nullable(PriceTiers),
  currency_options: Type.Record(Type.String(), Type.Object({
    unit_amount: Nullable(Minor()), unit_amount_decimal: Nullable(DecimalString), tiers: Nullable(PriceTiers),
  }), { description: 'The amounts of this price in each further currency it is offered in, keyed by currency' }),
  transform_quantity: Nullable(Type.Object({ divide_by: Type.Integer(), round: Literals(['up', 'down'] as const) })),
  recurring: Nullable(Type.Object({
    interval: Interval, interval_count: Type.Integer(),
    usage_type: Literals(['licensed', 'metered'] as const), meter: Nullable(Ref('mtr', 'meter whose usage a metered price bills')),
  })),
  type: Literals(['recurring', 'one_time'] as const),
  metadata: MetadataObject, created: Time,
});

export const PaymentMethod = Type.Object({
  id: Type.String(), object: Type.Literal('payment_method'), customer: Ref('cus', 'customer'), type: Type.Literal('card'),
  gateway: Type.String({ description: 'The gateway the method belongs to: a gateway id (gw_…) or sandbox, the built-in one' }),
  gateway_customer: Nullable(Type.String({ description: "The processor's customer id" })),
  card: Type.Object({
    brand: Nullable(Type.String()), last4: Nullable(Type.String()), exp_month: Nullable(Type.Integer()), exp_year: Nullable(Type.Integer()),
    country: Nullable(Type.String({ description: "The issuing country, as the processor reports it" })),
  }),
  created: Time,
});

export const SubscriptionItem = Type.Object({
  id: Type.String(), object: Type.Literal('subscription_item'),
  price: Type.Union([Price, Ref('price', 'price (when the price could not be loaded)')]),
  quantity: Type.Integer(),
  tax_rates: Type.Array(Ref('txr', 'tax rate'), { description: 'The item\'s own rates: they replace the subscription\'s default or automatic rates on its lines' }),
  created: Time,
});

export const SubscriptionStatus = Literals(SUBSCRIPTION_STATUSES);

export const Subscription = Type.Object({
  id: Type.String(), object: Type.Literal('subscription'), customer: Ref('cus', 'customer'), status: SubscriptionStatus,
  currency: Currency, items: ListOf(SubscriptionItem),
  billing_cycle_anchor: Time, current_period_start: Nullable(Time), current_period_end: Nullable(Time),
  trial_start: Nullable(Time), trial_end: Nullable(Time),
  cancel_at_period_end: Type.Boolean(), canceled_at: Nullable(Time), ended_at: Nullable(Time),
  latest_invoice: Nullable(Ref('in', 'invoice')), default_payment_method: Nullable(Ref('pm', 'payment method')),
  dunning_policy: Nullable(Ref('dpol', "dunning policy for this subscription's failed renewals; null: the customer's, else the account's default")),
  default_tax_rates: Type.Array(Ref('txr', 'tax rate'), { description: 'Applied to every line of the subscription\'s invoices' }),
  automatic_tax: Type.Object({ enabled: Type.Boolean({ description: 'Tax rates chosen from the customer\'s address and the account\'s registered rates' }) }),
  minimum_amount: Nullable(Minor('The least the metered items of a period are billed: usage short of it gets a minimum_true_up line')),
  billing_thresholds: Nullable(Type.Object({ amount_gte: Minor('Unbilled usage of the current period that brings an invoice mid-period') })),
  discounts: Type.Array(Ref('di', 'discount'), { description: 'Coupons applied to the subscription, in the order they apply' }),
  test_clock: Nullable(Ref('clock', 'test clock')), metadata: MetadataObject,
  pause_collection: Nullable(Type.Object({
    behavior: Literals(['void', 'keep_as_draft', 'mark_uncollectible'] as const),
    resumes_at: Nullable(Time),
  }, { description: 'Collection is paused: invoices are still produced, handled by behavior, and never charged' })),
  trial_settings: Nullable(Type.Object({ end_behavior: Type.Object({ missing_payment_method: Literals(['cancel', 'pause', 'create_invoice'] as const) }) })),
  schedule: Nullable(Ref('sub_sched', 'subscription schedule this subscription follows')),
  cancellation_details: Nullable(Type.Object({
    reason: Literals(['cancellation_requested'] as const),
    feedback: Nullable(Type.String({ description: 'The reason the customer picked in the billing portal (too_expensive, missing_features, …)' })),
    comment: Nullable(Type.String({ description: 'What the customer wrote, as written' })),
  }, { description: 'Why it was canceled, when the customer canceled it in the billing portal' })),
  created: Time, updated: Time,
});

export const ProrationBehavior = Literals(['create_prorations', 'always_invoice', 'none'] as const);
export const ScheduleStatus = Literals(['not_started', 'active', 'completed', 'released', 'canceled'] as const);
export const ScheduleEndBehavior = Literals(['release', 'cancel'] as const);
export const PhaseBillingCycleAnchor = Literals(['automatic', 'phase_start'] as const);

export const SubscriptionSchedule = Type.Object({
  id: Type.String(), object: Type.Literal('subscription_schedule'), customer: Ref('cus', 'customer'),
  subscription: Nullable(Ref('sub', 'subscription the schedule manages; null until it starts')),
  status: ScheduleStatus,
  end_behavior: Type.Union(ScheduleEndBehavior.anyOf, { description: 'After the last phase, release: the subscription goes on alone; cancel: it is canceled' }),
  current_phase: Nullable(Type.Object({ start_date: Time, end_date: Time }, { description: 'While active' })),
  phases: Type.Array(Type.Object({
    start_date: Time, end_date: Time,
    items: Type.Array(Type.Object({ price: Ref('price', 'price'), quantity: Type.Integer() })),
    trial_end: Nullable(Time),
    proration_behavior: Type.Union(ProrationBehavior.anyOf, { description: 'How the change at the phase\'s start is prorated (nothing is, at a period boundary)' }),
    billing_cycle_anchor: Type.Union(PhaseBillingCycleAnchor.anyOf, { description: 'phase_start: a new billing period starts with the phase' }),
  })),
  released_subscription: Nullable(Ref('sub', 'subscription released from the schedule')),
  released_at: Nullable(Time), canceled_at: Nullable(Time), completed_at: Nullable(Time),
  test_clock: Nullable(Ref('clock', 'test clock')), metadata: MetadataObject,
  created: Time, updated: Time,
});

export const LineKind = Literals(LINE_KINDS);

const TaxAmount = Type.Object({
  tax_rate: Ref('txr', 'tax rate'), amount: Type.Integer({ description: 'Minor units, rounded once per rate and line' }),
  taxable_amount: Type.Integer({ description: 'What the rate was applied to: the line after discounts, net of included tax' }),
  inclusive: Type.Boolean({ description: 'Included in the line\'s amount rather than added to it' }),
});

const DiscountAmount = Type.Object({ discount: Ref('di', 'discount'), amount: Type.Integer({ description: 'Minor units' }) });

export const Coupon = Type.Object({
  id: Type.String(), object: Type.Literal('coupon'), name: Nullable(Type.String()),
  percent_off: Nullable(Type.String({ description: 'Up to 2 decimals, e.g. "12.5"' })), amount_off: Nullable(Minor()), currency: Nullable(Currency),
  duration: Literals(['once', 'repeating', 'forever'] as const), duration_in_months: Nullable(Type.Integer()),
  max_redemptions: Nullable(Type.Integer()), times_redeemed: Type.Integer(), redeem_by: Nullable(Time),
  applies_to: Nullable(Type.Object({ products: Type.Array(Ref('prod', 'product')) })), valid: Type.Boolean({ description: 'Can still be redeemed now' }),
  metadata: MetadataObject, created: Time, updated: Time,
});

export const PromotionCode = Type.Object({
  id: Type.String(), object: Type.Literal('promotion_code'), code: Type.String({ description: 'What a customer types; unique per account, case-insensitively' }),
  coupon: Ref('co', 'coupon'), active: Type.Boolean(), max_redemptions: Nullable(Type.Integer()), times_redeemed: Type.Integer(),
  expires_at: Nullable(Time), customer: Nullable(Ref('cus', 'customer')),
  restrictions: Type.Object({
    first_time_transaction: Type.Boolean({ description: 'Only for a customer with no finalized invoice of a non-zero total yet' }),
    minimum_amount: Nullable(Minor()), minimum_amount_currency: Nullable(Currency),
  }),
  metadata: MetadataObject, created: Time, updated: Time,
});

export const TaxRate = Type.Object({
  id: Type.String(), object: Type.Literal('tax_rate'), display_name: Type.String(), description: Nullable(Type.String()),
  percentage: Type.String({ description: 'Up to 4 decimals, e.g. "8.875"' }), inclusive: Type.Boolean(),
  country: Nullable(Type.String()), state: Nullable(Type.String()), jurisdiction: Nullable(Type.String()), tax_type: Nullable(Type.String()),
  active: Type.Boolean(), metadata: MetadataObject, created: Time, updated: Time,
});

export const WebhookEndpoint = Type.Object({
  id: Type.String(), object: Type.Literal('webhook_endpoint'), url: Type.String(), description: Nullable(Type.String()),
  enabled_events: Type.Array(Type.String(), { description: 'Event types delivered here; ["*"] is every type' }),
  status: Literals(['enabled', 'disabled'] as const), api_version: Type.String({ description: 'The shape of the events delivered' }),
  secret_rotation: Nullable(Type.Object({ previous_secret_expires_at: Time }, { description: 'While a rotation lasts the previous secret signs too, until it expires' })),
  secret: Type.Optional(Type.String({ description: 'The signing secret (whsec_…): only in the answer that created or rotated it' })),
  metadata: MetadataObject, created: Time, updated: Time,
});

export const Gateway = Type.Object({
  id: Type.String(), object: Type.Literal('gateway'),
  type: Type.Union(GATEWAY_TYPES.map((t) => Type.Literal(t)), { description: 'Which processor: sandbox, stripe, razorpay or custom_http' }),
  name: Type.String(), api_base: Nullable(Type.String({ description: "The processor's base URL; null: its public one" })),
  active: Type.Boolean({ description: 'An inactive gateway takes no new charges; refunds and recovery of its past ones go on' }),
  credentials_set: Type.Array(Type.String(), { description: 'Which credentials are stored (never their values)' }),
  metadata: MetadataObject, created: Time, updated: Time,
});

export const RoutingRule = Type.Object({
  id: Type.String(), object: Type.Literal('routing_rule'),
  position: Type.Integer({ description: 'Rules are tried from the lowest position up' }),
  gateway: Type.String({ description: 'Where a matching charge goes: a gateway id (gw_…) or sandbox' }),
  currency: Nullable(Currency), amount_gte: Nullable(Minor()), amount_lte: Nullable(Minor()),
  brand: Nullable(Type.String({ description: 'Card brand of the method: visa, mastercard, rupay, …' })),
  card_country: Nullable(Type.String()), customer_country: Nullable(Type.String({ description: "The customer's address country" })),
  customer_metadata: MetadataObject, active: Type.Boolean(), description: Nullable(Type.String()), created: Time, updated: Time,
});

export const GatewayHealth = Type.Object({
  object: Type.Literal('gateway_health'), gateway: Type.String({ description: 'A gateway id (gw_…) or sandbox' }),
  from: Time, to: Time,
  attempts: Type.Integer({ description: 'Charges sent to the gateway in the hour' }), succeeded: Type.Integer(),
  declined: Type.Integer({ description: "Refused by the card's issuer or for the merchant's setup: the gateway worked" }),
  gateway_errors: Type.Integer({ description: "The gateway's own failures: 5xx, timeouts, lost answers, processing_error" }),
  pending: Type.Integer({ description: 'Answered processing or requires_action' }),
  success_rate: Nullable(Type.Number({ description: 'succeeded / attempts, 4 decimals; null without attempts' })),
  latency_ms: Type.Object({ p50: Nullable(Type.Integer()), p95: Nullable(Type.Integer()) }, { description: 'Nearest-rank percentiles of how long the calls took' }),
  status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')], { description: 'unhealthy: at least 5 charges in the last 5 minutes, half or more failing on the gateway\'s side, the latest too (docs/failover.md)' }),
  since: Nullable(Type.String({ format: 'date-time', description: 'When the status began; null when it held the whole hour' })),
});

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
const DeliveryAttempt = Type.Object({
  at: Time, status_code: Nullable(Type.Integer({ description: 'The HTTP status the endpoint answered; null when none came (refused, timed out, address not allowed)' })),
  duration_ms: Type.Integer(), error: Nullable(Type.String({ description: 'Why the attempt failed; null when it succeeded' })),
});
export const WebhookDelivery = Type.Object({
  id: Type.String(), object: Type.Literal('webhook_delivery'), endpoint: Ref('we', 'webhook endpoint'), event: Ref('evt', 'event'),
  event_type: Type.String(),
  status: Type.Union(WEBHOOK_DELIVERY_STATUSES.map((s) => Type.Literal(s)), { description: 'pending: due at next_attempt (first try or a retry); succeeded: the endpoint answered 2xx; failed: given up (schedule exhausted, endpoint disabled or deleted) until retried or replayed' }),
  next_attempt: Nullable(Time), delivered: Nullable(Time),
  attempts: Type.Array(DeliveryAttempt, { description: 'Every attempt, oldest first (the last 50)' }),
  created: Time, updated: Time,
});
export const WebhookReplay = Type.Object({
  object: Type.Literal('webhook_replay'), endpoint: Ref('we', 'webhook endpoint'),
  events: Type.Integer({ description: 'Events queued to be sent again to the endpoint' }),
});

export const DeletedObject = Type.Object({ id: Type.String(), object: Type.String(), deleted: Type.Literal(true) });

export const InvoiceItem = Type.Object({
  id: Type.String(), object: Type.Literal('invoiceitem'), customer: Ref('cus', 'customer'),
  subscription: Nullable(Ref('sub', 'subscription')), subscription_item: Nullable(Ref('si', 'subscription item')),
  invoice: Nullable(Ref('in', 'invoice (null while pending)')), proration: Type.Boolean(),
  price: Nullable(Ref('price', 'price')), quantity: Type.Integer(), amount: Type.Integer({ description: 'Minor units; a proration credit is negative' }),
  unit_amount_decimal: Nullable(DecimalString), currency: Currency, description: Type.String(),
  period: Type.Object({ start: Time, end: Time }), metadata: MetadataObject, test_clock: Nullable(Ref('clock', 'test clock')),
  tax_rates: Type.Array(Ref('txr', 'tax rate'), { description: 'The item\'s own rates, replacing the invoice\'s on its line' }),
  created: Time, updated: Time,
  discounts: Type.Array(Ref('di', 'discount'), { description: 'Discounts of this item alone, taken from its line before the invoice\'s own' }),
});

export const InvoiceLine = Type.Object({
  id: Type.String(), object: Type.Literal('line_item'),
  kind: Type.Union(LineKind.anyOf, { description: 'subscription: a period billed in advance; proration: credit or charge for a mid-period change; invoice_item: a one-off charge; usage: a metered item\'s usage over a closed period, billed in arrears; usage_adjustment: usage that changed after its period was billed (late or canceled events), positive or negative, with the period it corrects; minimum_true_up: what usage fell short of the subscription\'s minimum_amount' }),
  amount: Type.Integer({ description: 'Minor units; a proration credit is negative' }), quantity: Type.Integer({ description: 'For usage lines the aggregated usage when it is a whole number below 2^31, else 0: quantity_decimal is exact' }),
  quantity_decimal: Type.String({ description: 'The exact quantity as a decimal string' }), description: Type.String(),
  price: Nullable(Ref('price', 'price')), unit_amount_decimal: Nullable(DecimalString), proration: Type.Boolean(),
  subscription_item: Nullable(Ref('si', 'subscription item')), invoice_item: Nullable(Ref('ii', 'invoice item')),
  tax_amounts: Type.Array(TaxAmount), discount_amounts: Type.Array(DiscountAmount),
  period: Type.Object({ start: Nullable(Time), end: Nullable(Time) }),
});

export const InvoiceStatus = Literals(INVOICE_STATUSES);

export const Invoice = Type.Object({
  id: Type.String(), object: Type.Literal('invoice'),
  number: Nullable(Type.String({ description: 'Set at finalization: the customer\'s invoice_prefix and sequence, e.g. 7QK2M4XA-0001; no gaps per customer' })),
  customer: Ref('cus', 'customer'), subscription: Nullable(Ref('sub', 'subscription')),
  status: InvoiceStatus, billing_reason: Type.String({ description: 'subscription_create, subscription_cycle, subscription_threshold, subscription_final, usage_correction, manual, …' }), currency: Currency,
  credit_grants_applied: Minor('What the customer\'s credit grants paid of the usage lines, taken off the amount due (given back if the invoice is voided)'),
  lines: ListOf(InvoiceLine),
  subtotal: Type.Integer({ description: 'Sum of the lines; negative when credits outweigh charges' }),
  tax: Type.Integer({ description: 'All tax: included in the lines and added on top' }),
  total_excluding_tax: Type.Integer(), total_taxes: Type.Array(TaxAmount, { description: 'Per rate: the sum of its lines\' rounded amounts' }),
  total: Type.Integer({ description: 'subtotal minus discounts plus tax added on top' }),
  discounts: Type.Array(Ref('di', 'discount'), { description: 'The discounts that took something from this invoice, in order' }),
  total_discount_amounts: Type.Array(DiscountAmount),
  starting_balance: Type.Integer({ description: 'The customer\'s balance applied at finalization (negative: credit)' }),
  ending_balance: Nullable(Type.Integer({ description: 'The customer\'s balance after this invoice; null while draft' })),
  amount_due: Minor('What is to be collected: total plus starting balance, never below zero'), amount_paid: Minor(), amount_remaining: Minor(),
  collection_method: Literals(['charge_automatically', 'send_invoice'] as const),
  days_until_due: Nullable(Type.Integer()), due_date: Nullable(Time), auto_advance: Type.Boolean(), description: Nullable(Type.String()),
  period_start: Time, period_end: Time, attempt_count: Type.Integer(),
  finalized_at: Nullable(Time), paid_at: Nullable(Time), voided_at: Nullable(Time), marked_uncollectible_at: Nullable(Time),
  automatic_tax: Type.Object({
    enabled: Type.Boolean(),
    status: Nullable(Literals(['complete', 'requires_location_input'] as const)),
  }, { description: 'requires_location_input: the customer has no address country, so no tax was added' }),
  customer_name: Nullable(Type.String({ description: 'As the customer was at finalization; null while draft' })),
  customer_address: Nullable(Address), customer_tax_ids: Nullable(Type.Array(TaxIdObject)),
  customer_tax_exempt: Nullable(Type.Union(TaxExempt.anyOf, { description: 'reverse: the invoice carries a reverse-charge note' })),
  disputed: Type.Boolean({ description: 'A dispute (chargeback) of one of its payments is open: GET /v1/disputes?invoice=' }),
  created: Time, updated: Time,
});

export const PaymentStatus = Literals(PAYMENT_ATTEMPT_STATUSES);

export const Payment = Type.Object({
  id: Type.String(), object: Type.Literal('payment'), invoice: Ref('in', 'invoice'), customer: Ref('cus', 'customer'),
  payment_method: Nullable(Ref('pm', 'payment method')), gateway: Type.String(), amount: Minor(), currency: Currency,
  status: Type.Union(PaymentStatus.anyOf, { description: 'unknown: the gateway did not answer, recovery asks it again; processing: the processor settles it later (bank debit, UPI); requires_action: the customer must authenticate at next_action.url' }),
  decline_code: Nullable(Type.String({ description: 'Normalized: insufficient_funds, expired_card, generic_decline, processing_error, … (docs/declines.md)' })),
  decline_category: Nullable(Type.Union(DECLINE_CATEGORIES.map((c) => Type.Literal(c)), { description: 'soft: may succeed later; hard: never retry this card; fraud; config: a merchant-side problem' })),
  do_not_retry: Type.Boolean({ description: 'The card must not be charged again for this payment (hard and fraud declines, a card network\'s "never")' }),
  gateway_decline_code: Nullable(Type.String({ description: "The processor's own code, as it gave it" })),
  network_advice: Nullable(Type.Object({
    network: Type.String(), code: Nullable(Type.String({ description: "The issuer's response code" })),
    visa_category: Nullable(Type.Integer({ minimum: 1, maximum: 4, description: "Visa's reattempt category: 1 never, 2 not now, 3 data quality, 4 generic" })),
    mastercard_advice_code: Nullable(Type.String({ description: 'Mastercard Merchant Advice Code' })),
    verdict: Nullable(Type.String({ description: 'never, update, config or later' })),
  })),
  failure_message: Nullable(Type.String()), gateway_charge_id: Nullable(Type.String()),
  next_action: Nullable(Type.Object({
    type: Type.Literal('redirect_to_url'), url: Nullable(Type.String({ description: "Where the customer authenticates, as the processor gave it; null when the processor gave none (its own SDK must handle it on-session)" })),
  }, { description: 'Set while the payment requires_action' })),
  failover_of: Nullable(Ref('pay', 'payment this one replaces on another gateway, after that gateway failed with its own error (docs/failover.md)')),
  created: Time, updated: Time,
});

export const REFUND_STATUSES = ['pending', 'unknown', 'succeeded', 'failed'] as const;

export const Refund = Type.Object({
  id: Type.String(), object: Type.Literal('refund'), amount: Minor(), currency: Currency,
  status: Type.Union(Literals(REFUND_STATUSES).anyOf, { description: 'pending/unknown: sent, or the gateway did not answer; recovery asks it by the refund\'s key' }),
  credit_note: Nullable(Ref('cn', 'credit note that asked for it')), invoice: Ref('in', 'invoice'), payment: Ref('pay', 'payment refunded'),
  customer: Ref('cus', 'customer'), gateway: Type.String(), gateway_refund_id: Nullable(Type.String()), failure_message: Nullable(Type.String()),
  origin: Type.Union([Type.Literal('rebill'), Type.Literal('gateway')], {
    description: 'rebill: asked by a credit note; gateway: made at the processor (its dashboard) and reported by its webhook, with no credit note',
  }),
  created: Time, updated: Time,
});

export const Dispute = Type.Object({
  id: Type.String(), object: Type.Literal('dispute'), amount: Minor(), currency: Currency,
  status: Type.Union(Literals(DISPUTE_STATUSES).anyOf, { description: 'needs_response, under_review: open; won, lost, closed: ended' }),
  gateway_status: Type.String({ description: 'The processor\'s own status word' }), reason: Nullable(Type.String()),
  payment: Ref('pay', 'payment disputed'), invoice: Ref('in', 'invoice'), customer: Ref('cus', 'customer'),
  gateway: Type.String(), gateway_dispute_id: Type.String(), closed: Nullable(Time), created: Time, updated: Time,
});

const DunningRules = {
  retry_schedule_days: Type.Array(Type.Integer({ minimum: 1, maximum: 60 }), { description: 'Days after the first failure at which to retry, increasing' }),
  preferred_hour: Nullable(Type.Integer({ minimum: 0, maximum: 23, description: "Hour of the customer's day for retries; null: the failure's own time of day" })),
  max_retries: Type.Integer({ minimum: 0, maximum: 15 }),
  category_actions: Type.Object({
    soft: Literals(CATEGORY_ACTIONS), hard: Literals(CATEGORY_ACTIONS), fraud: Literals(CATEGORY_ACTIONS), config: Literals(CATEGORY_ACTIONS),
  }, { description: 'What a decline of each category does: follow_schedule, request_new_card or alert_merchant' }),
  grace_period_days: Type.Integer({ minimum: 0, maximum: 90, description: 'Access continues this many days after the first failure' }),
  end_action: Literals(END_ACTIONS), mark_uncollectible: Type.Boolean(),
  retry_strategy: Type.Union(RETRY_STRATEGIES.map((v) => Type.Literal(v)), {
    description: 'How retry times are chosen within the schedule: fixed_schedule (as written) or payday_aware (insufficient funds wait for the first business morning after the 1st or 15th)',
  }),
};
export const DunningRulesObject = Type.Object(DunningRules);

export const DunningPolicy = Type.Object({
  id: Type.String(), object: Type.Literal('dunning_policy'), name: Type.String(),
  is_default: Type.Boolean({ description: "The account's default: the policy of every case whose subscription and customer name none" }),
  ...DunningRules, metadata: MetadataObject, created: Time, updated: Time,
});

const CaseDecline = Type.Object({
  payment: Ref('pay', 'payment declined'), at: Time, decline_code: Type.String(), decline_category: Literals(DECLINE_CATEGORIES),
  do_not_retry: Type.Boolean(), network: Nullable(Type.String()), network_code: Nullable(Type.String()), advice_code: Nullable(Type.String()),
});

export const NOTIFICATION_STATUSES = ['pending', 'sending', 'sent', 'failed', 'skipped', 'unknown', 'dropped'] as const;
export const NOTIFICATION_CHANNELS = ['email', 'sms'] as const;

// A message about the case's invoice; `at` is the business time of what caused it (a test clock's
// time on a clock), `sent` the real time the server took it.
const CaseMessage = Type.Object({
  id: Ref('ntf', 'notification'), kind: Literals(NOTIFICATION_KINDS), channel: Literals(NOTIFICATION_CHANNELS),
  status: Literals(NOTIFICATION_STATUSES), at: Time, sent: Nullable(Time),
});

export const DUNNING_CASE_STATUSES = ['active', 'recovered', 'exhausted', 'canceled'] as const;

export const DunningCase = Type.Object({
  id: Type.String(), object: Type.Literal('dunning_case'), invoice: Ref('in', 'invoice'), customer: Ref('cus', 'customer'),
  subscription: Nullable(Ref('sub', 'subscription')), status: Literals(DUNNING_CASE_STATUSES),
  awaiting: Nullable(Type.Union([Type.Literal('retry'), Type.Literal('new_payment_method'), Type.Literal('merchant')], { description: 'What the active case waits for' })),
  policy: Nullable(Ref('dpol', "policy it follows; null: Rebill's built-in default")), policy_rules: DunningRulesObject,
  strategy: Type.String({ description: 'How retry times are chosen, as the policy said when the case opened: fixed_schedule or payday_aware' }),
  retries: Type.Integer({ description: 'Retries made so far (after the first failure)' }),
  next_attempt: Nullable(Time), first_failure: Time, grace_ends: Time, declines: Type.Array(CaseDecline),
  ended: Nullable(Time), end_reason: Nullable(Type.String()), test_clock: Nullable(Type.String()), created: Time, updated: Time,
  messages: Type.Array(CaseMessage, { description: 'Messages about its invoice since the case opened, oldest first' }),
});

// Recovery analytics: every amount is the amount due of invoices whose dunning case opened in the range.
const RecoveryFigures = {
  cases: Type.Integer({ description: 'Dunning cases opened in the range' }),
  failed_amount: Minor('Amount due of their invoices'), recovered_amount: Minor('Of which recovered'),
  lost_amount: Minor('Of which lost: retries exhausted'), in_recovery_amount: Minor('Of which still in recovery'),
  canceled_amount: Minor('Of which no longer to recover: the invoice was voided or written off by hand'),
  recovery_rate: Nullable(Type.String({ description: 'recovered_amount / failed_amount as a decimal of 4 places, rounded half up once ("0.6667"); null when nothing failed' })),
};
const Recovered = { cases: Type.Integer(), recovered_amount: Minor() };
export const RecoveryReport = Type.Object({
  object: Type.Literal('recovery_report'), from: Time, to: Time, currency: Nullable(Currency),
  data: Type.Array(Type.Object({
    currency: Currency, ...RecoveryFigures,
    by_decline_category: Type.Array(Type.Object({ decline_category: Literals(DECLINE_CATEGORIES), ...RecoveryFigures }), { description: 'By the category of the decline that opened the case' }),
    by_attempt: Type.Array(Type.Object({ attempt: Type.String({ description: 'retry_1, retry_2, …: the dunning retry that succeeded; new_payment_method; manual_payment; paid_out_of_band' }), ...Recovered }), { description: 'Recovered cases, by how the money came back' }),
    by_channel: Type.Array(Type.Object({ channel: Type.Union(CHANNELS_BEFORE.map((c) => Type.Literal(c)), { description: 'The channel of the last message sent about the invoice before it was recovered' }), ...Recovered }), { description: 'Recovered cases, by the message that preceded the recovery' }),
  }), { description: 'One entry per currency, alphabetical; amounts of different currencies are never added' }),
});

const MrrMovements = Type.Object({
  new: Minor('MRR of customers paying for the first time'), expansion: Minor('Increases of customers who paid before and still do'),
  contraction: Minor('Decreases (negative) of customers who still pay'), churn: Minor('MRR lost (negative) by customers who stopped paying'),
  reactivation: Minor('MRR of customers paying again after having stopped'),
  fx_adjustment: Minor('With a reporting currency: what the change of exchange rates alone did to the starting MRR; 0 otherwise'),
}, { description: 'What explains the change of MRR over the period: they add up to the end MRR minus the start MRR, exactly' });
export const MrrReport = Type.Object({
  object: Type.Literal('mrr_report'), from: Time, to: Time, interval: Literals(['day', 'week', 'month'] as const),
  currency: Nullable(Currency),
  data: Type.Array(Type.Object({
    currency: Currency, starting_mrr: Minor('MRR at `from`'),
    periods: Type.Array(Type.Object({
      start: Time, end: Time, mrr: Minor('MRR at the end of the period'), arr: Minor('12 × mrr'),
      paying_customers: Type.Integer({ description: 'Customers with MRR at the end of the period' }),
      movements: MrrMovements,
      usage_revenue: Minor('Metered revenue: usage lines of issued invoices whose usage period starts in this period, net of their discounts'),
    })),
  }), { description: 'One series per currency, alphabetical (amounts of different currencies are never added); with `currency`, one series in it' }),
});

const Rate = (description: string) => Nullable(Type.String({ pattern: '^-?[0-9]+\\.[0-9]{4}$', description: `${description}: a decimal of 4 places, exact and rounded half-up once ("0.0833"); null when the denominator is 0` }));
const Count = (description: string) => Type.Integer({ minimum: 0, description });
export const SubscribersReport = Type.Object({
  object: Type.Literal('subscribers_report'), from: Time, to: Time, interval: Literals(['day', 'week', 'month'] as const),
  data: Type.Array(Type.Object({
    start: Time, end: Time,
    subscriptions: Type.Object({
      active: Count('Active at the period\'s end'), trialing: Count('Trialing at the period\'s end'), past_due: Count('Past due at the period\'s end'),
      paused: Count('Paused at the period\'s end'), unpaid: Count('Unpaid at the period\'s end'),
    }, { description: 'Subscriptions by status at the period\'s end' }),
    new_subscriptions: Count('Subscriptions whose first revision is in the period'),
    canceled: Count('Subscriptions that became canceled or incomplete_expired in the period'),
    paying_customers_start: Count('Customers with MRR above zero at the period\'s start'),
    churned_customers: Count('Of them, customers with no MRR at the period\'s end'),
    logo_churn_rate: Rate('churned_customers / paying_customers_start'),
    trials_ended: Count('Trialing subscriptions that turned into another status in the period'),
    trials_converted: Count('Of them, those that became active or past_due'),
    trial_conversion_rate: Rate('trials_converted / trials_ended'),
    revenue_churn: Type.Array(Type.Object({
      currency: Currency, starting_mrr: Minor('MRR at the period\'s start'),
      churned_mrr: Minor('MRR of customers who stopped paying (positive)'), contraction_mrr: Minor('Decreases of customers who still pay (positive)'),
      expansion_mrr: Minor('Increases of customers who paid at the start and still do'), reactivation_mrr: Minor('MRR of customers paying again after having stopped'),
      gross_rate: Rate('(churned_mrr + contraction_mrr) / starting_mrr'),
      net_rate: Rate('(churned_mrr + contraction_mrr − expansion_mrr − reactivation_mrr) / starting_mrr, negative when gains outweigh losses'),
    }), { description: 'One entry per currency of the book, alphabetical; amounts of different currencies are never added' }),
  })),
});
export const CohortReport = Type.Object({
  object: Type.Literal('cohort_report'), from: Time, to: Time, currency: Nullable(Currency),
  data: Type.Array(Type.Object({
    month: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'The UTC month of the cohort\'s customers\' first MRR above zero' }),
    customers: Count('Customers in the cohort'),
    months: Type.Array(Type.Object({
      month: Type.Integer({ minimum: 0, description: 'Months since the cohort\'s month (0 is that month)' }),
      end: Time, customers: Count('Customers of the cohort with MRR above zero at the month\'s end'),
      mrr: Minor('Their MRR at the month\'s end'),
      customer_retention: Rate('customers / month 0\'s customers'), revenue_retention: Rate('mrr / month 0\'s mrr (above 1 when they expanded)'),
    })),
  }), { description: 'One entry per cohort, oldest first' }),
});
export const LtvReport = Type.Object({
  object: Type.Literal('ltv_report'), at: Time, months: Type.Integer({ minimum: 1 }), currency: Nullable(Currency),
  data: Type.Array(Type.Object({
    price: Type.String({ description: 'The plan: a licensed price' }),
    paying_subscriptions: Count('Subscriptions paying for this price now'), paying_customers: Count('Their distinct customers'),
    mrr: Minor('MRR from this price now'), arpu: Nullable(Minor('mrr / paying_customers, rounded half-up; null without paying customers')),
    subscription_months: Count('Subscriptions paying for this price at the start of each of the last `months` months, added up'),
    churned_subscriptions: Count('Of them, those paying nothing at that month\'s end'),
    churn_rate: Rate('Monthly logo churn: churned_subscriptions / subscription_months'),
    ltv: Nullable(Minor('arpu / churn_rate = arpu × subscription_months / churned_subscriptions, rounded half-up; null without churn')),
  }), { description: 'One entry per plan, largest MRR first' }),
});

export const CREDIT_NOTE_REASONS = ['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'] as const;

const CreditNoteLine = Type.Object({
  object: Type.Literal('credit_note_line_item'),
  type: Type.Union([Type.Literal('invoice_line_item'), Type.Literal('custom_line_item')], { description: 'custom_line_item: a share of the whole invoice (the note was made with `amount`)' }),
  invoice_line: Nullable(Ref('il', 'invoice line credited')), description: Type.String(), quantity: Nullable(Type.Integer()),
  amount: Type.Integer({ description: 'The line amount credited, before discounts and added tax' }),
  discount_amounts: Type.Array(DiscountAmount), tax_amounts: Type.Array(TaxAmount),
  total: Type.Integer({ description: 'amount − discounts + tax added on top' }),
});

export const CreditNote = Type.Object({
  id: Type.String(), object: Type.Literal('credit_note'),
  number: Type.String({ description: 'The invoice\'s number, -CN- and the note\'s sequence on it: 7QK2M4XA-0001-CN-01' }),
  invoice: Ref('in', 'invoice'), customer: Ref('cus', 'customer'), currency: Currency,
  status: Literals(['issued', 'void'] as const),
  type: Type.Union([Type.Literal('pre_payment'), Type.Literal('post_payment')], { description: 'pre_payment: on an open invoice, lowers what is due; post_payment: on a paid one, gives money back' }),
  amount: Minor('The total of the credit note'), subtotal: Type.Integer(), discount_amount: Type.Integer(),
  total_discount_amounts: Type.Array(DiscountAmount), tax: Type.Integer(), total_taxes: Type.Array(TaxAmount),
  total_excluding_tax: Type.Integer(), total: Minor(), lines: ListOf(CreditNoteLine),
  refund_amount: Minor(), credit_amount: Minor('Credited to the customer\'s balance'), out_of_band_amount: Minor('Given back outside Rebill'),
  refund: Nullable(Ref('re', 'refund made through the gateway')),
  customer_balance_transaction: Nullable(Ref('cbtxn', 'balance transaction of credit_amount')),
  reason: Nullable(Literals(CREDIT_NOTE_REASONS)), memo: Nullable(Type.String()), metadata: MetadataObject,
  voided_at: Nullable(Time), created: Time, updated: Time,
});

export const TestClock = Type.Object({
  id: Type.String(), object: Type.Literal('test_clock'), name: Nullable(Type.String()), frozen_time: Time,
  status: Literals(['ready', 'advancing', 'internal_failure'] as const), created: Time, updated: Time,
});

export const BillingFailure = Type.Object({
  id: Type.String(), object: Type.Literal('billing_failure'), subscription: Ref('sub', 'subscription'),
  test_clock: Nullable(Ref('clock', 'test clock')),
  status: Type.Union([Type.Literal('failed'), Type.Literal('retried')], { description: 'failed: billing is parked until retried; retried: an operator sent it back to billing' }),
  due_at: Type.String({ format: 'date-time', description: 'When the parked action fell due, in the subscription\'s business time' }),
  attempts: Type.Integer({ description: 'How many times billing it failed before it was parked' }),
  error_message: Type.String({ description: 'What the last failure said, for operators' }),
  failed: Time, retried: Nullable(Time), created: Time, updated: Time,
});

export const JOB_STATUSES = ['ready', 'running', 'succeeded', 'failed'] as const;
export const Job = Type.Object({
  id: Type.String(), object: Type.Literal('job'), kind: Type.String({ description: 'The job kind, e.g. webhook.deliver' }),
  status: Type.Union(JOB_STATUSES.map((s) => Type.Literal(s)), { description: 'ready: waiting for run_at; running: a worker holds it; succeeded; failed: its last allowed attempt failed (dead), until retried' }),
  payload: Type.Unknown({ description: 'What the job works on, as its kind declares' }),
  attempts: Type.Integer({ description: 'Attempts started so far' }), max_attempts: Type.Integer(),
  run_at: Type.String({ format: 'date-time', description: 'When it is due (next attempt), in its business time' }),
  last_error: Nullable(Type.String({ description: 'What the last failed attempt said' })),
  test_clock: Nullable(Ref('clock', 'test clock')), created: Time, updated: Time, finished: Nullable(Time),
});

export const Notification = Type.Object({
  id: Type.String(), object: Type.Literal('notification'), customer: Ref('cus', 'customer'), kind: Literals(NOTIFICATION_KINDS),
  channel: Literals(NOTIFICATION_CHANNELS),
  status: Type.Union(NOTIFICATION_STATUSES.map((s) => Type.Literal(s)), { description: 'pending: its send job waits; sending: being handed to the server; sent; failed: refused for good or out of tries; skipped: the customer turned the channel off; unknown: the sender stopped before the server answered (resend or drop it); dropped: an operator dropped it' }),
  recipient: Nullable(Type.String({ description: 'Email address or phone number it goes to' })),
  event: Nullable(Type.String({ description: 'Id of the event that caused it (evt_…); null for a reminder due by date (renewal, trial end, card expiry)' })),
  invoice: Nullable(Ref('in', 'invoice')),
  message_id: Nullable(Type.String({ description: 'The email\'s Message-ID, the same on every try and resend' })),
  attempts: Type.Integer({ description: 'Tries to hand it over so far' }), last_error: Nullable(Type.String()),
  sent: Nullable(Time), created: Time, updated: Time,
});

const TemplateText = { subject: Type.String(), text: Type.String(), html: Type.String(), sms: Type.String() };
export const NotificationTemplate = Type.Object({
  object: Type.Literal('notification_template'), kind: Literals(NOTIFICATION_KINDS), ...TemplateText,
  variables: Type.Array(Type.String(), { description: 'The variables this kind may use (docs/notifications.md)' }),
  default: Type.Boolean({ description: 'true: the built-in wording; the account has not changed it' }),
  created: Nullable(Time), updated: Nullable(Time),
});
export const NotificationPreview = Type.Object({ object: Type.Literal('notification_preview'), kind: Literals(NOTIFICATION_KINDS), ...TemplateText });
export const Unsubscribed = Type.Object({ object: Type.Literal('unsubscribe'), channel: Literals(NOTIFICATION_CHANNELS), unsubscribed: Type.Literal(true) });

export const PAYMENT_LINK_STATUSES = ['active', 'used', 'expired'] as const;
export const PaymentLink = Type.Object({
  id: Type.String(), object: Type.Literal('payment_link'), customer: Ref('cus', 'customer'),
  purpose: Type.Literal('update_payment_method'),
  url: Nullable(Type.String({ description: "The signed page address to give the customer (REBILL_PUBLIC_URL/pay/update/…); null when this process cannot sign (no REBILL_SECRET_KEY)" })),
  status: Literals(PAYMENT_LINK_STATUSES), expires_at: Time, used_at: Nullable(Time),
  return_url: Nullable(Type.String({ description: 'Where the page sends the customer back to when done' })),
  notification: Nullable(Type.String({ description: 'The message it was made for (kind:subject), or null when made over the API' })),
  test_clock: Nullable(Ref('clock', 'test clock whose time decides expiry')), created: Time, updated: Time,
});

const Toggle = Type.Object({ enabled: Type.Boolean() });
export const PortalFeaturesObject = Type.Object({
  invoice_history: Toggle, payment_method_update: Toggle, subscription_pause: Toggle,
  subscription_cancel: Type.Object({
    enabled: Type.Boolean(), mode: Literals(CANCEL_MODES),
    cancellation_reason: Type.Object({ enabled: Type.Boolean(), options: Type.Array(Literals(CANCELLATION_REASONS)) }),
    retention: Nullable(Type.Object({ coupon: Ref('co', 'coupon offered before cancelling; accepting applies it to the subscription instead') })),
  }),
  subscription_update: Type.Object({
    enabled: Type.Boolean(),
    products: Type.Array(Type.Object({ product: Ref('prod', 'product'), prices: Type.Array(Ref('price', 'price a subscription item of the product may move to')) })),
    proration_behavior: Literals(PORTAL_PRORATIONS),
  }),
});
export const BillingPortalConfiguration = Type.Object({
  id: Type.String(), object: Type.Literal('billing_portal.configuration'),
  is_default: Type.Boolean({ description: 'Sessions made without a configuration use the default (at most one per account)' }),
  features: PortalFeaturesObject, metadata: MetadataObject, created: Time, updated: Time,
});
export const BillingPortalSession = Type.Object({
  id: Type.String(), object: Type.Literal('billing_portal.session'), customer: Ref('cus', 'customer'),
  configuration: Nullable(Ref('bpc', 'configuration; null: the built-in one (invoice history, payment method update, cancel at period end)')),
  url: Type.Optional(Type.String({
    description: 'The portal address to send the customer to (REBILL_PUBLIC_URL/portal/#…): their credential, only in the answer that created the session',
  })),
  return_url: Nullable(Type.String({ description: 'Where the portal links back to' })),
  expires_at: Type.String({ format: 'date-time', description: "An hour after creation, in the customer's business time" }),
  revoked_at: Nullable(Type.String({
    format: 'date-time',
    description: "When the merchant ended it (POST /v1/billing_portal/sessions/:id/revoke), in the customer's business time; null: not revoked. "
      + 'The session opens the portal while this is null and expires_at is ahead',
  })),
  created: Time,
});

export const Event = Type.Object({
  id: Type.String(), object: Type.Literal('event'), type: Type.String({ description: 'e.g. invoice.paid' }),
  created: Type.String({ format: 'date-time', description: 'When it happened, by the clock of the change (a test clock\'s time for its customers)' }),
  api_version: Type.String({ description: 'The API version whose shapes data.object has, e.g. 2026-11-30' }),
  sequence: Nullable(Type.Integer({ minimum: 1, description: 'Position in the commit-ordered stream, shared by all accounts (so it has gaps); null for the moment between commit and sequencing. Read the stream with after_sequence.' })),
  data: Type.Object({
    object: Type.Unknown({ description: 'The object as it was when the event happened' }),
    previous_attributes: Type.Optional(Type.Unknown({ description: 'On events that record a change of some fields: their values before it' })),
  }, { additionalProperties: true }),
  request: Nullable(Type.String({ description: 'Request-Id of the API call that caused it' })),
});

export const AuditEntry = Type.Object({
  id: Type.String(), object: Type.Literal('audit_entry'), actor: Type.String({ description: 'key:<id> or system:<part>' }),
  action: Type.String(), object_type: Type.String(), object_id: Type.String(),
  before: Type.Unknown(), after: Type.Unknown(),
  request_id: Nullable(Type.String()), at: Time, recorded_at: Time,
});

export const Account = Type.Object({
  id: Type.String(), object: Type.Literal('account'),
  name: Type.String({ description: 'The merchant\'s name, printed on invoices' }), email: Nullable(Type.String()),
  address: Nullable(Address), tax_id: Nullable(Type.String({ description: 'The merchant\'s tax or VAT number, printed on invoices' })),
  renewal_reminder_days: Nullable(Type.Integer({ minimum: 1, maximum: 60, description: 'Days before a renewal its reminder is sent; null: 7, or 30 for yearly plans' })),
  late_usage_policy: Literals(['next_invoice', 'credit_note'] as const),
  created: Time, updated: Time,
});

/** A person who signs in to the dashboard; acts with the same role model as an API key. */
export const User = Type.Object({
  id: Type.String(), object: Type.Literal('user'), email: Type.String({ description: 'Lower-cased; unique across every account (sign-in is by email)' }),
  role: Literals(ROLES), disabled: Type.Boolean({ description: 'A disabled user cannot sign in, and their sessions stop working at once' }),
  last_sign_in: Nullable(Time), created: Time, updated: Time,
});

/** A signed-in dashboard session. The session token itself travels only in the rebill_session cookie. */
export const Session = Type.Object({
  id: Type.String(), object: Type.Literal('session'), user: User, role: Literals(ROLES),
  csrf_token: Type.String({ description: 'Send it as the x-csrf-token header on every request other than GET made with the cookie' }),
  created: Time, expires_at: Time,
});

export type CustomerObject = Static<typeof Customer>;
export type CustomerBalanceTransactionObject = Static<typeof CustomerBalanceTransaction>;
export type ProductObject = Static<typeof Product>;
export type PriceObject = Static<typeof Price>;
export type PaymentMethodObject = Static<typeof PaymentMethod>;
export type SubscriptionItemObject = Static<typeof SubscriptionItem>;
export type SubscriptionObject = Static<typeof Subscription>;
export type SubscriptionScheduleObject = Static<typeof SubscriptionSchedule>;
export type CouponObject = Static<typeof Coupon>;
export type PromotionCodeObject = Static<typeof PromotionCode>;
export type TaxRateObject = Static<typeof TaxRate>;
export type UserObject = Static<typeof User>;
export type SessionObject = Static<typeof Session>;
export type WebhookEndpointObject = Static<typeof WebhookEndpoint>;
export type GatewayObject = Static<typeof Gateway>;
export type RoutingRuleObject = Static<typeof RoutingRule>;
export type GatewayHealthObject = Static<typeof GatewayHealth>;
export type WebhookDeliveryObject = Static<typeof WebhookDelivery>;
export type WebhookReplayObject = Static<typeof WebhookReplay>;
export type InvoiceItemObject = Static<typeof InvoiceItem>;
export type InvoiceLineObject = Static<typeof InvoiceLine>;
export type InvoiceObject = Static<typeof Invoice>;
export type TestClockObject = Static<typeof TestClock>;
export type BillingFailureObject = Static<typeof BillingFailure>;
export type PaymentObject = Static<typeof Payment>;
export type RefundObject = Static<typeof Refund>;
export type DisputeObject = Static<typeof Dispute>;
export type DunningPolicyObject = Static<typeof DunningPolicy>;
export type DunningCaseObject = Static<typeof DunningCase>;
export type RecoveryReportObject = Static<typeof RecoveryReport>;
export type MrrReportObject = Static<typeof MrrReport>;
export type SubscribersReportObject = Static<typeof SubscribersReport>;
export type CohortReportObject = Static<typeof CohortReport>;
export type LtvReportObject = Static<typeof LtvReport>;
export type FeatureObject = Static<typeof Feature>;
export type ProductFeatureObject = Static<typeof ProductFeature>;
export type MeterObject = Static<typeof Meter>;
export type CreditGrantObject = Static<typeof CreditGrant>;
export type CreditBalanceSummaryObject = Static<typeof CreditBalanceSummary>;
export type BillingAlertObject = Static<typeof BillingAlert>;
export type AlertTriggeredObject = Static<typeof AlertTriggered>;
export type ExchangeRateObject = Static<typeof ExchangeRate>;
export type MeterEventSummaryObject = Static<typeof MeterEventSummary>;
export type MeterEventObject = Static<typeof MeterEvent>;
export type MeterEventAdjustmentObject = Static<typeof MeterEventAdjustment>;
export type MeterEventBatchObject = Static<typeof MeterEventBatch>;
export type MeterEventResultObject = Static<typeof MeterEventResult>;
export type EntitlementObject = Static<typeof Entitlement>;
export type EntitlementOverrideObject = Static<typeof EntitlementOverride>;
export type EntitlementSummaryObject = Static<typeof EntitlementSummary>;
export type CreditNoteObject = Static<typeof CreditNote>;
export type EventObject = Static<typeof Event>;
export type JobObject = Static<typeof Job>;
export type NotificationObject = Static<typeof Notification>;
export type PaymentLinkObject = Static<typeof PaymentLink>;
export type BillingPortalConfigurationObject = Static<typeof BillingPortalConfiguration>;
export type BillingPortalSessionObject = Static<typeof BillingPortalSession>;
export type AuditEntryObject = Static<typeof AuditEntry>;
export type AccountObject = Static<typeof Account>;
export type AddressObject = Static<typeof Address>;
