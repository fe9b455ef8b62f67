// Decline normalization (issue 16, point 5): every gateway's failure codes become one closed
// vocabulary, each code with a category that says what may happen next. Pure; the adapters call
// normalizeDecline with what the processor said, the payment attempt stores the result, and
// dunning and failover read it. docs/declines.md explains the choices.
import { GATEWAY_CODE_TABLES, type Gateway } from './declines-gateways.ts';
import { networkAdvice, visaResponse, type NetworkAdvice } from './declines-network.ts';

/**
 * - `soft`: may succeed later on the same card (funds, limits, issuer or processor trouble);
 * - `hard`: never retry this card as it is (lost, stolen, closed, wrong or expired data,
 *   stopped by the cardholder): the customer must give another or updated card;
 * - `fraud`: the issuer or a risk engine suspects fraud; never retry, never tell the customer why;
 * - `config`: the merchant's side is wrong (account, currency, amount): retrying changes nothing
 *   until the merchant fixes it; the card may well be fine.
 */
export const DECLINE_CATEGORIES = ['soft', 'hard', 'fraud', 'config'] as const;
export type DeclineCategory = (typeof DECLINE_CATEGORIES)[number];

/** What to do next, for dunning and the customer's e-mail. */
export type DeclineAction = 'retry_later' | 'authenticate' | 'update_payment_method' | 'fix_configuration';

/** Visa's reattempt categories: 1 never approves, 2 not now, 3 data quality, 4 generic. */
export type VisaCategory = 1 | 2 | 3 | 4;

type Entry = { category: DeclineCategory; action: DeclineAction; visa: VisaCategory; message: string };
const e = (category: DeclineCategory, action: DeclineAction, visa: VisaCategory, message: string): Entry => ({ category, action, visa, message });

// Customer-safe messages: lost, stolen, pick-up and fraud read like a generic decline, as Stripe
// asks (docs.stripe.com/declines/codes: "present it in the same manner as generic_decline").
const GENERIC = 'Your card was declined. Please use another card or contact your bank.';
const UPDATE = 'Your card details need updating. Please add a new card or update this one.';

/**
 * The closed vocabulary. `visa` is the Visa reattempt category assumed when the gateway gives no
 * network response code (the code a Visa issuer would most likely have sent for this reason).
 */
export const DECLINE_CODES = {
  insufficient_funds: e('soft', 'retry_later', 2, 'Your card has insufficient funds.'),
  card_velocity_exceeded: e('soft', 'retry_later', 2, 'Your card has reached its spending limit.'),
  withdrawal_count_limit_exceeded: e('soft', 'retry_later', 2, 'Your card has reached its limit of transactions.'),
  do_not_honor: e('soft', 'retry_later', 4, GENERIC),
  generic_decline: e('soft', 'retry_later', 4, GENERIC),
  try_again_later: e('soft', 'retry_later', 2, 'Your bank could not approve the payment right now.'),
  issuer_unavailable: e('soft', 'retry_later', 2, 'Your bank could not be reached. The payment will be tried again.'),
  processing_error: e('soft', 'retry_later', 2, 'An error occurred while processing your card.'),
  authentication_required: e('soft', 'authenticate', 3, 'Your bank asks you to confirm this payment.'),
  authentication_failed: e('soft', 'authenticate', 3, 'The payment could not be confirmed with your bank.'),
  duplicate_transaction: e('soft', 'retry_later', 4, 'An identical payment was made very recently.'),
  expired_card: e('hard', 'update_payment_method', 3, 'Your card has expired.'),
  incorrect_number: e('hard', 'update_payment_method', 1, 'Your card number is incorrect.'),
  incorrect_cvc: e('hard', 'update_payment_method', 3, "Your card's security code is incorrect."),
  incorrect_expiry: e('hard', 'update_payment_method', 3, "Your card's expiration date is incorrect."),
  incorrect_address: e('hard', 'update_payment_method', 3, 'Your billing address or postal code is incorrect.'),
  incorrect_card_data: e('hard', 'update_payment_method', 3, UPDATE),
  pin_required: e('hard', 'update_payment_method', 3, 'Your card needs a PIN and cannot be charged automatically.'),
  card_not_supported: e('hard', 'update_payment_method', 1, 'Your card does not support this type of purchase.'),
  currency_not_supported: e('hard', 'update_payment_method', 1, 'Your card does not support this currency.'),
  invalid_account: e('hard', 'update_payment_method', 1, UPDATE),
  invalid_payment_method: e('hard', 'update_payment_method', 1, 'This payment method can no longer be used. Please add a new one.'),
  restricted_card: e('hard', 'update_payment_method', 1, GENERIC),
  transaction_not_allowed: e('hard', 'update_payment_method', 1, 'Your bank does not allow this payment on this card.'),
  revocation_of_authorization: e('hard', 'update_payment_method', 1, 'Recurring payments on this card were stopped. Please add a payment method.'),
  do_not_try_again: e('hard', 'update_payment_method', 1, GENERIC),
  lost_card: e('hard', 'update_payment_method', 1, GENERIC),
  stolen_card: e('hard', 'update_payment_method', 1, GENERIC),
  pickup_card: e('hard', 'update_payment_method', 1, GENERIC),
  testmode_decline: e('hard', 'update_payment_method', 1, 'A test card cannot be charged. Please use a real card.'),
  fraudulent: e('fraud', 'update_payment_method', 2, GENERIC),
  merchant_config_error: e('config', 'fix_configuration', 4, 'The payment could not be processed. The merchant has been notified.'),
  invalid_amount: e('config', 'fix_configuration', 4, 'The payment amount is not valid for this card.'),
} as const satisfies Record<string, Entry>;

export type DeclineCode = keyof typeof DECLINE_CODES;
export const DECLINE_CODE_LIST = Object.keys(DECLINE_CODES) as DeclineCode[];

export const isDeclineCode = (s: string): s is DeclineCode => Object.hasOwn(DECLINE_CODES, s);

/**
 * A raw code nobody has mapped becomes `generic_decline`: soft, so one misread code does not
 * lock a customer's card for good, while the networks' reattempt caps still bound how often it
 * is retried, and it never fails over (only processing errors do). See docs/declines.md.
 */
export const UNKNOWN_DECLINE: DeclineCode = 'generic_decline';

/** What a processor said about a failed charge, as its adapter read it. */
export type RawDecline = {
  /** The processor's error code (Stripe `code`, Razorpay `error.code`, sandbox and custom codes). */
  code?: string | null;
  /** The processor's decline reason (Stripe `decline_code`, Razorpay `error.reason`). */
  declineCode?: string | null;
  /** The processor's own retry advice (Stripe `advice_code`: do_not_try_again, confirm_card_data, try_again_later). */
  gatewayAdvice?: string | null;
  /** The issuer's response code as the card network carried it (Stripe `network_decline_code`). */
  networkCode?: string | null;
  /** The network's advice (Stripe `network_advice_code`: Mastercard Merchant Advice Code). */
  adviceCode?: string | null;
  /** Card brand: visa, mastercard, amex, discover, … */
  network?: string | null;
};

export type NormalizedDecline = {
  declineCode: DeclineCode;
  category: DeclineCategory;
  /** Never charge this card again for this payment; hard and fraud always, and any network "never". */
  doNotRetry: boolean;
  action: DeclineAction;
  /** False when no table knew the raw code and the safe default was used. */
  recognized: boolean;
  network: NetworkAdvice | null;
  /** Safe to show the customer. */
  message: string;
};

const OWN_CODES: ReadonlyMap<string, DeclineCode> = new Map(DECLINE_CODE_LIST.map((c) => [c, c]));
const EMPTY: ReadonlyMap<string, DeclineCode> = new Map();

const clean = (s: string | null | undefined): string | null => {
  if (typeof s !== 'string') return null;
  const t = s.trim().toLowerCase();
  return t === '' ? null : t;
};

/**
 * The gateway's own reading of its codes: the decline reason first, then the error code. A
 * decline reason no table knows leaves the result unrecognized even when the error code (say
 * Stripe's bare `card_declined`) still gives a decline code.
 */
function fromGateway(gateway: Gateway, raw: RawDecline): { code: DeclineCode | null; recognized: boolean } {
  const table: ReadonlyMap<string, DeclineCode> = gateway === 'custom_http' ? OWN_CODES : GATEWAY_CODE_TABLES[gateway] ?? EMPTY;
  const reason = clean(raw.declineCode);
  const fromReason = reason === null ? null : table.get(reason) ?? null;
  if (fromReason) return { code: fromReason, recognized: true };
  const errorCode = clean(raw.code);
  const fromCode = errorCode === null ? null : table.get(errorCode) ?? null;
  return { code: fromCode, recognized: fromCode !== null && reason === null };
}

const STRICTNESS: Record<DeclineCategory, number> = { soft: 0, config: 1, hard: 2, fraud: 3 };
const stricter = (a: DeclineCategory, b: DeclineCategory): DeclineCategory => (STRICTNESS[b] > STRICTNESS[a] ? b : a);

/**
 * Normalizes a failed charge. The gateway's code decides the decline code; a network response
 * code refines a generic one (a bare "card_declined" with Visa 51 is insufficient funds). Network
 * and gateway advice only ever make the result stricter: a "never" (Visa category 1, Mastercard
 * 03 or 21, Stripe do_not_try_again) turns a soft decline hard and sets doNotRetry; they never
 * make a hard decline retryable. Never throws, whatever the strings.
 */
export function normalizeDecline(gateway: Gateway, raw: RawDecline): NormalizedDecline {
  const r = raw ?? {};
  const brand = clean(r.network);
  const networkCode = typeof r.networkCode === 'string' ? r.networkCode.trim().toUpperCase() || null : null;
  const read = fromGateway(gateway, r);
  let code = read.code;
  const fromNetwork = brand === 'visa' && networkCode ? visaResponse(networkCode)?.declineCode ?? null : null;
  if (fromNetwork && (code === null || code === 'generic_decline' || code === 'do_not_honor')) code = fromNetwork;
  const declineCode = code ?? UNKNOWN_DECLINE;
  const entry: Entry = DECLINE_CODES[declineCode];
  const network = networkAdvice(brand, networkCode, clean(r.adviceCode), entry.visa);
  let category: DeclineCategory = entry.category;
  let action: DeclineAction = entry.action;
  let doNotRetry = category === 'hard' || category === 'fraud';
  const stripeAdvice = gateway === 'stripe' ? clean(r.gatewayAdvice) : null;
  const verdict = network?.verdict ?? null;
  // "Update the card" is as final as "never" for the card on file: the same data fails again.
  if (verdict === 'never' || verdict === 'update' || stripeAdvice === 'do_not_try_again' || stripeAdvice === 'confirm_card_data') {
    category = stricter(category, 'hard');
    doNotRetry = true;
  } else if (verdict === 'config') {
    category = stricter(category, 'config');
  }
  if (category !== entry.category) action = category === 'config' ? 'fix_configuration' : 'update_payment_method';
  return { declineCode, category, doNotRetry, action, recognized: read.recognized || fromNetwork !== null, network, message: entry.message };
}

/**
 * Whether a failed charge may move to the customer's backup payment method on another gateway
 * (issue 16, point 6). Only a processing error (the processor's own failure, never the issuer's
 * answer) does; never a hard, fraud or config decline, nor anything a network said not to retry.
 * 5xx answers and timeouts proven never to have reached the processor are not declines at all:
 * routing decides those before any decline exists.
 */
export function failoverAllowed(d: Pick<NormalizedDecline, 'declineCode' | 'category' | 'doNotRetry'>): boolean {
  return d.category === 'soft' && !d.doNotRetry && d.declineCode === 'processing_error';
}
