import { GatewayUnreachableError, type ChargeOutcome } from '../../../app/ports.ts';
import { normalizeDecline, type DeclineCode } from '../../../domain/declines.ts';
import { isRazorpayHttpError, type RazorpayHttpError } from './sdk.ts';

/** The fields of Razorpay's payment entity the adapter reads. */
export type RzpPayment = {
  id: string; status: string; amount: number | string; currency: string; order_id?: string | null; created_at: number;
  token_id?: string | null; customer_id?: string | null;
  error_code?: string | null; error_description?: string | null; error_reason?: string | null;
};

export type RzpError = NonNullable<RazorpayHttpError['error']>;

/**
 * A decline in Rebill's own vocabulary, for refusals the adapter makes itself or that Razorpay
 * signals without a reason (wrong credentials). The custom gateway's table is Rebill's own codes.
 */
export function rebillDecline(code: DeclineCode, message: string, category?: 'config'): ChargeOutcome {
  const d = normalizeDecline('custom_http', { code });
  const decline = category ? { ...d, category, action: 'fix_configuration' as const, doNotRetry: true } : d;
  return { status: 'failed', chargeId: null, decline, gatewayCode: code, message };
}

/** A failed payment or refused request, normalized from Razorpay's `code` and `reason`, never from its HTTP status. */
export function declined(chargeId: string | null, e: { code?: string | null; reason?: string | null; description?: string | null }, network: string | null): ChargeOutcome {
  const reason = e.reason && e.reason !== 'NA' ? e.reason : null;
  return {
    status: 'failed', chargeId,
    decline: normalizeDecline('razorpay', { code: e.code ?? null, declineCode: reason, network }),
    gatewayCode: reason ?? e.code ?? 'unknown', message: e.description ?? 'The payment failed.',
  };
}

export const paymentDecline = (p: RzpPayment, network: string | null): ChargeOutcome =>
  declined(p.id, { code: p.error_code ?? null, reason: p.error_reason ?? null, description: p.error_description ?? null }, network);

/**
 * An HTTP refusal Razorpay answered in its own JSON (4xx), or else GatewayUnreachableError: no
 * answer at all (the SDK throws a TypeError then), a 5xx, or a body that is not Razorpay's (a
 * proxy's page), after which nobody can say whether the request did its work. The message names
 * only Razorpay's code and description: never the request, which carries the credentials.
 */
export function refusalOrUnknown(e: unknown, what: string): RazorpayHttpError & { error: RzpError } {
  if (isRazorpayHttpError(e) && e.statusCode < 500 && e.error) return e as RazorpayHttpError & { error: RzpError };
  const detail = isRazorpayHttpError(e) ? `HTTP ${e.statusCode}${e.error?.code ? ` ${e.error.code}` : ''}` : 'no answer';
  throw new GatewayUnreachableError(`razorpay: ${what}: ${detail}; outcome unknown`);
}

/** Razorpay's card network names as Rebill's brands (the ones card networks' rules know). */
export function brandOf(network: string | null | undefined): string | null {
  if (!network) return null;
  const n = network.toLowerCase().replace(/[^a-z]/g, '');
  const known: Record<string, string> = { visa: 'visa', mastercard: 'mastercard', americanexpress: 'amex', amex: 'amex', rupay: 'rupay', dinersclub: 'diners', diners: 'diners', discover: 'discover', jcb: 'jcb', maestro: 'maestro', unionpay: 'unionpay' };
  return known[n] ?? n;
}
