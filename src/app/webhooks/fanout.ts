import { sql, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { newId } from '../../domain/ids.ts';
import { takesEvent } from '../../domain/webhook-delivery.ts';

export type SequencedEvent = { account_id: string; id: string; type: string; object_id: string; sequence: bigint };

/**
 * Writes a pending delivery of each event to every live endpoint of its account that takes its
 * type, due at once. Runs inside the sequencer's transaction: the deliveries exist iff the
 * events got their place in the stream, each event is fanned out once, and the endpoints are the
 * ones live when it entered the stream.
 */
export async function fanOut(tx: Transaction<DB>, events: readonly SequencedEvent[], now: Date): Promise<number> {
  if (events.length === 0) return 0;
  const accounts = [...new Set(events.map((e) => e.account_id))];
  const endpoints = await tx.selectFrom('webhook_endpoints').select(['account_id', 'id', 'enabled_events'])
    .where('account_id', 'in', accounts).where('deleted_at', 'is', null).where('disabled', '=', false).execute();
  if (endpoints.length === 0) return 0;
  const byAccount = new Map<string, typeof endpoints>();
  for (const e of endpoints) byAccount.set(e.account_id, [...(byAccount.get(e.account_id) ?? []), e]);
  const cols = { account: [] as string[], id: [] as string[], endpoint: [] as string[], event: [] as string[], seq: [] as string[], type: [] as string[], object: [] as string[] };
  for (const ev of events) {
    for (const ep of byAccount.get(ev.account_id) ?? []) {
      if (!takesEvent(ep.enabled_events, ev.type)) continue;
      cols.account.push(ev.account_id); cols.id.push(newId('webhookDelivery')); cols.endpoint.push(ep.id);
      cols.event.push(ev.id); cols.seq.push(ev.sequence.toString()); cols.type.push(ev.type); cols.object.push(ev.object_id);
    }
  }
  if (cols.id.length === 0) return 0;
  await sql`INSERT INTO webhook_deliveries (account_id, id, endpoint_id, event_id, event_sequence, event_type, object_id, status, next_attempt_at, created_at, updated_at)
    SELECT t.account_id, t.id, t.endpoint_id, t.event_id, t.seq, t.type, t.object_id, 'pending', ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
    FROM unnest(${cols.account}::text[], ${cols.id}::text[], ${cols.endpoint}::text[], ${cols.event}::text[], ${cols.seq}::bigint[], ${cols.type}::text[], ${cols.object}::text[])
      AS t(account_id, id, endpoint_id, event_id, seq, type, object_id)`.execute(tx);
  return cols.id.length;
}
