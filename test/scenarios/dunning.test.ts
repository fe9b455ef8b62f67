import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, monthlyPrice, must } from '../builders.ts';
import { harness, type Harness } from '../support.ts';
import { ok } from '../builders.ts';

const casesOf = async (h: Harness, invoice: string) =>
  (await h.database.pool.query('SELECT * FROM dunning_cases WHERE invoice_id = $1 ORDER BY created_at', [invoice])).rows;
const paymentsOf = async (h: Harness, invoice: string) =>
  (await must(h.client.GET('/v1/payments', { params: { query: { invoice, limit: '100' } } }))).data.slice().reverse();

/** A customer on a clock, subscribed with a 7-day trial from 2027-01-01: the first charge is the renewal at trial end. */
async function renewingCustomer(h: Harness, token: string, price: string) {
  const clock = await clockAt(h, '2027-01-01T00:00:00Z');
  const customer = await customerWithCard(h, token, clock.id);
  const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price }], trial_period_days: 7 } }));
  await advance(h, clock.id, '2027-01-08T00:00:01Z');
  const renewal = (await invoicesOf(h, sub.id)).at(-1)!;
  expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'open', total: 2900 });
  return { clock, customer, sub, renewal };
}

describe('dunning on test clocks with the built-in policy (retries 1, 3, 5, 7 days after the first failure, at 10:00)', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2900);

  it('a soft decline is retried on the schedule; the third attempt succeeds: invoice paid, subscription active, case recovered, one charge', async () => {
    const { clock, sub, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedInsufficientFundsRecoversAfter2', price.id);
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('past_due');
    const [opened] = await casesOf(h, renewal.id);
    expect(opened).toMatchObject({ status: 'active', awaiting: 'retry', retries: 0, strategy: 'fixed_schedule' });
    expect(opened.next_attempt_at.toISOString()).toBe('2027-01-09T10:00:00.000Z');
    expect(opened.first_failure_at.toISOString()).toBe('2027-01-08T00:00:00.000Z');

    await advance(h, clock.id, '2027-01-10T00:00:00Z');
    const [afterFirst] = await casesOf(h, renewal.id);
    expect(afterFirst).toMatchObject({ status: 'active', retries: 1 });
    expect(afterFirst.next_attempt_at.toISOString()).toBe('2027-01-11T10:00:00.000Z');

    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    const payments = await paymentsOf(h, renewal.id);
    expect(payments.map((p) => [p.status, p.decline_code, p.created])).toEqual([
      ['failed', 'insufficient_funds', '2027-01-08T00:00:00.000Z'],
      ['failed', 'insufficient_funds', '2027-01-09T10:00:00.000Z'],
      ['succeeded', null, '2027-01-11T10:00:00.000Z'],
    ]);
    expect((await must(h.client.GET('/v1/invoices/{id}', { params: { path: { id: renewal.id } } }))).status).toBe('paid');
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('active');
    const [done] = await casesOf(h, renewal.id);
    expect(done).toMatchObject({ status: 'recovered', retries: 2, end_reason: 'paid', next_attempt_at: null });
    expect(done.declines.map((d: { decline_code: string }) => d.decline_code)).toEqual(['insufficient_funds', 'insufficient_funds']);
    const charged = await h.database.pool.query(`SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1 AND status = 'succeeded'`, [renewal.id]);
    expect(charged.rows[0].n).toBe(1);
  });

  it('a hard decline is never retried: the case waits for a new card until the schedule\'s last day, then ends as the policy says', async () => {
    const { clock, sub, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedStolenCard', price.id);
    const [opened] = await casesOf(h, renewal.id);
    expect(opened).toMatchObject({ status: 'active', awaiting: 'new_payment_method', retries: 0 });
    expect(opened.next_attempt_at.toISOString()).toBe('2027-01-15T10:00:00.000Z');
    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    expect(await paymentsOf(h, renewal.id)).toHaveLength(1);
    const [ended] = await casesOf(h, renewal.id);
    expect(ended).toMatchObject({ status: 'exhausted', end_reason: 'no_new_payment_method' });
    expect(ended.ended_at.toISOString()).toBe('2027-01-15T10:00:00.000Z');
    // The built-in policy leaves the subscription past_due for the merchant to decide.
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('past_due');
  });

  it('a decline only the merchant can fix is not retried: the case waits for the merchant, who is alerted once', async () => {
    const { clock, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedMerchantConfig', price.id);
    const [opened] = await casesOf(h, renewal.id);
    expect(opened).toMatchObject({ status: 'active', awaiting: 'merchant', retries: 0 });
    await advance(h, clock.id, '2027-01-14T00:00:00Z');
    expect(await paymentsOf(h, renewal.id)).toHaveLength(1);
    const alerts = (await ok(h, 'GET', '/v1/events?type=dunning_case.merchant_action_required&limit=100')).data
      .filter((e: { data: { object: { id: string } } }) => e.data.object.id === opened.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].data.object).toMatchObject({ invoice: renewal.id, awaiting: 'merchant' });
  });

  it('retries exhausted: four soft declines after the first failure, then the case ends on the last retry\'s day', async () => {
    const { clock, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedInsufficientFunds', price.id);
    await advance(h, clock.id, '2027-01-25T00:00:00Z');
    const payments = await paymentsOf(h, renewal.id);
    expect(payments.map((p) => p.created)).toEqual(['2027-01-08T00:00:00.000Z', '2027-01-09T10:00:00.000Z', '2027-01-11T10:00:00.000Z',
      '2027-01-13T10:00:00.000Z', '2027-01-15T10:00:00.000Z']);
    const [ended] = await casesOf(h, renewal.id);
    expect(ended).toMatchObject({ status: 'exhausted', retries: 4, end_reason: 'max_retries' });
    expect(ended.ended_at.toISOString()).toBe('2027-01-15T10:00:00.000Z');
  });

  it('a retry whose outcome was never recorded (the process died in between) is recorded when its lease runs out, never sent again', async () => {
    const { clock, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedInsufficientFunds', price.id);
    await advance(h, clock.id, '2027-01-09T12:00:00Z');
    const [recorded] = await casesOf(h, renewal.id);
    expect(recorded).toMatchObject({ retries: 1 });
    expect(recorded.declines).toHaveLength(2);
    // As if the worker had died after the retry's settlement committed: the case still holds its lease.
    await h.database.pool.query("UPDATE dunning_cases SET declines = declines - 1, next_attempt_at = '2027-01-09T10:15:00Z' WHERE id = $1", [recorded.id]);
    await advance(h, clock.id, '2027-01-09T13:00:00Z');
    expect(await paymentsOf(h, renewal.id)).toHaveLength(2);
    const [healed] = await casesOf(h, renewal.id);
    expect(healed).toMatchObject({ status: 'active', awaiting: 'retry', retries: 1 });
    expect(healed.declines.map((d: { payment: string }) => d.payment)).toEqual(recorded.declines.map((d: { payment: string }) => d.payment));
    expect(healed.next_attempt_at.toISOString()).toBe('2027-01-11T10:00:00.000Z');
  });

  it('a new default card retries at once, whatever the case was waiting for, and recovers the invoice', async () => {
    const { clock, sub, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedStolenCard', price.id);
    await advance(h, clock.id, '2027-01-10T08:00:00Z');
    await must(h.client.POST('/v1/payment_methods', { body: { customer: renewal.customer, token: 'tok_visa', set_default: true } }));
    const [waiting] = await casesOf(h, renewal.id);
    expect(waiting).toMatchObject({ status: 'active', awaiting: 'retry' });
    expect(waiting.next_attempt_at.toISOString()).toBe('2027-01-10T08:00:00.000Z');
    await advance(h, clock.id, '2027-01-10T08:01:00Z');
    expect((await paymentsOf(h, renewal.id)).map((p) => [p.status, p.created])).toEqual([
      ['failed', '2027-01-08T00:00:00.000Z'], ['succeeded', '2027-01-10T08:00:00.000Z']]);
    expect((await casesOf(h, renewal.id))[0]).toMatchObject({ status: 'recovered', retries: 1 });
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('active');
  });
});

describe('dunning policies: the account default decides, and its end action happens on the right day', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2900);

  it('a default policy of two retries that cancels: the subscription ends when the second retry fails, and the case says so', async () => {
    const policy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Short', is_default: true, retry_schedule_days: [2, 4], preferred_hour: null, end_action: 'cancel', mark_uncollectible: true });
    expect(policy).toMatchObject({ object: 'dunning_policy', is_default: true, max_retries: 2, category_actions: { soft: 'follow_schedule', hard: 'request_new_card' } });
    const { clock, sub, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedInsufficientFunds', price.id);
    const [active] = (await ok(h, 'GET', `/v1/dunning_cases?invoice=${renewal.id}`)).data;
    expect(active).toMatchObject({ object: 'dunning_case', status: 'active', policy: policy.id, policy_rules: { retry_schedule_days: [2, 4], end_action: 'cancel' },
      awaiting: 'retry', next_attempt: '2027-01-10T00:00:00.000Z', first_failure: '2027-01-08T00:00:00.000Z', grace_ends: '2027-01-15T00:00:00.000Z' });
    // A later edit of the policy does not change the running case.
    await ok(h, 'POST', `/v1/dunning_policies/${policy.id}`, { retry_schedule_days: [1, 2, 3, 4, 5] });
    await advance(h, clock.id, '2027-01-11T23:59:00Z');
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('past_due');
    await advance(h, clock.id, '2027-01-12T00:00:01Z');
    const ended = await ok(h, 'GET', `/v1/dunning_cases/${active.id}`);
    expect(ended).toMatchObject({ status: 'exhausted', retries: 2, end_reason: 'max_retries', ended: '2027-01-12T00:00:00.000Z', next_attempt: null });
    expect(ended.declines).toHaveLength(3);
    expect((await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }))).status).toBe('canceled');
    expect((await must(h.client.GET('/v1/invoices/{id}', { params: { path: { id: renewal.id } } }))).status).toBe('uncollectible');
    expect((await ok(h, 'GET', '/v1/dunning_cases?status=exhausted')).data.map((c: { id: string }) => c.id)).toContain(active.id);
  });

  it('one default at a time: making another policy the default unsets the first', async () => {
    const first = await ok(h, 'POST', '/v1/dunning_policies', { name: 'First', is_default: true });
    const second = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Second', is_default: true });
    expect((await ok(h, 'GET', `/v1/dunning_policies/${first.id}`)).is_default).toBe(false);
    expect((await ok(h, 'GET', `/v1/dunning_policies/${second.id}`)).is_default).toBe(true);
  });

  it("a customer's own policy and time zone: retries at the preferred hour of the customer's day", async () => {
    const patient = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Patient', retry_schedule_days: [3], preferred_hour: 9 });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'mumbai@example.com', test_clock: clock.id, time_zone: 'Asia/Kolkata', dunning_policy: patient.id });
    expect(customer).toMatchObject({ time_zone: 'Asia/Kolkata', dunning_policy: patient.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclinedInsufficientFunds' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    await advance(h, clock.id, '2027-01-08T00:00:01Z');
    const renewal = (await invoicesOf(h, sub.id)).at(-1)!;
    const [c] = (await ok(h, 'GET', `/v1/dunning_cases?invoice=${renewal.id}`)).data;
    // 2027-01-08 05:30 in Kolkata (UTC+5:30); three days later at 09:00 there is 03:30 UTC.
    expect(c).toMatchObject({ policy: patient.id, next_attempt: '2027-01-11T03:30:00.000Z' });
    const cleared = await ok(h, 'POST', `/v1/customers/${customer.id}`, { time_zone: null, dunning_policy: null });
    expect(cleared).toMatchObject({ time_zone: null, dunning_policy: null });
  });

  it("a subscription's own policy wins over its customer's, and can be changed or cleared", async () => {
    const customerPolicy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Customer', retry_schedule_days: [5], preferred_hour: null });
    const subPolicy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Subscription', retry_schedule_days: [2], preferred_hour: null });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'own-policy@example.com', test_clock: clock.id, dunning_policy: customerPolicy.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclinedInsufficientFunds' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7, dunning_policy: customerPolicy.id });
    const changed = await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { dunning_policy: subPolicy.id });
    expect(changed.dunning_policy).toBe(subPolicy.id);
    await advance(h, clock.id, '2027-01-08T00:00:01Z');
    const renewal = (await invoicesOf(h, sub.id)).at(-1)!;
    const [c] = (await ok(h, 'GET', `/v1/dunning_cases?invoice=${renewal.id}`)).data;
    expect(c).toMatchObject({ policy: subPolicy.id, next_attempt: '2027-01-10T00:00:00.000Z' });
    expect((await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { dunning_policy: null })).dunning_policy).toBeNull();
    const other = await h.call('POST', `/v1/subscriptions/${sub.id}`, { dunning_policy: 'dpol_doesnotexist' });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'resource_missing', param: 'dunning_policy' });
  });

  it('the card networks cap retries on one card whatever the policy asks: never more than 15 Visa attempts in 30 days', async () => {
    const daily = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Daily', retry_schedule_days: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], max_retries: 15, preferred_hour: null });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'capped@example.com', test_clock: clock.id, dunning_policy: daily.id });
    const card = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclinedInsufficientFunds' });
    // Three subscriptions on the one card ask for 3 + 45 attempts within 16 days.
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 }));
    await advance(h, clock.id, '2027-01-08T00:00:01Z');
    await advance(h, clock.id, '2027-01-26T00:00:00Z');
    const { rows } = await h.database.pool.query(
      "SELECT created_at FROM payment_attempts WHERE payment_method_id = $1 AND status = 'failed' ORDER BY created_at", [card.id]);
    expect(rows).toHaveLength(15);
    const cases = (await ok(h, 'GET', `/v1/dunning_cases?customer=${customer.id}`)).data;
    expect(cases).toHaveLength(3);
    // Each case is held until the oldest decline leaves the 30-day window, or has ended: none is retried meanwhile.
    for (const c of cases) expect(c.status === 'exhausted' || (c.next_attempt !== null && c.next_attempt >= '2027-02-07T00:00:00.000Z')).toBe(true);
  });
});

describe('a policy chooses its retry strategy', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2900);

  it('payday_aware: insufficient funds wait for the business morning after the next pay day, within the schedule; the case records the strategy', async () => {
    const policy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Pay day', is_default: true, retry_schedule_days: [1, 3, 5, 7, 14], retry_strategy: 'payday_aware' });
    expect(policy).toMatchObject({ retry_strategy: 'payday_aware', category_actions: { soft: 'follow_schedule', hard: 'request_new_card', fraud: 'request_new_card', config: 'alert_merchant' } });
    expect(Object.keys(policy.category_actions).sort()).toEqual(['config', 'fraud', 'hard', 'soft']);
    const { clock, renewal } = await renewingCustomer(h, 'tok_chargeDeclinedInsufficientFundsRecoversAfter2', price.id);
    const [opened] = (await ok(h, 'GET', `/v1/dunning_cases?invoice=${renewal.id}`)).data;
    // Failed Friday 8 January; paid Friday the 15th; tried Monday the 18th at 10:00, not on the 9th.
    expect(opened).toMatchObject({ strategy: 'payday_aware', policy_rules: { retry_strategy: 'payday_aware' }, next_attempt: '2027-01-18T10:00:00.000Z' });
    await advance(h, clock.id, '2027-01-25T00:00:00Z');
    // The next pay day (1 February) is past the schedule's last day (the 22nd): the last day it is.
    expect((await paymentsOf(h, renewal.id)).map((p) => [p.status, p.created])).toEqual([
      ['failed', '2027-01-08T00:00:00.000Z'], ['failed', '2027-01-18T10:00:00.000Z'], ['succeeded', '2027-01-22T10:00:00.000Z']]);
    expect((await ok(h, 'GET', `/v1/dunning_cases/${opened.id}`))).toMatchObject({ status: 'recovered', retries: 2 });
    // Switching back changes the policy, not the case that ran.
    expect(await ok(h, 'POST', `/v1/dunning_policies/${policy.id}`, { retry_strategy: 'fixed_schedule' })).toMatchObject({ retry_strategy: 'fixed_schedule', retry_schedule_days: [1, 3, 5, 7, 14] });
    expect((await ok(h, 'GET', `/v1/dunning_cases/${opened.id}`)).strategy).toBe('payday_aware');
  });

  it('a policy keeps its strategy in its own column; a case snapshot taken before strategies existed reads as fixed_schedule', async () => {
    const policy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Old', retry_strategy: 'payday_aware' });
    const { rows: [row] } = await h.database.pool.query('SELECT retry_strategy, category_actions FROM dunning_policies WHERE id = $1', [policy.id]);
    expect(row).toMatchObject({ retry_strategy: 'payday_aware' });
    expect(Object.keys(row.category_actions).sort()).toEqual(['config', 'fraud', 'hard', 'soft']);
    const { renewal } = await renewingCustomer(h, 'tok_chargeDeclinedInsufficientFunds', price.id);
    const [c] = (await ok(h, 'GET', `/v1/dunning_cases?invoice=${renewal.id}`)).data;
    await h.database.pool.query(`UPDATE dunning_cases SET policy = policy - 'retry_strategy' WHERE id = $1`, [c.id]);
    expect((await ok(h, 'GET', `/v1/dunning_cases/${c.id}`)).policy_rules.retry_strategy).toBe('fixed_schedule');
  });
});
