import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, ok } from '../builders.ts';
import { harness } from '../support.ts';

type Period = { start: string; mrr: number; arr: number; paying_customers: number; usage_revenue: number; movements: Record<string, number> };
const none = { new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, fx_adjustment: 0 };

/**
 * A book built by hand on a test clock, January to April 2027, and the MRR movements it must
 * give, each worked out below from the prices (issue 19, point 1).
 */
describe('MRR and its movements over a hand-built book', async () => {
  const h = await harness();
  const product = await ok(h, 'POST', '/v1/products', { name: 'Service' });
  const price = async (body: Record<string, unknown>) => await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', ...body });
  const basic = await price({ unit_amount: 1000, recurring: { interval: 'month' } });
  const pro = await price({ unit_amount: 3000, recurring: { interval: 'month' } });
  const yearly = await price({ unit_amount: 24000, recurring: { interval: 'year' } });
  const euro = await price({ currency: 'eur', unit_amount: 5000, recurring: { interval: 'month' } });
  const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'calls', display_name: 'Calls', default_aggregation: { formula: 'sum' } });
  const calls = await price({ unit_amount: 2, recurring: { interval: 'month', usage_type: 'metered', meter: meter.id } });
  const halfOff = await ok(h, 'POST', '/v1/coupons', { percent_off: 50, duration: 'repeating', duration_in_months: 2 });
  const clock = await clockAt(h, '2027-01-01T00:00:00Z');
  const customer = async () => await customerWithCard(h, 'tok_visa', clock.id);
  const subscribe = async (c: { id: string }, items: string[], extra: Record<string, unknown> = {}) =>
    await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: items.map((p) => ({ price: p })), ...extra });

  await advance(h, clock.id, '2027-01-05T00:00:00Z');
  const [a, b, c, d, e, f, g] = [await customer(), await customer(), await customer(), await customer(), await customer(), await customer(), await customer()];
  let subA = await subscribe(a, [basic.id]); //          +1,000 new
  const subB = await subscribe(b, [pro.id]); //          +3,000 new
  await subscribe(c, [yearly.id]); //                    240.00 a year: +2,000 new
  await subscribe(d, [euro.id]); //                      EUR +5,000 new
  await subscribe(e, [basic.id, calls.id]); //           +1,000 new; usage is not MRR
  await subscribe(f, [pro.id], { trial_period_days: 14 }); // nothing while trialing; +3,000 new on Jan 19
  await subscribe(g, [basic.id], { discounts: [{ coupon: halfOff.id }] }); // +500 new, +500 expansion on Mar 5
  // 500 calls at 0.02 in E's first period: usage revenue of January (the period starting Jan 5).
  const sent = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events: Array.from({ length: 5 }, (_, i) => (
    { event_name: 'calls', identifier: `e-${i}`, timestamp: '2027-01-05T00:00:00Z', payload: { customer: e.id, value: 100 } })) });
  expect(sent.accepted).toBe(5);

  await advance(h, clock.id, '2027-02-10T00:00:00Z');
  await ok(h, 'POST', `/v1/subscriptions/${subA.id}`, { items: [{ id: subA.items.data[0].id, price: pro.id }] }); //   +2,000 expansion
  await ok(h, 'POST', `/v1/subscriptions/${subB.id}`, { items: [{ id: subB.items.data[0].id, price: basic.id }] }); // −2,000 contraction
  await advance(h, clock.id, '2027-03-10T00:00:00Z');
  await ok(h, 'POST', `/v1/subscriptions/${subA.id}/cancel`, {}); // −3,000 churn
  await advance(h, clock.id, '2027-04-10T00:00:00Z');
  subA = await subscribe(a, [basic.id]); // +1,000 reactivation
  await advance(h, clock.id, '2027-04-30T00:00:00Z');

  const report = await ok(h, 'GET', '/v1/analytics/mrr?from=2027-01-01T00:00:00Z&to=2027-05-01T00:00:00Z&interval=month');

  it('answers one series per currency, never adding dollars to euros', () => {
    expect(report).toMatchObject({ object: 'mrr_report', interval: 'month', currency: null, from: '2027-01-01T00:00:00.000Z', to: '2027-05-01T00:00:00.000Z' });
    expect(report.data.map((s: { currency: string }) => s.currency)).toEqual(['eur', 'usd']);
  });

  it('gives every month\'s movements in dollars exactly as worked out by hand', () => {
    const usd = report.data.find((s: { currency: string }) => s.currency === 'usd');
    expect(usd.starting_mrr).toBe(0);
    const months = usd.periods.map((p: Period) => [p.start.slice(0, 7), p.mrr, p.arr, p.paying_customers, p.movements]);
    expect(months).toEqual([
      ['2027-01', 10_500, 126_000, 6, { ...none, new: 10_500 }],
      ['2027-02', 10_500, 126_000, 6, { ...none, expansion: 2_000, contraction: -2_000 }],
      ['2027-03', 8_000, 96_000, 5, { ...none, expansion: 500, churn: -3_000 }],
      ['2027-04', 9_000, 108_000, 6, { ...none, reactivation: 1_000 }],
    ]);
    // The movements explain every change: start + movements = end, month after month.
    let mrr = usd.starting_mrr;
    for (const p of usd.periods as Period[]) {
      mrr += Object.values(p.movements).reduce((s, v) => s + v, 0);
      expect(mrr).toBe(p.mrr);
    }
  });

  it('reports metered revenue as a series of its own, by the usage period it was used in', () => {
    const usd = report.data.find((s: { currency: string }) => s.currency === 'usd');
    expect(usd.periods.map((p: Period) => p.usage_revenue)).toEqual([1_000, 0, 0, 0]);
  });

  it('keeps euros in their own series', () => {
    const eur = report.data.find((s: { currency: string }) => s.currency === 'eur');
    expect(eur.periods.map((p: Period) => [p.mrr, p.movements.new])).toEqual([[5_000, 5_000], [5_000, 0], [5_000, 0], [5_000, 0]]);
  });

  it('in a reporting currency: euros converted at each date\'s uploaded rate, and what the rate alone did shown as fx_adjustment', async () => {
    await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: '1.10', effective_date: '2027-01-01' });
    await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: '1.20', effective_date: '2027-03-01' });
    const r = await ok(h, 'GET', '/v1/analytics/mrr?from=2027-01-01T00:00:00Z&to=2027-05-01T00:00:00Z&currency=usd');
    expect(r.currency).toBe('usd');
    expect(r.data).toHaveLength(1);
    // EUR 50.00 is USD 55.00 at 1.10 and USD 60.00 from March 1 (February's end) at 1.20.
    expect(r.data[0].periods.map((p: Period) => [p.start.slice(0, 7), p.mrr, p.movements])).toEqual([
      ['2027-01', 16_000, { ...none, new: 10_500 + 5_500 }],
      ['2027-02', 16_500, { ...none, expansion: 2_000, contraction: -2_000, fx_adjustment: 500 }],
      ['2027-03', 14_000, { ...none, expansion: 500, churn: -3_000 }],
      ['2027-04', 15_000, { ...none, reactivation: 1_000 }],
    ]);
  });

  it('a reporting currency without uploaded rates is refused, naming the currency', async () => {
    const r = await h.call('GET', '/v1/analytics/mrr?from=2027-01-01T00:00:00Z&to=2027-05-01T00:00:00Z&currency=gbp');
    expect([r.status, r.body.error.code, r.body.error.param]).toEqual([400, 'exchange_rate_missing', 'currency']);
    expect(r.body.error.message).toMatch(/No exchange rate from (usd|eur) to gbp/);
  });

  it('refuses a range of more periods than a chart can show, and an empty range', async () => {
    const long = await h.call('GET', '/v1/analytics/mrr?from=2020-01-01T00:00:00Z&to=2027-05-01T00:00:00Z&interval=day');
    expect([long.status, long.body.error.code, long.body.error.param]).toEqual([400, 'parameter_invalid', 'interval']);
    const empty = await h.call('GET', '/v1/analytics/mrr?from=2027-05-01T00:00:00Z&to=2027-01-01T00:00:00Z');
    expect([empty.status, empty.body.error.param]).toEqual([400, 'from']);
  });
});
