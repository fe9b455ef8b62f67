/**
 * The fake's saved tokens. Each token id decides what a recurring payment on it does, the way a
 * processor's sandbox card numbers do. Every token belongs to every customer (`cust_…` of any
 * value): the fake does not model the authorisation payment that creates a real token.
 */
export type Decline = {
  /** HTTP status of the error answer: 400 for BAD_REQUEST_ERROR, 502 for GATEWAY_ERROR. */
  status: number;
  code: 'BAD_REQUEST_ERROR' | 'GATEWAY_ERROR' | 'SERVER_ERROR';
  description: string;
  source: string;
  step: string;
  reason: string;
};

export type TestToken = {
  method: 'card' | 'emandate';
  card?: { last4: string; network: string; type: 'credit' | 'debit'; issuer: string; expiry_month: number; expiry_year: number };
  bank?: string;
  /** success: authorized (then captured if the order auto-captures); decline: failed at once;
   *  processing: stays `created` until `control.settlePayment`. */
  outcome: { kind: 'success' } | { kind: 'processing' } | { kind: 'decline'; decline: Decline };
};

const visa = (last4: string, expiry_year = 2031) =>
  ({ last4, network: 'Visa', type: 'credit', issuer: 'HDFC', expiry_month: 12, expiry_year }) as const;
const auth = (reason: string, description: string, source = 'customer'): Decline =>
  ({ status: 400, code: 'BAD_REQUEST_ERROR', description, source, step: 'payment_authorization', reason });

export const TEST_TOKENS: Record<string, TestToken> = {
  token_success: { method: 'card', card: visa('1111'), outcome: { kind: 'success' } },
  token_mastercard: {
    method: 'card', outcome: { kind: 'success' },
    card: { last4: '5449', network: 'MasterCard', type: 'debit', issuer: 'UTIB', expiry_month: 6, expiry_year: 2030 },
  },
  token_insufficient_funds: {
    method: 'card', card: visa('0002'),
    outcome: { kind: 'decline', decline: auth('insufficient_funds', 'Your payment could not be completed due to insufficient account balance. Try another card or payment method.') },
  },
  token_card_expired: {
    method: 'card', card: { ...visa('0069'), expiry_month: 1, expiry_year: 2020 },
    outcome: { kind: 'decline', decline: auth('card_expired', 'Your payment could not be completed as this card has expired. Try another card.') },
  },
  token_card_declined: {
    method: 'card', card: visa('0127'),
    outcome: { kind: 'decline', decline: auth('card_declined', 'Your payment was declined by the bank. Try another card or contact your bank.', 'bank') },
  },
  // Razorpay's public reason list has no "lost or stolen" reason; a card the issuer has blocked
  // (reported lost or stolen) is documented as debit_instrument_blocked.
  token_stolen: {
    method: 'card', card: visa('0119'),
    outcome: { kind: 'decline', decline: auth('debit_instrument_blocked', 'Your payment could not be completed as this card is blocked by the bank. Try another card.', 'bank') },
  },
  // Razorpay's risk engine refusing the payment (reason payment_risk_check_failed, source internal).
  token_risk_check_failed: {
    method: 'card', card: visa('0341'),
    outcome: { kind: 'decline', decline: auth('payment_risk_check_failed', 'The payment was blocked as it was flagged by our risk checks. Try another payment method.', 'internal') },
  },
  token_gateway_error: {
    method: 'card', card: visa('0259'),
    outcome: {
      kind: 'decline',
      decline: { status: 502, code: 'GATEWAY_ERROR', description: 'Payment processing failed due to error at bank or wallet gateway', source: 'gateway', step: 'payment_authorization', reason: 'gateway_technical_error' },
    },
  },
  // An e-mandate debit: file-based banks answer hours later, so the payment is `created` at first.
  token_processing: { method: 'emandate', bank: 'HDFC', outcome: { kind: 'processing' } },
};
