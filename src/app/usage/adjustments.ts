// Canceling a usage event (issue 18, point 4). The event stays stored — its identifier keeps
// deduplicating retries — and is left out of every aggregate from now on. A period already billed
// is corrected by the next bill of its subscription, as the account's late_usage_policy says;
// nothing billed is changed in place.
import { newId } from '../../domain/ids.ts';
import { withinWindow } from '../../domain/usage/event-input.ts';
import { invalid } from '../../domain/errors.ts';
import { notFound } from '../errors.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { nowFor, type Db } from '../time.ts';
import type { Formula } from '../../domain/usage/aggregate.ts';
import type { MeterRef, UsageQuery } from './store.ts';
import { command } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { usageStoreOf } from './ingest.ts';

export type AdjustmentInput = { event_name: string; type?: 'cancel'; cancel: { identifier: string } };

export const adjustmentView = (a: Row<'meter_event_adjustments'>, eventName: string): R.MeterEventAdjustmentObject => ({
  id: a.id, object: 'billing.meter_event_adjustment', event_name: eventName, type: 'cancel', cancel: { identifier: a.identifier },
  status: 'complete', meter: a.meter_id, customer: a.customer_id, event_timestamp: a.timestamp.toISOString(), created: a.created_at.toISOString(),
});

export async function createMeterEventAdjustment(deps: Deps, actor: Actor, input: AdjustmentInput): Promise<R.MeterEventAdjustmentObject> {
  const param = 'cancel[identifier]';
  const event = await usageStoreOf(deps).findEvent(actor.accountId, input.cancel.identifier);
  if (!event) throw notFound('meter event', input.cancel.identifier, param);
  return await command(deps, actor, async (u) => {
    const meter = await u.tx.selectFrom('meters').select(['id', 'event_name']).where('account_id', '=', u.accountId).where('id', '=', event.meterId).executeTakeFirstOrThrow();
    if (meter.event_name !== input.event_name) throw invalid('parameter_invalid', `event '${event.identifier}' was sent with event_name '${meter.event_name}'`, 'event_name');
    const customer = await u.tx.selectFrom('customers').select('test_clock_id').where('account_id', '=', u.accountId).where('id', '=', event.customerId).executeTakeFirstOrThrow();
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    // The same window as ingestion: a period older than that is closed for good.
    if (!withinWindow(event.timestamp, new Date(Math.max(now.getTime(), event.timestamp.getTime())))) {
      throw invalid('meter_event_adjustment_too_late', `event '${event.identifier}' happened more than 35 days before the customer's current time`, param);
    }
    const row = await u.tx.insertInto('meter_event_adjustments').values({
      account_id: u.accountId, id: newId('meterEventAdjustment'), identifier: event.identifier, type: 'cancel', meter_id: event.meterId,
      customer_id: event.customerId, timestamp: event.timestamp, created_at: now,
    }).onConflict((oc) => oc.columns(['account_id', 'identifier']).doNothing()).returningAll().executeTakeFirst();
    if (!row) throw invalid('meter_event_already_canceled', `event '${event.identifier}' was already canceled`, param);
    const view = adjustmentView(row, meter.event_name);
    u.audit('billing.meter_event_adjustment.created', 'meter_event_adjustment', row.id, null, view, now);
    u.emit('billing.meter_event_adjustment.created', row.id, view, now);
    return view;
  });
}

/**
 * A customer's usage of one meter over [from, to) as a store query, its canceled events left out:
 * what every reader of usage asks (summaries, alerts), so none counts a canceled event.
 */
export async function usageQuery(db: Db, meter: MeterRef, formula: Formula, customerId: string, from: Date, to: Date): Promise<UsageQuery> {
  const canceled = await db.selectFrom('meter_event_adjustments').select('identifier').where('account_id', '=', meter.accountId)
    .where('meter_id', '=', meter.id).where('customer_id', '=', customerId).where('timestamp', '>=', from).where('timestamp', '<', to).execute();
  return { meter, formula, customerId, from, to, exclude: canceled.map((c) => c.identifier) };
}
