// The kinds of payment gateway an account can configure, and the credentials each needs.
// Credentials are checked for shape here (a Stripe secret key starts sk_ or rk_), so a typo is
// refused when the gateway is saved rather than at the first renewal.

export const GATEWAY_TYPES = ['sandbox', 'stripe', 'razorpay', 'custom_http'] as const;
export type GatewayType = (typeof GATEWAY_TYPES)[number];

/** The built-in sandbox every account has; payment methods name it when no gateway is given. */
export const BUILTIN_GATEWAY = 'sandbox';

type Field = { name: string; required: boolean; pattern: RegExp; hint: string };
const field = (name: string, required: boolean, pattern: RegExp, hint: string): Field => ({ name, required, pattern, hint });
const opaque = /^[\x21-\x7e]{8,256}$/;

/** Every credential a type takes; anything else is refused. */
export const CREDENTIALS: Record<GatewayType, readonly Field[]> = {
  sandbox: [],
  stripe: [
    field('secret_key', true, /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/, 'a Stripe secret or restricted key (sk_… or rk_…)'),
    field('webhook_secret', false, /^whsec_[A-Za-z0-9+/=]{8,250}$/, "a Stripe webhook endpoint's signing secret (whsec_…)"),
  ],
  razorpay: [
    field('key_id', true, /^rzp_(test|live)_[A-Za-z0-9]{8,64}$/, 'a Razorpay key id (rzp_test_… or rzp_live_…)'),
    field('key_secret', true, opaque, 'the Razorpay key secret'),
    field('webhook_secret', false, opaque, 'the secret set on the Razorpay webhook'),
  ],
  custom_http: [
    field('api_key', true, opaque, "the key Rebill presents to the merchant's gateway service"),
    field('signing_secret', true, opaque, 'the shared secret that signs requests and webhooks both ways'),
  ],
};

/** Where each processor's API lives unless `api_base` says otherwise; a custom gateway has none. */
export const DEFAULT_API_BASE: Record<GatewayType, string | null> = {
  sandbox: null,
  stripe: 'https://api.stripe.com',
  razorpay: 'https://api.razorpay.com',
  custom_http: null,
};

export type CredentialProblem = { param: string; code: 'parameter_missing' | 'parameter_unknown' | 'parameter_invalid'; message: string };

/**
 * What is wrong with `given` as the credentials of a `type` gateway, or null. `partial`: a
 * change, where only the fields given are replaced and required ones may be absent.
 */
export function credentialProblem(type: GatewayType, given: Record<string, unknown>, partial = false): CredentialProblem | null {
  const fields = CREDENTIALS[type];
  for (const key of Object.keys(given)) {
    if (!fields.some((f) => f.name === key)) return { param: `credentials[${key}]`, code: 'parameter_unknown', message: `a ${type} gateway takes no credential '${key}'` };
  }
  for (const f of fields) {
    const v = given[f.name];
    if (v === undefined) {
      if (f.required && !partial) return { param: `credentials[${f.name}]`, code: 'parameter_missing', message: `a ${type} gateway needs ${f.hint}` };
      continue;
    }
    if (typeof v !== 'string' || !f.pattern.test(v)) return { param: `credentials[${f.name}]`, code: 'parameter_invalid', message: `credentials[${f.name}] must be ${f.hint}` };
  }
  return null;
}
