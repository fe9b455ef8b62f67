// How Stripe's answers become Rebill's outcomes: PaymentIntent statuses, the errors stripe-node
// throws, and refund statuses. Pure, apart from reading the SDK's error classes.
import Stripe from 'stripe';
import { GatewayUnreachableError, type ChargeOutcome, type RefundOutcome } from '../../../app/ports.ts';
import { normalizeDecline, type DeclineCode, type NormalizedDecline } from '../../../domain/declines.ts';

type LastError = Stripe.PaymentIntent.LastPaymentError;
type CardBrand = { card?: { brand?: string | null } | null } | null | undefined;

/** Stripe's decline fields, as normalizeDecline reads them. */
export function stripeDecline(e: { code?: string | null; decline_code?: string | null; advice_code?: string | null; network_decline_code?: string | null; network_advice_code?: string | null }, pm: CardBrand): NormalizedDecline {
  return normalizeDecline('stripe', {
    code: e.code ?? null, declineCode: e.decline_code ?? null, gatewayAdvice: e.advice_code ?? null,
    networkCode: e.network_decline_code ?? null, adviceCode: e.network_advice_code ?? null, network: pm?.card?.brand ?? null,
  });
}

/**
 * A refusal that is Rebill's own or the merchant's setup, not Stripe's answer about the card: a
 * currency or amount Stripe cannot take, a key Stripe refuses. Stripe has no code for "your key is
 * wrong", so these take Rebill's own codes (read as the custom contract's, which are Rebill's).
 */
export function ownDecline(code: DeclineCode, category?: 'config'): NormalizedDecline {
  const d = normalizeDecline('custom_http', { code });
  // A currency Stripe does not take is the merchant's setup, whatever the card could do.
  return category === 'config' ? { ...d, category: 'config', action: 'fix_configuration', doNotRetry: false } : d;
}

const isAuthentication = (e: { code?: string | null; decline_code?: string | null } | null | undefined): boolean =>
  e?.code === 'authentication_required' || e?.decline_code === 'authentication_required';

function failed(id: string | null, err: LastError | null | undefined): ChargeOutcome {
  const code = err?.decline_code || err?.code || 'payment_intent_incomplete';
  return { status: 'failed', chargeId: id, decline: stripeDecline(err ?? { code: null }, err?.payment_method), gatewayCode: code, message: err?.message ?? 'The payment was not completed.' };
}

const actionUrl = (pi: Stripe.PaymentIntent): string | null => pi.next_action?.redirect_to_url?.url ?? null;

/**
 * What a PaymentIntent's state means for Rebill. `requires_action` covers two cases: 3-D Secure
 * started (status requires_action, with a redirect URL when Stripe gave one), and an off-session
 * charge the issuer wants authenticated (Stripe declines it with authentication_required and
 * leaves the intent in requires_payment_method). Either way the customer must come back
 * on-session and confirm this same PaymentIntent, so the attempt stays open with its id and
 * nothing is charged again meanwhile; once they do, recovery's status query sees it succeed.
 * An intent never confirmed or cancelled failed: nothing was charged.
 */
export function intentOutcome(pi: Stripe.PaymentIntent): ChargeOutcome {
  switch (pi.status) {
    case 'succeeded': return { status: 'succeeded', chargeId: pi.id };
    // requires_capture: authorized, not captured (Rebill asks for automatic capture; a manual
    // capture configured elsewhere is still money on its way, not a failure).
    case 'processing': case 'requires_capture': return { status: 'processing', chargeId: pi.id };
    case 'requires_action': return { status: 'requires_action', chargeId: pi.id, actionUrl: actionUrl(pi) };
    case 'requires_payment_method':
      if (isAuthentication(pi.last_payment_error)) return { status: 'requires_action', chargeId: pi.id, actionUrl: null };
      return failed(pi.id, pi.last_payment_error);
    default: return failed(pi.id, pi.last_payment_error);
  }
}

const AUTH_MESSAGE = 'Stripe refused the gateway\'s secret key; fix the credentials of this gateway.';

/**
 * A StripeError from creating a charge: a definite answer (card declined, request refused) becomes
 * an outcome; anything that leaves the charge's fate unknown throws GatewayUnreachableError:
 * - connection lost or timed out (StripeConnectionError): the charge may exist;
 * - 5xx and 409 (StripeAPIError): Stripe may have done the work (a 500 met mid-execution is saved
 *   under the key), or another request with the key is still running;
 * - 429 (StripeRateLimitError): Stripe did nothing, but it asks to be tried again later, not to
 *   fail the invoice; recovery retries with the same key after its delay, which is the backoff;
 * - idempotency_error (same key, other parameters): a bug, never a decline — the first request's
 *   charge may exist, and recovery's search finds it.
 * Stripe's messages are kept except for authentication errors, whose message quotes part of the key.
 */
export function chargeErrorOutcome(err: unknown): ChargeOutcome {
  if (!(err instanceof Stripe.errors.StripeError)) throw err;
  if (err instanceof Stripe.errors.StripeCardError) {
    const pi = err.payment_intent;
    if (pi && isAuthentication(err)) return { status: 'requires_action', chargeId: pi.id, actionUrl: actionUrl(pi) };
    return { status: 'failed', chargeId: pi?.id ?? null, decline: stripeDecline(err, err.payment_method), gatewayCode: err.decline_code || err.code || 'card_declined', message: err.message };
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) throw new GatewayUnreachableError('stripe: idempotency key reused with other parameters; outcome unknown');
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    return { status: 'failed', chargeId: err.payment_intent?.id ?? null, decline: stripeDecline(err, err.payment_method), gatewayCode: err.code || 'invalid_request_error', message: err.message };
  }
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return { status: 'failed', chargeId: null, decline: ownDecline('merchant_config_error'), gatewayCode: err.type, message: AUTH_MESSAGE };
  }
  throw unreachable(err);
}

/** Whatever else a StripeError says, the outcome is unknown; the message names the class, never a key. */
export function unreachable(err: InstanceType<typeof Stripe.errors.StripeError>): GatewayUnreachableError {
  return new GatewayUnreachableError(`stripe: ${err.type}${err.statusCode ? ` (${err.statusCode})` : ''}: outcome unknown`);
}

/** A refund's state: `pending` and `requires_action` are not final; `failed` and `canceled` gave nothing back. */
export function refundOutcome(r: Stripe.Refund): RefundOutcome {
  if (r.status === 'succeeded') return { status: 'succeeded', refundId: r.id };
  if (r.status === 'failed' || r.status === 'canceled') return { status: 'failed', refundId: null, code: r.failure_reason ?? r.status, message: `Stripe refund ${r.id} ${r.status}.` };
  return { status: 'pending', refundId: r.id };
}

/** A StripeError from creating a refund: a refusal is a failed refund; anything else, unknown. */
export function refundErrorOutcome(err: unknown): RefundOutcome {
  if (!(err instanceof Stripe.errors.StripeError)) throw err;
  if (err instanceof Stripe.errors.StripeIdempotencyError) throw new GatewayUnreachableError('stripe: idempotency key reused with other parameters; outcome unknown');
  if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError) {
    return { status: 'failed', refundId: null, code: err.code ?? err.type, message: err.message };
  }
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return { status: 'failed', refundId: null, code: err.type, message: AUTH_MESSAGE };
  }
  throw unreachable(err);
}
