import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, monthlyPrice, must } from '../builders.ts';
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
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const invoices = await invoicesOf(h, sub.id);
    expect(invoices).toHaveLength(2);
    expect(invoices[1]).toMatchObject({ billing_reason: 'subscription_cycle', total: 2500, amount_paid: 2500, status: 'paid' });
    expect(invoices[1]!.lines.data.map((l) => [l.kind, l.amount])).toEqual([['proration', -500], ['proration', 1000], ['subscription', 2000]]);
  });
});
