import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/**
 * Subscription schedules on test clocks: each phase's items take over at its start like an update
 * at that instant (nothing prorated at a period boundary), and the schedule ends by releasing or
 * canceling its subscription. Every invoice of every boundary is checked.
 */

async function yearlyPrice(h: Harness, unit_amount: number) {
  const product = await must(h.client.POST('/v1/products', { body: { name: 'Annual plan' } }));
  return await must(h.client.POST('/v1/prices', { body: { product: product.id, currency: 'usd', unit_amount, recurring: { interval: 'year' } } }));
}

type Phase = { items: { price: string; quantity?: number }[]; iterations?: number; end_date?: string; trial_end?: string;
  proration_behavior?: 'create_prorations' | 'always_invoice' | 'none'; billing_cycle_anchor?: 'automatic' | 'phase_start' };

async function schedule(h: Harness, body: { customer: string; start_date: string; phases: Phase[]; end_behavior?: 'release' | 'cancel' }) {
  return await must(h.client.POST('/v1/subscription_schedules', { body }));
}
const getSchedule = (h: Harness, id: string) => must(h.client.GET('/v1/subscription_schedules/{id}', { params: { path: { id } } }));
const getSubscription = (h: Harness, id: string) => must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id } } }));

/** Each invoice as [billing_reason, period_start day, total, status, [line kind, amount]…]. */
async function bills(h: Harness, subscription: string) {
  return (await invoicesOf(h, subscription)).map((i) => [i.billing_reason, i.period_start.slice(0, 10), i.total, i.status,
    i.lines.data.map((l) => [l.kind, l.amount])]);
}

/** A customer with a card on a clock frozen at `start`, and a monthly price of each amount. */
async function payingOnClock<const A extends readonly number[]>(h: Harness, start: string, ...amounts: A) {
  const prices = [];
  for (const amount of amounts) prices.push(await monthlyPrice(h, amount));
  const clock = await clockAt(h, start);
  const customer = await customerWithCard(h, 'tok_visa', clock.id);
  return { clock, customer, prices: prices as { [K in keyof A]: Awaited<ReturnType<typeof monthlyPrice>> } };
}

const cycle = (day: string, amount: number) => ['subscription_cycle', day, amount, 'paid', [['subscription', amount]]];

describe('subscription schedules on a test clock', async () => {
  const h = await harness();

  it('(a) a year-long contract with a three-month ramp: 50.00 a month, then 100.00, with no proration at the step', async () => {
    const { clock, customer, prices: [ramp, full] } = await payingOnClock(h, '2027-01-01T00:00:00Z', 5000, 10000);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [
      { items: [{ price: ramp.id }], iterations: 3 }, { items: [{ price: full.id }], iterations: 9 }] });
    expect(s).toMatchObject({ object: 'subscription_schedule', status: 'active', end_behavior: 'release', customer: customer.id,
      current_phase: { start_date: '2027-01-01T00:00:00.000Z', end_date: '2027-04-01T00:00:00.000Z' }, test_clock: clock.id });
    expect(s.phases.map((p) => [p.start_date, p.end_date, p.items])).toEqual([
      ['2027-01-01T00:00:00.000Z', '2027-04-01T00:00:00.000Z', [{ price: ramp.id, quantity: 1 }]],
      ['2027-04-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z', [{ price: full.id, quantity: 1 }]],
    ]);
    const sub = await getSubscription(h, s.subscription!);
    expect(sub).toMatchObject({ status: 'active', schedule: s.id, current_period_end: '2027-02-01T00:00:00.000Z' });

    await advance(h, clock.id, '2027-04-15T00:00:00Z');
    expect(await getSchedule(h, s.id)).toMatchObject({ status: 'active',
      current_phase: { start_date: '2027-04-01T00:00:00.000Z', end_date: '2028-01-01T00:00:00.000Z' } });
    expect((await getSubscription(h, sub.id)).items.data.map((i) => [typeof i.price === 'string' ? i.price : i.price.id, i.quantity])).toEqual([[full.id, 1]]);

    await advance(h, clock.id, '2028-01-02T00:00:00Z');
    const months = ['02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];
    expect(await bills(h, sub.id)).toEqual([
      ['subscription_create', '2027-01-01', 5000, 'paid', [['subscription', 5000]]],
      ...months.map((m) => cycle(`2027-${m}-01`, m < '04' ? 5000 : 10000)),
      // The contract is over: the schedule completes and the subscription renews on the last price.
      cycle('2028-01-01', 10000),
    ]);
    expect(await getSchedule(h, s.id)).toMatchObject({ status: 'completed', completed_at: '2028-01-01T00:00:00.000Z', current_phase: null, subscription: sub.id });
    expect(await getSubscription(h, sub.id)).toMatchObject({ status: 'active', schedule: null });
    const events = (await eventsOf(h, 'subscription_schedule.completed')).filter((e) => e.data.object.id === s.id);
    expect(events).toHaveLength(1);
    const trail = await ok(h, 'GET', `/v1/audit_log?object_id=${s.id}&limit=100`);
    expect(trail.data.map((e: { action: string }) => e.action).reverse()).toEqual(
      ['subscription_schedule.created', 'subscription_schedule.updated', 'subscription_schedule.completed']);
  });

  it('(b) freemium to paid at day 30: a free phase, then a paid one whose billing period starts with it', async () => {
    const { clock, customer, prices: [free, paid] } = await payingOnClock(h, '2027-03-01T00:00:00Z', 0, 2500);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [
      { items: [{ price: free.id }], end_date: '2027-03-31T00:00:00Z' },
      { items: [{ price: paid.id }], iterations: 12, billing_cycle_anchor: 'phase_start', proration_behavior: 'none' }] });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    expect(await bills(h, s.subscription!)).toEqual([
      ['subscription_create', '2027-03-01', 0, 'paid', [['subscription', 0]]],
      // Day 30: a new period starts with the paid phase and is invoiced at once.
      ['subscription_update', '2027-03-31', 2500, 'paid', [['subscription', 2500]]],
      cycle('2027-04-30', 2500),
    ]);
    expect(await getSubscription(h, s.subscription!)).toMatchObject({ status: 'active', billing_cycle_anchor: '2027-03-31T00:00:00.000Z', current_period_end: '2027-05-31T00:00:00.000Z' });
  });

  it('(b) freemium to paid at day 30 with the default create_prorations: the last day of March is prorated onto April', async () => {
    const { clock, customer, prices: [free, paid] } = await payingOnClock(h, '2027-03-01T00:00:00Z', 0, 2500);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [
      { items: [{ price: free.id }], end_date: '2027-03-31T00:00:00Z' }, { items: [{ price: paid.id }], iterations: 12 }] });
    await advance(h, clock.id, '2027-04-02T00:00:00Z');
    expect(await bills(h, s.subscription!)).toEqual([
      ['subscription_create', '2027-03-01', 0, 'paid', [['subscription', 0]]],
      // 1 of March's 31 days on 25.00 is 0.806…, rounded half-up to 81; the free day credits nothing.
      ['subscription_cycle', '2027-04-01', 2581, 'paid', [['proration', 0], ['proration', 81], ['subscription', 2500]]],
    ]);
  });

  it('(c) a price migration at the next renewal, from an existing subscription: the renewal bills the new price, nothing prorated', async () => {
    const { clock, customer, prices: [old, next] } = await payingOnClock(h, '2027-01-15T00:00:00Z', 2000, 2500);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: old.id, quantity: 2 }] } }));
    await advance(h, clock.id, '2027-02-01T00:00:00Z');

    const adopted = await must(h.client.POST('/v1/subscription_schedules', { body: { from_subscription: sub.id } }));
    expect(adopted).toMatchObject({ status: 'active', subscription: sub.id, customer: customer.id, end_behavior: 'release',
      phases: [{ start_date: '2027-01-15T00:00:00.000Z', end_date: '2027-02-15T00:00:00.000Z', items: [{ price: old.id, quantity: 2 }],
        trial_end: null, proration_behavior: 'create_prorations', billing_cycle_anchor: 'automatic' }] });
    expect((await getSubscription(h, sub.id)).schedule).toBe(adopted.id);
    const migrated = await must(h.client.POST('/v1/subscription_schedules/{id}', { params: { path: { id: adopted.id } }, body: { phases: [
      { items: [{ price: old.id, quantity: 2 }], end_date: '2027-02-15T00:00:00Z' }, { items: [{ price: next.id, quantity: 2 }], iterations: 1 }] } }));
    expect(migrated.phases.map((p) => [p.start_date, p.end_date])).toEqual([
      ['2027-01-15T00:00:00.000Z', '2027-02-15T00:00:00.000Z'], ['2027-02-15T00:00:00.000Z', '2027-03-15T00:00:00.000Z']]);
    // Nothing changed on the subscription yet.
    expect(await bills(h, sub.id)).toHaveLength(1);

    await advance(h, clock.id, '2027-03-16T00:00:00Z');
    expect(await bills(h, sub.id)).toEqual([
      ['subscription_create', '2027-01-15', 4000, 'paid', [['subscription', 4000]]],
      cycle('2027-02-15', 5000),
      cycle('2027-03-15', 5000),
    ]);
    const pending = await h.database.pool.query('SELECT count(*)::int AS n FROM invoice_items WHERE subscription_id = $1', [sub.id]);
    expect(pending.rows[0].n).toBe(0);
    expect(await getSchedule(h, adopted.id)).toMatchObject({ status: 'completed', completed_at: '2027-03-15T00:00:00.000Z' });
    expect(await getSubscription(h, sub.id)).toMatchObject({ status: 'active', schedule: null });
  });

  it('(d) three phases, one of them yearly; released in the last, the subscription renews on its own', async () => {
    const { clock, customer, prices: [starter, growth] } = await payingOnClock(h, '2027-01-01T00:00:00Z', 2000, 3000);
    const annual = await yearlyPrice(h, 30000);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [
      { items: [{ price: starter.id }], iterations: 1 }, { items: [{ price: growth.id }], iterations: 2 }, { items: [{ price: annual.id }], iterations: 1 }] });
    expect(s.phases.map((p) => p.end_date.slice(0, 10))).toEqual(['2027-02-01', '2027-04-01', '2028-04-01']);
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    const sub = s.subscription!;
    expect(await bills(h, sub)).toEqual([
      ['subscription_create', '2027-01-01', 2000, 'paid', [['subscription', 2000]]],
      cycle('2027-02-01', 3000),
      cycle('2027-03-01', 3000),
      // A yearly price: its billing period starts with the phase and is invoiced then, with no credit (March was used up).
      ['subscription_update', '2027-04-01', 30000, 'paid', [['subscription', 30000]]],
    ]);
    expect(await getSubscription(h, sub)).toMatchObject({ current_period_start: '2027-04-01T00:00:00.000Z', current_period_end: '2028-04-01T00:00:00.000Z' });

    const released = await must(h.client.POST('/v1/subscription_schedules/{id}/release', { params: { path: { id: s.id } }, body: {} }));
    expect(released).toMatchObject({ status: 'released', released_at: '2027-06-01T00:00:00.000Z', subscription: null, released_subscription: sub, current_phase: null });
    expect(await getSubscription(h, sub)).toMatchObject({ status: 'active', schedule: null });
    expect((await eventsOf(h, 'subscription_schedule.released')).map((e) => e.data.object.id)).toContain(s.id);

    await advance(h, clock.id, '2028-04-02T00:00:00Z');
    expect((await bills(h, sub)).slice(4)).toEqual([cycle('2028-04-01', 30000)]);
    expect(await getSubscription(h, sub)).toMatchObject({ status: 'active', current_period_end: '2029-04-01T00:00:00.000Z' });
    expect((await getSchedule(h, s.id)).status).toBe('released');
  });

  it('(e) starting later and ending with end_behavior cancel: the subscription starts at start_date and is canceled at the end', async () => {
    const { clock, customer, prices: [price] } = await payingOnClock(h, '2027-01-01T00:00:00Z', 2000);
    const s = await schedule(h, { customer: customer.id, start_date: '2027-01-10T00:00:00Z', end_behavior: 'cancel', phases: [{ items: [{ price: price.id }], iterations: 2 }] });
    expect(s).toMatchObject({ status: 'not_started', subscription: null, current_phase: null });
    expect((await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data).toEqual([]);

    await advance(h, clock.id, '2027-01-10T00:00:00Z');
    const started = await getSchedule(h, s.id);
    expect(started).toMatchObject({ status: 'active', current_phase: { start_date: '2027-01-10T00:00:00.000Z', end_date: '2027-03-10T00:00:00.000Z' } });
    const sub = started.subscription!;
    expect(await getSubscription(h, sub)).toMatchObject({ status: 'active', current_period_start: '2027-01-10T00:00:00.000Z', schedule: s.id });

    await advance(h, clock.id, '2027-04-15T00:00:00Z');
    expect(await bills(h, sub)).toEqual([
      ['subscription_create', '2027-01-10', 2000, 'paid', [['subscription', 2000]]],
      cycle('2027-02-10', 2000),
    ]);
    expect(await getSubscription(h, sub)).toMatchObject({ status: 'canceled', canceled_at: '2027-03-10T00:00:00.000Z', ended_at: '2027-03-10T00:00:00.000Z' });
    expect(await getSchedule(h, s.id)).toMatchObject({ status: 'canceled', canceled_at: '2027-03-10T00:00:00.000Z', current_phase: null });
    expect((await eventsOf(h, 'subscription.deleted')).map((e) => e.data.object.id)).toContain(sub);
  });

  it('(g) a trial in the first phase; the second starts mid-period, prorated onto the next renewal', async () => {
    const { clock, customer, prices: [basic, plus] } = await payingOnClock(h, '2027-01-01T00:00:00Z', 2000, 3000);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [
      { items: [{ price: basic.id }], iterations: 1, trial_end: '2027-01-15T00:00:00Z' }, { items: [{ price: plus.id }], iterations: 6 }] });
    expect(await getSubscription(h, s.subscription!)).toMatchObject({ status: 'trialing', trial_end: '2027-01-15T00:00:00.000Z' });
    await advance(h, clock.id, '2027-02-16T00:00:00Z');
    expect(await bills(h, s.subscription!)).toEqual([
      ['subscription_create', '2027-01-01', 0, 'paid', [['subscription', 0]]],
      ['subscription_cycle', '2027-01-15', 2000, 'paid', [['subscription', 2000]]],
      // Feb 1, 14 of the period's 31 days left: −2000 × 14/31 = −903.2 and +3000 × 14/31 = 1354.8, each rounded half-up.
      ['subscription_cycle', '2027-02-15', 3452, 'paid', [['proration', -903], ['proration', 1355], ['subscription', 3000]]],
    ]);
  });

  it('changing the current phase changes the subscription now; its end can move, but not into the past', async () => {
    const { clock, customer, prices: [basic, plus] } = await payingOnClock(h, '2027-04-01T00:00:00Z', 2000, 3000);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [{ items: [{ price: basic.id }], iterations: 3 }] });
    await advance(h, clock.id, '2027-05-16T00:00:00Z');
    const update = (body: object) => h.call('POST', `/v1/subscription_schedules/${s.id}`, body);

    const past = await update({ phases: [{ items: [{ price: basic.id }], end_date: '2027-05-10T00:00:00Z' }] });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatchObject({ code: 'phase_end_invalid', param: 'phases[0][end_date]' });

    // Halfway through May (31 days): the upgrade is invoiced at once with always_invoice.
    const r = await update({ proration_behavior: 'always_invoice', phases: [{ items: [{ price: plus.id }], iterations: 4 }] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.phases).toEqual([expect.objectContaining({ start_date: '2027-04-01T00:00:00.000Z', end_date: '2027-08-01T00:00:00.000Z', items: [{ price: plus.id, quantity: 1 }] })]);
    expect(r.body.current_phase).toEqual({ start_date: '2027-04-01T00:00:00.000Z', end_date: '2027-08-01T00:00:00.000Z' });
    const last = (await bills(h, s.subscription!)).at(-1);
    expect(last).toEqual(['subscription_update', '2027-05-16', 516, 'paid', [['proration', -1032], ['proration', 1548]]]);
    expect((await eventsOf(h, 'subscription_schedule.updated')).find((e) => e.data.object.id === s.id)!.data.object.phases[0].end_date).toBe('2027-08-01T00:00:00.000Z');
  });

  it('canceling a schedule cancels its subscription now; a subscription canceled by hand ends its schedule at the next boundary', async () => {
    const { clock, customer, prices: [price] } = await payingOnClock(h, '2027-01-01T00:00:00Z', 2000);
    const phases = [{ items: [{ price: price.id }], iterations: 2 }, { items: [{ price: price.id, quantity: 2 }] }];
    const first = await schedule(h, { customer: customer.id, start_date: 'now', phases });
    const second = await schedule(h, { customer: customer.id, start_date: 'now', phases });
    await advance(h, clock.id, '2027-01-20T00:00:00Z');

    const canceled = await must(h.client.POST('/v1/subscription_schedules/{id}/cancel', { params: { path: { id: first.id } }, body: {} }));
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: '2027-01-20T00:00:00.000Z', current_phase: null, subscription: first.subscription });
    expect(await getSubscription(h, first.subscription!)).toMatchObject({ status: 'canceled', ended_at: '2027-01-20T00:00:00.000Z' });
    const again = await h.call('POST', `/v1/subscription_schedules/${first.id}/cancel`, {});
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'subscription_schedule_status_invalid', param: 'id' });

    await must(h.client.POST('/v1/subscriptions/{id}/cancel', { params: { path: { id: second.subscription! } }, body: {} }));
    await advance(h, clock.id, '2027-03-02T00:00:00Z');
    expect(await getSchedule(h, second.id)).toMatchObject({ status: 'canceled', canceled_at: '2027-03-01T00:00:00.000Z' });
    for (const s of [first, second]) expect(await bills(h, s.subscription!)).toHaveLength(1);
    const listed = await must(h.client.GET('/v1/subscription_schedules', { params: { query: { customer: customer.id } } }));
    expect(listed.data.map((x) => x.id)).toEqual([second.id, first.id]);
    const bySub = await must(h.client.GET('/v1/subscription_schedules', { params: { query: { subscription: second.subscription! } } }));
    expect(bySub.data.map((x) => x.id)).toEqual([second.id]);
  });

  it('a boundary that keeps failing is parked after three tries, and the subscription renews on as it is', async () => {
    const { clock, customer, prices: [price, doomed] } = await payingOnClock(h, '2027-01-01T00:00:00Z', 2000, 1000);
    const s = await schedule(h, { customer: customer.id, start_date: 'now', phases: [
      { items: [{ price: price.id }], iterations: 1 }, { items: [{ price: doomed.id, quantity: 100 }], iterations: 12 }] });
    // Behind the API's back, the second phase's price grows past what an invoice can hold.
    await h.database.pool.query('UPDATE prices SET unit_amount = 1000000000000000 WHERE id = $1', [doomed.id]);
    const done = await advance(h, clock.id, '2027-03-02T00:00:00Z');
    expect(done.frozen_time).toBe('2027-03-02T00:00:00.000Z');
    expect(await bills(h, s.subscription!)).toEqual([
      ['subscription_create', '2027-01-01', 2000, 'paid', [['subscription', 2000]]], cycle('2027-02-01', 2000), cycle('2027-03-01', 2000)]);
    const trail = await ok(h, 'GET', `/v1/audit_log?object_id=${s.id}&limit=100`);
    expect(trail.data.map((e: { action: string }) => e.action).reverse()).toEqual(['subscription_schedule.created',
      'subscription_schedule.phase_deferred', 'subscription_schedule.phase_deferred', 'subscription_schedule.phase_failed']);
    expect(trail.data[0].after).toMatchObject({ next_phase_at: null, error: expect.stringMatching(/largest invoice amount/) });
    const [failed] = (await eventsOf(h, 'subscription_schedule.phase_failed')).filter((e) => e.data.object.id === s.id);
    expect(failed!.data.object).toMatchObject({ status: 'active', current_phase: { start_date: '2027-01-01T00:00:00.000Z' } });

    // Once the price is fixed, setting the phases again re-arms the boundary: the phase applies
    // from then on, the months billed meanwhile staying as they were.
    await h.database.pool.query('UPDATE prices SET unit_amount = 10 WHERE id = $1', [doomed.id]);
    await ok(h, 'POST', `/v1/subscription_schedules/${s.id}`, { phases: [
      { items: [{ price: price.id }], iterations: 1 }, { items: [{ price: doomed.id, quantity: 100 }], iterations: 12 }] });
    await advance(h, clock.id, '2027-04-02T00:00:00Z');
    expect((await getSchedule(h, s.id)).current_phase).toEqual({ start_date: '2027-02-01T00:00:00.000Z', end_date: '2028-02-01T00:00:00.000Z' });
    // From Mar 2, 30 of March's 31 days: −2000 × 30/31 = −1935.5 → −1935 (half-up of −1935.48), +1000 × 30/31 = 967.7 → 968.
    expect((await bills(h, s.subscription!)).at(-1)).toEqual(['subscription_cycle', '2027-04-01', 33, 'paid', [['proration', -1935], ['proration', 968], ['subscription', 1000]]]);
  });
});
