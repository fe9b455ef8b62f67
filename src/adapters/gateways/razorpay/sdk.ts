import Razorpay from 'razorpay';

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
type WithInternals = { api?: { rq?: { defaults?: AxiosDefaults } } };

/**
 * The official `razorpay` SDK, pointed at `apiBase`. The SDK (2.9.x) hard-codes
 * https://api.razorpay.com in its constructor and offers no option for another host, so the only
 * way to reach a regional endpoint, a proxy or a local wire-format server is the axios instance
 * it keeps at `instance.api.rq`. This is the one place that reaches into it: if an SDK upgrade
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
