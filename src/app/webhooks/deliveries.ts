import { sql } from 'kysely';
import { invalid } from '../../domain/errors.ts';
import { isEventType } from '../../domain/event-types.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { webhookDeliveryView, type Row } from '../views.ts';

/** Events one replay may send again; a wider outage is replayed in slices of `created`. */
export const MAX_REPLAY = 10_000;

export type DeliveryFilter = { status?: string; event?: string };
export type ReplayFilter = { types?: string[]; created?: { gte?: Date; lte?: Date }; status?: 'failed' };

async function liveEndpoint(db: Deps['db'] | UnitOfWork['tx'], accountId: string, id: string, param = 'id') {
  const e = await db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('id', '=', id)
    .where('deleted_at', 'is', null).executeTakeFirst();
  if (!e) throw notFound('webhook endpoint', id, param);
  return e;
}

/** An endpoint's deliveries, newest first: each with every attempt, its outcome and the next one due. */
export async function listDeliveries(deps: Deps, accountId: string, endpointId: string, page: Page, filter: DeliveryFilter = {}) {
  await liveEndpoint(deps.db, accountId, endpointId);
  let q = deps.db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', accountId).where('endpoint_id', '=', endpointId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.event) q = q.where('event_id', '=', filter.event);
  return await paginate(q, 'id', page, (d: Row<'webhook_deliveries'>) => webhookDeliveryView(d));
}

export async function getDelivery(deps: Deps, accountId: string, id: string) {
  const d = await deps.db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!d) throw notFound('webhook delivery', id, 'id');
  return webhookDeliveryView(d);
}

/**
 * Sends a delivery again now, whatever became of it (a succeeded one too: the receiver asked),
 * on a fresh retry schedule. One on its way is waited for (its batch holds the row), then sent again.
 */
export async function retryDelivery(deps: Deps, actor: Actor, id: string) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await u.tx.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', u.accountId).where('id', '=', id)
      .forUpdate().executeTakeFirst();
    if (!before) throw notFound('webhook delivery', id, 'id');
    const endpoint = await liveEndpoint(u.tx, u.accountId, before.endpoint_id);
    if (endpoint.disabled) throw invalid('webhook_endpoint_disabled', `Webhook endpoint '${endpoint.id}' is disabled; enable it first.`, 'id');
    // A batch sending it holds its row: the lock above waited for that batch's outcome.
    const after = await u.tx.updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    u.audit('webhook_delivery.retried', 'webhook_delivery', id, { status: before.status }, { status: after.status }, now);
    return webhookDeliveryView(after);
  });
}

/**
 * Sends the events matching `filter` to the endpoint again (e.g. after an outage on the
 * receiving side): those it takes, each on a fresh schedule. `status: failed`
 * keeps to the events whose delivery there was given up; without it, every matching event of
 * the retention window goes, whether it was delivered, failed, or never sent (the endpoint was
 * disabled, or created later). Deliveries still pending are left as they are.
 */
export async function replay(deps: Deps, actor: Actor, endpointId: string, filter: ReplayFilter) {
  for (const [i, t] of (filter.types ?? []).entries()) {
    if (!isEventType(t)) throw invalid('parameter_invalid', `'${t}' is not an event type Rebill sends`, `types[${i}]`);
  }
  const { gte, lte } = filter.created ?? {};
  if (gte && lte && gte > lte) throw invalid('parameter_invalid', 'created.gte is after created.lte', 'created[gte]');
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const endpoint = await liveEndpoint(u.tx, u.accountId, endpointId);
    if (endpoint.disabled) throw invalid('webhook_endpoint_disabled', `Webhook endpoint '${endpointId}' is disabled; enable it first.`, 'id');
    let q = u.tx.selectFrom('events as e')
      .leftJoin('webhook_deliveries as d', (j) => j.onRef('d.account_id', '=', 'e.account_id').onRef('d.event_id', '=', 'e.id').on('d.endpoint_id', '=', endpointId))
      .select(['e.id', 'e.type', 'e.object_id', 'e.sequence', 'd.id as delivery_id', 'd.status as delivery_status'])
      .where('e.account_id', '=', u.accountId).where('e.sequence', 'is not', null)
      .where((eb) => eb.or([eb('d.status', 'is', null), eb('d.status', '<>', 'pending')]));
    if (!endpoint.enabled_events.includes('*')) q = q.where('e.type', 'in', endpoint.enabled_events);
    if (filter.types?.length) q = q.where('e.type', 'in', filter.types);
    if (gte) q = q.where('e.created_at', '>=', gte);
    if (lte) q = q.where('e.created_at', '<=', lte);
    if (filter.status === 'failed') q = q.where('d.status', '=', 'failed');
    const rows = await q.orderBy('e.sequence').limit(MAX_REPLAY + 1).execute();
    if (rows.length > MAX_REPLAY) throw invalid('webhook_replay_too_large', `More than ${MAX_REPLAY} events match; narrow the replay with types or created.`, 'created');
    const again = rows.filter((r) => r.delivery_id !== null).map((r) => r.delivery_id!);
    if (again.length) {
      await u.tx.updateTable('webhook_deliveries').set({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now })
        .where('account_id', '=', u.accountId).where('id', 'in', again).execute();
    }
    const fresh = rows.filter((r) => r.delivery_id === null);
    if (fresh.length) {
      await sql`INSERT INTO webhook_deliveries (account_id, id, endpoint_id, event_id, event_sequence, event_type, object_id, status, next_attempt_at, created_at, updated_at)
        SELECT ${u.accountId}, t.id, ${endpointId}, t.event_id, t.seq, t.type, t.object_id, 'pending', ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
        FROM unnest(${fresh.map(() => newId('webhookDelivery'))}::text[], ${fresh.map((r) => r.id)}::text[], ${fresh.map((r) => String(r.sequence))}::bigint[],
                    ${fresh.map((r) => r.type)}::text[], ${fresh.map((r) => r.object_id)}::text[]) AS t(id, event_id, seq, type, object_id)`.execute(u.tx);
    }
    const answer = { object: 'webhook_replay' as const, endpoint: endpointId, events: rows.length };
    u.audit('webhook_endpoint.replayed', 'webhook_endpoint', endpointId, null, {
      filter: { types: filter.types ?? null, created: { gte: gte?.toISOString() ?? null, lte: lte?.toISOString() ?? null }, status: filter.status ?? null }, events: rows.length,
    }, now);
    return answer;
  });
}
