import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { advance, clockAt, customerWithCard, ok } from '../builders.ts';
import { harness } from '../support.ts';

const RANGE = 'from=2027-01-01T00:00:00Z&to=2027-05-01T00:00:00Z';

/**
 * A book built by hand on a test clock, January to April 2027, and the subscriber, cohort and LTV
 * figures it must give, each worked out below from the prices (issue 19, point 1). Dollar prices:
 * basic 10.00 and pro 30.00 a month; one euro subscription at 50.00 a month.
 */
describe('subscriber, cohort and LTV analytics over a hand-built book', async () => {
  const h = await harness();
  const product = await ok(h, 'POST', '/v1/products', { name: 'Service' });
  const price = async (body: Record<string, unknown>) => await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', ...body });
  const basic = await price({ unit_amount: 1000, recurring: { interval: 'month' } });
  const pro = await price({ unit_amount: 3000, recurring: { interval: 'month' } });
  const euro = await price({ currency: 'eur', unit_amount: 5000, recurring: { interval: 'month' } });
  const clock = await clockAt(h, '2027-01-01T00:00:00Z');
  const customer = async () => await customerWithCard(h, 'tok_visa', clock.id);
  const subscribe = async (c: { id: string }, p: string, extra: Record<string, unknown> = {}) =>
    await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: p }], ...extra });
  const swap = async (s: { id: string; items: { data: { id: string }[] } }, p: string) =>
    await ok(h, 'POST', `/v1/subscriptions/${s.id}`, { items: [{ id: s.items.data[0]!.id, price: p }] });

  await advance(h, clock.id, '2027-01-05T00:00:00Z');
  const [a, b, c, e, f] = [await customer(), await customer(), await customer(), await customer(), await customer()];
  const d = await ok(h, 'POST', '/v1/customers', { email: 'no-card@example.com', test_clock: clock.id });
  const subA = await subscribe(a, basic.id); //                   A: basic, new in January
  const subB = await subscribe(b, pro.id); //                     B: pro, new in January
  await subscribe(c, basic.id, { trial_period_days: 14 }); //     C: trial, converts (active) on Jan 19
  const subD = await subscribe(d, basic.id, { trial_period_days: 14, trial_settings: { end_behavior: { missing_payment_method: 'pause' } } });
  //                                                              D: trial, no card: paused on Jan 19
  await subscribe(e, euro.id); //                                 E: EUR 50.00 all along
  await advance(h, clock.id, '2027-02-10T00:00:00Z');
  await swap(subA, pro.id); //                                    A: +2,000 expansion
  const subB2 = await swap(subB, basic.id); //                    B: −2,000 contraction
  const subF = await subscribe(f, basic.id); //                   F: new in February
  await advance(h, clock.id, '2027-03-10T00:00:00Z');
  await ok(h, 'POST', `/v1/subscriptions/${subA.id}/cancel`, {}); // A: churns (−3,000)
  await advance(h, clock.id, '2027-04-10T00:00:00Z');
  await subscribe(a, basic.id); //                                A: back on basic, +1,000 reactivation
  await swap(subB2, pro.id); //                                   B: +2,000 expansion
  await advance(h, clock.id, '2027-04-20T00:00:00Z');
  await ok(h, 'POST', `/v1/subscriptions/${subF.id}/cancel`, {}); // F: churns (−1,000)
  await advance(h, clock.id, '2027-04-30T00:00:00Z');
  // Reports without a range (LTV) are as of the account's now: the end of the book.
  h.clock.set(new Date('2027-05-01T00:00:00Z'));

  it('statuses, flows, logo churn and trial conversion, month by month', async () => {
    const r = await ok(h, 'GET', `/v1/analytics/subscribers?${RANGE}&interval=month`);
    expect(r).toMatchObject({ object: 'subscribers_report', interval: 'month', from: '2027-01-01T00:00:00.000Z', to: '2027-05-01T00:00:00.000Z' });
    const view = r.data.map((p: any) => [p.start.slice(0, 7), p.subscriptions, p.new_subscriptions, p.canceled,
      p.paying_customers_start, p.churned_customers, p.logo_churn_rate, p.trials_ended, p.trials_converted, p.trial_conversion_rate]);
    const s = (active: number) => ({ active, trialing: 0, past_due: 0, paused: 1, unpaid: 0 });
    expect(view).toEqual([
      // January: A, B, C, D, E start; C's and D's trials end on Jan 19, only C's into a paying one.
      ['2027-01', s(4), 5, 0, 0, 0, null, 2, 1, '0.5000'],
      // February: F starts; A, B, C, E paid on Feb 1 and still do.
      ['2027-02', s(5), 1, 0, 4, 0, '0.0000', 0, 0, null],
      // March: A cancels: 1 of the 5 paying on Mar 1 (A, B, C, E, F).
      ['2027-03', s(4), 0, 1, 5, 1, '0.2000', 0, 0, null],
      // April: A's new subscription; F cancels: 1 of the 4 paying on Apr 1 (B, C, E, F).
      ['2027-04', s(4), 1, 1, 4, 1, '0.2500', 0, 0, null],
    ]);
  });

  it('revenue churn per currency: gross, and net that goes negative when expansion outweighs losses', async () => {
    const r = await ok(h, 'GET', `/v1/analytics/subscribers?${RANGE}`);
    const usd = r.data.map((p: any) => p.revenue_churn.find((x: any) => x.currency === 'usd'));
    const row = (x: any) => [x.starting_mrr, x.churned_mrr, x.contraction_mrr, x.expansion_mrr, x.reactivation_mrr, x.gross_rate, x.net_rate];
    expect(usd.map(row)).toEqual([
      [0, 0, 0, 0, 0, null, null], //                        nothing paid on Jan 1
      [5_000, 0, 2_000, 2_000, 0, '0.4000', '0.0000'], //    A 1,000 + B 3,000 + C 1,000; B down, A up
      [6_000, 3_000, 0, 0, 0, '0.5000', '0.5000'], //        A 3,000 + B, C, F 1,000 each; A leaves
      [3_000, 1_000, 0, 2_000, 1_000, '0.3333', '-0.6667'], // B, C, F; F leaves, B up 2,000, A back 1,000
    ]);
    expect(r.data.map((p: any) => p.revenue_churn.map((x: any) => x.currency))).toEqual(Array(4).fill(['eur', 'usd']));
    expect(row(r.data[3].revenue_churn[0])).toEqual([5_000, 0, 0, 0, 0, '0.0000', '0.0000']);
  });

  it('cohorts by the month of first payment, with customer and revenue retention against month 0', async () => {
    const r = await ok(h, 'GET', `/v1/analytics/cohorts?${RANGE}&currency=usd`);
    expect(r).toMatchObject({ object: 'cohort_report', currency: 'usd' });
    const view = r.data.map((c: any) => [c.month, c.customers, c.months.map((m: any) => [m.month, m.end.slice(0, 10), m.customers, m.mrr, m.customer_retention, m.revenue_retention])]);
    expect(view).toEqual([
      // A, B and C (first paid on Jan 19, when its trial converted); D never paid.
      ['2027-01', 3, [
        [0, '2027-02-01', 3, 5_000, '1.0000', '1.0000'], // 1,000 + 3,000 + 1,000
        [1, '2027-03-01', 3, 5_000, '1.0000', '1.0000'], // A 3,000, B 1,000, C 1,000
        [2, '2027-04-01', 2, 2_000, '0.6667', '0.4000'], // A gone
        [3, '2027-05-01', 3, 5_000, '1.0000', '1.0000'], // A back at 1,000, B at 3,000
      ]],
      ['2027-02', 1, [[0, '2027-03-01', 1, 1_000, '1.0000', '1.0000'], [1, '2027-04-01', 1, 1_000, '1.0000', '1.0000'], [2, '2027-05-01', 0, 0, '0.0000', '0.0000']]],
    ]);
    const eur = await ok(h, 'GET', `/v1/analytics/cohorts?${RANGE}&currency=EUR`);
    expect(eur.data.map((c: any) => [c.month, c.months.map((m: any) => m.mrr)])).toEqual([['2027-01', [5_000, 5_000, 5_000, 5_000]]]);
  });

  it('a book in two currencies needs one named for cohorts and LTV', async () => {
    for (const url of [`/v1/analytics/cohorts?${RANGE}`, '/v1/analytics/ltv']) {
      const r = await h.call('GET', url);
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([400, 'parameter_missing', 'currency']);
    }
  });

  it('ARPU, monthly churn and LTV per plan over the last 3 months', async () => {
    const r = await ok(h, 'GET', '/v1/analytics/ltv?currency=usd&months=3');
    expect(r).toMatchObject({ object: 'ltv_report', at: '2027-05-01T00:00:00.000Z', months: 3, currency: 'usd' });
    const view = r.data.map((p: any) => [p.price, p.paying_subscriptions, p.paying_customers, p.mrr, p.arpu, p.subscription_months, p.churned_subscriptions, p.churn_rate, p.ltv]);
    expect(view).toEqual([
      // pro now: B. Exposure: B on Feb 1, A on Mar 1 (gone by Apr 1) = 2 months, 1 churned:
      // 0.5 a month, LTV 3,000 / 0.5 = 6,000.
      [pro.id, 1, 1, 3_000, 3_000, 2, 1, '0.5000', 6_000],
      // basic now: A's new one and C (2 customers, ARPU 1,000). Exposure: A, C on Feb 1; B, C, F
      // on Mar 1; B, C, F on Apr 1 (F gone by May 1; B moved to pro but still pays) = 8, 1
      // churned: 0.125 a month, LTV 1,000 × 8 = 8,000.
      [basic.id, 2, 2, 2_000, 1_000, 8, 1, '0.1250', 8_000],
    ]);
    const eur = await ok(h, 'GET', '/v1/analytics/ltv?currency=eur');
    expect(eur.data.map((p: any) => [p.price, p.mrr, p.arpu, p.churn_rate, p.ltv])).toEqual([[euro.id, 5_000, 5_000, '0.0000', null]]);
  });

  it('bad ranges and parameters are refused, naming them', async () => {
    const cases: [string, string, string][] = [
      ['/v1/analytics/subscribers?from=2027-05-01T00:00:00Z&to=2027-01-01T00:00:00Z', 'parameter_invalid', 'from'],
      ['/v1/analytics/subscribers?from=2020-01-01T00:00:00Z&to=2027-05-01T00:00:00Z&interval=day', 'parameter_invalid', 'interval'],
      ['/v1/analytics/cohorts?from=2000-01-01T00:00:00Z&to=2027-05-01T00:00:00Z&currency=usd', 'parameter_invalid', 'from'],
      ['/v1/analytics/cohorts?to=2027-13-01T00:00:00Z&currency=usd', 'parameter_invalid', 'to'],
      ['/v1/analytics/ltv?currency=usd&months=0', 'parameter_invalid', 'months'],
      ['/v1/analytics/ltv?currency=zzz', 'currency_invalid', 'currency'],
    ];
    for (const [url, code, param] of cases) {
      const r = await h.call('GET', url);
      expect([url, r.status, r.body.error?.code, r.body.error?.param]).toEqual([url, 400, code, param]);
    }
  });

  it('another account sees none of it: no statuses, no revenue, no cohorts, no plans', async () => {
    const other = await createAccount(h.database.db, 'Other merchant');
    const asOther = async (url: string) => {
      const r = await h.call('GET', url, undefined, { key: other.key.secret });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const subscribers = await asOther(`/v1/analytics/subscribers?${RANGE}`);
    expect(subscribers.data).toHaveLength(4);
    for (const p of subscribers.data) {
      expect([Object.values(p.subscriptions), p.new_subscriptions, p.canceled, p.paying_customers_start, p.trials_ended, p.revenue_churn])
        .toEqual([[0, 0, 0, 0, 0], 0, 0, 0, 0, []]);
    }
    expect(await asOther(`/v1/analytics/cohorts?${RANGE}`)).toMatchObject({ currency: null, data: [] });
    expect((await asOther(`/v1/analytics/cohorts?${RANGE}&currency=usd`)).data).toEqual([]);
    expect(await asOther('/v1/analytics/ltv')).toMatchObject({ currency: null, data: [] });
    expect((await asOther('/v1/analytics/ltv?currency=usd')).data).toEqual([]);
  });
});
