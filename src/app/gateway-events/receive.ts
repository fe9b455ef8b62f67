import { sql } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { gatewayFor } from '../gateways/resolve.ts';
import { enqueue } from '../jobs/queue.ts';
import { WebhookRefusedError, type Deps, type GatewayEvent, type WebhookDelivery } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { encodeSubject, PROCESS_GATEWAY_EVENT } from './subject.ts';

export type Received = { object: 'gateway_webhook_receipt'; received: number; duplicates: number };

/**
 * One delivery to `POST /v1/gateway_webhooks/:gateway_id`. The processor holds no API key: the
 * gateway id names the account, and the signature under that gateway's secret is the proof.
 * An unknown or inactive gateway, or one whose type has no webhooks, is a 404; a refused
 * signature a 400; either way nothing is written. Accepted events are stored once by the
 * processor's event id, each with its processing job in the same transaction, and the answer
 * goes back at once: the processor wants a quick 2xx, and the work waits for the job.
 */
export async function receiveGatewayWebhook(deps: Deps, gatewayId: string, delivery: Omit<WebhookDelivery, 'now'>, requestId: string | null): Promise<Received> {
  const row = await deps.db.selectFrom('gateways').select(['account_id', 'id', 'active']).where('id', '=', gatewayId).executeTakeFirst();
  if (!row || !row.active) throw notFound('gateway', gatewayId, 'gateway_id');
  const gateway = await gatewayFor(deps, row.account_id, row.id);
  if (!gateway.parseWebhook) throw notFound('gateway', gatewayId, 'gateway_id');
  let events: GatewayEvent[];
  try {
    events = gateway.parseWebhook({ ...delivery, now: deps.clock.now() });
  } catch (err) {
    if (!(err instanceof WebhookRefusedError)) throw err;
    deps.log.warn({ gateway: gatewayId, reason: err.reason, err: err.message }, 'inbound gateway webhook refused');
    throw new DomainError(err.reason === 'stale' ? 'webhook_timestamp_stale' : 'webhook_signature_invalid', err.message, 'signature');
  }
  if (events.length === 0) return { object: 'gateway_webhook_receipt', received: 0, duplicates: 0 };
  const actor = { accountId: row.account_id, actor: `gateway:${row.id}`, requestId };
  return await command(deps, actor, async (u) => {
    const now = deps.clock.now();
    let received = 0;
    for (const e of events) {
      const id = newId('gatewayEvent');
      // The unique (account, gateway, event id) makes a repeated delivery, even a simultaneous one, a no-op.
      const stored = (await sql<{ id: string }>`
        INSERT INTO gateway_events (account_id, id, gateway, event_id, type, subject, occurred_at, status, created_at)
        VALUES (${row.account_id}, ${id}, ${row.id}, ${e.id}, ${e.type}, ${encodeSubject(e.subject)}::jsonb, ${e.occurredAt}, 'received', ${now})
        ON CONFLICT (account_id, gateway, event_id) DO NOTHING RETURNING id`.execute(u.tx)).rows[0];
      if (!stored) continue;
      enqueue(deps, u, PROCESS_GATEWAY_EVENT, { gateway_event: id });
      received++;
    }
    return { object: 'gateway_webhook_receipt' as const, received, duplicates: events.length - received };
  });
}
