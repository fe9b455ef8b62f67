import Razorpay from 'razorpay';
import type { Refunds } from 'razorpay/dist/types/refunds.js';

export const RAZORPAY_PUBLIC_API = 'https://api.razorpay.com';

export type RazorpayClientOptions = {
  keyId: string;
  keySecret: string;
  /** The processor's base URL (no `/v1`): a regional endpoint, a proxy or a local test server. */
  apiBase?: string;
  /**
   * Milliseconds before a request is abandoned. The SDK sets none, so without this a processor
   * that never answers holds the charge (and its attempt row) forever.
   */
  timeoutMs?: number;
};

// The axios instance the SDK sends every request through. Not part of the SDK's typed surface.
type AxiosDefaults = { baseURL?: string; timeout?: number };
type AxiosLike = {
  defaults?: AxiosDefaults;
  post?: (url: string, data: unknown, config: { headers: Record<string, string> }) => Promise<{ data: unknown }>;
};
type WithInternals = { api?: { rq?: AxiosLike } };

/**
 * The official `razorpay` SDK, pointed at `apiBase`. The SDK (2.9.x) hard-codes
 * https://api.razorpay.com in its constructor and offers no option for another host, so the only
 * way to reach a regional endpoint, a proxy or a local wire-format server is the axios instance
 * it keeps at `instance.api.rq`. This file is the one place that reaches into it: if an SDK upgrade
 * moves the field, this throws instead of silently sending real requests to the public API
 * (src/adapters/gateways/razorpay/sdk.test.ts also proves a request really arrives at apiBase).
 */
export function razorpayClient(opts: RazorpayClientOptions): Razorpay {
  const instance = new Razorpay({ key_id: opts.keyId, key_secret: opts.keySecret });
  const defaults = (instance as unknown as WithInternals).api?.rq?.defaults;
  if (!defaults || typeof defaults.baseURL !== 'string') {
    throw new Error('razorpay SDK internals changed: instance.api.rq.defaults.baseURL is gone; update razorpayClient');
  }
  if (opts.apiBase) defaults.baseURL = opts.apiBase.replace(/\/+$/, '');
  if (opts.timeoutMs !== undefined) defaults.timeout = opts.timeoutMs;
  return instance;
}

/**
 * What the SDK throws. An HTTP answer becomes `{ statusCode, error }` (error: Razorpay's error
 * object, or undefined when the body was not Razorpay's JSON, e.g. a proxy's 502 page). No
 * answer at all (timeout, refused or reset connection) makes the SDK's own error normalizer
 * fail reading `err.response.status`, so it throws a TypeError instead: treat anything without
 * a numeric statusCode as "outcome unknown".
 */
export type RazorpayHttpError = {
  statusCode: number;
  error?: { code?: string; description?: string; field?: string | null; source?: string; step?: string; reason?: string; metadata?: Record<string, unknown> };
};

export function isRazorpayHttpError(e: unknown): e is RazorpayHttpError {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number';
}

/**
 * A refund made idempotent with Razorpay's `X-Refund-Idempotency` header (a key of at least 10
 * letters, digits, `-` or `_`): a retry with the same key and body answers the first refund
 * instead of refunding again; the same key with another body is refused (400). The SDK's
 * `payments.refund` cannot send that header (its client passes only X-Razorpay-Account and
 * Content-Type), so this posts through the SDK's own axios instance: same base URL, credentials
 * and timeout. Errors take the SDK's shape, `{ statusCode, error }`, except that a request with
 * no answer rethrows axios's own error (with its `code`) rather than the SDK's TypeError.
 */
export async function refundIdempotent(
  client: Razorpay, paymentId: string, body: Refunds.RazorpayRefundCreateRequestBody, idempotencyKey: string,
): Promise<Refunds.RazorpayRefund> {
  const rq = (client as unknown as WithInternals).api?.rq;
  if (!rq?.post) throw new Error('razorpay SDK internals changed: instance.api.rq.post is gone; update refundIdempotent');
  try {
    const res = await rq.post(`/v1/payments/${encodeURIComponent(paymentId)}/refund`, body, { headers: { 'X-Refund-Idempotency': idempotencyKey } });
    return res.data as Refunds.RazorpayRefund;
  } catch (e) {
    const response = (e as { response?: { status: number; data?: { error?: RazorpayHttpError['error'] } } }).response;
    if (response) throw { statusCode: response.status, error: response.data?.error } satisfies RazorpayHttpError;
    throw e;
  }
}
