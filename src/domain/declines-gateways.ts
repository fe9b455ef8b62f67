// Each gateway's failure codes, mapped to Rebill's decline vocabulary (declines.ts). Keys are
// lower case; lookups go through Maps so no string ("__proto__", "constructor") can reach an
// object's prototype.
import type { DeclineCode } from './declines.ts';

export const GATEWAYS = ['stripe', 'razorpay', 'sandbox', 'custom_http'] as const;
export type Gateway = (typeof GATEWAYS)[number];

type Table = Readonly<Record<string, DeclineCode>>;

/**
 * Every Stripe card decline code (`last_payment_error.decline_code`), from
 * docs.stripe.com/declines/codes (table "Card decline codes", read 2026-11; do_not_try_again and
 * try_again_later are deprecated there in favour of advice codes, and still arrive on old
 * integrations). Several of Stripe's codes share one meaning here.
 */
export const STRIPE_DECLINE_CODES: Table = {
  authentication_required: 'authentication_required',
  authentication_not_handled: 'authentication_required',
  mobile_device_authentication_required: 'authentication_required',
  approve_with_id: 'try_again_later',
  call_issuer: 'generic_decline',
  card_not_supported: 'card_not_supported',
  card_velocity_exceeded: 'card_velocity_exceeded',
  currency_not_supported: 'currency_not_supported',
  do_not_honor: 'do_not_honor',
  do_not_try_again: 'do_not_try_again',
  duplicate_transaction: 'duplicate_transaction',
  expired_card: 'expired_card',
  fraudulent: 'fraudulent',
  generic_decline: 'generic_decline',
  incorrect_address: 'incorrect_address',
  incorrect_cvc: 'incorrect_cvc',
  incorrect_number: 'incorrect_number',
  incorrect_pin: 'pin_required',
  incorrect_zip: 'incorrect_address',
  insufficient_funds: 'insufficient_funds',
  invalid_account: 'invalid_account',
  invalid_amount: 'invalid_amount',
  invalid_cvc: 'incorrect_cvc',
  invalid_expiry_month: 'incorrect_expiry',
  invalid_expiry_year: 'incorrect_expiry',
  invalid_number: 'incorrect_number',
  invalid_pin: 'pin_required',
  issuer_not_available: 'issuer_unavailable',
  lost_card: 'lost_card',
  // A match on the merchant's own Radar block list: treated as fraud, shown as a generic decline.
  merchant_blacklist: 'fraudulent',
  new_account_information_available: 'invalid_account',
  no_action_taken: 'generic_decline',
  not_permitted: 'transaction_not_allowed',
  offline_pin_required: 'pin_required',
  online_or_offline_pin_required: 'pin_required',
  pickup_card: 'pickup_card',
  pin_try_exceeded: 'pin_required',
  processing_error: 'processing_error',
  reenter_transaction: 'try_again_later',
  restricted_card: 'restricted_card',
  revocation_of_all_authorizations: 'revocation_of_authorization',
  revocation_of_authorization: 'revocation_of_authorization',
  security_violation: 'fraudulent',
  service_not_allowed: 'transaction_not_allowed',
  stolen_card: 'stolen_card',
  stop_payment_order: 'revocation_of_authorization',
  testmode_decline: 'testmode_decline',
  transaction_not_allowed: 'transaction_not_allowed',
  try_again_later: 'try_again_later',
  withdrawal_count_limit_exceeded: 'withdrawal_count_limit_exceeded',
};

/**
 * Stripe error `code`s a charge can fail with (docs.stripe.com/error-codes; the list is the
 * `LastPaymentError.Code` union of the stripe package 23.1). `card_declined` without a decline
 * code is a plain generic decline. API-side failures (rate limits, locks) are worth a later try
 * but not a failover: Stripe answered, and the charge was not made.
 */
export const STRIPE_ERROR_CODES: Table = {
  card_declined: 'generic_decline',
  expired_card: 'expired_card',
  expired_payment_method: 'expired_card',
  incorrect_cvc: 'incorrect_cvc',
  invalid_cvc: 'incorrect_cvc',
  incorrect_number: 'incorrect_number',
  invalid_number: 'incorrect_number',
  invalid_expiry_month: 'incorrect_expiry',
  invalid_expiry_year: 'incorrect_expiry',
  incorrect_zip: 'incorrect_address',
  incorrect_address: 'incorrect_address',
  postal_code_invalid: 'incorrect_address',
  insufficient_funds: 'insufficient_funds',
  processing_error: 'processing_error',
  payment_method_provider_timeout: 'processing_error',
  authentication_required: 'authentication_required',
  payment_intent_authentication_failure: 'authentication_failed',
  setup_intent_authentication_failure: 'authentication_failed',
  card_decline_rate_limit_exceeded: 'try_again_later',
  rate_limit: 'try_again_later',
  lock_timeout: 'try_again_later',
  idempotency_key_in_use: 'try_again_later',
  payment_intent_payment_attempt_failed: 'generic_decline',
  payment_method_provider_decline: 'generic_decline',
  payment_method_customer_decline: 'generic_decline',
  invalid_card_type: 'card_not_supported',
  payment_method_unsupported_type: 'card_not_supported',
  payment_method_currency_mismatch: 'currency_not_supported',
  resource_missing: 'invalid_payment_method',
  payment_method_unactivated: 'invalid_payment_method',
  payment_method_unexpected_state: 'invalid_payment_method',
  payment_intent_mandate_invalid: 'revocation_of_authorization',
  india_recurring_payment_mandate_canceled: 'revocation_of_authorization',
  amount_too_large: 'invalid_amount',
  amount_too_small: 'invalid_amount',
  invalid_charge_amount: 'invalid_amount',
  charge_exceeds_source_limit: 'invalid_amount',
  charge_exceeds_transaction_limit: 'invalid_amount',
  testmode_charges_only: 'merchant_config_error',
  livemode_mismatch: 'merchant_config_error',
  api_key_expired: 'merchant_config_error',
  secret_key_required: 'merchant_config_error',
  platform_api_key_expired: 'merchant_config_error',
  account_invalid: 'merchant_config_error',
  country_unsupported: 'merchant_config_error',
  capability_not_active: 'merchant_config_error',
  payment_method_not_available: 'merchant_config_error',
  parameter_invalid_integer: 'merchant_config_error',
  parameter_missing: 'merchant_config_error',
  parameter_unknown: 'merchant_config_error',
};

/**
 * Razorpay's `error.reason` values (razorpay.com/docs/payments/payment-gateway/rainy-day/errors/
 * error-reasons, and errors/payments/cards in razorpay/markdown-docs). Reasons that mean "not
 * settled yet" (payment_pending, deemed_transaction, collect_request_pending) belong to the
 * `processing` outcome; if one ever arrives on a failure it maps to try_again_later, never to a
 * processing error, so it cannot fail over while the first charge may still complete.
 */
export const RAZORPAY_ERROR_REASONS: Table = {
  insufficient_funds: 'insufficient_funds',
  funds_blocked_by_mandate: 'insufficient_funds',
  card_expired: 'expired_card',
  incorrect_cvv: 'incorrect_cvc',
  card_number_invalid: 'incorrect_number',
  incorrect_card_expiry_date: 'incorrect_expiry',
  incorrect_card_details: 'incorrect_card_data',
  incorrect_cardholder_name: 'incorrect_card_data',
  card_declined: 'generic_decline',
  payment_declined: 'generic_decline',
  payment_failed: 'generic_decline',
  debit_declined: 'generic_decline',
  payment_risk_check_failed: 'fraudulent',
  compliance_violation: 'fraudulent',
  gateway_technical_error: 'processing_error',
  server_error: 'processing_error',
  request_timed_out: 'processing_error',
  invalid_response_from_gateway: 'processing_error',
  capture_failed: 'processing_error',
  verification_failed: 'processing_error',
  bank_technical_error: 'issuer_unavailable',
  bank_not_available: 'issuer_unavailable',
  issuer_technical_error: 'issuer_unavailable',
  psp_not_available: 'issuer_unavailable',
  upi_app_technical_error: 'issuer_unavailable',
  payment_declined_due_to_high_traffic: 'try_again_later',
  bank_cutoff_in_progress: 'try_again_later',
  duplicate_rrn_found: 'try_again_later',
  payment_timed_out: 'try_again_later',
  payment_session_expired: 'try_again_later',
  payment_pending: 'try_again_later',
  deemed_transaction: 'try_again_later',
  collect_request_pending: 'try_again_later',
  record_not_found: 'try_again_later',
  authentication_failed: 'authentication_failed',
  payment_cancelled: 'authentication_failed',
  invalid_otp: 'authentication_failed',
  incorrect_otp: 'authentication_failed',
  otp_expired: 'authentication_failed',
  otp_attempts_exceeded: 'authentication_failed',
  customer_action_required: 'authentication_required',
  card_not_enrolled: 'transaction_not_allowed',
  card_disabled_for_online_payments: 'transaction_not_allowed',
  debit_instrument_inactive: 'transaction_not_allowed',
  credit_limit_expired: 'transaction_not_allowed',
  credit_limit_inactive: 'transaction_not_allowed',
  credit_limit_not_approved: 'transaction_not_allowed',
  user_not_eligible: 'transaction_not_allowed',
  transaction_on_vpa_restricted: 'transaction_not_allowed',
  debit_instrument_blocked: 'restricted_card',
  transaction_limit_exceeded: 'card_velocity_exceeded',
  transaction_daily_limit_exceeded: 'card_velocity_exceeded',
  credit_limit_exceeded: 'card_velocity_exceeded',
  transaction_daily_count_exceeded: 'withdrawal_count_limit_exceeded',
  transaction_frequency_limit_exceeded: 'withdrawal_count_limit_exceeded',
  card_type_invalid: 'card_not_supported',
  incorrect_pin: 'pin_required',
  incorrect_atm_pin: 'pin_required',
  pin_attempts_exceeded: 'pin_required',
  pin_not_set: 'pin_required',
  bank_account_invalid: 'invalid_account',
  bank_account_validation_failed: 'invalid_account',
  invalid_vpa: 'invalid_account',
  invalid_user_details: 'invalid_account',
  mandate_creation_declined: 'revocation_of_authorization',
  duplicate_request: 'duplicate_transaction',
  order_already_paid: 'duplicate_transaction',
  invalid_amount: 'invalid_amount',
  amount_less_than_minimum_amount: 'invalid_amount',
  payment_amount_tampered: 'invalid_amount',
  order_amount_mismatch: 'invalid_amount',
  card_network_not_enabled: 'merchant_config_error',
  payment_method_not_enabled: 'merchant_config_error',
  live_mode_not_enabled: 'merchant_config_error',
  merchant_not_activated: 'merchant_config_error',
  bank_not_enabled: 'merchant_config_error',
  recurring_payment_not_enabled: 'merchant_config_error',
  international_transaction_not_allowed: 'merchant_config_error',
  invalid_currency: 'merchant_config_error',
  input_validation_failed: 'merchant_config_error',
  invalid_request: 'merchant_config_error',
  invalid_order_id: 'merchant_config_error',
  order_payment_method_mismatch: 'merchant_config_error',
  mismatch_in_transaction_details: 'merchant_config_error',
};

/**
 * Razorpay's `error.code` classes when the reason is missing or unknown: gateway and server
 * errors are Razorpay's or its bank's trouble; BAD_REQUEST_ERROR says nothing more and is left
 * to the unknown-code default.
 */
export const RAZORPAY_ERROR_CODES: Table = {
  gateway_error: 'processing_error',
  server_error: 'processing_error',
};

/** Rebill's sandbox (src/adapters/gateways/sandbox): Stripe-like codes, plus two of its own. */
export const SANDBOX_CODES: Table = {
  generic_decline: 'generic_decline',
  insufficient_funds: 'insufficient_funds',
  expired_card: 'expired_card',
  processing_error: 'processing_error',
  stolen_card: 'stolen_card',
  authentication_required: 'authentication_required',
  invalid_token: 'invalid_payment_method',
  invalid_amount: 'invalid_amount',
  merchant_config_error: 'merchant_config_error',
};

const toMap = (...tables: Table[]): ReadonlyMap<string, DeclineCode> =>
  new Map(tables.flatMap((t) => Object.entries(t)));

/**
 * Per gateway, raw code → normalized code; decline reasons win over error codes on a clash. The
 * custom HTTP gateway has no table: its contract asks for Rebill's own codes, taken as they are.
 */
export const GATEWAY_CODE_TABLES: Record<Exclude<Gateway, 'custom_http'>, ReadonlyMap<string, DeclineCode>> = {
  stripe: toMap(STRIPE_ERROR_CODES, STRIPE_DECLINE_CODES),
  razorpay: toMap(RAZORPAY_ERROR_CODES, RAZORPAY_ERROR_REASONS),
  sandbox: toMap(SANDBOX_CODES),
};
