import { thresholdReached, usagePeriod, type Period } from '../../domain/usage/alert.ts';
import type { Formula } from '../../domain/usage/aggregate.ts';
import { systemActor, type Deps } from '../ports.ts';
import { nowFor, type Db } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { usageQuery } from './adjustments.ts';
import { recordTrigger } from './alerts.ts';
import { usageStoreOf } from './ingest.ts';

/**
 * The period a customer's usage of a meter adds up over at `now`: the current billing period of
 * their first live subscription, else the UTC calendar month of their time.
 * TODO(lead): once prices carry recurring.meter, take the subscription with an item priced on `meterId`.
 */
export async function usagePeriodOf(db: Db, accountId: string, customerId: string, _meterId: string, now: Date): Promise<Period> {
  const sub = await db.selectFrom('subscriptions')
    .select(['current_period_start', 'current_period_end', 'billing_cycle_anchor', 'recurring_interval', 'recurring_interval_count'])
    .where('account_id', '=', accountId).where('customer_id', '=', customerId).where('status', 'in', ['active', 'trialing', 'past_due'])
    .orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  return usagePeriod(now, sub ?? null);
}

/**
 * The alerts consumer of a usage check: every active alert of the customer whose meter's usage
 * in the current period has reached its threshold, and that has not fired for this period
 * (per_period) or ever (one_time), fires now. Usage is added up before the transaction that
 * records the triggers, which takes no lock but the rows it inserts.
 */
export async function checkAlerts(deps: Deps, accountId: string, customerId: string): Promise<void> {
  const alerts = await deps.db.selectFrom('billing_alerts').selectAll().where('account_id', '=', accountId).where('customer_id', '=', customerId)
    .where('status', '=', 'active').orderBy('id').execute();
  if (!alerts.length) return;
  const [customer, meters, fired] = await Promise.all([
    deps.db.selectFrom('customers').select('test_clock_id').where('account_id', '=', accountId).where('id', '=', customerId).executeTakeFirstOrThrow(),
    deps.db.selectFrom('meters').select(['id', 'formula']).where('account_id', '=', accountId).where('id', 'in', [...new Set(alerts.map((a) => a.meter_id))]).execute(),
    deps.db.selectFrom('alert_triggers').select(['alert_id', 'period_start', 'one_time']).where('account_id', '=', accountId)
      .where('alert_id', 'in', alerts.map((a) => a.id)).execute(),
  ]);
  const now = await nowFor(deps, deps.db, accountId, customer.test_clock_id);
  const formulas = new Map(meters.map((m) => [m.id, m.formula as Formula]));
  const store = usageStoreOf(deps);
  // One aggregate per meter and period, however many alerts share them.
  const usage = new Map<string, Promise<{ period: Period; value: string }>>();
  const usageOf = (meterId: string) => {
    let u = usage.get(meterId);
    if (!u) {
      u = usagePeriodOf(deps.db, accountId, customerId, meterId, now).then(async (period) =>
        ({ period, value: await store.aggregate(await usageQuery(deps.db, { accountId, id: meterId }, formulas.get(meterId)!, customerId, period.start, period.end)) }));
      usage.set(meterId, u);
    }
    return u;
  };
  const reached: { alert: (typeof alerts)[number]; period: Period; value: string }[] = [];
  for (const a of alerts) {
    const { period, value } = await usageOf(a.meter_id);
    const done = fired.some((f) => f.alert_id === a.id && (f.one_time || f.period_start.getTime() === period.start.getTime()));
    if (!done && thresholdReached(value, a.gte)) reached.push({ alert: a, period, value });
  }
  if (!reached.length) return;
  await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    for (const r of reached) await recordTrigger(u, r.alert, r.value, r.period, now);
  });
}
