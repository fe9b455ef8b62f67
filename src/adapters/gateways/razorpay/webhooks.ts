// Razorpay's webhooks read as Rebill's gateway events. The signature is the SDK's own
// `validateWebhookSignature` (hex HMAC-SHA256 of the raw body with the webhook secret). It covers
// no timestamp, so the envelope's `created_at` (inside the signed body) stands in: an event signed
// long ago and sent again is refused as stale. Razorpay's event id travels in the
// `x-razorpay-event-id` header, outside the signature; it is only the dedupe key, and a forged one
// can at worst make a genuine body count twice, which the processing ignores (nothing moves twice).
// Shapes: razorpay.com/docs/webhooks/payloads (payments, refunds, disputes); see test/fakes/razorpay.
import { createHash } from 'node:crypto';
import Razorpay from 'razorpay';
import { WEBHOOK_TOLERANCE_SECONDS, WebhookRefusedError, type GatewayEvent, type GatewaySubject, type WebhookDelivery } from '../../../app/ports.ts';
import type { DisputeStatus } from '../../../domain/dispute-status.ts';
import { fromRazorpayAmount } from './amounts.ts';
import { paymentDecline, type RzpPayment } from './outcomes.ts';

type Envelope = { entity?: string; event?: string; created_at?: number; payload?: Record<string, { entity?: Record<string, unknown> } | undefined> };
type Notes = Record<string, string> | unknown[] | null | undefined;

const DISPUTE_STATUS: Record<string, DisputeStatus> = { open: 'needs_response', under_review: 'under_review', won: 'won', lost: 'lost', closed: 'closed' };
const note = (n: Notes, key: string): string | null => (n && !Array.isArray(n) && typeof n[key] === 'string' ? n[key] : null);

function verified(secret: string | null, d: WebhookDelivery): Envelope {
  const signature = d.headers['x-razorpay-signature'];
  if (!secret) throw new WebhookRefusedError('invalid', 'this gateway has no webhook_secret, so no webhook can be verified');
  if (!signature) throw new WebhookRefusedError('invalid', 'no X-Razorpay-Signature header');
  const body = d.rawBody.toString('utf8');
  if (!Razorpay.validateWebhookSignature(body, signature, secret)) throw new WebhookRefusedError('invalid', 'the X-Razorpay-Signature does not match');
  let env: Envelope;
  try { env = JSON.parse(body) as Envelope; } catch { throw new WebhookRefusedError('invalid', 'the signed body is not JSON'); }
  const t = env.created_at;
  if (typeof t !== 'number' || Math.abs(d.now.getTime() / 1000 - t) > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookRefusedError('stale', 'the event was created too long ago (created_at) to be a fresh delivery');
  }
  return env;
}

function subjectOf(env: Envelope): GatewaySubject | null {
  const entity = (k: string) => env.payload?.[k]?.entity;
  const event = env.event ?? '';
  if (event === 'payment.captured' || event === 'payment.failed') {
    const p = entity('payment') as RzpPayment & { notes?: Notes } | undefined;
    if (!p) return null;
    const outcome = p.status === 'failed' ? paymentDecline(p, null) : p.status === 'captured' || p.status === 'refunded' ? { status: 'succeeded' as const, chargeId: p.id } : null;
    return outcome ? { kind: 'charge', attemptId: note(p.notes, 'rebill_attempt'), outcome } : null;
  }
  if (event.startsWith('refund.')) {
    const r = entity('refund') as { id: string; payment_id: string; amount: number; currency: string; status: string; notes?: Notes } | undefined;
    if (!r) return null;
    const status = r.status === 'processed' ? 'succeeded' : r.status === 'failed' ? 'failed' : 'pending';
    return {
      kind: 'refund', gatewayRefundId: r.id, chargeId: r.payment_id, rebillRefundId: note(r.notes, 'rebill_refund'),
      amount: fromRazorpayAmount(r.amount), currency: r.currency.toLowerCase(), status, failure: status === 'failed' ? 'refund failed at Razorpay' : null,
    };
  }
  if (event.startsWith('payment.dispute.')) {
    const d = entity('dispute') as { id: string; payment_id: string; amount: number; currency: string; status: string; reason_code?: string } | undefined;
    const status = d && DISPUTE_STATUS[d.status];
    if (!d || !status) return null;
    return {
      kind: 'dispute', gatewayDisputeId: d.id, chargeId: d.payment_id, amount: fromRazorpayAmount(d.amount), currency: d.currency.toLowerCase(),
      status, gatewayStatus: d.status, reason: d.reason_code ?? null,
    };
  }
  return null;
}

export function parseRazorpayWebhook(secret: string | null, d: WebhookDelivery): GatewayEvent[] {
  const env = verified(secret, d);
  const subject = subjectOf(env);
  if (!subject) return [];
  // Razorpay says to deduplicate on the header; a delivery without it is keyed by its exact bytes.
  const id = d.headers['x-razorpay-event-id'] ?? `sha256_${createHash('sha256').update(d.rawBody).digest('hex')}`;
  return [{ id: id.slice(0, 255), type: env.event!, occurredAt: new Date(env.created_at! * 1000), subject }];
}
