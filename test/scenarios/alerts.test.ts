import { describe, expect, it } from 'vitest';
import { checkCustomerUsage, runDueUsageChecks } from '../../src/app/usage/checks.ts';
import { PostgresUsageStore, type UsageStore } from '../../src/app/usage/store.ts';
import { drain } from '../../src/worker/worker.ts';
import { advance, clockAt, customerWithCard, monthlyPrice, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** Usage threshold alerts and the usage-check queue (issue 18, point 6). */
describe('usage alerts fire once per period when a customer\'s usage reaches their threshold', async () => {
  const h = await harness(); // real time: 2027-01-01T00:00:00Z
  await ok(h, 'POST', '/v1/billing/meters', { event_name: 'api_calls', display_name: 'API calls', default_aggregation: { formula: 'sum' } });
  const meter = (await ok(h, 'GET', '/v1/billing/meters')).data[0];
  let n = 0;
  const use = async (customer: string, value: number | string) =>
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'api_calls', identifier: `e-${++n}`, payload: { customer, value } });
  const alertOn = async (customer: string, gte: number | string, recurrence?: 'one_time' | 'per_period') =>
    await ok(h, 'POST', '/v1/billing/alerts', {
      alert_type: 'usage_threshold', title: `Over ${gte}`, usage_threshold: { gte, meter: meter.id, filters: [{ type: 'customer', customer }], ...(recurrence ? { recurrence } : {}) },
    });
  /** The alert's billing.alert.triggered events, oldest first: when, the value and the period. */
  const triggers = async (alert: string) => (await ok(h, 'GET', `/v1/events?type=billing.alert.triggered&object_id=${alert}&limit=100`)).data.slice().reverse()
    .map((e: any) => ({ at: e.created, value: e.data.object.value, period: [e.data.object.period_start, e.data.object.period_end] }));
  const queued = async (customer: string) => (await h.database.pool.query('SELECT check_at FROM usage_checks WHERE customer_id = $1', [customer])).rows.length;
  const onClock = async (iso: string) => {
    const clock = await clockAt(h, iso);
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'metered@example.com', test_clock: clock.id });
    return { clock, customer };
  };

  it('alert at 100: 60 then 50 fire it once, with the value and the calendar month; more usage in the month does not; the next month fires again', async () => {
    const { clock, customer } = await onClock('2027-01-10T00:00:00Z');
    const alert = await alertOn(customer.id, 100);
    expect(alert).toMatchObject({
      object: 'billing.alert', alert_type: 'usage_threshold', title: 'Over 100', status: 'active',
      usage_threshold: { gte: '100', meter: meter.id, filters: [{ type: 'customer', customer: customer.id }], recurrence: 'per_period' },
    });
    expect(alert.id).toMatch(/^alrt_/);
    await use(customer.id, 60);
    await advance(h, clock.id, '2027-01-10T01:00:00Z');
    expect(await triggers(alert.id)).toEqual([]);
    await use(customer.id, '50');
    await advance(h, clock.id, '2027-01-10T02:00:00Z');
    const month = ['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'];
    expect(await triggers(alert.id)).toEqual([{ at: '2027-01-10T01:00:00.000Z', value: '110', period: month }]);
    const [event] = (await ok(h, 'GET', `/v1/events?type=billing.alert.triggered&object_id=${alert.id}`)).data;
    expect(event.data.object).toMatchObject({ object: 'billing.alert_triggered', alert: { id: alert.id }, customer: customer.id, meter: meter.id, gte: '100' });

    await use(customer.id, 500);
    await advance(h, clock.id, '2027-01-31T00:00:00Z');
    expect(await triggers(alert.id)).toHaveLength(1);
    expect(await queued(customer.id)).toBe(0);

    await advance(h, clock.id, '2027-02-02T00:00:00Z');
    await use(customer.id, 99.5);
    await advance(h, clock.id, '2027-02-03T00:00:00Z');
    await use(customer.id, 0.5);
    await advance(h, clock.id, '2027-02-04T00:00:00Z');
    expect(await triggers(alert.id)).toEqual([
      { at: '2027-01-10T01:00:00.000Z', value: '110', period: month },
      { at: '2027-02-03T00:00:00.000Z', value: '100', period: ['2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'] },
    ]);
  });

  it('a canceled event does not count toward an alert: 80 canceled, then 30, fires nothing; 70 more fires it at 100', async () => {
    const { clock, customer } = await onClock('2027-01-10T00:00:00Z');
    const alert = await alertOn(customer.id, 100);
    const big = await use(customer.id, 80);
    await ok(h, 'POST', '/v1/billing/meter_event_adjustments', { event_name: 'api_calls', type: 'cancel', cancel: { identifier: big.identifier } });
    await use(customer.id, 30);
    await advance(h, clock.id, '2027-01-10T01:00:00Z');
    expect(await triggers(alert.id)).toEqual([]);
    await use(customer.id, 70);
    await advance(h, clock.id, '2027-01-10T02:00:00Z');
    expect(await triggers(alert.id)).toEqual([{ at: '2027-01-10T01:00:00.000Z', value: '100', period: ['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'] }]);
  });

  it('a one_time alert fires once ever, whatever the period', async () => {
    const { clock, customer } = await onClock('2027-01-10T00:00:00Z');
    const alert = await alertOn(customer.id, '10.5', 'one_time');
    expect(alert.usage_threshold).toMatchObject({ gte: '10.5', recurrence: 'one_time' });
    await use(customer.id, 11);
    await advance(h, clock.id, '2027-01-11T00:00:00Z');
    await advance(h, clock.id, '2027-02-02T00:00:00Z');
    await use(customer.id, 20);
    await advance(h, clock.id, '2027-02-03T00:00:00Z');
    expect((await triggers(alert.id)).map((t: { value: string }) => t.value)).toEqual(['11']);
  });

  it('follows the current period of the customer\'s subscription, not the calendar month', async () => {
    const clock = await clockAt(h, '2027-01-15T12:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const price = await monthlyPrice(h, 2000);
    await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const alert = await alertOn(customer.id, 100);
    await use(customer.id, 100);
    await advance(h, clock.id, '2027-02-14T00:00:00Z');
    await use(customer.id, 100);
    await advance(h, clock.id, '2027-02-16T00:00:00Z');
    await use(customer.id, 100);
    await advance(h, clock.id, '2027-02-17T00:00:00Z');
    expect((await triggers(alert.id)).map((t: { period: string[] }) => t.period)).toEqual([
      ['2027-01-15T12:00:00.000Z', '2027-02-15T12:00:00.000Z'], ['2027-02-15T12:00:00.000Z', '2027-03-15T12:00:00.000Z'],
    ]);
  });

  it('a deactivated alert does not fire, and its customer\'s usage queues no check; activated again, usage already past the threshold fires it', async () => {
    const { clock, customer } = await onClock('2027-01-10T00:00:00Z');
    const alert = await alertOn(customer.id, 100);
    await advance(h, clock.id, '2027-01-10T00:10:00Z'); // runs the check queued by the creation: nothing yet
    expect(await ok(h, 'POST', `/v1/billing/alerts/${alert.id}/deactivate`)).toMatchObject({ id: alert.id, status: 'inactive' });
    await use(customer.id, 150);
    expect(await queued(customer.id)).toBe(0);
    await advance(h, clock.id, '2027-01-11T00:00:00Z');
    expect(await triggers(alert.id)).toEqual([]);
    expect(await ok(h, 'POST', `/v1/billing/alerts/${alert.id}/activate`)).toMatchObject({ status: 'active' });
    await advance(h, clock.id, '2027-01-12T00:00:00Z');
    expect(await triggers(alert.id)).toEqual([{ at: '2027-01-11T00:00:00.000Z', value: '150', period: ['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'] }]);
  });

  it('archiving is final: the alert leaves the list, cannot be activated, and never fires', async () => {
    const { clock, customer } = await onClock('2027-01-10T00:00:00Z');
    const alert = await alertOn(customer.id, 1);
    expect(await ok(h, 'POST', `/v1/billing/alerts/${alert.id}/archive`)).toMatchObject({ status: 'archived' });
    const again = await h.call('POST', `/v1/billing/alerts/${alert.id}/activate`);
    expect([again.status, again.body.error.code, again.body.error.param]).toEqual([400, 'billing_alert_archived', 'id']);
    expect((await ok(h, 'GET', `/v1/billing/alerts?customer=${customer.id}`)).data).toEqual([]);
    expect(await ok(h, 'GET', `/v1/billing/alerts/${alert.id}`)).toMatchObject({ status: 'archived' });
    await use(customer.id, 5);
    await advance(h, clock.id, '2027-01-11T00:00:00Z');
    expect(await triggers(alert.id)).toEqual([]);
  });

  it('lists alerts newest first, by meter and by customer', async () => {
    const { customer } = await onClock('2027-01-10T00:00:00Z');
    const a = await alertOn(customer.id, 5);
    const b = await alertOn(customer.id, 50, 'one_time');
    expect((await ok(h, 'GET', `/v1/billing/alerts?customer=${customer.id}`)).data.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
    expect((await ok(h, 'GET', `/v1/billing/alerts?customer=${customer.id}&meter=${meter.id}&limit=1`)).has_more).toBe(true);
    expect((await ok(h, 'GET', '/v1/billing/alerts?meter=mtr_none')).data).toEqual([]);
    expect(await ok(h, 'GET', `/v1/billing/alerts/${a.id}`)).toEqual(a);
  });
});

describe('usage checks of real-time customers, by the worker', async () => {
  const h: Harness = await harness();
  const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'gb', display_name: 'GB', default_aggregation: { formula: 'sum' } });
  const alertOn = async (customer: string, gte: number) => await ok(h, 'POST', '/v1/billing/alerts', {
    alert_type: 'usage_threshold', title: 'Storage', usage_threshold: { gte, meter: meter.id, filters: [{ type: 'customer', customer }] },
  });
  const triggered = async (alert: string) => (await ok(h, 'GET', `/v1/events?type=billing.alert.triggered&object_id=${alert}`)).data;
  const duty = async (owner = 'w1') => { let n = 0; for (let k; (k = await runDueUsageChecks(h.deps, owner)) > 0;) n += k; return n; };

  it('ingestion of a watched customer\'s usage queues one check, which the usage.check duty runs and deletes; an unwatched customer\'s queues nothing', async () => {
    const watched = await ok(h, 'POST', '/v1/customers', { email: 'watched@example.com' });
    const other = await ok(h, 'POST', '/v1/customers', { email: 'other@example.com' });
    const alert = await alertOn(watched.id, 10);
    await duty();
    const events = [4, 7].map((value, i) => ({ event_name: 'gb', identifier: `rt-${i}`, payload: { customer: watched.id, value } }));
    events.push({ event_name: 'gb', identifier: 'rt-other', payload: { customer: other.id, value: 100 } });
    expect((await ok(h, 'POST', '/v1/billing/meter_event_batches', { events })).accepted).toBe(3);
    const rows = (await h.database.pool.query('SELECT customer_id, check_at FROM usage_checks WHERE account_id = $1', [h.accountId])).rows;
    expect(rows).toEqual([{ customer_id: watched.id, check_at: new Date('2027-01-01T00:00:00Z') }]);
    expect(await triggered(alert.id)).toHaveLength(0);
    // The worker, as `rebill worker` runs it, until it finds nothing more to do.
    await drain(h.deps);
    const [event] = await triggered(alert.id);
    expect(event.data.object).toMatchObject({ value: '11', period_start: '2027-01-01T00:00:00.000Z', period_end: '2027-02-01T00:00:00.000Z' });
    expect((await h.database.pool.query('SELECT 1 FROM usage_checks WHERE account_id = $1', [h.accountId])).rows).toEqual([]);
  });

  it('checks racing on one customer — workers, or a retry — emit billing.alert.triggered once', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'race@example.com' });
    const alert = await alertOn(customer.id, 3);
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'gb', identifier: 'race-1', payload: { customer: customer.id, value: 5 } });
    // Two workers poll at once: one claims the row, the other finds nothing to do.
    expect((await Promise.all([duty('w1'), duty('w2')])).sort()).toEqual([0, 1]);
    // A second alert, and six checks held together after each has read that it has not fired yet.
    const racing = 6;
    let arrived = 0;
    let release!: () => void;
    const barrier = new Promise<void>((r) => { release = r; });
    const store = new PostgresUsageStore(h.database.db);
    const held: UsageStore = {
      insertEvents: (...a) => store.insertEvents(...a), summaries: (...a) => store.summaries(...a),
      aggregateMany: (...a) => store.aggregateMany(...a), valuesInOrder: (...a) => store.valuesInOrder(...a), findEvent: (...a) => store.findEvent(...a),
      aggregate: async (...a) => { if (++arrived === racing) release(); await barrier; return await store.aggregate(...a); },
    };
    const second = await alertOn(customer.id, 4.5);
    await Promise.all(Array.from({ length: racing }, () => checkCustomerUsage({ ...h.deps, usageStore: held }, h.accountId, customer.id)));
    expect(await triggered(second.id)).toHaveLength(1);
    expect(await triggered(alert.id)).toHaveLength(1);
    expect((await h.database.pool.query('SELECT count(*)::int AS n FROM alert_triggers WHERE alert_id = ANY($1)', [[alert.id, second.id]])).rows[0].n).toBe(2);
  });

  it('usage arriving while a check runs re-arms its row: the check leaves it, and the next run sees the new usage', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'rearm@example.com' });
    const alert = await alertOn(customer.id, 10);
    await duty();
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'gb', identifier: 'rearm-1', payload: { customer: customer.id, value: 6 } });
    // A worker claims the row, and dies before deleting it: the claim runs out two minutes later.
    await h.database.pool.query("UPDATE usage_checks SET claim = 'dead-worker', check_at = check_at + interval '2 minutes' WHERE customer_id = $1", [customer.id]);
    expect(await duty()).toBe(0);
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'gb', identifier: 'rearm-2', payload: { customer: customer.id, value: 6 } });
    expect((await h.database.pool.query('SELECT claim, check_at FROM usage_checks WHERE customer_id = $1', [customer.id])).rows)
      .toEqual([{ claim: null, check_at: new Date('2027-01-01T00:00:00Z') }]);
    expect(await duty()).toBe(1);
    expect((await triggered(alert.id))[0].data.object.value).toBe('12');
  });

  it('keeps the customer watched while any of their alerts is active', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'flag@example.com' });
    const watched = async () => (await h.database.pool.query('SELECT usage_watched FROM customers WHERE id = $1', [customer.id])).rows[0].usage_watched;
    expect(await watched()).toBe(false);
    const a = await alertOn(customer.id, 1);
    const b = await alertOn(customer.id, 2);
    expect(await watched()).toBe(true);
    await ok(h, 'POST', `/v1/billing/alerts/${a.id}/deactivate`);
    expect(await watched()).toBe(true);
    await ok(h, 'POST', `/v1/billing/alerts/${b.id}/archive`);
    expect(await watched()).toBe(false);
    await ok(h, 'POST', `/v1/billing/alerts/${a.id}/activate`);
    expect(await watched()).toBe(true);
  });
});
