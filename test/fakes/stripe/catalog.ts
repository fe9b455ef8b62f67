/**
 * Stripe's documented test PaymentMethods (docs.stripe.com/testing: "Declined payments",
 * "3D Secure authentication", "Disputes", "Refunds"; docs.stripe.com/payments/ach-direct-debit
 * "Test account numbers") and how the fake behaves when one is charged.
 */
export type Behaviour =
  | { kind: 'succeed'; dispute?: 'fraudulent' | 'product_not_received' }
  | ({ kind: 'decline' } & DeclineSpec)
  /** Requires 3-D Secure: off-session it declines with authentication_required; on-session it waits in requires_action. */
  | { kind: 'authenticate'; offSession: 'decline' | 'succeed' | DeclineSpec }
  /** A bank debit: answers `processing`, settled later (control.settle) to the outcome given here unless told otherwise. */
  | { kind: 'async'; outcome: 'succeeded' | { code: string; message: string } };

/** A decline as Stripe reports it; the advice and network fields are only set by tests that define their own methods. */
export type DeclineSpec = {
  code: string; decline_code?: string; message: string;
  advice_code?: string; network_advice_code?: string; network_decline_code?: string;
};

export type RefundBehaviour = 'instant' | 'pending';

export type CardTemplate = {
  type: 'card';
  card: { brand: string; last4: string; exp_month: number; exp_year: number; country: string; funding: string };
  behaviour: Behaviour;
  refunds?: RefundBehaviour;
};
export type BankTemplate = {
  type: 'us_bank_account';
  us_bank_account: { bank_name: string; last4: string; routing_number: string; account_type: string; account_holder_type: string };
  behaviour: Behaviour;
  refunds?: RefundBehaviour;
};
export type Template = CardTemplate | BankTemplate;

// Messages are the ones Stripe's API answers for these codes (docs.stripe.com/error-codes).
const DECLINED = 'Your card was declined.';
const decline = (code: string, decline_code: string | undefined, message: string): Behaviour =>
  ({ kind: 'decline', code, message, ...(decline_code ? { decline_code } : {}) });

const card = (brand: string, last4: string, behaviour: Behaviour, extra: Partial<CardTemplate['card']> = {}, refunds?: RefundBehaviour): CardTemplate => ({
  type: 'card',
  card: { brand, last4, exp_month: 12, exp_year: 2034, country: 'US', funding: 'credit', ...extra },
  behaviour,
  ...(refunds ? { refunds } : {}),
});
const ok: Behaviour = { kind: 'succeed' };

const bank = (last4: string, outcome: 'succeeded' | { code: string; message: string }): BankTemplate => ({
  type: 'us_bank_account',
  us_bank_account: { bank_name: 'STRIPE TEST BANK', last4, routing_number: '110000000', account_type: 'checking', account_holder_type: 'individual' },
  behaviour: { kind: 'async', outcome },
});

/** Keyed by the magic id a request may name in `payment_method`. */
export const TEST_PAYMENT_METHODS: Record<string, Template> = {
  pm_card_visa: card('visa', '4242', ok),
  pm_card_visa_debit: card('visa', '5556', ok, { funding: 'debit' }),
  pm_card_mastercard: card('mastercard', '4444', ok),
  pm_card_amex: card('amex', '0005', ok),

  pm_card_visa_chargeDeclined: card('visa', '0002', decline('card_declined', 'generic_decline', DECLINED)),
  pm_card_chargeDeclined: card('visa', '0002', decline('card_declined', 'generic_decline', DECLINED)),
  pm_card_visa_chargeDeclinedInsufficientFunds: card('visa', '9995', decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.')),
  pm_card_chargeDeclinedInsufficientFunds: card('visa', '9995', decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.')),
  pm_card_visa_chargeDeclinedLostCard: card('visa', '9987', decline('card_declined', 'lost_card', DECLINED)),
  pm_card_visa_chargeDeclinedStolenCard: card('visa', '9979', decline('card_declined', 'stolen_card', DECLINED)),
  pm_card_chargeDeclinedFraudulent: card('visa', '0019', decline('card_declined', 'fraudulent', DECLINED)),
  pm_card_radarBlock: card('visa', '0019', decline('card_declined', 'fraudulent', DECLINED)),
  pm_card_chargeDeclinedExpiredCard: card('visa', '0069', decline('expired_card', undefined, 'Your card has expired.')),
  pm_card_chargeDeclinedIncorrectCvc: card('visa', '0127', decline('incorrect_cvc', undefined, "Your card's security code is incorrect.")),
  pm_card_chargeDeclinedProcessingError: card('visa', '0119', decline('processing_error', undefined, 'An error occurred while processing your card. Try again in a little bit.')),
  pm_card_visa_chargeDeclinedVelocityLimitExceeded: card('visa', '6975', decline('card_declined', 'card_velocity_exceeded', DECLINED)),
  pm_card_chargeCustomerFail: card('visa', '0341', decline('card_declined', 'generic_decline', DECLINED)),

  pm_card_authenticationRequired: card('visa', '3184', { kind: 'authenticate', offSession: 'decline' }),
  pm_card_authenticationRequiredOnSetup: card('visa', '3155', { kind: 'authenticate', offSession: 'decline' }),
  pm_card_authenticationRequiredSetupForOffSession: card('visa', '0446', { kind: 'authenticate', offSession: 'succeed' }),
  pm_card_authenticationRequiredChargeDeclinedInsufficientFunds: card('visa', '3178', {
    kind: 'authenticate', offSession: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  }),

  pm_card_createDispute: card('visa', '0259', { kind: 'succeed', dispute: 'fraudulent' }),
  pm_card_createDisputeProductNotReceived: card('visa', '2685', { kind: 'succeed', dispute: 'product_not_received' }),
  pm_card_pendingRefund: card('visa', '7726', ok, {}, 'pending'),

  pm_usBankAccount_success: bank('6789', 'succeeded'),
  pm_usBankAccount_accountClosed: bank('1113', { code: 'account_closed', message: "The customer's bank account has been closed." }),
  pm_usBankAccount_noAccount: bank('1116', { code: 'no_account', message: "The customer's bank account could not be located." }),
  pm_usBankAccount_insufficientFunds: bank('2227', { code: 'insufficient_funds', message: "The customer's account has insufficient funds to cover this payment." }),
};

/** Cards Stripe refuses to attach to a Customer (docs.stripe.com/testing: "can't be attached to a Customer object"). */
export function refusesAttach(t: Template): boolean {
  return t.behaviour.kind === 'decline' && t !== TEST_PAYMENT_METHODS.pm_card_chargeCustomerFail;
}
