import type { ColumnType, Generated } from 'kysely';

/** Row types of the tables in migrations/, as Kysely sees them. */
type Json = ColumnType<unknown, string, string>;
type Ts = Date;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface AccountsTable {
  id: string; name: string; created_at: Generated<Ts>;
  email: Defaulted<string | null>; address: ColumnType<unknown, string | null | undefined, string | null>;
  tax_id: Defaulted<string | null>; updated_at: Generated<Ts>; renewal_reminder_days: Defaulted<number | null>;
  late_usage_policy: Defaulted<string>;
}
export interface ApiKeysTable {
  account_id: string; id: string; role: string; secret_hash: string; secret_hint: string;
  created_at: Generated<Ts>; revoked_at: Ts | null;
}
export interface TestClocksTable {
  account_id: string; id: string; name: string | null; frozen_time: Ts; status: string;
  advance_target: Defaulted<Ts | null>; lease_owner: Defaulted<string | null>; lease_until: Defaulted<Ts | null>;
  created_at: Ts; updated_at: Ts;
}
export interface CustomersTable {
  account_id: string; id: string; email: string | null; name: string | null; metadata: Json;
  test_clock_id: string | null; default_payment_method_id: string | null;
  invoice_prefix: string; next_invoice_sequence: Defaulted<number>;
  balance: Defaulted<bigint>; balance_currency: Defaulted<string | null>; currency: Defaulted<string | null>;
  address: Defaulted<unknown>; tax_exempt: Defaulted<string>; tax_ids: Defaulted<unknown>;
  created_at: Ts; updated_at: Ts; version: Defaulted<number>; discount_ids: Defaulted<string[]>;
  dunning_policy_id: Defaulted<string | null>; time_zone: Defaulted<string | null>;
  open_disputes: Defaulted<number>;
  phone: Defaulted<string | null>; notification_preferences: ColumnType<unknown, string | undefined, string>;
  /** Migration 040: something watches this customer's usage (src/app/usage/watch.ts). */
  usage_watched: Defaulted<boolean>;
}
export interface ProductsTable {
  account_id: string; id: string; name: string; description: string | null; active: Defaulted<boolean>;
  metadata: Json; created_at: Ts; updated_at: Ts;
}
export interface PricesTable {
  account_id: string; id: string; product_id: string; currency: string; billing_scheme: string;
  unit_amount: bigint | null; unit_amount_decimal: string | null; tiers_mode: string | null;
  tiers: Json | null; transform_quantity: Json | null; recurring_interval: string | null;
  recurring_interval_count: number | null; active: Defaulted<boolean>; nickname: string | null;
  metadata: Json; created_at: Ts; currency_options: ColumnType<unknown, string | null | undefined, string | null>;
  usage_type: Defaulted<string>; meter_id: Defaulted<string | null>; percentage: ColumnType<unknown, string | null | undefined, string | null>;
}
export interface PaymentMethodsTable {
  account_id: string; id: string; customer_id: string; gateway: string; gateway_token: string;
  brand: string | null; last4: string | null; exp_month: number | null; exp_year: number | null; created_at: Ts;
  gateway_customer: Defaulted<string | null>; country: Defaulted<string | null>;
}
export interface GatewaysTable {
  account_id: string; id: string; type: string; name: string; api_base: string | null; credentials_sealed: string | null;
  active: Defaulted<boolean>; metadata: Json; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface SubscriptionsTable {
  account_id: string; id: string; customer_id: string; test_clock_id: string | null; status: string;
  currency: string; recurring_interval: string; recurring_interval_count: number;
  billing_cycle_anchor: Ts; current_period_start: Ts; current_period_end: Ts;
  trial_start: Ts | null; trial_end: Ts | null; cancel_at_period_end: Defaulted<boolean>;
  canceled_at: Ts | null; ended_at: Ts | null; latest_invoice_id: string | null;
  default_payment_method_id: string | null; metadata: Json; next_action_at: Ts | null;
  billing_failure_count: Defaulted<number>;
  pause_collection: Defaulted<Json | null>; trial_settings: Defaulted<Json | null>; default_tax_rates: Defaulted<string[]>; discount_ids: Defaulted<string[]>; schedule_id: Defaulted<string | null>;
  dunning_policy_id: Defaulted<string | null>;
  automatic_tax: Defaulted<boolean>;
  minimum_amount: Defaulted<bigint | null>; billing_threshold_amount: Defaulted<bigint | null>;
  /** Migration 046: why it was canceled ({reason, feedback, comment}), when the customer said so in the portal. */
  cancellation_details: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface SubscriptionSchedulesTable {
  account_id: string; id: string; customer_id: string; subscription_id: string | null; test_clock_id: string | null;
  status: string; end_behavior: string; phases: Json; current_phase: number | null; next_phase_at: Ts | null;
  failure_count: Defaulted<number>; retry_at: Ts | null; released_subscription_id: string | null;
  released_at: Ts | null; canceled_at: Ts | null; completed_at: Ts | null; metadata: Json;
  created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface SubscriptionItemsTable {
  account_id: string; id: string; subscription_id: string; price_id: string; quantity: number; created_at: Ts;
  tax_rates: Defaulted<string[]>;
}
export interface InvoicesTable {
  account_id: string; id: string; customer_id: string; subscription_id: string | null; number: string | null; status: string;
  billing_reason: string; currency: string; subtotal: bigint; total: bigint; amount_due: bigint;
  amount_paid: Defaulted<bigint>; amount_remaining: bigint; period_start: Ts; period_end: Ts;
  attempt_count: Defaulted<number>; finalized_at: Ts | null; paid_at: Ts | null; voided_at: Ts | null;
  collection_method: Defaulted<string>; days_until_due: Defaulted<number | null>; due_date: Defaulted<Ts | null>;
  auto_advance: Defaulted<boolean>; description: Defaulted<string | null>; starting_balance: Defaulted<bigint>;
  ending_balance: Defaulted<bigint | null>; marked_uncollectible_at: Defaulted<Ts | null>; test_clock_id: Defaulted<string | null>;
  tax: Defaulted<bigint>; total_excluding_tax: bigint; total_taxes: Defaulted<unknown>; discounts: Defaulted<string[]>; total_discount_amounts: Defaulted<unknown>;
  customer_name: Defaulted<string | null>; customer_address: Defaulted<unknown>; customer_tax_ids: Defaulted<unknown>;
  customer_tax_exempt: Defaulted<string | null>; automatic_tax: Defaulted<unknown>; open_disputes: Defaulted<number>;
  credit_grants_applied: Defaulted<bigint>;
  created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface UsageBillingsTable {
  account_id: string; id: string; subscription_id: string; subscription_item_id: string; price_id: string;
  period_start: Ts; period_end: Ts; quantity: string; amount: bigint; invoice_id: string | null; credit_note_id: string | null;
  kind: string; settled: Defaulted<boolean>; created_at: Ts;
}
export interface SubscriptionRevisionsTable {
  account_id: string; id: string; subscription_id: string; customer_id: string; at: Ts; status: string; currency: string;
  items: Json; discount_ids: string[];
}
export interface MeterEventAdjustmentsTable {
  account_id: string; id: string; identifier: string; type: string; meter_id: string; customer_id: string; timestamp: Ts; created_at: Ts;
}
export interface InvoiceLinesTable {
  account_id: string; id: string; invoice_id: string; price_id: string | null; description: string;
  quantity: number; amount: bigint; unit_amount_decimal: string | null; period_start: Ts; period_end: Ts;
  kind: string; proration: Defaulted<boolean>; subscription_item_id: Defaulted<string | null>;
  invoice_item_id: Defaulted<string | null>; position: Defaulted<number>; tax_amounts: Defaulted<unknown>; discount_amounts: Defaulted<unknown>;
  quantity_decimal: Defaulted<string | null>;
}
export interface CouponsTable {
  account_id: string; id: string; name: string | null; percent_off: bigint | null; amount_off: bigint | null; currency: string | null;
  duration: string; duration_in_months: number | null; max_redemptions: number | null; times_redeemed: Defaulted<number>;
  redeem_by: Ts | null; applies_to_products: string[] | null; metadata: Json; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface DiscountsTable {
  account_id: string; id: string; coupon_id: string; customer_id: string; subscription_id: string | null; starts_at: Ts; ends_at: Ts | null;
  used_at: Ts | null; created_at: Ts; promotion_code_id: Defaulted<string | null>; invoice_item_id: Defaulted<string | null>; invoice_id: Defaulted<string | null>;
}
export interface PromotionCodesTable {
  account_id: string; id: string; coupon_id: string; code: string; active: Defaulted<boolean>; max_redemptions: number | null;
  times_redeemed: Defaulted<number>; expires_at: Ts | null; customer_id: string | null; first_time_transaction: Defaulted<boolean>;
  minimum_amount: bigint | null; minimum_amount_currency: string | null; metadata: Json; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface TaxRatesTable {
  account_id: string; id: string; display_name: string; description: string | null; percentage: bigint; inclusive: boolean;
  country: string | null; state: string | null; jurisdiction: string | null; tax_type: string | null; active: Defaulted<boolean>;
  metadata: Json; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface InvoiceItemsTable {
  account_id: string; id: string; customer_id: string; subscription_id: string | null; subscription_item_id: string | null;
  invoice_id: string | null; proration: boolean; price_id: string | null; quantity: number; amount: bigint;
  unit_amount_decimal: string | null; currency: string; description: string; period_start: Ts; period_end: Ts;
  metadata: Json; test_clock_id: string | null; created_at: Ts; updated_at: Ts; version: Defaulted<number>; discounts: Defaulted<unknown>;
  tax_rates: Defaulted<string[]>;
}
export interface CustomerBalanceTransactionsTable {
  account_id: string; id: string; customer_id: string; type: string; amount: bigint; currency: string;
  ending_balance: bigint; invoice_id: string | null; description: string | null; metadata: ColumnType<unknown, string | undefined, string>; created_at: Ts;
}
export interface PaymentAttemptsTable {
  account_id: string; id: string; invoice_id: string; customer_id: string; payment_method_id: string | null;
  test_clock_id: string | null; gateway: string; idempotency_key: string; amount: bigint; currency: string;
  status: string; decline_code: string | null; failure_message: string | null; gateway_charge_id: string | null;
  recover_at: Ts | null; rescue_at: Defaulted<Ts | null>; created_at: Ts; updated_at: Ts;
  gateway_decline_code: Defaulted<string | null>; decline_category: Defaulted<string | null>; do_not_retry: Defaulted<boolean>; attempt_number: Defaulted<number>; network_advice: ColumnType<unknown, string | null | undefined, string | null>;
  action_url: Defaulted<string | null>; lookups: Defaulted<number>;
  gateway_called_at: Defaulted<Ts | null>; gateway_ms: Defaulted<number | null>; gateway_result: Defaulted<string | null>; failover_of: Defaulted<string | null>;
}
export interface BillingFailuresTable {
  account_id: string; id: string; subscription_id: string; test_clock_id: string | null; status: string;
  due_at: Ts; attempts: number; error_message: string; failed_at: Ts; retried_at: Ts | null;
  created_at: Ts; updated_at: Ts;
}
export interface JobsTable {
  id: string; account_id: string | null; kind: string; payload: Json; status: string; attempts: Defaulted<number>; max_attempts: number;
  run_at: Ts; locked_by: string | null; locked_until: Ts | null; last_error: string | null; key: string | null;
  test_clock_id: string | null; created_at: Ts; updated_at: Ts; finished_at: Ts | null;
}
export interface EventsTable {
  account_id: string; id: string; type: string; object_id: string; data: Json; request_id: string | null; created_at: Ts;
  /** Delivery order, assigned after commit by the sequencer (migration 017); null until then. */
  sequence: Generated<bigint | null>; sequenced_at: Generated<Ts | null>; api_version: Generated<string>;
}
export interface AuditLogTable {
  account_id: string; id: string; actor: string; action: string; object_type: string; object_id: string;
  before: Json | null; after: Json | null; request_id: string | null; at: Ts; recorded_at: Generated<Ts>;
}
export interface IdempotencyKeysTable {
  account_id: string; key: string; request_hash: string; method: string; path: string;
  status_code: number | null; response: string | null; request_id: string | null; created_at: Generated<Ts>;
}
export interface CreditNotesTable {
  account_id: string; id: string; number: string; invoice_id: string; customer_id: string; currency: string; status: string; type: string;
  whole: boolean; subtotal: bigint; discount_amount: bigint; total_discount_amounts: Json; tax: bigint; total_taxes: Json;
  total_excluding_tax: bigint; total: bigint; lines: Json; refund_amount: bigint; credit_amount: bigint; out_of_band_amount: bigint;
  refund_id: string | null; balance_transaction_id: string | null; reason: string | null; memo: string | null; metadata: Json;
  voided_at: Ts | null; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface RefundsTable {
  account_id: string; id: string; credit_note_id: string | null; invoice_id: string; payment_attempt_id: string; customer_id: string;
  gateway: string; gateway_charge_id: string; idempotency_key: string; amount: bigint; currency: string; status: string;
  gateway_refund_id: string | null; failure_message: string | null; recover_at: Ts | null; created_at: Ts; updated_at: Ts;
  origin: Defaulted<string>;
}
export interface GatewayEventsTable {
  account_id: string; id: string; gateway: string; event_id: string; type: string; subject: Json; occurred_at: Ts;
  status: string; note: string | null; created_at: Ts; processed_at: Ts | null;
}
export interface DisputesTable {
  account_id: string; id: string; gateway: string; gateway_dispute_id: string; gateway_charge_id: string; payment_attempt_id: string;
  invoice_id: string; customer_id: string; amount: bigint; currency: string; status: string; gateway_status: string; reason: string | null;
  occurred_at: Ts; closed_at: Ts | null; created_at: Ts; updated_at: Ts;
}
export interface SandboxRefundsTable {
  idempotency_key: string; id: string; charge_id: string; amount: bigint; currency: string; reference: string | null; created_at: Generated<Ts>;
}
export interface SandboxChargesTable {
  idempotency_key: string; id: string; token: string; amount: bigint; currency: string; status: string;
  decline_code: string | null; reference: string | null; created_at: Generated<Ts>;
}

export interface WebhookEndpointsTable {
  account_id: string; id: string; url: string; description: string | null; enabled_events: string[];
  disabled: Defaulted<boolean>; secret_sealed: string; previous_secret_sealed: string | null;
  previous_secret_expires_at: Ts | null; failing_since: Defaulted<Ts | null>; metadata: Json;
  deleted_at: Defaulted<Ts | null>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface WebhookDeliveriesTable {
  account_id: string; id: string; endpoint_id: string; event_id: string; event_sequence: bigint; event_type: string; object_id: string;
  status: string; attempts: Defaulted<number>; next_attempt_at: Ts | null;
  history: Defaulted<Json>; last_status_code: Defaulted<number | null>; last_error: Defaulted<string | null>;
  last_attempt_at: Defaulted<Ts | null>; delivered_at: Defaulted<Ts | null>; created_at: Ts; updated_at: Ts;
}
/** Migration 032 (issue 17). */
export interface DunningPoliciesTable {
  account_id: string; id: string; name: string; is_default: Defaulted<boolean>; retry_schedule_days: number[]; preferred_hour: number | null;
  max_retries: number; category_actions: ColumnType<unknown, string, string>; grace_period_days: number; end_action: string; mark_uncollectible: Defaulted<boolean>;
  retry_strategy: Defaulted<string>; metadata: ColumnType<unknown, string | undefined, string>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface DunningCasesTable {
  account_id: string; id: string; invoice_id: string; customer_id: string; subscription_id: string | null; test_clock_id: string | null;
  policy_id: string | null; policy: ColumnType<unknown, string, string>; strategy: string; status: string; awaiting: string | null; first_failure_at: Ts; grace_ends_at: Ts;
  retries: Defaulted<number>; next_attempt_at: Ts | null; declines: ColumnType<unknown, string | undefined, string>; ended_at: Ts | null; end_reason: string | null;
  created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
/** Migration 033 (issue 17): entitlements. */
export interface FeaturesTable {
  account_id: string; id: string; lookup_key: string; name: string; active: Defaulted<boolean>;
  metadata: ColumnType<unknown, string | undefined, string>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface ProductFeaturesTable { account_id: string; product_id: string; feature_id: string; created_at: Ts }
export interface EntitlementOverridesTable {
  account_id: string; id: string; customer_id: string; feature_id: string; is_grant: boolean; expires_at: Ts;
  test_clock_id: string | null; reason: string | null; created_by: string; created_at: Ts;
}
/** Migration 037 (issue 18): usage meters and events. */
export interface MetersTable {
  account_id: string; id: string; event_name: string; display_name: string; formula: string; value_key: string; customer_key: string;
  dimensions: ColumnType<string[], string | undefined, string>; status: Defaulted<string>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface MeterEventsTable {
  account_id: string; identifier: string; meter_id: string; customer_id: string; timestamp: Ts;
  value: string | null; unique_key: string | null; payload: ColumnType<unknown, string | undefined, string>; created_at: Ts;
}
/** Migration 039 (issue 18): credit grants and their ledger. */
export interface CreditGrantsTable {
  account_id: string; id: string; customer_id: string; currency: string; amount: bigint; balance: bigint; name: string | null;
  category: string; applicability: ColumnType<unknown, string, string>; priority: Defaulted<number>; effective_at: Ts; expires_at: Ts | null;
  voided_at: Defaulted<Ts | null>; metadata: Json; test_clock_id: string | null; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface CreditGrantTransactionsTable {
  account_id: string; id: string; grant_id: string; customer_id: string; type: string; amount: bigint; invoice_id: string; created_at: Ts;
}
/** Migration 040 (issue 18, point 6): usage alerts and the usage-check queue. */
export interface UsageChecksTable {
  account_id: string; customer_id: string; test_clock_id: string | null; check_at: Ts; claim: Defaulted<string | null>;
}
export interface BillingAlertsTable {
  account_id: string; id: string; title: string; alert_type: string; meter_id: string; customer_id: string;
  gte: string; recurrence: string; status: Defaulted<string>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface AlertTriggersTable {
  account_id: string; alert_id: string; period_start: Ts; period_end: Ts; one_time: boolean; value: string; created_at: Ts;
}
/** Migration 045 (issue 19): exchange rates the merchant uploads, for reporting in one currency. */
export interface ExchangeRatesTable {
  account_id: string; id: string; base_currency: string; quote_currency: string;
  /** numeric, as PostgreSQL writes it ("1.0850"); decimal.js reads it exactly. */
  rate: string;
  /** date, as "YYYY-MM-DD" (pool.ts keeps dates as text: no time zone can shift them). */
  effective_date: string; created_at: Ts;
}
export interface CustomerEntitlementsTable {
  account_id: string; customer_id: string; test_clock_id: string | null;
  entitlements: ColumnType<unknown, string | undefined, string>; recheck_at: Ts | null; updated_at: Ts | null;
}
export interface EntitlementChangesTable {
  account_id: string; id: Generated<bigint>; customer_id: string; test_clock_id: string | null; created_at: Generated<Ts>;
}
export interface RoutingRulesTable {
  account_id: string; id: string; position: number; gateway: string; currency: string | null; amount_gte: bigint | null; amount_lte: bigint | null;
  brand: string | null; card_country: string | null; customer_country: string | null; customer_metadata: Json; active: Defaulted<boolean>;
  description: string | null; deleted_at: Defaulted<Ts | null>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface NotificationTemplatesTable {
  account_id: string; kind: string; subject: string; text_body: string; html_body: string; sms_body: string; created_at: Ts; updated_at: Ts;
}
export interface NotificationsTable {
  account_id: string; id: string; customer_id: string; kind: string; channel: string; event_id: string | null; dedupe_key: string;
  status: string; recipient: string | null; variables: Json; invoice_id: string | null; attempts: Defaulted<number>;
  last_error: Defaulted<string | null>; sent_at: Defaulted<Ts | null>; created_at: Ts; updated_at: Ts;
}
export interface PaymentLinksTable {
  account_id: string; id: string; customer_id: string; purpose: string; return_url: string | null; made_for: string | null;
  expires_at: Ts; used_at: Ts | null; created_at: Ts; updated_at: Ts;
}
export interface UsersTable {
  account_id: string; id: string; email: string; role: string; password_hash: string; disabled: Defaulted<boolean>;
  last_sign_in_at: Defaulted<Ts | null>; created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface SessionsTable {
  account_id: string; id: string; user_id: string; token_hash: string; created_at: Ts; expires_at: Ts; last_seen_at: Ts; revoked_at: Defaulted<Ts | null>;
}
/** Migration 046 (issue 19, point 3): the customer billing portal. */
export interface BillingPortalConfigurationsTable {
  account_id: string; id: string; is_default: Defaulted<boolean>; features: Json; metadata: Json;
  created_at: Ts; updated_at: Ts; version: Defaulted<number>;
}
export interface BillingPortalSessionsTable {
  account_id: string; id: string; customer_id: string; configuration_id: string | null; return_url: string | null;
  expires_at: Ts; revoked_at: Defaulted<Ts | null>; created_at: Ts;
}
export interface LoginAttemptsTable { id: Generated<bigint>; email_hash: string; ip: string; at: Ts }
export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  billing_portal_configurations: BillingPortalConfigurationsTable;
  billing_portal_sessions: BillingPortalSessionsTable;
  payment_links: PaymentLinksTable;
  notification_templates: NotificationTemplatesTable;
  notifications: NotificationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  test_clocks: TestClocksTable;
  customers: CustomersTable;
  products: ProductsTable;
  prices: PricesTable;
  usage_billings: UsageBillingsTable;
  meter_event_adjustments: MeterEventAdjustmentsTable;
  subscription_revisions: SubscriptionRevisionsTable;
  payment_methods: PaymentMethodsTable;
  gateways: GatewaysTable;
  routing_rules: RoutingRulesTable;
  dunning_policies: DunningPoliciesTable;
  dunning_cases: DunningCasesTable;
  features: FeaturesTable;
  product_features: ProductFeaturesTable;
  entitlement_overrides: EntitlementOverridesTable;
  customer_entitlements: CustomerEntitlementsTable;
  entitlement_changes: EntitlementChangesTable;
  meters: MetersTable;
  meter_events: MeterEventsTable;
  credit_grants: CreditGrantsTable;
  credit_grant_transactions: CreditGrantTransactionsTable;
  usage_checks: UsageChecksTable;
  billing_alerts: BillingAlertsTable;
  alert_triggers: AlertTriggersTable;
  exchange_rates: ExchangeRatesTable;
  subscriptions: SubscriptionsTable;
  subscription_items: SubscriptionItemsTable;
  subscription_schedules: SubscriptionSchedulesTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  invoice_items: InvoiceItemsTable;
  tax_rates: TaxRatesTable;
  coupons: CouponsTable;
  discounts: DiscountsTable;
  promotion_codes: PromotionCodesTable;
  customer_balance_transactions: CustomerBalanceTransactionsTable;
  payment_attempts: PaymentAttemptsTable;
  billing_failures: BillingFailuresTable;
  jobs: JobsTable;
  events: EventsTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeysTable;
  credit_notes: CreditNotesTable;
  refunds: RefundsTable;
  gateway_events: GatewayEventsTable;
  disputes: DisputesTable;
  'sandbox.charges': SandboxChargesTable;
  'sandbox.refunds': SandboxRefundsTable;
}
