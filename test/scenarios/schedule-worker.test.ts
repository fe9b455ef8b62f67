import { describe, expect, it } from 'vitest';
import { processNextDue } from '../../src/app/billing/process-due.ts';
import { processNextPhase } from '../../src/app/subscriptions/schedule-boundaries.ts';
import { drain } from '../../src/worker/worker.ts';
import { customerWithCard, eventsOf, invoicesOf, monthlyPrice, must } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/**
 * Real time: the billing worker crosses due schedule boundaries (the harness's injected clock
 * stands in for real time), before the renewal due at the same instant, and two workers never
 * cross one boundary twice.
 */

async function twoPhases(h: Harness, first: string, second: string, start: string = 'now') {
  const customer = await customerWithCard(h, 'tok_visa');
  return await must(h.client.POST('/v1/subscription_schedules', { body: {
    customer: customer.id, start_date: start, phases: [{ items: [{ price: first }], iterations: 1 }, { items: [{ price: second }], iterations: 1 }],
  } }));
}

const amounts = async (h: Harness, subscription: string) =>
  (await invoicesOf(h, subscription)).map((i) => [i.billing_reason, i.period_start, i.total, i.status]);

describe('schedule boundaries in real time', () => {
  it('(f) a worker starts a schedule at its start_date and moves it to its next phase before the renewal at that instant', async () => {
    const h = await harness({ now: new Date('2027-01-01T00:00:00Z') });
    const basic = await monthlyPrice(h, 2000);
    const plus = await monthlyPrice(h, 3000);
    const now = await twoPhases(h, basic.id, plus.id);
    const later = await twoPhases(h, basic.id, plus.id, '2027-01-20T00:00:00Z');
    expect(later.status).toBe('not_started');

    // Nothing is due yet: the worker leaves both alone.
    h.clock.set(new Date('2027-01-19T23:59:59Z'));
    expect(await processNextPhase(h.deps)).toBe(0);
    expect(await processNextDue(h.deps)).toBe(0);

    // A few seconds late, as a polling worker would be: everything happens at the boundary's instant.
    h.clock.set(new Date('2027-01-20T00:00:03Z'));
    await drain(h.deps);
    const started = await must(h.client.GET('/v1/subscription_schedules/{id}', { params: { path: { id: later.id } } }));
    expect(started).toMatchObject({ status: 'active', current_phase: { start_date: '2027-01-20T00:00:00.000Z', end_date: '2027-02-20T00:00:00.000Z' } });
    expect(await amounts(h, started.subscription!)).toEqual([['subscription_create', '2027-01-20T00:00:00.000Z', 2000, 'paid']]);

    // The renewal of 02-01 and the second phase fall due together: the phase goes first.
    h.clock.set(new Date('2027-02-01T00:00:05Z'));
    await drain(h.deps);
    expect(await amounts(h, now.subscription!)).toEqual([
      ['subscription_create', '2027-01-01T00:00:00.000Z', 2000, 'paid'], ['subscription_cycle', '2027-02-01T00:00:00.000Z', 3000, 'paid']]);
    const moved = await must(h.client.GET('/v1/subscription_schedules/{id}', { params: { path: { id: now.id } } }));
    expect(moved.current_phase).toEqual({ start_date: '2027-02-01T00:00:00.000Z', end_date: '2027-03-01T00:00:00.000Z' });
    const updated = (await eventsOf(h, 'subscription.updated')).find((e) => e.data.object.id === now.subscription && 'items' in ((e.data as { previous_attributes?: object }).previous_attributes ?? {}));
    expect(updated!.created).toBe('2027-02-01T00:00:00.000Z');
    const trail = await h.database.pool.query("SELECT actor, at FROM audit_log WHERE object_id = $1 AND action = 'subscription_schedule.updated'", [now.id]);
    expect(trail.rows).toEqual([{ actor: 'system:billing', at: new Date('2027-02-01T00:00:00Z') }]);

    // The end of the last phase releases the subscription, which renews on its own.
    h.clock.set(new Date('2027-03-01T00:00:01Z'));
    await drain(h.deps);
    expect((await amounts(h, now.subscription!)).at(-1)).toEqual(['subscription_cycle', '2027-03-01T00:00:00.000Z', 3000, 'paid']);
    expect(await must(h.client.GET('/v1/subscription_schedules/{id}', { params: { path: { id: now.id } } }))).toMatchObject({ status: 'completed' });
  });

  it('two workers never cross one boundary twice', async () => {
    const h = await harness({ now: new Date('2027-01-01T00:00:00Z') });
    const basic = await monthlyPrice(h, 2000);
    const plus = await monthlyPrice(h, 3000);
    const schedules = [];
    for (let i = 0; i < 8; i++) schedules.push(await twoPhases(h, basic.id, plus.id));
    h.clock.set(new Date('2027-02-01T00:00:00Z'));
    // Two calls racing for the same boundaries, then two whole workers of two loops each.
    const raced = await Promise.all([processNextPhase(h.deps), processNextPhase(h.deps)]);
    expect(raced).toEqual([1, 1]);
    await Promise.all([drain(h.deps, 2), drain(h.deps, 2)]);

    for (const s of schedules) {
      expect(await amounts(h, s.subscription!)).toEqual([
        ['subscription_create', '2027-01-01T00:00:00.000Z', 2000, 'paid'], ['subscription_cycle', '2027-02-01T00:00:00.000Z', 3000, 'paid']]);
    }
    const crossed = await h.database.pool.query(`SELECT object_id, count(*)::int AS n FROM audit_log
      WHERE action = 'subscription_schedule.updated' GROUP BY object_id`);
    expect(crossed.rows.map((r) => r.n)).toEqual(Array(8).fill(1));
    const items = await h.database.pool.query('SELECT subscription_id, count(*)::int AS n FROM subscription_items GROUP BY subscription_id');
    expect(items.rows.map((r) => r.n)).toEqual(Array(8).fill(1));
    const current = await h.database.pool.query('SELECT DISTINCT current_phase FROM subscription_schedules');
    expect(current.rows).toEqual([{ current_phase: 1 }]);
  });

  it('two adoptions of one subscription at once make one schedule; the other is told it has one', async () => {
    const h = await harness({ now: new Date('2027-01-01T00:00:00Z') });
    const price = await monthlyPrice(h, 2000);
    for (let round = 0; round < 5; round++) {
      const customer = await customerWithCard(h, 'tok_visa');
      const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
      const both = await Promise.all([0, 1].map(() => h.call('POST', '/v1/subscription_schedules', { from_subscription: sub.id })));
      expect(both.map((r) => r.status).sort()).toEqual([200, 400]);
      expect(both.find((r) => r.status === 400)!.body.error).toMatchObject({ code: 'subscription_has_schedule', param: 'from_subscription' });
      const kept = both.find((r) => r.status === 200)!.body;
      expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).schedule).toBe(kept.id);
      const rows = await h.database.pool.query('SELECT id FROM subscription_schedules WHERE subscription_id = $1', [sub.id]);
      expect(rows.rows).toEqual([{ id: kept.id }]);
    }
  });
});
