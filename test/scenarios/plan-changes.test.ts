import { describe, expect, it } from 'vitest';
import { advance, billedInvoicesOf, clockAt, customerWithCard, invoicesOf, monthlyPrice, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** A customer on a clock at `start`, subscribed to a monthly price of `amount`; and a second price. */
async function subscribed(h: Harness, start: string, amount: number, upgrade: number, currency = 'usd') {
  const price = await monthlyPrice(h, amount, currency);
  const bigger = await monthlyPrice(h, upgrade, currency);
  const clock = await clockAt(h, start);
  const customer = await customerWithCard(h, 'tok_visa', clock.id);
  const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
  return { price, bigger, clock, customer, sub, item: sub.items.data[0]!.id };
}

const update = (h: Harness, id: string, body: Record<string, unknown>) =>
  h.call('POST', `/v1/subscriptions/${id}`, body);

describe('changing a subscription mid-period (Stripe proration semantics)', async () => {
  const h = await harness();

  it('upgrading 10.00 → 20.00 halfway with always_invoice credits −5.00, charges +10.00 and collects 5.00 at once', async () => {
    // April 2027 has 30 days: the 16th at 00:00 is exactly halfway.
    const { bigger, clock, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', 1000, 2000);
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    const r = await update(h, sub.id, { items: [{ id: item, price: bigger.id }], proration_behavior: 'always_invoice' });
    expect(r.status).toBe(200);
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices).toHaveLength(2);
    const inv = invoices[1]!;
    expect(inv).toMatchObject({ billing_reason: 'subscription_update', subtotal: 500, total: 500, amount_due: 500, amount_paid: 500, status: 'paid' });
    expect(inv.lines.data.map((l) => [l.kind, l.amount, l.proration])).toEqual([['proration', -500, true], ['proration', 1000, true]]);
    expect(r.body.items.data[0].price.id).toBe(bigger.id);
    expect(r.body.latest_invoice).toBe(inv.id);
  });

  it('with create_prorations both lines wait for the renewal, which then totals 25.00', async () => {
    const { bigger, clock, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', 1000, 2000);
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    const r = await update(h, sub.id, { items: [{ id: item, price: bigger.id }] });
    expect(r.status).toBe(200);
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    const pending = await h.database.pool.query('SELECT amount FROM invoice_items WHERE subscription_id = $1 AND invoice_id IS NULL ORDER BY amount', [sub.id]);
    expect(pending.rows.map((x) => Number(x.amount))).toEqual([-500, 1000]);
    // The prorations belong to the subscription: an invoice made by hand for the customer leaves them.
    const manual = await h.call('POST', '/v1/invoices', { customer: sub.customer });
    expect(manual.status).toBe(400);
    expect(manual.body.error.code).toBe('invoice_no_pending_items');
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices).toHaveLength(2);
    expect(invoices[1]).toMatchObject({ billing_reason: 'subscription_cycle', total: 2500, amount_paid: 2500, status: 'paid' });
    expect(invoices[1]!.lines.data.map((l) => [l.kind, l.amount])).toEqual([['proration', -500], ['proration', 1000], ['subscription', 2000]]);
  });
});

// Hand arithmetic for expectations: amount × num ÷ den, half away from zero (amounts ≥ 0 here).
const share = (amount: number, num: number, den: number) => Number((BigInt(amount) * BigInt(num) * 2n + BigInt(den)) / (2n * BigInt(den)));

describe.each([
  // An odd amount in each currency, so rounding shows: 9.99 USD, 999 JPY (no minor unit), 9.999 KWD (three decimals).
  { currency: 'usd', P: 999 }, { currency: 'jpy', P: 999 }, { currency: 'kwd', P: 9999 },
])('plan changes on a test clock in $currency', async ({ currency, P }) => {
  const h = await harness();
  const linesOf = (inv: { lines: { data: { kind: string; amount: number }[] } }) => inv.lines.data.map((l) => [l.kind, l.amount]);

  it('quantity 1 → 3 a third of the way into a 30-day period (always_invoice)', async () => {
    const { clock, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', P, 2 * P, currency);
    await advance(h, clock.id, '2027-04-11T00:00:00Z');
    const r = await update(h, sub.id, { items: [{ id: item, quantity: 3 }], proration_behavior: 'always_invoice' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const inv = (await invoicesOf(h, sub.id))[1]!;
    const credit = -share(P, 20, 30);
    const charge = share(3 * P, 20, 30);
    expect(linesOf(inv)).toEqual([['proration', credit], ['proration', charge]]);
    expect(inv).toMatchObject({ currency, total: credit + charge, amount_paid: credit + charge, status: 'paid' });
    expect(r.body.items.data[0].quantity).toBe(3);
    const updated = (await h.call('GET', `/v1/events?type=subscription.updated&limit=100`)).body.data.find((e: any) => e.data.object.id === sub.id);
    expect(updated.data.previous_attributes.items).toEqual([{ id: item, price: (sub.items.data[0]!.price as { id: string }).id, quantity: 1 }]);
  });

  it('a downgrade mid-period credits the balance, and the next invoice consumes it', async () => {
    const { price, bigger, clock, customer, sub: first } = await subscribed(h, '2027-04-01T00:00:00Z', P, 2 * P, currency);
    // Only the bigger subscription stays: the customer's other renewal would take the credit first.
    await ok(h, 'POST', `/v1/subscriptions/${first.id}/cancel`, {});
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: bigger.id }] } }));
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    const r = await update(h, sub.id, { items: [{ id: sub.items.data[0]!.id, price: price.id }], proration_behavior: 'always_invoice' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const credit = -share(2 * P, 15, 30);
    const charge = share(P, 15, 30);
    const net = credit + charge;
    expect(net).toBeLessThan(0);
    const inv = (await invoicesOf(h, sub.id))[1]!;
    expect(inv).toMatchObject({ total: net, amount_due: 0, amount_paid: 0, status: 'paid', starting_balance: 0, ending_balance: net });
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`))).toMatchObject({ balance: net, currency });
    const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1', [inv.id]);
    expect(charges.rows[0].n).toBe(0);
    expect((await h.call('GET', '/v1/events?type=customer.balance_changed&limit=100')).body.data.some((e: any) => e.data.object.id === customer.id && e.data.object.balance === net)).toBe(true);

    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const renewal = (await invoicesOf(h, sub.id))[2]!;
    expect(renewal).toMatchObject({ total: P, starting_balance: net, ending_balance: 0, amount_due: P + net, amount_paid: P + net, status: 'paid' });
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(0);
  });

  it('monthly → yearly starts a new yearly period now and invoices it with the credit for the unused month', async () => {
    const { clock, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', P, 2 * P, currency);
    const product = await must(h.client.POST('/v1/products', { body: { name: 'Annual' } }));
    const yearly = await must(h.client.POST('/v1/prices', { body: { product: product.id, currency, unit_amount: 10 * P, recurring: { interval: 'year' } } }));
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    const r = await update(h, sub.id, { items: [{ id: item, price: yearly.id }] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ billing_cycle_anchor: '2027-04-16T00:00:00.000Z', current_period_start: '2027-04-16T00:00:00.000Z', current_period_end: '2028-04-16T00:00:00.000Z' });
    const inv = (await invoicesOf(h, sub.id))[1]!;
    expect(linesOf(inv)).toEqual([['proration', -share(P, 15, 30)], ['subscription', 10 * P]]);
    expect(inv).toMatchObject({ billing_reason: 'subscription_update', total: 10 * P - share(P, 15, 30), status: 'paid', period_end: '2028-04-16T00:00:00.000Z' });
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(2);
  });

  it('proration_behavior none changes the price from the next period only', async () => {
    const { bigger, clock, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', P, 2 * P, currency);
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    expect((await update(h, sub.id, { items: [{ id: item, price: bigger.id }], proration_behavior: 'none' })).status).toBe(200);
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    const pending = await h.database.pool.query('SELECT count(*)::int AS n FROM invoice_items WHERE subscription_id = $1', [sub.id]);
    expect(pending.rows[0].n).toBe(0);
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const renewal = (await invoicesOf(h, sub.id))[1]!;
    expect(linesOf(renewal)).toEqual([['subscription', 2 * P]]);
  });

  it('a change on the period\'s last second prorates one second of it', async () => {
    const { clock, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', P, 2 * P, currency);
    await advance(h, clock.id, '2027-04-30T23:59:59Z');
    expect((await update(h, sub.id, { items: [{ id: item, quantity: 400_000 }] })).status).toBe(200);
    const pending = await h.database.pool.query('SELECT amount::int FROM invoice_items WHERE subscription_id = $1 ORDER BY amount', [sub.id]);
    expect(pending.rows.map((x) => x.amount)).toEqual([0 - share(P, 1, 2_592_000) || 0, share(400_000 * P, 1, 2_592_000)]);
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const renewal = (await invoicesOf(h, sub.id))[1]!;
    expect(renewal.total).toBe(-share(P, 1, 2_592_000) + share(400_000 * P, 1, 2_592_000) + 400_000 * P);
  });
});

describe('changing a trial', async () => {
  const h = await harness();

  it('trial_end=now ends it and bills the first period at once; a later trial_end moves it; items change without proration', async () => {
    const price = await monthlyPrice(h, 1200);
    const bigger = await monthlyPrice(h, 4800);
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }], trial_period_days: 14 } }));
    await advance(h, clock.id, '2027-04-05T00:00:00Z');
    const moved = await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { trial_end: '2027-04-20T00:00:00Z', items: [{ id: sub.items.data[0]!.id, price: bigger.id }] });
    expect(moved).toMatchObject({ status: 'trialing', trial_end: '2027-04-20T00:00:00.000Z', current_period_end: '2027-04-20T00:00:00.000Z' });
    // Nothing was paid in the trial, so nothing is prorated.
    expect(await billedInvoicesOf(h, sub.id)).toHaveLength(0);
    await advance(h, clock.id, '2027-04-10T12:00:00Z');
    const ended = await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { trial_end: 'now' });
    expect(ended).toMatchObject({ status: 'active', trial_end: '2027-04-10T12:00:00.000Z', billing_cycle_anchor: '2027-04-10T12:00:00.000Z',
      current_period_start: '2027-04-10T12:00:00.000Z', current_period_end: '2027-05-10T12:00:00.000Z' });
    const [first] = await billedInvoicesOf(h, sub.id);
    expect(first).toMatchObject({ billing_reason: 'subscription_update', total: 4800, status: 'paid' });
    expect(first!.lines.data.map((l) => [l.kind, l.amount])).toEqual([['subscription', 4800]]);
    await advance(h, clock.id, '2027-05-10T12:00:00Z');
    expect((await billedInvoicesOf(h, sub.id)).map((i) => [i.billing_reason, i.period_start])).toEqual([
      ['subscription_update', '2027-04-10T12:00:00.000Z'], ['subscription_cycle', '2027-05-10T12:00:00.000Z']]);
  });
});

describe('a past_due subscription', async () => {
  const h = await harness();

  it('may change; its open invoice stays due', async () => {
    const { bigger, clock, customer, sub, item } = await subscribed(h, '2027-04-01T00:00:00Z', 1000, 2000);
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclined', set_default: true });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    const unpaid = (await invoicesOf(h, sub.id))[1]!;
    expect(unpaid.status).toBe('open');
    // Before dunning's first retry (May 2, 10:00), which would pay the renewal with the new card.
    await advance(h, clock.id, '2027-05-01T12:00:00Z');
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', set_default: true });
    const r = await update(h, sub.id, { items: [{ id: item, price: bigger.id }], proration_behavior: 'always_invoice' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [, renewal, change] = await invoicesOf(h, sub.id);
    expect(renewal).toMatchObject({ id: unpaid.id, status: 'open', amount_remaining: 1000 });
    // May has 31 days: 30.5 remain; 1000 × 30.5/31 = 983.87 and 2000 × 30.5/31 = 1967.74, each rounded half-up.
    expect(change!.lines.data.map((l) => l.amount)).toEqual([-984, 1968]);
    expect(change).toMatchObject({ status: 'paid', amount_paid: 984 });
  });
});

describe('a change in real time while the renewal is overdue', async () => {
  const h = await harness({ now: new Date('2027-04-01T00:00:00Z') });

  it('is refused with 409 renewal_pending until the worker has renewed, then prorates in the new period', async () => {
    const price = await monthlyPrice(h, 1000);
    const bigger = await monthlyPrice(h, 2000);
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    h.clock.set(new Date('2027-05-01T00:00:05Z'));
    const body = { items: [{ id: sub.items.data[0]!.id, price: bigger.id }], proration_behavior: 'always_invoice' };
    const r = await update(h, sub.id, body);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('renewal_pending');
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    // Metadata alone needs no proration and may change meanwhile.
    expect((await update(h, sub.id, { metadata: { note: 'vip' } })).status).toBe(200);
    const { processNextDue } = await import('../../src/app/billing/process-due.ts');
    await processNextDue(h.deps);
    const after = await update(h, sub.id, body);
    expect(after.status).toBe(200);
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices.map((i) => i.billing_reason)).toEqual(['subscription_create', 'subscription_cycle', 'subscription_update']);
    // 5 seconds into a 31-day May: almost the whole period is credited and charged again.
    expect(invoices[2]!.lines.data.map((l) => l.amount)).toEqual([-1000, 2000]);
  });
});

describe('a change within the first second of a period that began mid-second', async () => {
  const h = await harness({ now: new Date('2027-04-01T13:53:07.815Z') });

  it('is prorated from the period\'s start, not refused or failed', async () => {
    const price = await monthlyPrice(h, 3000);
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    h.clock.set(new Date('2027-04-01T13:53:07.900Z'));
    const r = await update(h, sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 2 }], proration_behavior: 'always_invoice' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // The whole period remains: −1 × 30.00 and +2 × 30.00.
    expect((await invoicesOf(h, sub.id))[1]!.lines.data.map((l) => l.amount)).toEqual([-3000, 6000]);
  });
});
