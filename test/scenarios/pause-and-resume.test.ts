import { describe, expect, it } from 'vitest';
import { advance, billedInvoicesOf, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

const chargesFor = async (h: Harness, invoice: string) =>
  (await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1', [invoice])).rows[0].n as number;

describe('pausing collection and resuming subscriptions', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 3000);

  async function active(start = '2027-04-01T00:00:00Z') {
    const clock = await clockAt(h, start);
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    return { clock, customer, sub };
  }

  it.each([
    ['void', 'void'], ['mark_uncollectible', 'uncollectible'], ['keep_as_draft', 'draft'],
  ] as const)('pause_collection %s: renewals are still invoiced, left %s, and never charged', async (behavior, status) => {
    const { clock, sub } = await active();
    const r = await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { pause_collection: { behavior } });
    expect(r.pause_collection).toEqual({ behavior, resumes_at: null });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const renewal = (await billedInvoicesOf(h, sub.id))[1]!;
    expect(renewal).toMatchObject({ status, total: 3000, amount_paid: 0 });
    expect(renewal.number === null).toBe(status === 'draft');
    if (status === 'draft') expect(renewal.auto_advance).toBe(false);
    expect(await chargesFor(h, renewal.id)).toBe(0);
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');

    // Lifting the pause: the next renewal is charged again.
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { pause_collection: '' });
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    const next = (await billedInvoicesOf(h, sub.id))[2]!;
    expect(next).toMatchObject({ status: 'paid', amount_paid: 3000 });
    expect(await chargesFor(h, next.id)).toBe(1);
  });

  it('a pause with resumes_at ends by itself: the first renewal after it is charged', async () => {
    const { clock, sub } = await active();
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { pause_collection: { behavior: 'void', resumes_at: '2027-05-15T00:00:00Z' } });
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    const [, may, june] = await billedInvoicesOf(h, sub.id);
    expect(may).toMatchObject({ status: 'void', period_start: '2027-05-01T00:00:00.000Z' });
    expect(june).toMatchObject({ status: 'paid', amount_paid: 3000, period_start: '2027-06-01T00:00:00.000Z' });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).pause_collection).toBeNull();
  });

  async function trialWithoutCard(missing_payment_method?: 'pause' | 'cancel' | 'create_invoice') {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await must(h.client.POST('/v1/customers', { body: { email: 'nocard@example.com', test_clock: clock.id } }));
    const body = { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7, ...(missing_payment_method ? { trial_settings: { end_behavior: { missing_payment_method } } } : {}) };
    const sub = await ok(h, 'POST', '/v1/subscriptions', body);
    await advance(h, clock.id, '2027-04-08T00:00:00Z');
    return { clock, customer, sub: await ok(h, 'GET', `/v1/subscriptions/${sub.id}`) };
  }

  it('a trial that ends without a card pauses when told to, and resuming bills a new period at once', async () => {
    const { clock, customer, sub } = await trialWithoutCard('pause');
    expect(sub).toMatchObject({ status: 'paused', trial_settings: { end_behavior: { missing_payment_method: 'pause' } } });
    expect(await billedInvoicesOf(h, sub.id)).toHaveLength(0);
    expect((await invoicesOf(h, sub.id)).map((i) => [i.total, i.status])).toEqual([[0, 'paid']]); // the trial's opening invoice
    expect((await eventsOf(h, 'subscription.paused')).some((e) => e.data.object.id === sub.id)).toBe(true);
    // Paused: nothing more happens as time passes.
    await advance(h, clock.id, '2027-06-20T00:00:00Z');
    expect(await billedInvoicesOf(h, sub.id)).toHaveLength(0);

    await must(h.client.POST('/v1/payment_methods', { body: { customer: customer.id, token: 'tok_visa' } }));
    const resumed = await ok(h, 'POST', `/v1/subscriptions/${sub.id}/resume`, {});
    expect(resumed).toMatchObject({ status: 'active', billing_cycle_anchor: '2027-06-20T00:00:00.000Z', current_period_end: '2027-07-20T00:00:00.000Z' });
    const [first] = await billedInvoicesOf(h, sub.id);
    expect(first).toMatchObject({ billing_reason: 'subscription_update', total: 3000, status: 'paid' });
    expect((await eventsOf(h, 'subscription.resumed')).some((e) => e.data.object.id === sub.id)).toBe(true);
    await advance(h, clock.id, '2027-07-20T00:00:00Z');
    expect((await billedInvoicesOf(h, sub.id))[1]).toMatchObject({ billing_reason: 'subscription_cycle', period_start: '2027-07-20T00:00:00.000Z', status: 'paid' });
  });

  it('resuming with the cycle unchanged invoices the rest of the current period, prorated', async () => {
    const { clock, customer, sub } = await trialWithoutCard('pause');
    await advance(h, clock.id, '2027-04-20T00:00:00Z');
    await must(h.client.POST('/v1/payment_methods', { body: { customer: customer.id, token: 'tok_visa' } }));
    const resumed = await ok(h, 'POST', `/v1/subscriptions/${sub.id}/resume`, { billing_cycle_anchor: 'unchanged' });
    // The cycle is anchored at the trial's end (the 8th): 2027-04-20 → 2027-05-08 is 18 of 30 days.
    expect(resumed).toMatchObject({ status: 'active', billing_cycle_anchor: '2027-04-08T00:00:00.000Z', current_period_end: '2027-05-08T00:00:00.000Z' });
    const [first] = await billedInvoicesOf(h, sub.id);
    expect(first).toMatchObject({ total: 1800, status: 'paid' });
  });

  it('a trial that ends without a card is canceled when told to', async () => {
    const { sub } = await trialWithoutCard('cancel');
    expect(sub).toMatchObject({ status: 'canceled', ended_at: '2027-04-08T00:00:00.000Z' });
    expect(await billedInvoicesOf(h, sub.id)).toHaveLength(0);
  });

  it('by default a trial that ends without a card is invoiced and left past due', async () => {
    const { sub } = await trialWithoutCard();
    expect(sub.status).toBe('past_due');
    expect((await billedInvoicesOf(h, sub.id))[0]).toMatchObject({ status: 'open', amount_due: 3000 });
  });

  it('refuses to resume a subscription that is not paused', async () => {
    const { sub } = await active();
    const r = await h.call('POST', `/v1/subscriptions/${sub.id}/resume`, {});
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'subscription_status_invalid', param: 'id' });
    expect(r.body.error.message).toContain('active');
  });
});
