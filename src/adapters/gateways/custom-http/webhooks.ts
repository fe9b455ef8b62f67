// Webhooks of the custom HTTP gateway contract (docs/custom-gateway.md, "Webhooks from the service
// to Rebill"): `{ id, type, created, data }`, signed like Rebill's own requests (Rebill-Signature
// over `t.POST.<path of Rebill's endpoint>.<body>`, the gateway's signing_secret, 300 s tolerance).
import { WEBHOOK_TOLERANCE_SECONDS, WebhookRefusedError, type GatewayEvent, type GatewaySubject, type WebhookDelivery } from '../../../app/ports.ts';
import { DISPUTE_STATUSES, type DisputeStatus } from '../../../domain/dispute-status.ts';
import { SIGNATURE_HEADER, signatureProblem } from '../../../domain/gateway-signature.ts';
import { chargeOutcome } from './answers.ts';

type Envelope = { id?: unknown; type?: unknown; created?: unknown; data?: Record<string, unknown> };

const text = (v: unknown, max = 255): string | null => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : null);
const minor = (v: unknown): bigint | null => (typeof v === 'string' && /^\d{1,18}$/.test(v) ? BigInt(v) : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null);
const currency = (v: unknown): string | null => (typeof v === 'string' && /^[a-z]{3}$/.test(v) ? v : null);

function subjectOf(type: string, data: Record<string, unknown>): GatewaySubject | null {
  if (type === 'charge.succeeded' || type === 'charge.failed') {
    try {
      return { kind: 'charge', attemptId: text(data.reference), outcome: chargeOutcome(data, 'lookup') };
    } catch { return null; }
  }
  if (type === 'refund.succeeded' || type === 'refund.failed') {
    const [id, charge, amount, cur] = [text(data.id), text(data.charge), minor(data.amount), currency(data.currency)];
    if (!id || !charge || amount === null || amount <= 0n || !cur) return null;
    const failed = type === 'refund.failed';
    return { kind: 'refund', gatewayRefundId: id, chargeId: charge, rebillRefundId: text(data.reference), amount, currency: cur,
      status: failed ? 'failed' : 'succeeded', failure: failed ? text(data.message, 500) ?? 'the gateway service could not refund the charge' : null };
  }
  if (type === 'dispute.created' || type === 'dispute.updated' || type === 'dispute.closed') {
    const [id, charge, amount, cur] = [text(data.id), text(data.charge), minor(data.amount), currency(data.currency)];
    const status = (DISPUTE_STATUSES as readonly string[]).includes(data.status as string) ? data.status as DisputeStatus : null;
    if (!id || !charge || amount === null || !cur || !status) return null;
    return { kind: 'dispute', gatewayDisputeId: id, chargeId: charge, amount, currency: cur, status, gatewayStatus: status, reason: text(data.reason, 100) };
  }
  return null;
}

export function parseCustomWebhook(secret: string, d: WebhookDelivery): GatewayEvent[] {
  const body = d.rawBody.toString('utf8');
  const problem = signatureProblem(secret, d.headers[SIGNATURE_HEADER], { method: 'POST', path: d.path, body }, d.now, WEBHOOK_TOLERANCE_SECONDS);
  if (problem === 'stale') throw new WebhookRefusedError('stale', 'the Rebill-Signature timestamp is too far from now');
  if (problem) throw new WebhookRefusedError('invalid', `the Rebill-Signature is ${problem}`);
  let env: Envelope;
  try { env = JSON.parse(body) as Envelope; } catch { throw new WebhookRefusedError('invalid', 'the signed body is not JSON'); }
  const [id, type] = [text(env.id), text(env.type, 100)];
  if (!id || !type || typeof env.created !== 'number' || !env.data || typeof env.data !== 'object') return [];
  const subject = subjectOf(type, env.data);
  return subject ? [{ id, type, occurredAt: new Date(env.created * 1000), subject }] : [];
}
