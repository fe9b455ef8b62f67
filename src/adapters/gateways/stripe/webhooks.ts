// Stripe's webhooks read as Rebill's gateway events. Verified with the SDK's own
// `webhooks.constructEvent` (Stripe-Signature `t=…,v1=…`, HMAC-SHA256 of "t.body", 300 s
// tolerance against Rebill's clock). Event shapes: docs.stripe.com/api/events/types and the
// PaymentIntent, Refund and Dispute objects of stripe/openapi.
import Stripe from 'stripe';
import { WEBHOOK_TOLERANCE_SECONDS, WebhookRefusedError, type GatewayEvent, type GatewaySubject, type WebhookDelivery } from '../../../app/ports.ts';
import type { DisputeStatus } from '../../../domain/dispute-status.ts';
import { fromStripeAmount } from './amounts.ts';
import { intentOutcome } from './outcomes.ts';

/** Stripe's dispute statuses in Rebill's words; the `warning_*` ones are inquiries, not yet chargebacks. */
const DISPUTE_STATUS: Record<string, DisputeStatus> = {
  warning_needs_response: 'needs_response', needs_response: 'needs_response',
  warning_under_review: 'under_review', under_review: 'under_review',
  won: 'won', lost: 'lost', warning_closed: 'closed', prevented: 'won',
};

const idOf = (v: string | { id: string } | null | undefined): string | null => (typeof v === 'string' ? v : v?.id ?? null);

export function verifyStripeEvent(stripe: Stripe, secret: string | null, d: WebhookDelivery): Stripe.Event {
  const header = d.headers['stripe-signature'];
  if (!secret) throw new WebhookRefusedError('invalid', 'this gateway has no webhook_secret, so no webhook can be verified');
  if (!header) throw new WebhookRefusedError('invalid', 'no Stripe-Signature header');
  try {
    return stripe.webhooks.constructEvent(d.rawBody, header, secret, WEBHOOK_TOLERANCE_SECONDS, undefined, d.now.getTime());
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) throw err;
    const stale = /tolerance/i.test(err.message);
    throw new WebhookRefusedError(stale ? 'stale' : 'invalid', stale ? 'the Stripe-Signature timestamp is too old' : 'the Stripe-Signature does not match');
  }
}

/** What a Stripe event says about a charge, refund or dispute; null for the types Rebill does not act on. */
export function stripeSubject(event: Stripe.Event): GatewaySubject | null {
  const o = event.data.object as unknown as Record<string, unknown>;
  switch (event.type) {
    case 'payment_intent.succeeded': case 'payment_intent.payment_failed': case 'payment_intent.processing': {
      const pi = o as unknown as Stripe.PaymentIntent;
      return { kind: 'charge', attemptId: pi.metadata?.rebill_attempt ?? null, outcome: intentOutcome(pi) };
    }
    case 'refund.created': case 'refund.updated': case 'refund.failed': {
      const r = o as unknown as Stripe.Refund;
      const chargeId = idOf(r.payment_intent);
      if (!chargeId || !r.status) return null;
      const status = r.status === 'succeeded' ? 'succeeded' : r.status === 'failed' || r.status === 'canceled' ? 'failed' : 'pending';
      return {
        kind: 'refund', gatewayRefundId: r.id, chargeId, rebillRefundId: r.metadata?.rebill_refund ?? null,
        amount: fromStripeAmount(r.amount, r.currency), currency: r.currency, status, failure: r.failure_reason ?? null,
      };
    }
    case 'charge.dispute.created': case 'charge.dispute.updated': case 'charge.dispute.closed': {
      const d = o as unknown as Stripe.Dispute;
      const chargeId = idOf(d.payment_intent);
      const status = DISPUTE_STATUS[d.status];
      if (!chargeId || !status) return null;
      return {
        kind: 'dispute', gatewayDisputeId: d.id, chargeId, amount: fromStripeAmount(d.amount, d.currency), currency: d.currency,
        status, gatewayStatus: d.status, reason: d.reason ?? null,
      };
    }
    default: return null;
  }
}

export function parseStripeWebhook(stripe: Stripe, secret: string | null, d: WebhookDelivery): GatewayEvent[] {
  const event = verifyStripeEvent(stripe, secret, d);
  const subject = stripeSubject(event);
  return subject ? [{ id: event.id, type: event.type, occurredAt: new Date(event.created * 1000), subject }] : [];
}
