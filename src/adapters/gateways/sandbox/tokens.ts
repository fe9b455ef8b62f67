import type { CardDetails } from '../../../app/ports.ts';

/** How the sandbox answers a charge on each test token. */
export type TokenBehaviour =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; message: string }
  /** Declines an invoice's first `declines` attempts with `code`, then succeeds: a card that recovers (dunning tests). */
  | { kind: 'decline_then_succeed'; code: string; message: string; declines: number }
  | { kind: 'no_answer' }
  /** A bank debit: accepted as `processing`, cleared (succeeded) at the first status query after it. */
  | { kind: 'processing' }
  /** 3-D Secure: waits in `requires_action` until the customer authenticates (SandboxGateway.authenticate). */
  | { kind: 'requires_action' };

type TestToken = { card: CardDetails; behaviour: TokenBehaviour };

const card = (brand: string, last4: string): CardDetails => ({ brand, last4, exp_month: 12, exp_year: 2034 });
// Whether a decline may be retried is not the token's to say: src/domain/declines.ts decides for every gateway.
const decline = (code: string, message: string): TokenBehaviour => ({ kind: 'decline', code, message });

export const TEST_TOKENS: Record<string, TestToken> = {
  tok_visa: { card: card('visa', '4242'), behaviour: { kind: 'succeed' } },
  tok_mastercard: { card: card('mastercard', '4444'), behaviour: { kind: 'succeed' } },
  tok_chargeDeclined: { card: card('visa', '0002'), behaviour: decline('generic_decline', 'Your card was declined.') },
  tok_chargeDeclinedInsufficientFunds: { card: card('visa', '9995'), behaviour: decline('insufficient_funds', 'Your card has insufficient funds.') },
  tok_chargeDeclinedExpiredCard: { card: card('visa', '0069'), behaviour: decline('expired_card', 'Your card has expired.') },
  tok_chargeDeclinedProcessingError: { card: card('visa', '0119'), behaviour: decline('processing_error', 'An error occurred while processing your card.') },
  tok_chargeDeclinedInsufficientFundsRecoversAfter2: { card: card('visa', '2041'), behaviour: { kind: 'decline_then_succeed', code: 'insufficient_funds', message: 'Your card has insufficient funds.', declines: 2 } },
  tok_chargeDeclinedMerchantConfig: { card: card('visa', '0341'), behaviour: decline('merchant_config_error', 'The payment could not be processed.') },
  tok_chargeDeclinedStolenCard: { card: card('visa', '9979'), behaviour: decline('stolen_card', 'Your card was declined.') },
  tok_timeout: { card: card('visa', '3220'), behaviour: { kind: 'no_answer' } },
  tok_processing: { card: card('visa', '6205'), behaviour: { kind: 'processing' } },
  tok_threeDSecureRequired: { card: card('visa', '3184'), behaviour: { kind: 'requires_action' } },
};
