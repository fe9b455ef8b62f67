// What the card networks say about a decline, and how often they let a merchant try again.
// Sources (read 2026-11; Visa's and Mastercard's own rule books are not public in full, so these
// come from acquirers' and gateways' published summaries of them):
// - Visa categories and codes: checkout.com/docs/developer-resources/codes/visa-response-codes,
//   developer.worldpay.com (raw response codes), docs.bill1st.com/docs/mac-response-codes,
//   midmetrics.com (April 2021 moves of 03, 62, 78, 93 to category 2; 14 in 1 and 3),
//   docs.cielo.com.br (5C and 9G, category 2, from April 2025),
//   developers.tabapay.com/docs/visa-response-code-updates (46 token, 83 from October 2026).
// - Visa reattempt limits: payway.com, support.cardpointe.com, payvision.com (no reattempt after
//   category 1; at most 15 in 30 days for categories 2–4).
// - Mastercard Merchant Advice Codes: developer.paypal.com (Braintree), docs.everonet.com,
//   developer.cybersource.com; excessive attempts: retries.com/guides/transaction-processing-
//   excellence, developer.paypal.com (Braintree 2023 notes), developers.tabapay.com (10 declines
//   in 24 hours; 35 in 30 days for one card, merchant and amount).
import type { DeclineCategory, DeclineCode, VisaCategory } from './declines.ts';

type VisaCode = { category: VisaCategory; declineCode: DeclineCode; meaning: string };
const v = (category: VisaCategory, declineCode: DeclineCode, meaning: string): VisaCode => ({ category, declineCode, meaning });

/**
 * Visa response codes (ISO 8583 field 39 as Visa defines them) with their reattempt category.
 * Where sources disagree the stricter category is kept: 14 is in categories 1 and 3 (no
 * reattempt). Any decline code not listed is category 4, "generic", as Visa defines it.
 */
export const VISA_RESPONSE_CODES: Readonly<Record<string, VisaCode>> = {
  '01': v(4, 'generic_decline', 'Refer to card issuer'),
  '02': v(4, 'generic_decline', 'Refer to card issuer, special condition'),
  '03': v(2, 'merchant_config_error', 'Invalid merchant'),
  '04': v(1, 'pickup_card', 'Pick up card (no fraud)'),
  '05': v(4, 'do_not_honor', 'Do not honor'),
  '06': v(4, 'processing_error', 'Error'),
  '07': v(1, 'pickup_card', 'Pick up card, special condition (fraud account)'),
  '12': v(1, 'transaction_not_allowed', 'Invalid transaction'),
  '13': v(4, 'invalid_amount', 'Invalid amount'),
  '14': v(1, 'incorrect_number', 'Invalid account number (no such number)'),
  '15': v(1, 'incorrect_number', 'No such issuer'),
  '19': v(2, 'try_again_later', 'Re-enter transaction'),
  '21': v(4, 'generic_decline', 'No action taken'),
  '28': v(4, 'issuer_unavailable', 'File temporarily not available'),
  '39': v(2, 'invalid_account', 'No credit account'),
  '41': v(1, 'lost_card', 'Lost card, pick up'),
  '43': v(1, 'stolen_card', 'Stolen card, pick up'),
  '46': v(1, 'invalid_account', 'Closed account (or deactivated token)'),
  '51': v(2, 'insufficient_funds', 'Insufficient funds'),
  '52': v(2, 'invalid_account', 'No checking account'),
  '53': v(2, 'invalid_account', 'No savings account'),
  '54': v(3, 'expired_card', 'Expired card'),
  '55': v(3, 'pin_required', 'Incorrect PIN'),
  '57': v(1, 'transaction_not_allowed', 'Transaction not permitted to cardholder'),
  '58': v(4, 'merchant_config_error', 'Transaction not allowed at terminal'),
  '59': v(2, 'fraudulent', 'Suspected fraud'),
  '61': v(2, 'card_velocity_exceeded', 'Exceeds approval amount limit'),
  '62': v(2, 'restricted_card', 'Restricted card (invalid in this region or country)'),
  '63': v(4, 'fraudulent', 'Security violation'),
  '65': v(2, 'withdrawal_count_limit_exceeded', 'Exceeds withdrawal frequency limit'),
  '75': v(2, 'pin_required', 'Allowable number of PIN tries exceeded'),
  '78': v(2, 'restricted_card', 'Blocked, first used (card not activated)'),
  '82': v(3, 'incorrect_cvc', 'Negative CAM, dCVV, iCVV or CVV results'),
  '83': v(2, 'fraudulent', 'Fraud or security: blocked by Visa network fraud checks'),
  '86': v(2, 'pin_required', 'Cannot verify PIN'),
  '91': v(2, 'issuer_unavailable', 'Issuer or switch inoperative'),
  '93': v(2, 'do_not_honor', 'Transaction cannot be completed: violation of law'),
  '96': v(2, 'processing_error', 'System malfunction'),
  '1A': v(3, 'authentication_required', 'Additional customer authentication required'),
  '5C': v(2, 'transaction_not_allowed', 'Transaction not supported or blocked by issuer'),
  '6P': v(3, 'incorrect_card_data', 'Verification data failed'),
  '9G': v(2, 'transaction_not_allowed', 'Blocked by cardholder: contact cardholder'),
  N3: v(2, 'transaction_not_allowed', 'Cash service not available'),
  N4: v(2, 'card_velocity_exceeded', 'Cash request exceeds issuer or approved limit'),
  N7: v(3, 'incorrect_cvc', 'Decline for CVV2 failure'),
  R0: v(1, 'revocation_of_authorization', 'Stop payment order'),
  R1: v(1, 'revocation_of_authorization', 'Revocation of authorization order'),
  R3: v(1, 'revocation_of_authorization', 'Revocation of all authorization orders'),
};
const VISA = new Map(Object.entries(VISA_RESPONSE_CODES));

export const visaResponse = (code: string): VisaCode | null => VISA.get(code.trim().toUpperCase()) ?? null;

/** Visa's category of a response code: listed ones as listed, any other decline code generic (4). */
export const visaCategoryOf = (code: string): VisaCategory => visaResponse(code)?.category ?? 4;

/**
 * What a network's advice means for the next attempt: never again, only with updated card
 * data, only after the merchant fixes something, later (possibly after a set time), or nothing.
 */
export type AdviceVerdict = 'never' | 'update' | 'config' | 'later';

type MerchantAdvice = { verdict: AdviceVerdict | null; meaning: string; retryAfterMs?: number };
const H = 3_600_000;
const mac = (verdict: AdviceVerdict | null, meaning: string, retryAfterMs?: number): MerchantAdvice =>
  retryAfterMs === undefined ? { verdict, meaning } : { verdict, meaning, retryAfterMs };

/** Mastercard Merchant Advice Codes (DE 48 subelement 84); 24–30 came with its 2023 authorization optimizer for insufficient funds. */
export const MASTERCARD_ADVICE_CODES: Readonly<Record<string, MerchantAdvice>> = {
  '01': mac('update', 'New account information available'),
  '02': mac('later', 'Cannot approve at this time, try again later'),
  '03': mac('never', 'Do not try again'),
  '04': mac('config', 'Token requirements not fulfilled for this token type'),
  '21': mac('never', 'Payment cancellation: the cardholder stopped recurring payments'),
  '22': mac('config', 'Merchant does not qualify for product code'),
  '24': mac('later', 'Retry after 1 hour', H),
  '25': mac('later', 'Retry after 24 hours', 24 * H),
  '26': mac('later', 'Retry after 2 days', 48 * H),
  '27': mac('later', 'Retry after 4 days', 96 * H),
  '28': mac('later', 'Retry after 6 days', 144 * H),
  '29': mac('later', 'Retry after 8 days', 192 * H),
  '30': mac('later', 'Retry after 10 days', 240 * H),
  '40': mac(null, 'Consumer non-reloadable prepaid card'),
  '41': mac(null, 'Consumer single-use virtual card number'),
  '43': mac(null, 'Consumer multi-use virtual card number'),
};
const MASTERCARD = new Map(Object.entries(MASTERCARD_ADVICE_CODES));

/** Processors send the advice code as "3", "03" or " 03 ". */
const twoDigits = (code: string): string => (/^\d$/.test(code) ? `0${code}` : code);
export const mastercardAdvice = (code: string): MerchantAdvice | null => MASTERCARD.get(twoDigits(code.trim())) ?? null;

export type NetworkAdvice = {
  /** Card brand as the gateway named it, lower case; `unknown` when only codes came. */
  name: string;
  /** The issuer's response code, upper case, as received. */
  code: string | null;
  /** Visa only: from the response code, else from the advice field, else the decline's default. */
  visaCategory?: VisaCategory;
  /** Mastercard only, when a Merchant Advice Code came. */
  mastercardAdvice?: { code: string; meaning: string; retryAfterMs?: number };
  verdict: AdviceVerdict | null;
};

/**
 * Reads the network's part of a decline. Some processors put Visa's category (1–4) in the same
 * field as Mastercard's advice; for Visa that field counts only when it says 1 (never) or when
 * no response code came.
 */
export function networkAdvice(brand: string | null, code: string | null, advice: string | null, defaultVisa: VisaCategory): NetworkAdvice | null {
  if (brand === null && code === null && advice === null) return null;
  const name = brand ?? 'unknown';
  if (name === 'visa') {
    const fromAdvice = advice !== null && /^0?[1-4]$/.test(advice) ? (Number(advice) as VisaCategory) : null;
    const fromCode = code !== null ? visaCategoryOf(code) : null;
    const visaCategory: VisaCategory = fromAdvice === 1 ? 1 : fromCode ?? fromAdvice ?? defaultVisa;
    return { name, code, visaCategory, verdict: visaCategory === 1 ? 'never' : null };
  }
  if (name === 'mastercard' && advice !== null) {
    const m = mastercardAdvice(advice);
    if (m) {
      const detail = m.retryAfterMs === undefined ? { code: twoDigits(advice), meaning: m.meaning } : { code: twoDigits(advice), meaning: m.meaning, retryAfterMs: m.retryAfterMs };
      return { name, code, mastercardAdvice: detail, verdict: m.verdict };
    }
  }
  return { name, code, verdict: null };
}

const DAY = 24 * H;

/**
 * Visa: no reattempt after a category 1 decline; at most 15 reattempts in 30 days after a
 * category 2–4 one. Reported since 25 May 2025 as 20 (Cielo, TabaPay, Visa Core Rules of April
 * 2026 as quoted); 15 obeys both versions. Counted here as 15 attempts in any 30 days, the first
 * decline included: one fewer than the rule allows, so declines of several invoices on one card
 * can never add up past it.
 */
export const VISA_MAX_ATTEMPTS_30D = 15;
/** Mastercard excessive attempts: fees past 10 declines on one card in 24 hours, or 35 in 30 days. */
export const MASTERCARD_MAX_DECLINES_24H = 10;
export const MASTERCARD_MAX_DECLINES_30D = 35;
export const WINDOW_30D_MS = 30 * DAY;
export const WINDOW_24H_MS = DAY;

/** One declined attempt on a card, as stored with the payment attempt. */
export type DeclineRecord = {
  at: Date;
  category: DeclineCategory;
  doNotRetry?: boolean | null;
  network?: string | null;
  networkCode?: string | null;
  adviceCode?: string | null;
};

export type ReattemptVerdict = { allowed: boolean; reason: string | null; nextAllowedAt?: Date };

type Cap = { reason: string; windowMs: number; max: number };
const VISA_CAP: Cap = { reason: 'visa_reattempt_limit', windowMs: WINDOW_30D_MS, max: VISA_MAX_ATTEMPTS_30D };
const MC_DAY_CAP: Cap = { reason: 'mastercard_daily_limit', windowMs: WINDOW_24H_MS, max: MASTERCARD_MAX_DECLINES_24H };
const MC_MONTH_CAP: Cap = { reason: 'mastercard_monthly_limit', windowMs: WINDOW_30D_MS, max: MASTERCARD_MAX_DECLINES_30D };

/** An unknown or other brand gets every cap at once: the strictest reading of all networks. */
function capsFor(network: string | null): Cap[] {
  if (network === 'visa') return [VISA_CAP];
  if (network === 'mastercard') return [MC_DAY_CAP, MC_MONTH_CAP];
  return [VISA_CAP, MC_DAY_CAP, MC_MONTH_CAP];
}

const lower = (s: string | null | undefined): string | null => (typeof s === 'string' && s.trim() !== '' ? s.trim().toLowerCase() : null);

/** Why this one decline forbids any further attempt, if it does. */
function forbids(d: DeclineRecord): string | null {
  if (d.category === 'fraud') return 'fraud_decline';
  if (d.category === 'hard') return 'hard_decline';
  if (d.doNotRetry) return 'do_not_retry';
  const network = lower(d.network);
  const code = typeof d.networkCode === 'string' ? d.networkCode : null;
  const advice = typeof d.adviceCode === 'string' ? d.adviceCode : null;
  if (network === 'visa' && networkAdvice('visa', code && code.trim().toUpperCase(), advice && advice.trim(), 4)?.verdict === 'never') return 'visa_category_1';
  if (network === 'mastercard' && advice && mastercardAdvice(advice)?.verdict === 'never') return 'mastercard_do_not_try_again';
  return null;
}

/**
 * Whether the card networks let Rebill try this card again at `now`, given every earlier
 * declined attempt on it (`history`, any order). Pass all of the card's declines, not only this
 * invoice's: counting more is stricter than the networks, never looser. An invalid date counts
 * as `now`. When only a count or a wait stands in the way, `nextAllowedAt` says when it no
 * longer does.
 */
export function reattemptAllowed(history: readonly DeclineRecord[], now: Date): ReattemptVerdict {
  const t = now.getTime();
  for (const d of history) {
    const reason = forbids(d);
    if (reason) return { allowed: false, reason };
  }
  if (history.length === 0) return { allowed: true, reason: null };
  // Declines dated after `now` (clocks disagree) still count, as if they had already happened.
  const times = history.map((d) => {
    const at = d.at instanceof Date ? d.at.getTime() : Number.NaN;
    return Number.isNaN(at) ? t : at;
  });
  const latest = history[times.indexOf(Math.max(...times))]!;
  let next = t;
  let reason: string | null = null;
  for (const cap of capsFor(lower(latest.network))) {
    const inWindow = times.filter((at) => at > t - cap.windowMs).sort((a, b) => a - b);
    if (inWindow.length < cap.max) continue;
    // The attempt is allowed once enough of the oldest declines have left the window.
    const free = inWindow[inWindow.length - cap.max]! + cap.windowMs;
    if (free > next) [next, reason] = [free, cap.reason];
  }
  history.forEach((d, i) => {
    if (lower(d.network) !== 'mastercard' || typeof d.adviceCode !== 'string') return;
    const wait = mastercardAdvice(d.adviceCode)?.retryAfterMs;
    if (wait !== undefined && times[i]! + wait > next) [next, reason] = [times[i]! + wait, 'mastercard_retry_after'];
  });
  return reason === null ? { allowed: true, reason: null } : { allowed: false, reason, nextAllowedAt: new Date(next) };
}
