// Signatures of outbound webhooks, per the Standard Webhooks specification: the signed content
// is `<webhook-id>.<webhook-timestamp>.<body>`, HMAC-SHA256 with the key the `whsec_` secret
// encodes (base64), sent as `webhook-signature: v1,<base64>`. During a secret rotation both the
// new and the old secret sign, space-separated, so a receiver with either one accepts.
import { createHmac } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** Key bytes of a `whsec_…` secret; throws on anything else (a bug, never user input). */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (key.length < 24 || key.length > 64) throw new Error('a webhook secret holds 24 to 64 bytes');
  return key;
}

/** A `whsec_…` secret for these key bytes. */
export const secretOf = (key: Uint8Array): string => `${SECRET_PREFIX}${Buffer.from(key).toString('base64')}`;

/** One `v1,<base64>` signature of a delivery. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three headers of a delivery at `at` (whole seconds since the epoch), signed with every
 * secret given (the current one first, then any still valid during a rotation).
 */
export function signedHeaders(secrets: readonly string[], id: string, at: Date, body: string): Record<string, string> {
  if (secrets.length === 0) throw new Error('a delivery needs at least one secret');
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signature(s, id, timestamp, body)).join(' '),
  };
}
