import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { intentOutcome, refundOutcome } from './outcomes.ts';

const pi = (p: Partial<Stripe.PaymentIntent>): Stripe.PaymentIntent => ({ id: 'pi_1', object: 'payment_intent', status: 'succeeded', last_payment_error: null, next_action: null, ...p }) as Stripe.PaymentIntent;
const lastError = (e: Partial<Stripe.PaymentIntent.LastPaymentError>) => ({ type: 'card_error', message: 'Your card was declined.', ...e }) as Stripe.PaymentIntent.LastPaymentError;

describe("Stripe PaymentIntent states as Rebill's outcomes", () => {
  it('maps each status', () => {
    expect(intentOutcome(pi({ status: 'succeeded' }))).toEqual({ status: 'succeeded', chargeId: 'pi_1' });
    expect(intentOutcome(pi({ status: 'processing' }))).toEqual({ status: 'processing', chargeId: 'pi_1' });
    expect(intentOutcome(pi({ status: 'requires_capture' }))).toEqual({ status: 'processing', chargeId: 'pi_1' });
    expect(intentOutcome(pi({ status: 'requires_action', next_action: { type: 'redirect_to_url', redirect_to_url: { url: 'https://hooks.stripe.com/3ds', return_url: null } } as Stripe.PaymentIntent.NextAction })))
      .toEqual({ status: 'requires_action', chargeId: 'pi_1', actionUrl: 'https://hooks.stripe.com/3ds' });
    expect(intentOutcome(pi({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } as Stripe.PaymentIntent.NextAction })))
      .toEqual({ status: 'requires_action', chargeId: 'pi_1', actionUrl: null });
  });

  it('a payment method that failed is a normalized decline; one that needs authentication waits for the customer', () => {
    const declined = intentOutcome(pi({ status: 'requires_payment_method', last_payment_error: lastError({ code: 'card_declined', decline_code: 'lost_card', payment_method: { card: { brand: 'visa' } } as Stripe.PaymentMethod }) }));
    expect(declined).toMatchObject({ status: 'failed', chargeId: 'pi_1', gatewayCode: 'lost_card', decline: { declineCode: 'lost_card', category: 'hard', doNotRetry: true } });
    const sca = intentOutcome(pi({ status: 'requires_payment_method', last_payment_error: lastError({ code: 'authentication_required', decline_code: 'authentication_required' }) }));
    expect(sca).toEqual({ status: 'requires_action', chargeId: 'pi_1', actionUrl: null });
    expect(intentOutcome(pi({ status: 'canceled' }))).toMatchObject({ status: 'failed', chargeId: 'pi_1', decline: { declineCode: 'generic_decline' } });
  });

  it('maps refund states', () => {
    const r = (status: string, failure_reason: string | null = null) => ({ id: 're_1', object: 'refund', status, failure_reason }) as Stripe.Refund;
    expect(refundOutcome(r('succeeded'))).toEqual({ status: 'succeeded', refundId: 're_1' });
    expect(refundOutcome(r('pending'))).toEqual({ status: 'pending', refundId: 're_1' });
    expect(refundOutcome(r('requires_action'))).toEqual({ status: 'pending', refundId: 're_1' });
    expect(refundOutcome(r('failed', 'expired_or_canceled_card'))).toMatchObject({ status: 'failed', refundId: null, code: 'expired_or_canceled_card' });
  });
});
