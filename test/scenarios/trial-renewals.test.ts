import { describe, expect, it } from 'vitest';
import { advance, billedInvoicesOf, clockAt, customerWithCard, invoicesOf, monthlyPrice, must } from '../builders.ts';
import { harness } from '../support.ts';

describe('a monthly subscription with a trial, on a test clock', async () => {
  const h = await harness();

  it('trials, then bills each period exactly once', async () => {
    const price = await monthlyPrice(h, 2000);
    const clock = await clockAt(h, '2027-01-31T10:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }], trial_period_days: 14 } }));
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end).toBe('2027-02-14T10:00:00.000Z');
    // The trial opens with a zero invoice, paid without a charge.
    const [opening] = await invoicesOf(h, sub.id);
    expect(opening).toMatchObject({ billing_reason: 'subscription_create', total: 0, amount_due: 0, status: 'paid',
      period_start: '2027-01-31T10:00:00.000Z', period_end: '2027-02-14T10:00:00.000Z' });
    expect(opening!.lines.data.map((l) => [l.kind, l.amount, l.description])).toEqual([['subscription', 0, `Trial period for 1 × ${price.id} (2027-01-31 – 2027-02-14)`]]);
    expect(sub.latest_invoice).toBe(opening!.id);

    await advance(h, clock.id, '2027-02-14T10:00:00Z');
    const first = await billedInvoicesOf(h, sub.id);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ total: 2000, amount_due: 2000, amount_paid: 2000, status: 'paid',
      period_start: '2027-02-14T10:00:00.000Z', period_end: '2027-03-14T10:00:00.000Z' });
    expect(first[0]!.lines.data[0]!).toMatchObject({ amount: 2000, quantity: 1, price: price.id });
    const afterTrial = await must(h.client.GET('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }));
    expect(afterTrial).toMatchObject({ status: 'active', current_period_start: '2027-02-14T10:00:00.000Z', current_period_end: '2027-03-14T10:00:00.000Z' });

    await advance(h, clock.id, '2027-05-15T00:00:00Z');
    const all = await billedInvoicesOf(h, sub.id);
    expect(all).toHaveLength(4);
    expect(all.map((i) => i.period_start)).toEqual([
      '2027-02-14T10:00:00.000Z', '2027-03-14T10:00:00.000Z', '2027-04-14T10:00:00.000Z', '2027-05-14T10:00:00.000Z']);
    expect(all.every((i) => i.status === 'paid' && i.amount_paid === 2000)).toBe(true);
    expect(new Set(all.map((i) => i.period_start)).size).toBe(4);

    // Every paid invoice was charged once at the gateway.
    const charges = await h.database.pool.query('SELECT reference, count(*)::int AS n FROM sandbox.charges GROUP BY reference');
    expect(charges.rows).toHaveLength(4);
    expect(charges.rows.every((r) => r.n === 1)).toBe(true);

    // Advancing again over the same span does nothing twice.
    await advance(h, clock.id, '2027-05-20T00:00:00Z');
    expect(await billedInvoicesOf(h, sub.id)).toHaveLength(4);
  });
});
