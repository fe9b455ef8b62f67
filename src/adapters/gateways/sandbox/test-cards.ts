/**
 * The sandbox's test card numbers, as a hosted page takes them, and the token each one stands
 * for (the same numbers Stripe documents for its test mode, where there is one). The number is
 * looked up and forgotten here: only the token goes on. Real gateways tokenize in their own
 * element on the customer's device; Rebill never sees their card numbers.
 */
const TEST_CARD_NUMBERS: Readonly<Record<string, string>> = {
  '4242424242424242': 'tok_visa',
  '5555555555554444': 'tok_mastercard',
  '4000000000000002': 'tok_chargeDeclined',
  '4000000000009995': 'tok_chargeDeclinedInsufficientFunds',
  '4000000000000069': 'tok_chargeDeclinedExpiredCard',
  '4000000000000119': 'tok_chargeDeclinedProcessingError',
  '4000000000009979': 'tok_chargeDeclinedStolenCard',
};

/** Test numbers and their tokens, for documentation and the page's hint; never a real card. */
export const SANDBOX_TEST_CARDS: readonly { number: string; token: string }[] =
  Object.entries(TEST_CARD_NUMBERS).map(([number, token]) => ({ number, token }));

/** The token of a test card number (spaces and dashes ignored), or null for any other number. */
export function sandboxTokenOf(cardNumber: string): string | null {
  return TEST_CARD_NUMBERS[cardNumber.replace(/[\s-]/g, '')] ?? null;
}
