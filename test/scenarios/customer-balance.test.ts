import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness, tableCounts, type Harness } from '../support.ts';

const adjust = (h: Harness, customer: string, body: Record<string, unknown>) =>
  h.call('POST', `/v1/customers/${customer}/balance_transactions`, body);

/** The customer's transactions, oldest first. */
async function ledger(h: Harness, customer: string) {
  const r = await ok(h, 'GET', `/v1/customers/${customer}/balance_transactions?limit=100`);
  return (r.data as any[]).slice().reverse();
}

describe('adjusting a customer\'s balance', async () => {
  const h = await harness();

  it('a credit of −5.00 is consumed by the next invoice, and the ledger shows both steps', async () => {
    const price = await monthlyPrice(h, 2000);
    const clock = await clockAt(h, '2027-05-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const r = await adjust(h, customer.id, { amount: -500, currency: 'usd', description: 'Goodwill', metadata: { ticket: 'T-1' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: 'customer_balance_transaction', customer: customer.id, type: 'adjustment', amount: -500,
      currency: 'usd', ending_balance: -500, invoice: null, description: 'Goodwill', metadata: { ticket: 'T-1' }, created: '2027-05-01T00:00:00.000Z' });
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: -500, currency: 'usd' });
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}/balance_transactions/${r.body.id}`)).toEqual(r.body);
    expect((await eventsOf(h, 'customer_balance_transaction.created')).some((e: any) => e.data.object.id === r.body.id)).toBe(true);
    expect((await eventsOf(h, 'customer.balance_changed')).some((e: any) => e.data.object.id === customer.id
      && e.data.object.balance === -500 && e.data.previous_attributes.balance === 0)).toBe(true);

    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const [first] = await invoicesOf(h, sub.id);
    expect(first).toMatchObject({ total: 2000, starting_balance: -500, ending_balance: 0, amount_due: 1500, amount_paid: 1500, status: 'paid' });
    const steps = await ledger(h, customer.id);
    expect(steps.map((t) => [t.type, t.amount, t.ending_balance, t.invoice])).toEqual([
      ['adjustment', -500, -500, null], ['applied_to_invoice', 500, 0, first!.id],
    ]);
    // The balance is spent; the currency stays, fixed by the customer's first invoice.
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: 0, currency: 'usd' });
  });

  it('an amount owed is added to the next invoice', async () => {
    const price = await monthlyPrice(h, 2000);
    const clock = await clockAt(h, '2027-05-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect((await adjust(h, customer.id, { amount: 300, currency: 'USD' })).body).toMatchObject({ amount: 300, currency: 'usd', ending_balance: 300 });
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    const renewal = (await invoicesOf(h, sub.id)).find((i) => i.billing_reason === 'subscription_cycle')!;
    expect(renewal).toMatchObject({ total: 2000, starting_balance: 300, ending_balance: 0, amount_due: 2300, amount_paid: 2300 });
    expect((await ledger(h, customer.id)).map((t) => [t.type, t.amount, t.ending_balance])).toEqual([
      ['adjustment', 300, 300], ['applied_to_invoice', -300, 0],
    ]);
  });

  it('an amount in another currency than a non-zero balance is refused and writes nothing', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'eur@example.com' });
    await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: -700, currency: 'eur' });
    const before = await tableCounts(h);
    const r = await adjust(h, customer.id, { amount: -100, currency: 'usd' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'balance_currency_mismatch', param: 'currency' });
    expect(await tableCounts(h)).toEqual(before);
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: -700, currency: 'eur' });
    // Back at zero the balance holds no currency, so another one may start it.
    await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: 700, currency: 'eur' });
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: 0, currency: null });
    expect((await adjust(h, customer.id, { amount: -100, currency: 'usd' })).body).toMatchObject({ ending_balance: -100, currency: 'usd' });
  });

  it('20 concurrent credits of −1.00 end at exactly −20.00, each from the balance the one before left', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'race@example.com' });
    const results = await Promise.all(Array.from({ length: 20 }, () => adjust(h, customer.id, { amount: -100, currency: 'usd' })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(-2000);
    const steps = await ledger(h, customer.id);
    expect(steps).toHaveLength(20);
    expect(steps.map((t) => t.ending_balance)).toEqual(Array.from({ length: 20 }, (_, i) => -100 * (i + 1)));
  });

  it('a credit racing a subscription\'s first invoice is never lost', async () => {
    const price = await monthlyPrice(h, 2000);
    const customer = await customerWithCard(h, 'tok_visa');
    await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: -500, currency: 'usd' });
    const [credit, sub] = await Promise.all([
      adjust(h, customer.id, { amount: -300, currency: 'usd' }),
      h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] }),
    ]);
    expect([credit.status, sub.status]).toEqual([200, 200]);
    const [first] = await invoicesOf(h, sub.body.id);
    const steps = await ledger(h, customer.id);
    let running = 0;
    for (const t of steps) { running += t.amount; expect(t.ending_balance).toBe(running); }
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(running);
    expect(first!.amount_due).toBe(2000 + first!.starting_balance);
  });

  it('after any sequence of adjustments the balance is the sum of the ledger, and each ending balance its running sum', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }).filter((n) => n !== 0), { minLength: 1, maxLength: 8 }),
      async (amounts) => {
        const customer = await ok(h, 'POST', '/v1/customers', {});
        for (const amount of amounts) await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount, currency: 'jpy' });
        const steps = await ledger(h, customer.id);
        expect(steps.map((t) => t.amount)).toEqual(amounts);
        let running = 0;
        for (const t of steps) { running += t.amount; expect(t.ending_balance).toBe(running); }
        const c = await ok(h, 'GET', `/v1/customers/${customer.id}`);
        expect(c.balance).toBe(running);
        expect(c.currency).toBe(running === 0 ? null : 'jpy');
      },
    ), { numRuns: 15 });
  });
});
