import { sql } from 'kysely';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { alertThreshold, type Period } from '../../domain/usage/alert.ts';
import { normalDecimal } from '../../domain/usage/aggregate.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { queueUsageCheck } from './queue.ts';
import { refreshWatch, watchCustomer } from './watch.ts';

export type AlertStatus = 'active' | 'inactive' | 'archived';
export type AlertInput = {
  alert_type: 'usage_threshold'; title: string;
  usage_threshold: { gte: number | string; meter: string; filters: { type: 'customer'; customer: string }[]; recurrence?: 'one_time' | 'per_period' };
};

export const alertView = (a: Row<'billing_alerts'>): R.BillingAlertObject => ({
  id: a.id, object: 'billing.alert', alert_type: 'usage_threshold', title: a.title, status: a.status as AlertStatus,
  usage_threshold: {
    gte: normalDecimal(a.gte), meter: a.meter_id, filters: [{ type: 'customer', customer: a.customer_id }],
    recurrence: a.recurrence as 'one_time' | 'per_period',
  },
  created: a.created_at.toISOString(), updated: a.updated_at.toISOString(),
});

/** What billing.alert.triggered carries: the alert, and the usage that reached its threshold in which period. */
export const triggerView = (a: Row<'billing_alerts'>, value: string, period: Period, at: Date): R.AlertTriggeredObject => ({
  object: 'billing.alert_triggered', alert: alertView(a), customer: a.customer_id, meter: a.meter_id, value, gte: normalDecimal(a.gte),
  period_start: period.start.toISOString(), period_end: period.end.toISOString(), created: at.toISOString(),
});

/**
 * A usage threshold on one meter for one customer. A check is queued at once, so that usage
 * already past the threshold in the current period triggers the alert without waiting for more.
 */
export async function createAlert(deps: Deps, actor: Actor, input: AlertInput) {
  const now = deps.clock.now();
  const t = input.usage_threshold;
  const gte = alertThreshold(t.gte);
  if (gte === null) throw invalid('parameter_invalid', 'usage_threshold[gte] must be a number greater than 0 (at most 20 digits before the point and 12 after)', 'usage_threshold[gte]');
  const customerId = t.filters[0]!.customer;
  return await command(deps, actor, async (u) => {
    const [meter, customer] = await Promise.all([
      u.tx.selectFrom('meters').select('id').where('account_id', '=', u.accountId).where('id', '=', t.meter).executeTakeFirst(),
      u.tx.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', u.accountId).where('id', '=', customerId).executeTakeFirst(),
    ]);
    if (!meter) throw notFound('meter', t.meter, 'usage_threshold[meter]');
    if (!customer) throw notFound('customer', customerId, 'usage_threshold[filters][0][customer]');
    const row = await u.tx.insertInto('billing_alerts').values({
      account_id: u.accountId, id: newId('alert'), title: input.title, alert_type: 'usage_threshold', meter_id: meter.id, customer_id: customer.id,
      gte, recurrence: t.recurrence ?? 'per_period', created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    await watchCustomer(u, customer.id);
    await queueUsageCheck(deps, u, customer.id, customer.test_clock_id);
    const view = alertView(row);
    u.audit('billing_alert.created', 'billing_alert', row.id, null, view, now);
    u.emit('billing.alert.created', row.id, view, now);
    return view;
  });
}

async function lockedAlert(u: UnitOfWork, id: string) {
  const row = await u.tx.selectFrom('billing_alerts').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw notFound('alert', id, 'id');
  return row;
}

/**
 * activate, deactivate or archive. Archiving is final (Stripe's rule): an archived alert cannot
 * be activated or deactivated again. Asking for the status an alert already has changes nothing.
 */
export async function setAlertStatus(deps: Deps, actor: Actor, id: string, status: AlertStatus) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await lockedAlert(u, id);
    if (before.status === status) return alertView(before);
    if (before.status === 'archived') throw invalid('billing_alert_archived', `Alert '${id}' is archived: it cannot be ${status === 'active' ? 'activated' : 'deactivated'} again.`, 'id');
    const after = await u.tx.updateTable('billing_alerts').set({ status, updated_at: now, version: before.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    if (status === 'active') {
      await watchCustomer(u, after.customer_id);
      const customer = await u.tx.selectFrom('customers').select('test_clock_id').where('account_id', '=', u.accountId).where('id', '=', after.customer_id).executeTakeFirstOrThrow();
      await queueUsageCheck(deps, u, after.customer_id, customer.test_clock_id);
    } else {
      await refreshWatch(u, after.customer_id);
    }
    const view = alertView(after);
    u.audit(`billing_alert.${status === 'active' ? 'activated' : status === 'inactive' ? 'deactivated' : 'archived'}`, 'billing_alert', id, alertView(before), view, now);
    u.emit('billing.alert.updated', id, view, now, { previous_attributes: { status: before.status } });
    return view;
  });
}

export async function getAlert(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('billing_alerts').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('alert', id, 'id');
  return alertView(row);
}

/** Newest first; archived alerts are left out (Stripe's rule), and stay retrievable by id. */
export async function listAlerts(deps: Deps, accountId: string, page: Page & { meter?: string | undefined; customer?: string | undefined }) {
  let q = deps.db.selectFrom('billing_alerts').selectAll().where('account_id', '=', accountId).where('status', '<>', 'archived');
  if (page.meter !== undefined) q = q.where('meter_id', '=', page.meter);
  if (page.customer !== undefined) q = q.where('customer_id', '=', page.customer);
  return await paginate(q, 'id', page, alertView);
}

/**
 * Records that an alert fired in a period and announces it, in `u`'s transaction. The alert
 * must still be active; the primary key (and for one_time alerts the partial unique index)
 * decide between two checks racing: the loser inserts nothing and emits nothing.
 */
export async function recordTrigger(u: UnitOfWork, alert: Row<'billing_alerts'>, value: string, period: Period, now: Date): Promise<boolean> {
  const r = await sql<{ alert_id: string }>`
    INSERT INTO alert_triggers (account_id, alert_id, period_start, period_end, one_time, value, created_at)
    SELECT account_id, id, ${period.start}, ${period.end}, recurrence = 'one_time', ${value}, ${now} FROM billing_alerts
    WHERE account_id = ${u.accountId} AND id = ${alert.id} AND status = 'active'
    ON CONFLICT DO NOTHING RETURNING alert_id`.execute(u.tx);
  if (!r.rows.length) return false;
  u.emit('billing.alert.triggered', alert.id, triggerView(alert, value, period, now), now);
  return true;
}
