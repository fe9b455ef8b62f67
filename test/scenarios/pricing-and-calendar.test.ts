import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** A product and one recurring price built from `body` (monthly unless `recurring` says otherwise). */
async function priceOf(h: Harness, body: Record<string, unknown>) {
  const product = await ok(h, 'POST', '/v1/products', { name: 'Metered thing' });
  return await ok(h, 'POST', '/v1/prices', { product: product.id, recurring: { interval: 'month' }, ...body });
}

/** Subscribes a fresh customer (tok_visa, no clock) and returns the subscription and its first invoice. */
async function subscribeOnce(h: Harness, items: { price: string; quantity?: number }[]) {
  const customer = await customerWithCard(h, 'tok_visa');
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items });
  const invoices = await invoicesOf(h, sub.id);
  expect(invoices).toHaveLength(1);
  return { sub, invoice: invoices[0]! };
}

const day = (iso: string) => `${iso}T00:00:00.000Z`;

describe('billing calendar: anchors at month ends and leap days', async () => {
  const h = await harness();

  it('a monthly subscription anchored on Jan 31 bills on the 31st or the last day of shorter months', async () => {
    const price = await monthlyPrice(h, 2000);
    const clock = await clockAt(h, '2027-01-31T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    expect(sub).toMatchObject({ current_period_start: day('2027-01-31'), current_period_end: day('2027-02-28') });
    const first = await firstInvoiceOf(h, sub.id);
    expect(first).toMatchObject({ status: 'paid', total: 2000, amount_paid: 2000, period_start: day('2027-01-31'), period_end: day('2027-02-28') });

    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    const all = await invoicesOf(h, sub.id);
    expect(all.map((i) => i.period_start)).toEqual(
      ['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31'].map(day));
    // Each period ends where the next one starts: computed from the anchor, not chained from Feb 28.
    expect(all.map((i) => i.period_end)).toEqual(
      ['2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31', '2027-06-30'].map(day));
    expect(all.every((i) => i.status === 'paid' && i.total === 2000 && i.amount_paid === 2000)).toBe(true);
    expect(new Set(all.map((i) => i.period_start)).size).toBe(5);
    const current = await ok(h, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(current).toMatchObject({ status: 'active', current_period_start: day('2027-05-31'), current_period_end: day('2027-06-30') });
  });

  it('in a leap year the Jan 31 anchor bills on Feb 29', async () => {
    const price = await monthlyPrice(h, 2000);
    const clock = await clockAt(h, '2028-01-31T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub).toMatchObject({ status: 'active', current_period_start: day('2028-01-31'), current_period_end: day('2028-02-29') });

    await advance(h, clock.id, '2028-04-01T00:00:00Z');
    const all = await invoicesOf(h, sub.id);
    expect(all.map((i) => i.period_start)).toEqual(['2028-01-31', '2028-02-29', '2028-03-31'].map(day));
    expect(all.map((i) => i.period_end)).toEqual(['2028-02-29', '2028-03-31', '2028-04-30'].map(day));
    expect(all.every((i) => i.status === 'paid' && i.total === 2000)).toBe(true);
  });

  it('a yearly subscription started on Feb 29 renews on Feb 28, and on Feb 29 again in the next leap year', async () => {
    const price = await priceOf(h, { currency: 'usd', unit_amount: 12000, recurring: { interval: 'year' } });
    const clock = await clockAt(h, '2028-02-29T12:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub).toMatchObject({ status: 'active', current_period_start: '2028-02-29T12:00:00.000Z', current_period_end: '2029-02-28T12:00:00.000Z' });

    // One advance may move at most two years.
    await advance(h, clock.id, '2030-01-01T00:00:00Z');
    await advance(h, clock.id, '2031-12-01T00:00:00Z');
    await advance(h, clock.id, '2032-03-01T00:00:00Z');
    const all = await invoicesOf(h, sub.id);
    expect(all.map((i) => i.period_start)).toEqual(
      ['2028-02-29', '2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29'].map((d) => `${d}T12:00:00.000Z`));
    expect(all.map((i) => i.period_end)).toEqual(
      ['2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29', '2033-02-28'].map((d) => `${d}T12:00:00.000Z`));
    expect(all.every((i) => i.status === 'paid' && i.total === 12000)).toBe(true);
  });
});

describe('pricing models on real invoices', async () => {
  const h = await harness();
  const tiers = [{ up_to: 10, unit_amount: 500 }, { up_to: 50, unit_amount: 400 }, { up_to: 'inf', unit_amount: 300 }];

  it('graduated tiers charge each unit at its own tier: 10×500 + 40×400 + 10×300', async () => {
    const price = await priceOf(h, { currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'graduated', tiers });
    const { invoice } = await subscribeOnce(h, [{ price: price.id, quantity: 60 }]);
    expect(invoice).toMatchObject({ status: 'paid', total: 24000, amount_paid: 24000, currency: 'usd' });
    expect(invoice.lines.data).toHaveLength(1);
    expect(invoice.lines.data[0]!).toMatchObject({ amount: 24000, quantity: 60, price: price.id });
  });

  it('volume tiers charge every unit at the tier the total falls in: 60×300', async () => {
    const price = await priceOf(h, { currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'volume', tiers });
    const { invoice } = await subscribeOnce(h, [{ price: price.id, quantity: 60 }]);
    expect(invoice).toMatchObject({ status: 'paid', total: 18000, amount_paid: 18000 });
    expect(invoice.lines.data[0]!).toMatchObject({ amount: 18000, quantity: 60 });
  });

  it('package pricing rounds the number of packages up: 12 units in packs of 5 is 3 packs', async () => {
    const price = await priceOf(h, { currency: 'usd', unit_amount: 1000, transform_quantity: { divide_by: 5, round: 'up' } });
    const { invoice } = await subscribeOnce(h, [{ price: price.id, quantity: 12 }]);
    expect(invoice).toMatchObject({ status: 'paid', total: 3000, amount_paid: 3000 });
    expect(invoice.lines.data[0]!).toMatchObject({ amount: 3000, quantity: 12 });
  });

  it('a zero-decimal currency (JPY) is billed and charged in whole yen', async () => {
    const price = await priceOf(h, { currency: 'jpy', unit_amount: 1000 });
    const { sub, invoice } = await subscribeOnce(h, [{ price: price.id }]);
    expect(sub.currency).toBe('jpy');
    expect(invoice).toMatchObject({ status: 'paid', total: 1000, amount_paid: 1000, currency: 'jpy' });
    expect(invoice.lines.data[0]!.amount).toBe(1000);
    const charges = await h.database.pool.query('SELECT amount::int AS amount, currency, status FROM sandbox.charges WHERE reference = $1', [invoice.id]);
    expect(charges.rows).toEqual([{ amount: 1000, currency: 'jpy', status: 'succeeded' }]);
  });

  it('a fractional unit price is rounded once per line: 123456 × 0.04 = 4938.24 → 4938', async () => {
    const price = await priceOf(h, { currency: 'usd', unit_amount_decimal: '0.04' });
    const { invoice } = await subscribeOnce(h, [{ price: price.id, quantity: 123456 }]);
    expect(invoice).toMatchObject({ status: 'paid', total: 4938, amount_paid: 4938 });
    expect(invoice.lines.data[0]!).toMatchObject({ amount: 4938, quantity: 123456, unit_amount_decimal: '0.04' });
    const charges = await h.database.pool.query('SELECT amount::int AS amount FROM sandbox.charges WHERE reference = $1', [invoice.id]);
    expect(charges.rows).toEqual([{ amount: 4938 }]);
  });

  it('a three-decimal currency (KWD) keeps its amount in fils', async () => {
    const price = await priceOf(h, { currency: 'kwd', unit_amount: 1234 });
    const { invoice } = await subscribeOnce(h, [{ price: price.id }]);
    expect(invoice).toMatchObject({ status: 'paid', total: 1234, amount_paid: 1234, currency: 'kwd' });
    expect(invoice.lines.data[0]!.amount).toBe(1234);
    const charges = await h.database.pool.query('SELECT amount::int AS amount, currency FROM sandbox.charges WHERE reference = $1', [invoice.id]);
    expect(charges.rows).toEqual([{ amount: 1234, currency: 'kwd' }]);
  });

  it('a subscription with two items bills both on one invoice', async () => {
    const seats = await priceOf(h, { currency: 'usd', unit_amount: 1000, nickname: 'Seat' });
    const storage = await priceOf(h, { currency: 'usd', unit_amount: 250, nickname: 'Storage pack' });
    const { sub, invoice } = await subscribeOnce(h, [{ price: seats.id, quantity: 2 }, { price: storage.id, quantity: 3 }]);
    expect(sub.items.data).toHaveLength(2);
    expect(invoice).toMatchObject({ status: 'paid', subtotal: 2750, total: 2750, amount_paid: 2750 });
    const lines = [...invoice.lines.data].sort((a: any, b: any) => b.amount - a.amount);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ price: seats.id, quantity: 2, amount: 2000 });
    expect(lines[1]).toMatchObject({ price: storage.id, quantity: 3, amount: 750 });
    // Charged once, for the sum.
    const charges = await h.database.pool.query('SELECT amount::int AS amount FROM sandbox.charges WHERE reference = $1', [invoice.id]);
    expect(charges.rows).toEqual([{ amount: 2750 }]);
  });
});

describe('billing_cycle_anchor', async () => {
  const h = await harness();

  it('prorates the stub period up to the anchor, then bills full periods from it', async () => {
    const price = await monthlyPrice(h, 3000);
    const clock = await clockAt(h, '2027-04-16T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', {
      customer: customer.id, items: [{ price: price.id }], billing_cycle_anchor: '2027-05-01T00:00:00Z',
    });
    expect(sub).toMatchObject({ status: 'active', billing_cycle_anchor: day('2027-05-01'),
      current_period_start: day('2027-04-16'), current_period_end: day('2027-05-01') });
    const stub = await firstInvoiceOf(h, sub.id);
    // 15 of April's 30 days.
    expect(stub).toMatchObject({ status: 'paid', total: 1500, amount_paid: 1500, period_start: day('2027-04-16'), period_end: day('2027-05-01') });
    expect(stub.lines.data).toHaveLength(1);
    expect(stub.lines.data[0]!.amount).toBe(1500);
    expect(stub.lines.data[0]!.description).toContain('prorated');

    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const all = await invoicesOf(h, sub.id);
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ status: 'paid', total: 3000, amount_paid: 3000, period_start: day('2027-05-01'), period_end: day('2027-06-01') });
    expect(all[1]!.lines.data[0]!.description).not.toContain('prorated');
  });
});
