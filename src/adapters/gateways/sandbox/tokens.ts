import type { CardDetails } from '../../../app/ports.ts';

/** How the sandbox answers a charge on each test token. */
export type TokenBehaviour =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; message: string; retryable: boolean }
  | { kind: 'no_answer' };

type TestToken = { card: CardDetails; behaviour: TokenBehaviour };

const card = (brand: string, last4: string): CardDetails => ({ brand, last4, exp_month: 12, exp_year: 2034 });
const decline = (code: string, message: string, retryable: boolean): TokenBehaviour => ({ kind: 'decline', code, message, retryable });

export const TEST_TOKENS: Record<string, TestToken> = {
  tok_visa: { card: card('visa', '4242'), behaviour: { kind: 'succeed' } },
  tok_mastercard: { card: card('mastercard', '4444'), behaviour: { kind: 'succeed' } },
  tok_chargeDeclined: { card: card('visa', '0002'), behaviour: decline('generic_decline', 'Your card was declined.', false) },
  tok_chargeDeclinedInsufficientFunds: { card: card('visa', '9995'), behaviour: decline('insufficient_funds', 'Your card has insufficient funds.', true) },
  tok_chargeDeclinedExpiredCard: { card: card('visa', '0069'), behaviour: decline('expired_card', 'Your card has expired.', false) },
  tok_chargeDeclinedProcessingError: { card: card('visa', '0119'), behaviour: decline('processing_error', 'An error occurred while processing your card.', true) },
  tok_timeout: { card: card('visa', '3220'), behaviour: { kind: 'no_answer' } },
};
