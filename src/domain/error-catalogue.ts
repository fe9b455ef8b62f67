/**
 * Every error `code` the API can answer, with its HTTP status, its `type` and what it means.
 * DomainError takes its type and status from here, so a code can only be answered one way, and
 * a code missing here does not compile. The OpenAPI document (`x-error-codes` on `Error`) and
 * the README's Errors table are checked against this object by test/api/error-catalogue.test.ts.
 */

export const ERROR_TYPES = [
  'invalid_request_error', 'authentication_error', 'permission_error', 'idempotency_error', 'conflict_error', 'card_error', 'rate_limit_error', 'api_error',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export type ErrorEntry = { readonly status: number; readonly type: ErrorType; readonly message: string };

export const ERRORS = {
  // The request as sent (400 unless a more specific status says which part was refused).
  body_invalid: { status: 400, type: 'invalid_request_error', message: 'The body cannot be read as JSON: it is malformed, or empty where its content type promises JSON.' },
  body_too_large: { status: 413, type: 'invalid_request_error', message: 'The body is larger than 1 MiB (16 MiB for POST /v1/billing/meter_event_batches).' },
  content_type_invalid: { status: 415, type: 'invalid_request_error', message: 'The body is sent with a content type other than application/json.' },
  headers_too_large: { status: 431, type: 'invalid_request_error', message: 'The request headers are larger than the server accepts (16 KB).' },
  request_invalid: { status: 400, type: 'invalid_request_error', message: 'The request is not valid HTTP/1.1.' },
  request_timeout: { status: 408, type: 'invalid_request_error', message: 'The request took too long to arrive.' },
  route_missing: { status: 404, type: 'invalid_request_error', message: 'No route answers this method and path.' },
  url_invalid: { status: 400, type: 'invalid_request_error', message: 'The URL path is not valid percent-encoded UTF-8.' },
  url_too_long: { status: 414, type: 'invalid_request_error', message: 'A path segment of the URL is too long.' },

  // Parameters.
  amount_too_large: { status: 400, type: 'invalid_request_error', message: 'An amount, or price × quantity of a subscription\'s items, exceeds the largest amount an invoice can hold.' },
  card_number_refused: { status: 400, type: 'invalid_request_error', message: 'The request holds a raw card number; send a gateway token instead.' },
  country_invalid: { status: 400, type: 'invalid_request_error', message: 'The address\'s country is not an ISO 3166-1 alpha-2 country code.' },
  currency_invalid: { status: 400, type: 'invalid_request_error', message: 'The currency is not an ISO 4217 currency code.' },
  currency_mismatch: { status: 400, type: 'invalid_request_error', message: 'The items of one subscription do not share one currency.' },
  interval_mismatch: { status: 400, type: 'invalid_request_error', message: 'The items of one subscription do not share one billing interval.' },
  parameter_invalid: { status: 400, type: 'invalid_request_error', message: 'A parameter has a value that is not allowed (wrong type, format, range, or text that cannot be stored).' },
  parameter_missing: { status: 400, type: 'invalid_request_error', message: 'A required parameter is missing.' },
  parameter_unknown: { status: 400, type: 'invalid_request_error', message: 'The request has a parameter this endpoint does not take.' },
  parameters_exclusive: { status: 400, type: 'invalid_request_error', message: 'Two parameters were given that cannot be used together.' },
  tax_id_invalid: { status: 400, type: 'invalid_request_error', message: 'The tax id\'s value does not have the shape its type requires.' },
  template_invalid: { status: 400, type: 'invalid_request_error', message: 'A notification template does not parse, includes another, or uses a variable its kind does not have.' },
  token_invalid: { status: 400, type: 'invalid_request_error', message: 'The payment method token is not one the gateway issued.' },

  // Objects and their state.
  resource_missing: { status: 404, type: 'invalid_request_error', message: 'No object with this id exists in the API key\'s account.' },
  invoice_not_open: { status: 400, type: 'invalid_request_error', message: 'Only an open invoice can be paid.' },
  invoice_not_voidable: { status: 400, type: 'invalid_request_error', message: 'Only a draft or open invoice can be voided.' },
  invoice_prefix_locked: { status: 400, type: 'invalid_request_error', message: 'The customer\'s invoice prefix cannot change once one of their invoices is numbered.' },
  invoice_prefix_taken: { status: 400, type: 'invalid_request_error', message: 'Another customer of the account already has this invoice prefix.' },
  payment_method_missing: { status: 400, type: 'invalid_request_error', message: 'No payment method was given and the customer has no default one.' },
  price_inactive: { status: 400, type: 'invalid_request_error', message: 'The price is archived and cannot be subscribed to.' },
  price_not_recurring: { status: 400, type: 'invalid_request_error', message: 'A subscription item needs a recurring price.' },
  product_inactive: { status: 400, type: 'invalid_request_error', message: 'The product is archived and cannot get new prices.' },
  notification_not_unknown: { status: 400, type: 'invalid_request_error', message: 'Only a notification whose outcome is unknown (or that failed) can be resent or dropped.' },
  unsubscribe_link_invalid: { status: 404, type: 'invalid_request_error', message: 'The unsubscribe link is not one Rebill signed, or its customer no longer exists.' },
  payment_link_invalid: { status: 404, type: 'invalid_request_error', message: 'The card-update link is not one Rebill signed (or was edited); the page answers 404 and says so in plain words.' },
  payment_link_gone: { status: 410, type: 'invalid_request_error', message: 'The card-update link was used already or has expired; the page answers 410 and says so in plain words.' },
  payment_links_unavailable: { status: 400, type: 'invalid_request_error', message: 'Card-update links need REBILL_SECRET_KEY (which signs them) and a public URL; this installation has neither set.' },
  billing_portal_unavailable: { status: 400, type: 'invalid_request_error', message: 'Billing portal sessions are signed with REBILL_SECRET_KEY and opened at the public URL; this installation has neither set.' },
  portal_price_not_allowed: { status: 400, type: 'invalid_request_error', message: 'The portal\'s configuration does not offer this price for the item\'s product (subscription_update.products).' },
  portal_retention_unavailable: { status: 400, type: 'invalid_request_error', message: 'There is no retention offer to accept: the configuration has no retention coupon, or the subscription already has a discount or is canceled.' },
  subscription_not_parked: { status: 400, type: 'invalid_request_error', message: 'The billing failure\'s subscription is already scheduled for billing.' },
  webhook_url_invalid: { status: 400, type: 'invalid_request_error', message: 'The webhook URL is not a valid absolute URL, or carries a user name or password.' },
  webhook_url_insecure: { status: 400, type: 'invalid_request_error', message: 'Webhook URLs must use https; http only to a loopback host when REBILL_WEBHOOKS_ALLOW_HTTP=1.' },
  webhook_url_not_public: { status: 400, type: 'invalid_request_error', message: 'The webhook URL points to a private, loopback, link-local or metadata address; allowed only with REBILL_WEBHOOKS_ALLOW_PRIVATE=1.' },
  webhook_endpoint_limit: { status: 400, type: 'invalid_request_error', message: 'The account has as many webhook endpoints as it may (16); delete one first.' },
  gateway_type_unavailable: { status: 400, type: 'invalid_request_error', message: 'This installation has no adapter for that type of gateway.' },
  routing_rule_limit: { status: 400, type: 'invalid_request_error', message: 'The account has as many routing rules as it may (50); delete one first.' },
  webhook_signature_invalid: { status: 400, type: 'invalid_request_error', message: 'The webhook\'s signature is missing or does not match the gateway\'s webhook secret; nothing was stored.' },
  webhook_timestamp_stale: { status: 400, type: 'invalid_request_error', message: 'The webhook was signed more than 300 seconds from now; nothing was stored.' },
  gateway_inactive: { status: 400, type: 'invalid_request_error', message: 'The gateway is inactive: it takes no new payment methods or charges.' },
  webhook_endpoint_disabled: { status: 400, type: 'invalid_request_error', message: 'The webhook endpoint is disabled; enable it (disabled: false) before sending to it again.' },
  webhook_replay_too_large: { status: 400, type: 'invalid_request_error', message: 'The replay matches more events than one request may send again (10,000); narrow it with types or created.' },
  job_not_failed: { status: 400, type: 'invalid_request_error', message: 'Only a failed job can be retried.' },
  customer_currency_mismatch: { status: 400, type: 'invalid_request_error', message: 'The customer bills in another currency: its first invoice fixed it.' },
  balance_currency_mismatch: { status: 400, type: 'invalid_request_error', message: 'The customer\'s balance is held in another currency; an amount in this currency cannot be added to it.' },
  invoice_no_pending_items: { status: 400, type: 'invalid_request_error', message: 'The customer has no pending invoice items (in that currency, or of that subscription) to make an invoice of.' },
  invoice_not_editable: { status: 400, type: 'invalid_request_error', message: 'Only a draft invoice can be edited.' },
  invoice_not_draft: { status: 400, type: 'invalid_request_error', message: 'Only a draft invoice can be finalized.' },
  invoice_upcoming_none: { status: 400, type: 'invalid_request_error', message: 'There is no upcoming invoice to preview: the subscription has ended, ends at period end, or the customer has none.' },
  phase_end_invalid: { status: 400, type: 'invalid_request_error', message: 'A schedule phase must end after it starts, and phases end in order without overlapping.' },
  subscription_has_schedule: { status: 400, type: 'invalid_request_error', message: 'The subscription already follows a schedule; release that schedule first.' },
  subscription_schedule_status_invalid: { status: 400, type: 'invalid_request_error', message: 'The subscription schedule\'s status does not allow this (it has ended, was released or canceled).' },
  tax_rate_inactive: { status: 400, type: 'invalid_request_error', message: 'The tax rate is archived and cannot be applied anew.' },
  coupon_expired: { status: 400, type: 'invalid_request_error', message: 'The coupon could be redeemed only until its redeem_by date.' },
  coupon_exhausted: { status: 400, type: 'invalid_request_error', message: 'The coupon has been redeemed as many times as its max_redemptions allows.' },
  credit_note_exceeds_invoice: { status: 400, type: 'invalid_request_error', message: 'The credit notes of an invoice would together exceed its total (or a line\'s amount, or what is still due on an open invoice).' },
  credit_note_split_invalid: { status: 400, type: 'invalid_request_error', message: 'On a paid invoice, refund_amount + credit_amount + out_of_band_amount must equal the credit note\'s total; on an open one they must be absent.' },
  credit_note_not_voidable: { status: 400, type: 'invalid_request_error', message: 'The credit note cannot be voided: it is void already, it refunded money, or its open invoice has since been paid or voided.' },
  invoice_not_creditable: { status: 400, type: 'invalid_request_error', message: 'Credit notes can be issued only on a finalized invoice that is open or paid.' },
  invoice_partly_paid: { status: 400, type: 'invalid_request_error', message: 'The invoice is partly paid and cannot be voided; issue a credit note for what it should no longer charge (POST /v1/credit_notes).' },
  refund_exceeds_payment: { status: 400, type: 'invalid_request_error', message: 'The refund is more than what was paid through the gateway on the invoice and not yet refunded.' },
  promotion_code_taken: { status: 400, type: 'invalid_request_error', message: 'Another promotion code of the account already has this code (codes are compared case-insensitively).' },
  promotion_code_inactive: { status: 400, type: 'invalid_request_error', message: 'The promotion code is not active.' },
  promotion_code_expired: { status: 400, type: 'invalid_request_error', message: 'The promotion code could be redeemed only until its expires_at.' },
  promotion_code_exhausted: { status: 400, type: 'invalid_request_error', message: 'The promotion code has been redeemed as many times as its max_redemptions allows.' },
  promotion_code_customer_mismatch: { status: 400, type: 'invalid_request_error', message: 'The promotion code is reserved for another customer.' },
  promotion_code_first_time_only: { status: 400, type: 'invalid_request_error', message: 'The promotion code is for first-time customers, and this customer already has a finalized invoice with a total above zero.' },
  promotion_code_minimum_not_met: { status: 400, type: 'invalid_request_error', message: 'The first invoice\'s subtotal does not reach the promotion code\'s minimum_amount (or is in another currency than minimum_amount_currency).' },
  feature_lookup_key_taken: { status: 400, type: 'invalid_request_error', message: 'Another feature of the account already has this lookup_key.' },
  feature_inactive: { status: 400, type: 'invalid_request_error', message: 'The feature is archived: it cannot be attached to a product or granted anew.' },
  meter_event_name_taken: { status: 400, type: 'invalid_request_error', message: 'Another active meter of the account already has this event_name.' },
  meter_event_meter_unknown: { status: 400, type: 'invalid_request_error', message: 'No active meter of the account has the event\'s event_name (unknown, or its meter is inactive).' },
  meter_event_customer_unknown: { status: 400, type: 'invalid_request_error', message: 'The customer named in the event\'s payload is not a customer of the account.' },
  meter_event_value_invalid: { status: 400, type: 'invalid_request_error', message: 'The event\'s value is missing or is not a finite number or numeric string (at most 20 integer and 12 fractional digits); for unique_count, not text of at most 200 characters.' },
  billing_alert_archived: { status: 400, type: 'invalid_request_error', message: 'The alert is archived: it cannot be activated or deactivated again.' },
  meter_event_timestamp_invalid: { status: 400, type: 'invalid_request_error', message: 'The event\'s timestamp is more than 35 days before or 5 minutes after the customer\'s current (business) time.' },
  meter_inactive: { status: 400, type: 'invalid_request_error', message: 'The meter is inactive: no new metered price can bill it.' },
  meter_event_adjustment_too_late: { status: 400, type: 'invalid_request_error', message: 'The event is older than 35 days before the customer\'s current time: its period can no longer be corrected.' },
  meter_event_already_canceled: { status: 400, type: 'invalid_request_error', message: 'The event was already canceled.' },
  metered_item_invalid: { status: 400, type: 'invalid_request_error', message: 'A metered price is billed by its usage: it takes no quantity, appears once per subscription, and cannot be added or swapped in mid-period.' },
  meter_already_billed: { status: 400, type: 'invalid_request_error', message: 'Another of the customer\'s subscriptions, not yet ended, bills this meter: the customer\'s usage would be billed twice.' },
  credit_grant_voided: { status: 400, type: 'invalid_request_error', message: 'The credit grant is voided: its remaining credit is gone, and it cannot be voided again or have its expiry changed.' },
  credit_grant_expired: { status: 400, type: 'invalid_request_error', message: 'The credit grant has expired: its expiry can no longer be changed.' },
  exchange_rate_missing: { status: 400, type: 'invalid_request_error', message: 'Amounts in several currencies are reported in one, and a currency has no uploaded exchange rate into the reporting currency (nor the reverse) in effect on a day it is needed; upload one with POST /v1/exchange_rates.' },
  subscription_status_invalid: { status: 400, type: 'invalid_request_error', message: 'The subscription\'s status does not allow this change.' },

  // Authentication and roles.
  api_key_missing: { status: 401, type: 'authentication_error', message: 'No API key was sent in the Authorization header.' },
  api_key_invalid: { status: 401, type: 'authentication_error', message: 'The API key is not valid.' },
  insufficient_role: { status: 403, type: 'permission_error', message: 'The API key\'s role does not grant the permission this endpoint needs.' },
  credentials_invalid: { status: 401, type: 'authentication_error', message: 'The email or password is not right (the same answer for an unknown email, a wrong password and a disabled user).' },
  session_invalid: { status: 401, type: 'authentication_error', message: 'The session cookie is not valid: signed out, expired (12 hours after sign-in), or its user was disabled.' },
  csrf_token_invalid: { status: 403, type: 'permission_error', message: 'A request other than GET made with the session cookie lacks the session\'s CSRF token in the x-csrf-token header.' },
  portal_session_invalid: { status: 401, type: 'authentication_error', message: 'The billing portal credential is not one Rebill signed for a portal session (forged, edited, or an API key).' },
  portal_session_revoked: { status: 401, type: 'authentication_error', message: 'The merchant ended this billing portal session; the merchant makes a new one.' },
  portal_session_expired: { status: 401, type: 'authentication_error', message: 'The billing portal session has expired (an hour after it was made, in the customer\'s business time); the merchant makes a new one.' },
  portal_feature_disabled: { status: 403, type: 'permission_error', message: 'The portal\'s configuration does not offer this action.' },
  session_required: { status: 400, type: 'invalid_request_error', message: 'This endpoint is about the session of a signed-in user; the request was made with an API key.' },
  current_password_incorrect: { status: 400, type: 'invalid_request_error', message: 'The current_password given to change one\'s own password is not the signed-in user\'s password; it counts as a failed sign-in.' },
  password_unchanged: { status: 400, type: 'invalid_request_error', message: 'The new password is the same as the current one.' },
  email_taken: { status: 400, type: 'invalid_request_error', message: 'A user with this email already exists (emails are unique across all accounts).' },
  login_rate_limited: { status: 429, type: 'rate_limit_error', message: 'Too many failed sign-ins (or wrong current passwords) for this email (5) or from this address (20) in 15 minutes; retry after Retry-After seconds.' },

  // Idempotency keys.
  idempotency_key_invalid: { status: 400, type: 'invalid_request_error', message: 'The Idempotency-Key header is not 1–255 characters long.' },
  idempotency_key_reused: { status: 409, type: 'idempotency_error', message: 'The Idempotency-Key was already used with a different request.' },
  idempotency_key_in_use: { status: 409, type: 'conflict_error', message: 'A request with this Idempotency-Key is still in progress; retry later.' },
  idempotency_key_orphaned: { status: 409, type: 'conflict_error', message: 'The first request with this Idempotency-Key made its changes but its answer was lost; it will not run again (see the audit log under its request id).' },

  // Work in progress elsewhere: retrying later can succeed.
  conflict: { status: 409, type: 'conflict_error', message: 'The request conflicts with a concurrent change; retry it.' },
  renewal_pending: { status: 409, type: 'conflict_error', message: 'The subscription\'s period has ended and its renewal has not run yet; retry shortly.' },
  payment_in_progress: { status: 409, type: 'conflict_error', message: 'A payment for the invoice is still in progress.' },
  test_clock_advancing: { status: 409, type: 'conflict_error', message: 'The test clock is already advancing.' },
  billing_failure_retried: { status: 409, type: 'conflict_error', message: 'The billing failure was already retried.' },
  billing_portal_session_revoked: { status: 409, type: 'conflict_error', message: 'The billing portal session was already revoked.' },
  // Not work in progress: the conflict is with history, which is never rewritten.
  exchange_rate_exists: { status: 409, type: 'conflict_error', message: 'The pair already has a rate on this effective_date; rates are history and are not replaced (upload a rate for a later day instead).' },

  // Money.
  card_declined: { status: 402, type: 'card_error', message: 'The charge was declined; decline_code says why.' },

  // Ours.
  gateway_unavailable: { status: 502, type: 'api_error', message: "The payment method's gateway did not answer; nothing was saved. Retry later." },
  internal_error: { status: 500, type: 'api_error', message: 'Something went wrong on the server; the request may be retried with the same Idempotency-Key.' },
  response_invalid: { status: 500, type: 'api_error', message: 'The server built a response that its own schema or this catalogue does not allow (raised only with response checking on, as in the test suite).' },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes of one type, so a helper such as `conflict()` can only be given its own kind. */
export type CodeOf<T extends ErrorType> = { [C in ErrorCode]: (typeof ERRORS)[C]['type'] extends T ? C : never }[ErrorCode];

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}
