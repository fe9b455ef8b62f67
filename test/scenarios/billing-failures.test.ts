import { describe, expect, it } from 'vitest';
import { processNextDue } from '../../src/app/billing/process-due.ts';
import { advance, billedInvoicesOf, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, ok, parkSubscription } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/**
 * A subscription whose billing throws for a reason nobody foresaw — here, data from before the
 * amount ceiling was checked: 1e15 × 100 at trial end, past what an invoice can show — is tried
 * again a few times, then parked where an operator sees it, with an event; its neighbours are
 * billed on time all the same, in real time and on a test clock.
 */

/** A trialing subscription whose first invoice cannot be built: its price is made huge behind the API's back. */
async function poisoned(h: Harness, customer: string, trialDays: number) {
  const price = await monthlyPrice(h, 1000);
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer, items: [{ price: price.id, quantity: 100 }], trial_period_days: trialDays });
  await h.database.pool.query('UPDATE prices SET unit_amount = 1000000000000000 WHERE id = $1', [price.id]);
  return sub;
}

async function subRow(h: Harness, id: string) {
  return (await h.database.pool.query('SELECT next_action_at, billing_failure_count FROM subscriptions WHERE id = $1', [id])).rows[0];
}

describe('a subscription that cannot be billed', () => {
  it('real time: is deferred, then parked after its third failure, and its batch-mates are billed at once', async () => {
    const h = await harness();
    const price = await monthlyPrice(h);
    const healthy = [];
    for (let i = 0; i < 6; i++) {
      const c = await customerWithCard(h, 'tok_visa');
      healthy.push(await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }], trial_period_days: 1 }));
    }
    const victim = await customerWithCard(h, 'tok_visa');
    const broken = await poisoned(h, victim.id, 1);

    h.clock.advanceMs(2 * 86_400_000);
    expect(await processNextDue(h.deps)).toBe(7);
    for (const s of healthy) expect((await billedInvoicesOf(h, s.id)).map((i) => i.status)).toEqual(['paid']);
    expect(await billedInvoicesOf(h, broken.id)).toEqual([]);
    expect(await subRow(h, broken.id)).toEqual({ next_action_at: new Date(h.clock.now().getTime() + 60_000), billing_failure_count: 1 });
    expect(await processNextDue(h.deps)).toBe(0); // deferred, not spinning

    h.clock.advanceMs(60_000);
    expect(await processNextDue(h.deps)).toBe(1);
    expect(await subRow(h, broken.id)).toEqual({ next_action_at: new Date(h.clock.now().getTime() + 300_000), billing_failure_count: 2 });
    expect((await ok(h, 'GET', '/v1/billing_failures')).data).toEqual([]);

    h.clock.advanceMs(300_000);
    expect(await processNextDue(h.deps)).toBe(1);
    expect((await subRow(h, broken.id)).next_action_at).toBeNull();
    h.clock.advanceMs(3_600_000);
    expect(await processNextDue(h.deps)).toBe(0); // parked: never picked up again on its own

    const [failure] = (await ok(h, 'GET', '/v1/billing_failures?status=failed')).data;
    expect(failure).toMatchObject({ object: 'billing_failure', subscription: broken.id, status: 'failed', attempts: 3, test_clock: null });
    expect(failure.error_message).toMatch(/safe JSON range/);
    expect(await ok(h, 'GET', `/v1/billing_failures/${failure.id}`)).toEqual(failure);
    const [event] = await eventsOf(h, 'subscription.billing_failed');
    expect(event!.data.object).toEqual(failure);

    // The operator fixes the data and retries: the missed period is billed, once.
    await h.database.pool.query('UPDATE subscription_items SET quantity = 1 WHERE subscription_id = $1', [broken.id]);
    await h.database.pool.query('UPDATE prices SET unit_amount = 1000 FROM subscription_items si WHERE si.subscription_id = $1 AND prices.id = si.price_id', [broken.id]);
    const retried = await ok(h, 'POST', `/v1/billing_failures/${failure.id}/retry`, {});
    expect(retried).toMatchObject({ status: 'retried', retried: h.clock.now().toISOString() });
    const again = await h.call('POST', `/v1/billing_failures/${failure.id}/retry`, {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'billing_failure_retried', param: 'id' });
    expect(await processNextDue(h.deps)).toBe(1);
    const invoices = await billedInvoicesOf(h, broken.id);
    expect(invoices.map((i) => [i.status, i.amount_due])).toEqual([['paid', 1000]]);
    // Its period is the one it missed: it starts at the trial's end, not at the retry.
    expect(invoices[0]!.period_start).toBe(broken.trial_end);
    expect((await ok(h, 'GET', `/v1/subscriptions/${broken.id}`)).status).toBe('active');
    expect(await processNextDue(h.deps)).toBe(0);
  });

  it('on a test clock: is parked, and the clock and the other customers on it go on to the end', async () => {
    const h = await harness();
    const clock = await clockAt(h, '2027-01-10T00:00:00Z');
    const price = await monthlyPrice(h);
    const healthy = [];
    for (let i = 0; i < 3; i++) {
      const c = await customerWithCard(h, 'tok_visa', clock.id);
      healthy.push(await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }], trial_period_days: 5 }));
    }
    const victim = await customerWithCard(h, 'tok_visa', clock.id);
    const broken = await poisoned(h, victim.id, 3);

    const done = await advance(h, clock.id, '2027-04-20T00:00:00Z');
    expect(done).toMatchObject({ status: 'ready', frozen_time: '2027-04-20T00:00:00.000Z' });
    // Trial ends 01-15, renewals 02-15, 03-15 and 04-15: four paid invoices each.
    for (const s of healthy) expect((await billedInvoicesOf(h, s.id)).map((i) => i.status)).toEqual(['paid', 'paid', 'paid', 'paid']);
    expect(await billedInvoicesOf(h, broken.id)).toEqual([]);
    const [failure] = (await ok(h, 'GET', '/v1/billing_failures')).data;
    expect(failure).toMatchObject({ subscription: broken.id, status: 'failed', attempts: 3, test_clock: clock.id, due_at: '2027-01-13T00:00:00.000Z' });
    expect((await eventsOf(h, 'subscription.billing_failed')).map((e) => e.data.object.subscription)).toEqual([broken.id]);

    // Retried after a fix, it catches up with every period it missed on the next advance.
    await h.database.pool.query('UPDATE prices SET unit_amount = 10 FROM subscription_items si WHERE si.subscription_id = $1 AND prices.id = si.price_id', [broken.id]);
    await ok(h, 'POST', `/v1/billing_failures/${failure.id}/retry`, {});
    await advance(h, clock.id, '2027-04-21T00:00:00Z');
    const caught = await billedInvoicesOf(h, broken.id);
    expect(caught.map((i) => i.period_start)).toEqual(['2027-01-13T00:00:00.000Z', '2027-02-13T00:00:00.000Z', '2027-03-13T00:00:00.000Z', '2027-04-13T00:00:00.000Z']);
    expect(caught.every((i) => i.status === 'paid' && i.amount_due === 1000)).toBe(true);
  });

  it('canceled after it was parked: a retry leaves it alone, with nothing to bill', async () => {
    const h = await harness();
    const price = await monthlyPrice(h);
    const c = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }] });
    const failure = await parkSubscription(h.deps, h.accountId, sub.id);
    h.clock.advanceMs(60_000);
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    expect(await ok(h, 'POST', `/v1/billing_failures/${failure}/retry`, {})).toMatchObject({ status: 'retried' });
    expect((await subRow(h, sub.id)).next_action_at).toBeNull();
    h.clock.advanceMs(40 * 86_400_000);
    expect(await processNextDue(h.deps)).toBe(0);
    expect(await billedInvoicesOf(h, sub.id)).toHaveLength(1);
  });
});
