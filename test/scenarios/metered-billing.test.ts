import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

type Line = { kind: string; amount: number; quantity: number; quantity_decimal: string; period: { start: string; end: string }; description: string };

/** Metered prices billed in arrears beside licensed ones (issue 18, point 3), on test clocks. */
describe('metered billing in arrears', async () => {
  const h = await harness();
  const product = await ok(h, 'POST', '/v1/products', { name: 'API platform' });
  let n = 0;
  const meter = async (formula = 'sum') => {
    n += 1;
    return await ok(h, 'POST', '/v1/billing/meters', { event_name: `calls_${n}`, display_name: `Calls ${n}`, default_aggregation: { formula } });
  };
  const metered = async (m: { id: string }, model: Record<string, unknown>) =>
    await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', recurring: { interval: 'month', usage_type: 'metered', meter: m.id }, ...model });
  const flat = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' }, nickname: 'Platform fee' });

  /** A customer on a clock at Jan 1, subscribed to `prices`, with `values` of meter `m` sent on January days, then billed on Feb 1. */
  async function januaryBilled(h: Harness, m: { event_name: string }, prices: string[], values: (number | string)[]) {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: prices.map((price) => ({ price })) });
    await advance(h, clock.id, '2027-01-31T12:00:00Z');
    const events = values.map((value, i) => ({
      event_name: m.event_name, identifier: `${customer.id}-${i}`, timestamp: new Date(Date.UTC(2027, 0, 1 + (i % 30), 10, 0, i % 60)).toISOString(),
      payload: { customer: customer.id, value },
    }));
    const batch = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events });
    expect(batch.accepted).toBe(values.length);
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const invoices = (await invoicesOf(h, sub.id)) as unknown as { billing_reason: string; total: number; lines: { data: Line[] } }[];
    return { clock, customer, sub, invoices, february: invoices[invoices.length - 1]! };
  }
  const usageLine = (inv: { lines: { data: Line[] } }) => inv.lines.data.find((l) => l.kind === 'usage')!;

  it('20.00 flat in advance and 0.04 cents per call in arrears: the Feb 1 invoice has February\'s fee and January\'s 123,456 calls as 4,938', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount_decimal: '0.04', nickname: 'API calls' });
    expect(perCall).toMatchObject({ recurring: { interval: 'month', usage_type: 'metered', meter: calls.id }, unit_amount_decimal: '0.04', billing_scheme: 'per_unit' });
    // 123 events of 1,000 calls and one of 456.
    const { invoices, february } = await januaryBilled(h, calls, [flat.id, perCall.id], [...Array(123).fill(1000), 456]);
    // January's own invoice billed its fee in advance and no usage.
    expect(invoices[0]!.lines.data.map((l: Line) => [l.kind, l.amount])).toEqual([['subscription', 2000]]);
    expect(february.billing_reason).toBe('subscription_cycle');
    const lines = february.lines.data.map((l: Line) => ({ kind: l.kind, amount: l.amount, quantity: l.quantity_decimal, period: l.period }));
    expect(lines).toEqual([
      { kind: 'subscription', amount: 2000, quantity: '1', period: { start: '2027-02-01T00:00:00.000Z', end: '2027-03-01T00:00:00.000Z' } },
      { kind: 'usage', amount: 4938, quantity: '123456', period: { start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z' } },
    ]);
    expect(february).toMatchObject({ total: 6938, amount_due: 6938, status: 'paid' });
    expect(usageLine(february).quantity).toBe(123456);
  });

  it('Lago\'s percentage model through a metered price: 1.3 % of 10,000 with a fixed fee of 20 per payment, the first 500 free', async () => {
    const payments = await meter();
    const price = await metered(payments, {
      billing_scheme: 'percentage', percentage: { rate: '1.3', fixed_amount: '20', free_units_per_events: 1, free_units_per_total_aggregation: '500' },
    });
    expect(price.percentage).toMatchObject({ rate: '1.3', fixed_amount: '20', free_units_per_events: 1, free_units_per_total_aggregation: '500' });
    // (10,000 − 500) × 1.3 % = 123.5, plus 4 × 20: 203.5, rounded half-up once on the line.
    const { february } = await januaryBilled(h, payments, [price.id], [1000, 2000, 3000, 4000]);
    expect(usageLine(february)).toMatchObject({ amount: 204, quantity_decimal: '10000' });
  });

  it('graduated and volume tiers on 12,345 units of usage', async () => {
    const tiers = [
      { up_to: 1000, unit_amount: 1 }, { up_to: 10000, unit_amount_decimal: '0.5' }, { up_to: 'inf', unit_amount_decimal: '0.1', flat_amount: 100 },
    ];
    const usage = await meter();
    const graduated = await metered(usage, { billing_scheme: 'tiered', tiers_mode: 'graduated', tiers });
    // 1,000 × 1 + 9,000 × 0.5 + 2,345 × 0.1 + 100 = 5,834.5 → 5,835.
    expect(usageLine((await januaryBilled(h, usage, [graduated.id], [12000, 345])).february)).toMatchObject({ amount: 5835, quantity: 12345 });
    const usage2 = await meter();
    const volume = await metered(usage2, { billing_scheme: 'tiered', tiers_mode: 'volume', tiers });
    // All 12,345 at the third tier's 0.1, plus its flat 100: 1,334.5 → 1,335.
    expect(usageLine((await januaryBilled(h, usage2, [volume.id], [12000, '345'])).february)).toMatchObject({ amount: 1335, quantity: 12345 });
  });

  it('fractional and huge aggregates stay exact: 0.000001 GB steps and a sum beyond 2^53', async () => {
    const gb = await meter();
    const price = await metered(gb, { unit_amount_decimal: '0.000000001' });
    const { february } = await januaryBilled(h, gb, [price.id], ['9007199254740993', '0.000001']);
    const line = usageLine(february);
    expect(line.quantity_decimal).toBe('9007199254740993.000001');
    expect(line.quantity).toBe(0);
    // 9,007,199.254740993000001 minor units, rounded once.
    expect(line.amount).toBe(9007199);
  });

  it('the preview of the next invoice includes the usage of the current period to date', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount_decimal: '0.04' });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perCall.id }] });
    await advance(h, clock.id, '2027-01-15T00:00:00Z');
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: calls.event_name, identifier: `${sub.id}-p1`, payload: { customer: customer.id, value: 12345 } });
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id });
    expect(preview.lines.data.map((l: Line) => [l.kind, l.amount, l.quantity_decimal])).toEqual([['subscription', 2000, '1'], ['usage', 494, '12345']]);
    expect(preview.total).toBe(2494);
  });

  it('a minimum_amount trues up a period whose usage fell short, and not one that reached it', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount: 1 });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: perCall.id }], minimum_amount: 1000 });
    expect(sub.minimum_amount).toBe(1000);
    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: calls.event_name, identifier: `${sub.id}-m1`, payload: { customer: customer.id, value: 300 } });
    await advance(h, clock.id, '2027-02-20T00:00:00Z');
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: calls.event_name, identifier: `${sub.id}-m2`, payload: { customer: customer.id, value: 1500 } });
    await advance(h, clock.id, '2027-03-01T00:00:01Z');
    const [, feb, mar] = (await invoicesOf(h, sub.id)) as unknown as { lines: { data: Line[] }; total: number }[];
    expect(feb!.lines.data.map((l) => [l.kind, l.amount, l.period.start])).toEqual([
      ['usage', 300, '2027-01-01T00:00:00.000Z'], ['minimum_true_up', 700, '2027-01-01T00:00:00.000Z'],
    ]);
    expect(mar!.lines.data.map((l) => [l.kind, l.amount])).toEqual([['usage', 1500]]);
  });

  it('a metered price takes no quantity, cannot be added mid-period nor be an invoice item', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount: 1 });
    const customer = await customerWithCard(h, 'tok_visa');
    const withQuantity = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: perCall.id, quantity: 3 }] });
    expect([withQuantity.status, withQuantity.body.error.code, withQuantity.body.error.param]).toEqual([400, 'metered_item_invalid', 'items[0][quantity]']);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }] });
    const added = await h.call('POST', `/v1/subscriptions/${sub.id}`, { items: [{ price: perCall.id }] });
    expect([added.status, added.body.error.code, added.body.error.param]).toEqual([400, 'metered_item_invalid', 'items[0][price]']);
    const item = await h.call('POST', '/v1/invoiceitems', { customer: customer.id, price: perCall.id });
    expect([item.status, item.body.error.code, item.body.error.param]).toEqual([400, 'metered_item_invalid', 'price']);
  });

  it('a meter is billed to a customer by one subscription at a time: a second item or subscription on it is refused until the first ends', async () => {
    const calls = await meter();
    const [cheap, dear] = [await metered(calls, { unit_amount: 1 }), await metered(calls, { unit_amount: 2 })];
    const customer = await customerWithCard(h, 'tok_visa');
    const both = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: cheap.id }, { price: dear.id }] });
    expect([both.status, both.body.error.code, both.body.error.param]).toEqual([400, 'metered_item_invalid', 'items[2][price]']);
    const first = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: cheap.id }] });
    const second = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: dear.id }] });
    expect([second.status, second.body.error.code, second.body.error.param]).toEqual([400, 'meter_already_billed', 'items[1][price]']);
    expect(second.body.error.message).toContain(first.id);
    // Another customer, and the same customer once the first subscription has ended, may.
    await ok(h, 'POST', '/v1/subscriptions', { customer: (await customerWithCard(h, 'tok_visa')).id, items: [{ price: dear.id }] });
    await ok(h, 'POST', `/v1/subscriptions/${first.id}/cancel`, {});
    expect((await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: dear.id }] })).status).toBe('active');
  });

  it('two subscriptions on one meter created at the same moment for one customer: one is made, the other refused', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount: 1 });
    // The check runs before either commits; the second's write of the customer's invoice sequence
    // finds it moved on, and its rerun sees the first subscription (with or without a trial).
    for (let round = 0; round < 6; round++) {
      const customer = await customerWithCard(h, 'tok_visa');
      const body = { customer: customer.id, items: [{ price: flat.id }, { price: perCall.id }], ...(round % 2 ? { trial_period_days: 7 } : {}) };
      const both = await Promise.all([0, 1].map(() => h.call('POST', '/v1/subscriptions', body)));
      expect(both.map((r) => (r.status === 200 ? 'made' : r.body.error.code)).sort()).toEqual(['made', 'meter_already_billed']);
    }
  });

  it('threshold billing: crossing 100.00 mid-period invoices once at that point; the period-end invoice bills only the rest', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount: 1 });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perCall.id }], billing_thresholds: { amount_gte: 10000 } });
    expect(sub.billing_thresholds).toEqual({ amount_gte: 10000 });
    const send = async (id: string, value: number) =>
      await ok(h, 'POST', '/v1/billing/meter_events', { event_name: calls.event_name, identifier: `${sub.id}-${id}`, payload: { customer: customer.id, value } });
    await advance(h, clock.id, '2027-01-10T00:00:00Z');
    await send('t1', 6000);
    await advance(h, clock.id, '2027-01-10T01:00:00Z');
    const reasons = async () => ((await invoicesOf(h, sub.id)) as unknown as { billing_reason: string }[]).map((i) => i.billing_reason);
    expect(await reasons()).toEqual(['subscription_create']);
    await advance(h, clock.id, '2027-01-15T00:00:00Z');
    await send('t2', 5000);
    await advance(h, clock.id, '2027-01-15T01:00:00Z');
    // A second check with nothing new bills nothing more.
    await send('t3', 1);
    await advance(h, clock.id, '2027-01-16T00:00:00Z');
    expect(await reasons()).toEqual(['subscription_create', 'subscription_threshold']);
    const threshold = ((await invoicesOf(h, sub.id)) as unknown as { lines: { data: Line[] }; total: number; status: string; period_end: string }[])[1]!;
    expect(threshold.lines.data.map((l) => [l.kind, l.amount, l.quantity_decimal, l.period.start])).toEqual([['usage', 11000, '11000', '2027-01-01T00:00:00.000Z']]);
    expect(threshold).toMatchObject({ total: 11000, status: 'paid', period_end: '2027-01-15T00:00:00.000Z' });
    await send('t4', 1999);
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const all = (await invoicesOf(h, sub.id)) as unknown as { billing_reason: string; lines: { data: Line[] } }[];
    expect(all.map((i) => i.billing_reason)).toEqual(['subscription_create', 'subscription_threshold', 'subscription_cycle']);
    // January was 13,000 calls: 11,000 billed at the threshold, the rest now.
    expect(all[2]!.lines.data.filter((l) => l.kind === 'usage').map((l) => [l.amount, l.quantity_decimal])).toEqual([[2000, '2000']]);
  });

  it('credit grants pay usage lines before payment, by priority, and never the flat fee', async () => {
    const calls = await meter();
    const perCall = await metered(calls, { unit_amount: 1 });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perCall.id }] });
    const grant = (value: number, priority: number) => ok(h, 'POST', '/v1/billing/credit_grants', {
      customer: customer.id, amount: { type: 'monetary', monetary: { value, currency: 'usd' } }, applicability_config: { scope: { price_type: 'metered' } }, category: 'promotional', priority,
    });
    await grant(1000, 10);
    await grant(5000, 50);
    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: calls.event_name, identifier: `${sub.id}-c1`, payload: { customer: customer.id, value: 2500 } });
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const feb = ((await invoicesOf(h, sub.id)) as unknown as { total: number; amount_due: number; credit_grants_applied: number }[]).at(-1)!;
    // 2,000 fee + 2,500 usage; the grants pay the usage only: 1,000 from the first, 1,500 from the second.
    expect(feb).toMatchObject({ total: 4500, credit_grants_applied: 2500, amount_due: 2000 });
    const summary = await ok(h, 'GET', `/v1/billing/credit_balance_summary?customer=${customer.id}`);
    expect(summary.balances[0].available_balance.monetary.value).toBe(3500);
  });

  it('the same 100,000 events sent twice at once, in batches of 10,000, are counted and billed once', async () => {
    const calls = await meter('count');
    const perCall = await metered(calls, { unit_amount: 1 });
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: perCall.id }] });
    await advance(h, clock.id, '2027-01-31T00:00:00Z');
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 10_000 }, (_, i) => ({
      event_name: calls.event_name, identifier: `twice-${b}-${i}`, timestamp: 1_798_761_600 + b * 86_400 + i, payload: { customer: customer.id },
    })));
    const sendAll = async (order: typeof batches) => { const out = []; for (const events of order) out.push(await ok(h, 'POST', '/v1/billing/meter_event_batches', { events })); return out; };
    const [a, b] = await Promise.all([sendAll(batches), sendAll([...batches].reverse())]);
    const accepted = [...a, ...b].reduce((n, r) => n + r.accepted, 0);
    const duplicates = [...a, ...b].reduce((n, r) => n + r.duplicates, 0);
    expect([accepted, duplicates]).toEqual([100_000, 100_000]);
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const feb = ((await invoicesOf(h, sub.id)) as unknown as { lines: { data: Line[] } }[]).at(-1)!;
    expect(feb.lines.data.map((l) => [l.kind, l.quantity_decimal, l.amount])).toEqual([['usage', '100000', 100000]]);
  });
});
