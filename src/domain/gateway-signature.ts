// Signatures of the custom HTTP gateway contract (docs/custom-gateway.md), used both ways: Rebill
// signs its requests to the merchant's gateway service, and the service signs its webhooks to
// Rebill. HMAC-SHA256 with the shared `signing_secret` over `${t}.${METHOD}.${path}.${body}`,
// sent as `Rebill-Signature: t=<unix seconds>,v1=<hex>`. The method and the path (with its query)
// are signed so a captured GET cannot be replayed against another charge and a signed body cannot
// be moved to another endpoint; the timestamp bounds how long a captured request stays usable.
// Pure: the caller gives the time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'rebill-signature';
/** How far a signature's time may be from the verifier's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignedRequest = { method: string; path: string; body: string };

/** The hex HMAC of one request at `t` (whole seconds since the epoch). */
export function requestMac(secret: string, t: number, req: SignedRequest): string {
  return createHmac('sha256', secret).update(`${t}.${req.method.toUpperCase()}.${req.path}.${req.body}`, 'utf8').digest('hex');
}

/** The `Rebill-Signature` value of a request sent at `at`. */
export function signRequest(secret: string, at: Date, req: SignedRequest): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${requestMac(secret, t, req)}`;
}

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * Why a request's signature header does not hold at `now`, or null when it does. Several `v1=`
 * entries may be given (a secret rotation: one per secret); any one matching is enough.
 */
export function signatureProblem(secret: string, header: string | null | undefined, req: SignedRequest, now: Date,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): SignatureProblem | null {
  if (!header) return 'missing';
  let t: number | null = null;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const [k, v] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) macs.push(v);
  }
  if (t === null || macs.length === 0) return 'malformed';
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return 'stale';
  const expected = Buffer.from(requestMac(secret, t, req), 'hex');
  return macs.some((m) => timingSafeEqual(Buffer.from(m, 'hex'), expected)) ? null : 'mismatch';
}
