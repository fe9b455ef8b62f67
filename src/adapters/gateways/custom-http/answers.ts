// Reading what a merchant's gateway service answered (docs/custom-gateway.md). An answer that
// does not fit the contract proves nothing about the charge, so it is treated as no answer.
import { GatewayUnreachableError, type ChargeOutcome, type RefundOutcome } from '../../../app/ports.ts';
import { DECLINE_CODES, isDeclineCode, normalizeDecline } from '../../../domain/declines.ts';

/** A status Rebill acts on, with the parsed JSON body (null when there was none or it was not JSON). */
export type Answer = { status: number; json: unknown };

const str = (v: unknown, max: number): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : null);

export function errorOf(json: unknown): { code: string | null; message: string | null } {
  const e = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return { code: str(e?.code, 100), message: str(e?.message, 500) };
}

/** A charge object of the contract as an outcome; `where` names the call for the error. */
export function chargeOutcome(json: unknown, where: 'charge' | 'lookup'): ChargeOutcome {
  const c = (json ?? {}) as Record<string, unknown>;
  const id = str(c.id, 255);
  if (!id) throw new GatewayUnreachableError(`custom_http: the ${where} answer has no charge id`);
  switch (c.status) {
    case 'succeeded': return { status: 'succeeded', chargeId: id };
    case 'processing': return { status: 'processing', chargeId: id };
    case 'requires_action': return { status: 'requires_action', chargeId: id, actionUrl: httpsUrl(c.action_url) };
    case 'failed': {
      const code = str(c.decline_code, 100) ?? 'generic_decline';
      const decline = normalizeDecline('custom_http', {
        code, network: str(c.card_network, 30), networkCode: str(c.network_decline_code, 10), adviceCode: str(c.network_advice_code, 10),
      });
      return { status: 'failed', chargeId: id, decline, gatewayCode: code, message: str(c.message, 500) ?? decline.message };
    }
    default: throw new GatewayUnreachableError(`custom_http: the ${where} answer has an unknown status`);
  }
}

/**
 * A refused charge (3xx or 4xx other than 408/409/425/429): the service did nothing, and the
 * cause is on the merchant's side (a wrong key, signature or api_base), so retrying the card
 * changes nothing. A `config` code of Rebill's vocabulary is kept; anything else reads as
 * `merchant_config_error`.
 */
export function configFailure(a: Answer): ChargeOutcome {
  const err = errorOf(a.json);
  const own = err.code && isDeclineCode(err.code) && DECLINE_CODES[err.code].category === 'config' ? err.code : 'merchant_config_error';
  const decline = normalizeDecline('custom_http', { code: own });
  return { status: 'failed', chargeId: null, decline, gatewayCode: err.code ?? `http_${a.status}`, message: err.message ?? `the gateway service refused the charge (HTTP ${a.status})` };
}

export function refundOutcome(json: unknown): RefundOutcome {
  const r = (json ?? {}) as Record<string, unknown>;
  const id = str(r.id, 255);
  switch (r.status) {
    case 'succeeded': if (id) return { status: 'succeeded', refundId: id }; break;
    case 'pending': if (id) return { status: 'pending', refundId: id }; break;
    case 'failed': return { status: 'failed', refundId: null, code: str(r.code, 100) ?? 'refund_failed', message: str(r.message, 500) ?? 'The gateway service could not refund the charge.' };
  }
  throw new GatewayUnreachableError('custom_http: unreadable refund answer');
}

/** Only an https link (or http to loopback, for local services) is passed on to a customer. */
function httpsUrl(v: unknown): string | null {
  const s = str(v, 2048);
  if (!s) return null;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) ? u.toString() : null;
  } catch { return null; }
}
