import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, monthlyPrice, must, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** Every row of the tables a preview could touch, hashed: any insert, update or delete shows. */
async function fingerprint(h: Harness) {
  const tables = ['customers', 'subscriptions', 'subscription_items', 'invoices', 'invoice_lines', 'invoice_items', 'customer_balance_transactions',
    'payment_attempts', 'events', 'audit_log', 'idempotency_keys', 'test_clocks', 'sandbox.charges'];
  const out: Record<string, string> = {};
  for (const t of tables) {
    const r = await h.database.pool.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`);
    out[t] = `${r.rows[0].n}:${r.rows[0].h}`;
  }
  return out;
}

/** What a line or an invoice shows that a preview must reproduce. */
const lineFacts = (l: any) => ({ kind: l.kind, amount: l.amount, quantity: l.quantity, price: l.price, proration: l.proration, description: l.description, period: l.period,
  // an item the change adds gets its id when it is made; the preview can only say there is one
  subscription_item: l.subscription_item ? 'an item' : null });
const totals = (i: any) => ({ currency: i.currency, subtotal: i.subtotal, total: i.total, starting_balance: i.starting_balance, ending_balance: i.ending_balance, amount_due: i.amount_due, billing_reason: i.billing_reason, period_start: i.period_start, period_end: i.period_end });

describe('invoice previews', async () => {
  const h = await harness();
  const small = await monthlyPrice(h, 1000);
  const large = await monthlyPrice(h, 2499);
  const extra = await monthlyPrice(h, 333);

  it('write nothing, whatever they preview', async () => {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: small.id }] } }));
    await advance(h, clock.id, '2027-04-10T00:00:00Z');
    const before = await fingerprint(h);
    for (const body of [
      { subscription: sub.id },
      { customer: customer.id },
      { subscription: sub.id, subscription_details: { items: [{ id: sub.items.data[0]!.id, price: large.id }], proration_behavior: 'always_invoice' } },
      { subscription: sub.id, subscription_details: { items: [{ price: extra.id, quantity: 2 }] } },
      { subscription: sub.id, subscription_details: { billing_cycle_anchor: 'now' } },
    ]) {
      const r = await h.call('POST', '/v1/invoices/create_preview', body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ object: 'invoice', status: 'draft', number: null });
    }
    expect(await fingerprint(h)).toEqual(before);
  });

  it('without changes, show the next renewal with pending items and the customer\'s credit', async () => {
    const clock = await clockAt(h, '2027-04-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: large.id }] } }));
    await advance(h, clock.id, '2027-04-16T00:00:00Z');
    // A downgrade invoiced now leaves a credit; a pending upgrade of quantity waits for the renewal.
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0]!.id, price: small.id }], proration_behavior: 'always_invoice' });
    const p = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id });
    expect(p).toMatchObject({ billing_reason: 'subscription_cycle', period_start: '2027-05-01T00:00:00.000Z', total: 1000, starting_balance: -750, amount_due: 250 });
    await advance(h, clock.id, '2027-05-01T00:00:00Z');
    const renewal = (await invoicesOf(h, sub.id))[2]!;
    expect(totals(renewal)).toEqual(totals(p));
    expect(renewal.lines.data.map(lineFacts)).toEqual(p.lines.data.map(lineFacts));
  });

  // Property: previewing a change at t and then making it at t give the same invoice, line for line.
  const change = fc.record({
    second: fc.integer({ min: 0, max: 30 * 24 * 3600 - 1 }),
    kind: fc.constantFrom('upgrade', 'downgrade', 'quantity', 'add', 'remove_and_add'),
    quantity: fc.integer({ min: 0, max: 40 }),
    behavior: fc.constantFrom('always_invoice', 'create_prorations'),
  });

  it('equal the invoice the change then produces (property)', async () => {
    await fc.assert(fc.asyncProperty(change, async (c) => {
      const clock = await clockAt(h, '2027-04-01T00:00:00Z');
      const customer = await customerWithCard(h, 'tok_visa', clock.id);
      const start = c.kind === 'downgrade' ? large : small;
      const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: start.id, quantity: 2 }] } }));
      const item = sub.items.data[0]!.id;
      const t = new Date(Date.parse('2027-04-01T00:00:00Z') + c.second * 1000).toISOString();
      if (c.second > 0) await advance(h, clock.id, t);
      const items = {
        upgrade: [{ id: item, price: large.id }], downgrade: [{ id: item, price: small.id }], quantity: [{ id: item, quantity: c.quantity }],
        add: [{ price: extra.id, quantity: c.quantity }], remove_and_add: [{ id: item, deleted: true }, { price: extra.id, quantity: c.quantity }],
      }[c.kind];
      const details = { items, proration_behavior: c.behavior };
      const p = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id, subscription_details: details });
      await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, details);
      // A quantity set to what it already is changes nothing: there is nothing to invoice now, and
      // the preview shows the next renewal, as with create_prorations.
      const unchanged = c.kind === 'quantity' && c.quantity === 2;
      if (c.behavior === 'create_prorations' || unchanged) await advance(h, clock.id, '2027-05-01T00:00:00Z');
      const invoices = await invoicesOf(h, sub.id);
      expect(invoices).toHaveLength(2);
      const actual = invoices[1]!;
      expect(totals(actual)).toEqual(totals(p));
      expect(actual.lines.data.map(lineFacts)).toEqual(p.lines.data.map(lineFacts));
    }), {
      numRuns: 12,
      // Found by an earlier run: a change that changes nothing, asked to invoice now.
      examples: [[{ second: 0, kind: 'quantity', quantity: 2, behavior: 'always_invoice' }]],
    });
  }, 120_000);
});
