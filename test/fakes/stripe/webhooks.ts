import { createHmac } from 'node:crypto';
import type { Obj } from './objects.ts';

/**
 * Stripe's webhook signature (docs.stripe.com/webhooks#verify-manually): the header
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the
 * endpoint's whsec_ secret>`. Stripe sends the event as pretty-printed JSON; the signature covers
 * those exact bytes, which is why a receiver must verify the raw body.
 */
export type Signed = { payload: string; header: string; timestamp: number };

/** Several secrets give several v1 entries, as Stripe sends while an endpoint's rolled secret is still valid. */
export function sign(payload: string, secret: string | string[], timestamp: number): string {
  const v1 = [secret].flat().map((s) => `v1=${createHmac('sha256', s).update(`${timestamp}.${payload}`, 'utf8').digest('hex')}`);
  return [`t=${timestamp}`, ...v1].join(',');
}

export function signEvent(event: Obj, secret: string | string[], timestamp: number): Signed {
  const payload = JSON.stringify(event, null, 2);
  return { payload, header: sign(payload, secret, timestamp), timestamp };
}

/** POSTs a signed event the way Stripe delivers it; answers the receiver's status and body. */
export async function deliver(url: string, signed: Signed): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': signed.header,
    },
    body: signed.payload,
  });
  return { status: res.status, body: await res.text() };
}
