import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_TOKENS } from '../adapters/gateways/sandbox/tokens.ts';
import { DECLINE_CATEGORIES, DECLINE_CODE_LIST, DECLINE_CODES, failoverAllowed, normalizeDecline, type DeclineCategory, type RawDecline } from './declines.ts';
import { GATEWAYS, RAZORPAY_ERROR_REASONS, SANDBOX_CODES, STRIPE_DECLINE_CODES, STRIPE_ERROR_CODES } from './declines-gateways.ts';

const stripe = (declineCode: string, extra: RawDecline = {}) => normalizeDecline('stripe', { code: 'card_declined', declineCode, ...extra });
const GENERIC_MESSAGE = DECLINE_CODES.generic_decline.message;

describe('decline vocabulary', () => {
  it('gives every code a category from the closed set and a message for the customer', () => {
    for (const code of DECLINE_CODE_LIST) {
      expect(DECLINE_CATEGORIES).toContain(DECLINE_CODES[code].category);
      expect(DECLINE_CODES[code].message.length).toBeGreaterThan(10);
    }
    expect(DECLINE_CODE_LIST.length).toBeGreaterThanOrEqual(30);
  });

  it('never tells the customer a card was lost, stolen, picked up or suspected of fraud', () => {
    for (const code of ['lost_card', 'stolen_card', 'pickup_card', 'restricted_card', 'fraudulent'] as const) {
      expect(DECLINE_CODES[code].message).toBe(GENERIC_MESSAGE);
    }
    for (const code of DECLINE_CODE_LIST) expect(DECLINE_CODES[code].message).not.toMatch(/fraud|stolen|lost/i);
  });
});

// Stripe's card decline code table as published (docs.stripe.com/declines/codes, read 2026-11),
// written out here so that a code dropped from the mapping fails the test.
const STRIPE_PUBLISHED = `authentication_required authentication_not_handled approve_with_id call_issuer card_not_supported
  card_velocity_exceeded currency_not_supported do_not_honor do_not_try_again duplicate_transaction expired_card fraudulent
  generic_decline incorrect_address incorrect_cvc incorrect_number incorrect_pin incorrect_zip insufficient_funds
  invalid_account invalid_amount invalid_cvc invalid_expiry_month invalid_expiry_year invalid_number invalid_pin
  issuer_not_available lost_card merchant_blacklist mobile_device_authentication_required new_account_information_available
  no_action_taken not_permitted offline_pin_required online_or_offline_pin_required pickup_card pin_try_exceeded
  processing_error reenter_transaction restricted_card revocation_of_all_authorizations revocation_of_authorization
  security_violation service_not_allowed stolen_card stop_payment_order testmode_decline transaction_not_allowed
  try_again_later withdrawal_count_limit_exceeded`.split(/\s+/);

describe('Stripe decline codes', () => {
  it('maps every code of Stripe\'s published list, with or without the card_declined error code', () => {
    expect(STRIPE_PUBLISHED).toHaveLength(50);
    for (const raw of STRIPE_PUBLISHED) {
      for (const d of [stripe(raw), normalizeDecline('stripe', { declineCode: raw })]) {
        expect([raw, d.recognized]).toEqual([raw, true]);
        expect(DECLINE_CATEGORIES).toContain(d.category);
      }
    }
  });

  it('maps every decline code of its table to a category', () => {
    expect(Object.keys(STRIPE_DECLINE_CODES).length).toBeGreaterThanOrEqual(50);
    for (const [raw, code] of Object.entries(STRIPE_DECLINE_CODES)) {
      const d = stripe(raw);
      expect(d.recognized, raw).toBe(true);
      expect(d.declineCode, raw).toBe(code);
      expect(DECLINE_CATEGORIES).toContain(d.category);
    }
  });

  it('maps every error code that matters for charges', () => {
    for (const [raw, code] of Object.entries(STRIPE_ERROR_CODES)) {
      const d = normalizeDecline('stripe', { code: raw });
      expect([raw, d.declineCode, d.recognized]).toEqual([raw, code, true]);
    }
  });

  it('reads the well-known ones as expected', () => {
    const cases: [string, DeclineCategory, boolean][] = [
      ['stolen_card', 'hard', true], ['lost_card', 'hard', true], ['pickup_card', 'hard', true],
      ['expired_card', 'hard', true], ['incorrect_number', 'hard', true], ['incorrect_cvc', 'hard', true],
      ['revocation_of_authorization', 'hard', true], ['stop_payment_order', 'hard', true], ['do_not_try_again', 'hard', true],
      ['fraudulent', 'fraud', true], ['merchant_blacklist', 'fraud', true],
      ['insufficient_funds', 'soft', false], ['card_velocity_exceeded', 'soft', false], ['do_not_honor', 'soft', false],
      ['generic_decline', 'soft', false], ['processing_error', 'soft', false], ['issuer_not_available', 'soft', false],
      ['authentication_required', 'soft', false], ['invalid_amount', 'config', false],
    ];
    for (const [raw, category, doNotRetry] of cases) {
      const d = stripe(raw);
      expect([raw, d.category, d.doNotRetry]).toEqual([raw, category, doNotRetry]);
    }
    expect(stripe('authentication_required').action).toBe('authenticate');
    expect(stripe('expired_card').action).toBe('update_payment_method');
  });

  it('prefers the decline code to the error code, and reads a bare card_declined as a generic decline', () => {
    expect(normalizeDecline('stripe', { code: 'card_declined', declineCode: 'insufficient_funds' }).declineCode).toBe('insufficient_funds');
    expect(normalizeDecline('stripe', { code: 'card_declined' })).toMatchObject({ declineCode: 'generic_decline', recognized: true });
    expect(normalizeDecline('stripe', { code: 'card_declined', declineCode: 'brand_new_reason' })).toMatchObject({ declineCode: 'generic_decline', recognized: false });
    expect(normalizeDecline('stripe', { code: ' Expired_Card ' }).declineCode).toBe('expired_card');
  });

  it('turns a do_not_honor hard when Stripe or the network advises never to retry, and only tightens', () => {
    expect(stripe('do_not_honor', { gatewayAdvice: 'do_not_try_again' })).toMatchObject({ category: 'hard', doNotRetry: true, action: 'update_payment_method' });
    expect(stripe('do_not_honor', { gatewayAdvice: 'confirm_card_data' })).toMatchObject({ category: 'hard', doNotRetry: true });
    expect(stripe('do_not_honor', { gatewayAdvice: 'try_again_later' })).toMatchObject({ category: 'soft', doNotRetry: false });
    expect(stripe('do_not_honor', { network: 'mastercard', adviceCode: '03' })).toMatchObject({ category: 'hard', doNotRetry: true });
    expect(stripe('do_not_honor', { network: 'mastercard', adviceCode: '21' })).toMatchObject({ category: 'hard', doNotRetry: true });
    expect(stripe('do_not_honor', { network: 'visa', networkCode: 'R1' })).toMatchObject({ category: 'hard', doNotRetry: true });
    expect(stripe('fraudulent', { network: 'mastercard', adviceCode: '03' }).category).toBe('fraud');
    expect(stripe('stolen_card', { network: 'mastercard', adviceCode: '02' })).toMatchObject({ category: 'hard', doNotRetry: true });
  });
});

describe('Razorpay error reasons', () => {
  it('maps every documented reason to a category', () => {
    for (const [raw, code] of Object.entries(RAZORPAY_ERROR_REASONS)) {
      const d = normalizeDecline('razorpay', { code: 'BAD_REQUEST_ERROR', declineCode: raw });
      expect([raw, d.declineCode, d.recognized]).toEqual([raw, code, true]);
    }
  });

  it('reads the common card failures', () => {
    const r = (reason: string, code = 'BAD_REQUEST_ERROR') => normalizeDecline('razorpay', { code, declineCode: reason });
    expect(r('insufficient_funds')).toMatchObject({ declineCode: 'insufficient_funds', category: 'soft' });
    expect(r('card_expired')).toMatchObject({ declineCode: 'expired_card', category: 'hard', doNotRetry: true });
    expect(r('incorrect_cvv').declineCode).toBe('incorrect_cvc');
    expect(r('payment_risk_check_failed')).toMatchObject({ category: 'fraud', doNotRetry: true });
    expect(r('gateway_technical_error', 'GATEWAY_ERROR').declineCode).toBe('processing_error');
    expect(r('card_network_not_enabled').category).toBe('config');
  });

  it('falls back on the error class when the reason is missing or unknown', () => {
    expect(normalizeDecline('razorpay', { code: 'GATEWAY_ERROR' })).toMatchObject({ declineCode: 'processing_error', recognized: true });
    expect(normalizeDecline('razorpay', { code: 'SERVER_ERROR', declineCode: null }).declineCode).toBe('processing_error');
    expect(normalizeDecline('razorpay', { code: 'BAD_REQUEST_ERROR', declineCode: 'never_heard_of_it' })).toMatchObject({ declineCode: 'generic_decline', category: 'soft', recognized: false });
  });

  it('never lets a payment that may still complete fail over', () => {
    for (const reason of ['payment_pending', 'deemed_transaction', 'collect_request_pending', 'payment_timed_out']) {
      expect(failoverAllowed(normalizeDecline('razorpay', { code: 'BAD_REQUEST_ERROR', declineCode: reason })), reason).toBe(false);
    }
  });
});

describe('sandbox and custom HTTP gateways', () => {
  it('maps every decline the sandbox can give', () => {
    const sandboxCodes = Object.values(TEST_TOKENS).flatMap((t) => (t.behaviour.kind === 'decline' || t.behaviour.kind === 'decline_then_succeed' ? [t.behaviour.code] : []));
    for (const raw of [...sandboxCodes, ...Object.keys(SANDBOX_CODES)]) {
      const d = normalizeDecline('sandbox', { code: raw });
      expect([raw, d.recognized]).toEqual([raw, true]);
    }
    expect(normalizeDecline('sandbox', { code: 'invalid_token' })).toMatchObject({ declineCode: 'invalid_payment_method', category: 'hard' });
    expect(normalizeDecline('sandbox', { code: 'processing_error' })).toMatchObject({ category: 'soft' });
  });

  it('takes Rebill\'s own codes from a custom gateway as they are, and nothing else', () => {
    for (const code of DECLINE_CODE_LIST) {
      expect(normalizeDecline('custom_http', { code })).toMatchObject({ declineCode: code, category: DECLINE_CODES[code].category, recognized: true });
    }
    expect(normalizeDecline('custom_http', { code: 'card_expired' })).toMatchObject({ declineCode: 'generic_decline', recognized: false });
  });

  it('reads an unknown code as a soft generic decline on every gateway', () => {
    for (const g of GATEWAYS) {
      expect(normalizeDecline(g, { code: 'zz_unknown' })).toMatchObject({ declineCode: 'generic_decline', category: 'soft', doNotRetry: false, recognized: false });
      expect(normalizeDecline(g, {})).toMatchObject({ declineCode: 'generic_decline', recognized: false, network: null });
    }
  });
});

describe('network codes in a normalized decline', () => {
  it('refines a generic decline with the Visa response code', () => {
    expect(normalizeDecline('stripe', { code: 'card_declined', network: 'visa', networkCode: '51' })).toMatchObject({
      declineCode: 'insufficient_funds', category: 'soft', recognized: true, network: { name: 'visa', code: '51', visaCategory: 2 },
    });
    expect(normalizeDecline('custom_http', { code: 'mystery', network: 'VISA', networkCode: '41' })).toMatchObject({ declineCode: 'lost_card', category: 'hard', doNotRetry: true, recognized: true });
    // A specific gateway reason is kept; the network only tightens it.
    expect(normalizeDecline('stripe', { code: 'card_declined', declineCode: 'insufficient_funds', network: 'visa', networkCode: '43' })).toMatchObject({
      declineCode: 'insufficient_funds', category: 'hard', doNotRetry: true, network: { visaCategory: 1 },
    });
  });

  it('gives a Visa decline without a response code the default category of its reason', () => {
    expect(stripe('insufficient_funds', { network: 'visa' }).network).toMatchObject({ visaCategory: 2, code: null });
    expect(stripe('expired_card', { network: 'visa' }).network).toMatchObject({ visaCategory: 3 });
    expect(stripe('stolen_card', { network: 'visa' }).network).toMatchObject({ visaCategory: 1 });
    expect(stripe('do_not_honor', { network: 'visa', networkCode: 'Q9' }).network).toMatchObject({ visaCategory: 4 });
  });

  it('carries a Mastercard wait with the advice', () => {
    expect(stripe('insufficient_funds', { network: 'mastercard', networkCode: '51', adviceCode: '25' }).network).toMatchObject({
      name: 'mastercard', code: '51', mastercardAdvice: { code: '25', retryAfterMs: 24 * 3_600_000 },
    });
  });
});

describe('failover', () => {
  it('is allowed only after a processing error', () => {
    expect(failoverAllowed(normalizeDecline('stripe', { code: 'processing_error' }))).toBe(true);
    expect(failoverAllowed(normalizeDecline('razorpay', { code: 'SERVER_ERROR' }))).toBe(true);
    for (const code of DECLINE_CODE_LIST) {
      const d = normalizeDecline('custom_http', { code });
      expect([code, failoverAllowed(d)]).toEqual([code, code === 'processing_error']);
    }
  });

  it('is never allowed after a processing error the network says not to retry', () => {
    expect(failoverAllowed(normalizeDecline('stripe', { code: 'processing_error', network: 'mastercard', adviceCode: '03' }))).toBe(false);
  });
});

const maybe = (arb: fc.Arbitrary<string>) => fc.option(arb, { nil: null });
const anyText = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ' ', ''), fc.constantFrom(...Object.keys(STRIPE_DECLINE_CODES)));
const rawDecline: fc.Arbitrary<RawDecline> = fc.record({
  code: maybe(anyText), declineCode: maybe(anyText), gatewayAdvice: maybe(fc.oneof(anyText, fc.constantFrom('do_not_try_again', 'confirm_card_data'))),
  networkCode: maybe(fc.oneof(anyText, fc.constantFrom('05', '51', '43', 'R1', '54'))), adviceCode: maybe(fc.oneof(anyText, fc.constantFrom('03', '21', '1', '24'))),
  network: maybe(fc.oneof(anyText, fc.constantFrom('visa', 'mastercard', 'amex'))),
}, { requiredKeys: [] });
const gateway = fc.constantFrom(...GATEWAYS);
const RANK: Record<DeclineCategory, number> = { soft: 0, config: 1, hard: 2, fraud: 3 };

describe('decline normalization (properties)', () => {
  it('never throws and always lands in the closed vocabulary', () => {
    fc.assert(fc.property(gateway, rawDecline, (g, raw) => {
      const d = normalizeDecline(g, raw);
      expect(DECLINE_CODE_LIST).toContain(d.declineCode);
      expect(DECLINE_CATEGORIES).toContain(d.category);
      expect(d.message.length).toBeGreaterThan(0);
    }), { numRuns: 2000 });
  });

  it('flags every hard and fraud decline do-not-retry and never fails it over', () => {
    fc.assert(fc.property(gateway, rawDecline, (g, raw) => {
      const d = normalizeDecline(g, raw);
      if (d.category === 'hard' || d.category === 'fraud') {
        expect(d.doNotRetry).toBe(true);
        expect(failoverAllowed(d)).toBe(false);
      }
      if (failoverAllowed(d)) expect([d.declineCode, d.category, d.doNotRetry]).toEqual(['processing_error', 'soft', false]);
    }), { numRuns: 2000 });
  });

  it('lets advice only tighten what the gateway\'s code says', () => {
    fc.assert(fc.property(gateway, rawDecline, (g, raw) => {
      const bare = normalizeDecline(g, { code: raw.code, declineCode: raw.declineCode });
      const advised = normalizeDecline(g, { ...raw, networkCode: null });
      expect(advised.declineCode).toBe(bare.declineCode);
      expect(RANK[advised.category]).toBeGreaterThanOrEqual(RANK[bare.category]);
      if (bare.doNotRetry) expect(advised.doNotRetry).toBe(true);
    }), { numRuns: 2000 });
  });
});
