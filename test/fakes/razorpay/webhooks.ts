import { createHmac } from 'node:crypto';
import { copy, newId, type Books, type Dispute, type Order, type Payment, type Refund } from './books.ts';

export type WebhookEvent =
  | 'payment.authorized' | 'payment.captured' | 'payment.failed' | 'order.paid'
  | 'refund.created' | 'refund.processed' | 'refund.failed'
  | 'payment.dispute.created' | 'payment.dispute.won' | 'payment.dispute.lost' | 'payment.dispute.closed';

/** One signed delivery as Razorpay would POST it: the raw body and the headers that go with it. */
export type SignedWebhook = {
  event: WebhookEvent; eventId: string; body: string; signature: string;
  headers: { 'content-type': string; 'x-razorpay-signature': string; 'x-razorpay-event-id': string };
};

export type Entities = { payment?: Payment; order?: Order; refund?: Refund; dispute?: Dispute };

/** Razorpay signs the exact raw body: hex HMAC-SHA256 with the webhook secret, no timestamp. */
export const signWebhook = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');

/**
 * The envelope Razorpay posts: `{ entity: 'event', account_id, event, contains, payload, created_at }`,
 * each payload member wrapped as `{ entity: <snapshot> }`. Snapshots are taken now: a later change to
 * the payment does not alter an event already built, as on Razorpay.
 */
export function buildWebhook(event: WebhookEvent, e: Entities, o: { accountId: string; secret: string; createdAt: number }): SignedWebhook {
  const payload: Record<string, { entity: unknown }> = {};
  for (const key of ['payment', 'order', 'refund', 'dispute'] as const) if (e[key]) payload[key] = { entity: copy(e[key]) };
  const contains = event.startsWith('refund.') ? ['refund', 'payment'] : event.startsWith('payment.dispute.') ? ['payment', 'dispute'] : Object.keys(payload);
  const body = JSON.stringify({ entity: 'event', account_id: o.accountId, event, contains, payload, created_at: o.createdAt });
  const signature = signWebhook(body, o.secret);
  const eventId = newId('');
  return { event, eventId, body, signature, headers: { 'content-type': 'application/json', 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId } };
}

/**
 * The entities `event` about `entity` carries, looked up in the books: a refund or dispute brings
 * its payment, and `order.*` events bring the payment's order.
 */
export function entitiesFor(books: Books, event: WebhookEvent, entity: { entity: string; id: string; payment_id?: string; order_id?: string }): Entities {
  const payment = (id?: string) => (id ? books.payments.get(id) : undefined);
  switch (entity.entity) {
    case 'payment': {
      const p = books.payments.get(entity.id) ?? (entity as Payment);
      return event.startsWith('order.') ? { payment: p, order: books.orders.get(p.order_id) } : { payment: p };
    }
    case 'refund': return { refund: books.refunds.get(entity.id) ?? (entity as Refund), payment: payment(entity.payment_id) };
    case 'dispute': return { dispute: books.disputes.get(entity.id) ?? (entity as Dispute), payment: payment(entity.payment_id) };
    default: throw new Error(`no webhook for entity '${entity.entity}'`);
  }
}

/** Sent events in order, and their delivery to `url` (one at a time, in order) when one is set. */
export class Outbox {
  readonly sent: SignedWebhook[] = [];
  readonly deliveries: { eventId: string; event: string; status: number | 'error' }[] = [];
  url: string | null = null;
  private chain: Promise<void> = Promise.resolve();

  push(w: SignedWebhook): void {
    this.sent.push(w);
    const url = this.url;
    if (!url) return;
    this.chain = this.chain.then(async () => {
      try {
        const res = await fetch(url, { method: 'POST', headers: w.headers, body: w.body });
        await res.arrayBuffer();
        this.deliveries.push({ eventId: w.eventId, event: w.event, status: res.status });
      } catch {
        this.deliveries.push({ eventId: w.eventId, event: w.event, status: 'error' });
      }
    });
  }

  /** Resolves once every delivery queued so far has been attempted. */
  flush(): Promise<void> { return this.chain; }
}
