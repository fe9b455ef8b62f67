import { sql } from 'kysely';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import type { Formula } from '../../domain/usage/aggregate.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

export type MeterInput = {
  event_name: string; display_name: string; default_aggregation: { formula: Formula };
  value_settings?: { event_payload_key: string }; customer_mapping?: { event_payload_key: string }; dimensions?: string[];
};

export const meterView = (m: Row<'meters'>): R.MeterObject => ({
  id: m.id, object: 'billing.meter', event_name: m.event_name, display_name: m.display_name,
  default_aggregation: { formula: m.formula as Formula }, value_settings: { event_payload_key: m.value_key },
  customer_mapping: { type: 'by_id', event_payload_key: m.customer_key }, dimensions: m.dimensions,
  status: m.status as 'active' | 'inactive', created: m.created_at.toISOString(), updated: m.updated_at.toISOString(),
});

const nameTaken = (eventName: string) =>
  invalid('meter_event_name_taken', `another active meter already has the event_name '${eventName}'`, 'event_name');

export async function createMeter(deps: Deps, actor: Actor, input: MeterInput) {
  const now = deps.clock.now();
  const valueKey = input.value_settings?.event_payload_key ?? 'value';
  const customerKey = input.customer_mapping?.event_payload_key ?? 'customer';
  const dimensions = input.dimensions ?? [];
  // The customer and value keys are read from the payload; a dimension cannot be one of them.
  if (valueKey === customerKey) throw invalid('parameter_invalid', 'value_settings and customer_mapping must name different payload keys', 'value_settings[event_payload_key]');
  const clash = dimensions.findIndex((d, i) => d === valueKey || d === customerKey || dimensions.indexOf(d) !== i);
  if (clash >= 0) throw invalid('parameter_invalid', `dimension '${dimensions[clash]}' repeats a key already read`, `dimensions[${clash}]`);
  return await command(deps, actor, async (u) => {
    // The partial unique index decides (its predicate written as a literal: PostgreSQL matches
    // the index by the text of the predicate, which a bound parameter would not give it), so two requests for one event name cannot both get it.
    const row = await u.tx.insertInto('meters').values({
      account_id: u.accountId, id: newId('meter'), event_name: input.event_name, display_name: input.display_name,
      formula: input.default_aggregation.formula, value_key: valueKey, customer_key: customerKey,
      dimensions: JSON.stringify(dimensions), created_at: now, updated_at: now,
    }).onConflict((oc) => oc.columns(['account_id', 'event_name']).where(sql<boolean>`status = 'active'`).doNothing()).returningAll().executeTakeFirst();
    if (!row) throw nameTaken(input.event_name);
    const view = meterView(row);
    u.audit('meter.created', 'meter', row.id, null, view, now);
    u.emit('meter.created', row.id, view, now);
    return view;
  });
}

async function lockedMeter(u: UnitOfWork, id: string) {
  const row = await u.tx.selectFrom('meters').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw notFound('meter', id, 'id');
  return row;
}

/** Renames, deactivates or reactivates a meter. What it measures (event name, keys, formula) is fixed once events may exist. */
export async function updateMeter(deps: Deps, actor: Actor, id: string, input: { display_name?: string; status?: 'active' | 'inactive' }) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await lockedMeter(u, id);
    const reactivating = input.status === 'active' && before.status !== 'active';
    if (reactivating) {
      const other = await u.tx.selectFrom('meters').select('id').where('account_id', '=', u.accountId)
        .where('event_name', '=', before.event_name).where('status', '=', 'active').executeTakeFirst();
      if (other) throw nameTaken(before.event_name);
    }
    const after = await u.tx.updateTable('meters').set({
      display_name: input.display_name ?? before.display_name, status: input.status ?? before.status, updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
      // A concurrent reactivation of another meter with this name loses on the unique index.
      .catch((e: unknown) => { throw (e as { code?: string }).code === '23505' ? nameTaken(before.event_name) : e; });
    const view = meterView(after);
    u.audit('meter.updated', 'meter', id, meterView(before), view, now);
    u.emit('meter.updated', id, view, now);
    return view;
  });
}

export async function getMeter(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('meters').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('meter', id, 'id');
  return meterView(row);
}

export async function listMeters(deps: Deps, accountId: string, page: Page & { status?: 'active' | 'inactive' | undefined }) {
  let q = deps.db.selectFrom('meters').selectAll().where('account_id', '=', accountId);
  if (page.status !== undefined) q = q.where('status', '=', page.status);
  return await paginate(q, 'id', page, meterView);
}
