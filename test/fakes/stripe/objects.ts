import { randomBytes } from 'node:crypto';
import type { Template } from './catalog.ts';

/**
 * Stripe object shapes, field for field as the OpenAPI description lists them
 * (stripe/openapi openapi/spec3.json `components.schemas.payment_intent`, `charge`, `refund`,
 * `payment_method`, `dispute`, `customer`, `event`, `api_errors`; example values from
 * openapi/fixtures3.json). Fields the fake never sets are still present with Stripe's null or
 * empty value, so a client that reads them sees what it would in test mode.
 */
export type Obj = Record<string, any>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${s}`;
}

export function customer(id: string, created: number, params: { email?: string; name?: string; metadata: Record<string, string> }): Obj {
  return {
    id, object: 'customer', address: null, balance: 0, created, currency: null, default_source: null, delinquent: false,
    description: null, email: params.email ?? null, invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false, metadata: params.metadata, name: params.name ?? null, phone: null, preferred_locales: [], shipping: null,
    tax_exempt: 'none', test_clock: null,
  };
}

export function paymentMethod(id: string, created: number, t: Template, customerId: string | null): Obj {
  const base = {
    id, object: 'payment_method', allow_redisplay: 'unspecified',
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null, tax_id: null },
    created, customer: customerId, livemode: false, metadata: {}, type: t.type,
  };
  if (t.type === 'us_bank_account') {
    return { ...base, us_bank_account: { ...t.us_bank_account, financial_connections_account: null, fingerprint: fingerprint(id), networks: { preferred: 'ach', supported: ['ach'] }, status_details: {} } };
  }
  return {
    ...base,
    card: {
      ...t.card, display_brand: t.card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      fingerprint: fingerprint(t.card.brand + t.card.last4), generated_from: null,
      networks: { available: [t.card.brand], preferred: null }, regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true }, wallet: null,
    },
  };
}

function fingerprint(seed: string): string {
  let h = 0;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return (h.toString(36) + 'Xk9qLm2PzR4tW7vY').slice(0, 16);
}

export function paymentIntent(id: string, created: number, p: {
  amount: number; currency: string; customer: string | null; description: string | null; metadata: Record<string, string>;
  capture_method: string; payment_method: string | null; payment_method_types: string[]; setup_future_usage: string | null;
  allowed: string[] | null;
}): Obj {
  return {
    id, object: 'payment_intent', allowed_payment_method_types: p.allowed, amount: p.amount, amount_capturable: 0, amount_details: { tip: {} }, amount_received: 0,
    application: null, application_fee_amount: null, automatic_payment_methods: null, canceled_at: null, cancellation_reason: null,
    capture_method: p.capture_method, client_secret: `${id}_secret_${newId('x', 25).slice(2)}`, confirmation_method: 'automatic',
    created, currency: p.currency, customer: p.customer, customer_account: null, description: p.description, excluded_payment_method_types: null,
    last_payment_error: null, latest_charge: null, livemode: false, managed_payments: null, metadata: p.metadata, next_action: null, on_behalf_of: null,
    payment_method: p.payment_method, payment_method_configuration_details: null, payment_method_options: {},
    payment_method_types: p.payment_method_types, payment_record: null, processing: null, receipt_email: null, review: null,
    setup_future_usage: p.setup_future_usage, shipping: null, source: null, statement_descriptor: null,
    statement_descriptor_suffix: null, status: p.payment_method ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null, transfer_group: null,
  };
}

export function charge(id: string, created: number, pi: Obj, pm: Obj): Obj {
  const details = pm.type === 'card'
    ? { type: 'card', card: { amount_authorized: pi.amount, brand: pm.card.brand, checks: pm.card.checks, country: pm.card.country, exp_month: pm.card.exp_month, exp_year: pm.card.exp_year, fingerprint: pm.card.fingerprint, funding: pm.card.funding, last4: pm.card.last4, network: pm.card.brand, network_transaction_id: newId('ntx', 15).slice(4), three_d_secure: null, wallet: null } }
    : { type: pm.type, [pm.type]: { ...pm[pm.type] } };
  return {
    id, object: 'charge', amount: pi.amount, amount_captured: 0, amount_refunded: 0, application: null, application_fee: null,
    application_fee_amount: null, balance_transaction: null, billing_details: pm.billing_details, calculated_statement_descriptor: 'REBILL TEST',
    captured: false, created, currency: pi.currency, customer: pi.customer, description: pi.description, disputed: false,
    failure_balance_transaction: null, failure_code: null, failure_message: null, fraud_details: {}, livemode: false,
    metadata: { ...pi.metadata }, on_behalf_of: null, outcome: null, paid: false, payment_intent: pi.id, payment_method: pm.id,
    payment_method_details: details, receipt_email: null, receipt_number: null, receipt_url: null, refunded: false, review: null,
    shipping: null, source_transfer: null, statement_descriptor: null, statement_descriptor_suffix: null, status: 'pending',
    transfer_data: null, transfer_group: null,
  };
}

export function refund(id: string, created: number, ch: Obj, p: { amount: number; metadata: Record<string, string>; reason: string | null; status: string }): Obj {
  return {
    id, object: 'refund', amount: p.amount, balance_transaction: newId('txn'), charge: ch.id, created, currency: ch.currency,
    customer: ch.customer, customer_account: null, payment_method: ch.payment_method,
    destination_details: ch.payment_method_details.type === 'card' ? { type: 'card', card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } } : null,
    metadata: p.metadata, payment_intent: ch.payment_intent, reason: p.reason, receipt_number: null,
    source_transfer_reversal: null, status: p.status, transfer_reversal: null,
  };
}

export function dispute(id: string, created: number, ch: Obj, p: { amount: number; reason: string; status: string }): Obj {
  return {
    id, object: 'dispute', amount: p.amount, balance_transactions: [], charge: ch.id, created, currency: ch.currency,
    enhanced_eligibility_types: [], intended_submission_method: null, evidence: {}, evidence_details: { due_by: created + 14 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false, livemode: false, metadata: {}, payment_intent: ch.payment_intent,
    payment_method_details: ch.payment_method_details.type === 'card' ? { type: 'card', card: { brand: ch.payment_method_details.card.brand, case_type: 'chargeback', network_reason_code: p.reason === 'fraudulent' ? '10.4' : '13.1' } } : null,
    reason: p.reason, status: p.status,
  };
}

export function event(id: string, created: number, type: string, object: Obj, apiVersion: string, extra: { previous_attributes?: Obj; request?: { id: string | null; idempotency_key: string | null } } = {}): Obj {
  return {
    id, object: 'event', api_version: apiVersion, created,
    data: { object, ...(extra.previous_attributes ? { previous_attributes: extra.previous_attributes } : {}) },
    livemode: false, pending_webhooks: 1, request: extra.request ?? { id: null, idempotency_key: null }, type,
  };
}

/** Stripe's error body (`components.schemas.error` → `api_errors`). */
export type StripeErrorBody = {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string; code?: string; decline_code?: string; param?: string; charge?: string;
  payment_intent?: Obj; payment_method?: Obj; advice_code?: string; network_advice_code?: string; network_decline_code?: string;
};

export function errorBody(e: StripeErrorBody, requestId: string): { error: Obj } {
  const error: Obj = { ...e };
  if (e.code) error.doc_url = `https://stripe.com/docs/error-codes/${e.code.replace(/_/g, '-')}`;
  error.request_log_url = `https://dashboard.stripe.com/test/logs/${requestId}?t=${Math.floor(Date.now() / 1000)}`;
  return { error };
}
