import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, invoicesOf, ok, parkSubscription } from '../builders.ts';
import { harness } from '../support.ts';

type Line = { kind: string; amount: number; quantity_decimal: string; period: { start: string; end: string }; description: string };
type Invoice = { id: string; billing_reason: string; total: number; status: string; lines: { data: Line[] } };

/** Late and canceled usage for a period already invoiced (issue 18, point 4): explicit, never a silent change. */
describe('late and corrected usage', async () => {
  const h = await harness();
  const product = await ok(h, 'POST', '/v1/products', { name: 'Messaging' });
  const flat = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
  const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'messages', display_name: 'Messages', default_aggregation: { formula: 'sum' } });
  // One cent a message.
  const perMessage = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1, nickname: 'Messages', recurring: { interval: 'month', usage_type: 'metered', meter: meter.id } });

  const send = async (customer: string, identifier: string, timestamp: string, value: number) =>
    await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'messages', identifier, timestamp, payload: { customer, value } });
  const cancel = async (identifier: string) => await ok(h, 'POST', '/v1/billing/meter_event_adjustments', { event_name: 'messages', type: 'cancel', cancel: { identifier } });
  const usageOf = (inv: Invoice) => inv.lines.data.filter((l) => l.kind !== 'subscription').map((l) => ({ kind: l.kind, amount: l.amount, quantity: l.quantity_decimal, period: l.period.start.slice(0, 10) }));

  /**
   * January billed on Feb 1 (events a: 60, b: 40); then, in February, a late January event c
   * (`late` messages), b canceled, and 50 February messages; the clock then reaches Mar 1.
   */
  async function januaryCorrected(tag: string, late: number) {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perMessage.id }] });
    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    await send(customer.id, `${tag}-a`, '2027-01-10T00:00:00Z', 60);
    await send(customer.id, `${tag}-b`, '2027-01-19T00:00:00Z', 40);
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const february = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(usageOf(february)).toEqual([{ kind: 'usage', amount: 100, quantity: '100', period: '2027-01-01' }]);
    const asIssued = await ok(h, 'GET', `/v1/invoices/${february.id}`);
    await advance(h, clock.id, '2027-02-12T00:00:00Z');
    await send(customer.id, `${tag}-c`, '2027-01-25T00:00:00Z', late);
    const adjustment = await cancel(`${tag}-b`);
    expect(adjustment).toMatchObject({ object: 'billing.meter_event_adjustment', type: 'cancel', cancel: { identifier: `${tag}-b` }, status: 'complete', customer: customer.id });
    await send(customer.id, `${tag}-feb`, '2027-02-10T00:00:00Z', 50);
    await advance(h, clock.id, '2027-03-01T00:00:01Z');
    // The invoice that billed January is exactly as it was issued.
    expect(await ok(h, 'GET', `/v1/invoices/${february.id}`)).toEqual(asIssued);
    return { customer, sub, february, invoices: (await invoicesOf(h, sub.id)) as unknown as Invoice[] };
  }

  it('next_invoice (the default): the March invoice carries February\'s usage and an adjustment line naming January', async () => {
    expect((await ok(h, 'GET', '/v1/account')).late_usage_policy).toBe('next_invoice');
    const { invoices } = await januaryCorrected('n', 30);
    const march = invoices.at(-1)!;
    // January was 100; now 60 + 30 = 90: ten cents back, on the next invoice.
    expect(usageOf(march)).toEqual([
      { kind: 'usage', amount: 50, quantity: '50', period: '2027-02-01' },
      { kind: 'usage_adjustment', amount: -10, quantity: '-10', period: '2027-01-01' },
    ]);
    expect(march.lines.data.find((l) => l.kind === 'usage_adjustment')!.description).toContain('2027-01-01 – 2027-02-01');
    expect(march.total).toBe(2000 + 50 - 10);
  });

  it('a canceled event is canceled once; an unknown one is 404; one older than 35 days is too late', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    await send(customer.id, 'once-1', '2027-01-01T00:00:00Z', 5);
    await cancel('once-1');
    const again = await h.call('POST', '/v1/billing/meter_event_adjustments', { event_name: 'messages', cancel: { identifier: 'once-1' } });
    expect([again.status, again.body.error.code, again.body.error.param]).toEqual([400, 'meter_event_already_canceled', 'cancel[identifier]']);
    const unknown = await h.call('POST', '/v1/billing/meter_event_adjustments', { event_name: 'messages', cancel: { identifier: 'never-sent' } });
    expect([unknown.status, unknown.body.error.code, unknown.body.error.param]).toEqual([404, 'resource_missing', 'cancel[identifier]']);
    await send(customer.id, 'old-1', '2027-01-01T00:00:00Z', 5);
    await advance(h, clock.id, '2027-02-10T00:00:00Z');
    const late = await h.call('POST', '/v1/billing/meter_event_adjustments', { event_name: 'messages', cancel: { identifier: 'old-1' } });
    expect([late.status, late.body.error.code]).toEqual([400, 'meter_event_adjustment_too_late']);
  });

  it('credit_note: a decrease is a credit note on the invoice that billed January, an increase an invoice of its own', async () => {
    await ok(h, 'POST', '/v1/account', { late_usage_policy: 'credit_note' });
    try {
      const down = await januaryCorrected('d', 30);
      const march = down.invoices.at(-1)!;
      expect(usageOf(march)).toEqual([{ kind: 'usage', amount: 50, quantity: '50', period: '2027-02-01' }]);
      const notes = await ok(h, 'GET', `/v1/credit_notes?invoice=${down.february.id}`);
      expect(notes.data.map((n: { total: number; credit_amount: number }) => [n.total, n.credit_amount])).toEqual([[10, 10]]);

      const up = await januaryCorrected('u', 70);
      // January was 100; now 60 + 70 = 130: thirty cents more, invoiced on their own.
      const correction = up.invoices.find((i) => i.billing_reason === 'usage_correction')!;
      expect(usageOf(correction)).toEqual([{ kind: 'usage_adjustment', amount: 30, quantity: '30', period: '2027-01-01' }]);
      expect(correction).toMatchObject({ total: 30, status: 'paid' });
      expect(usageOf(up.invoices.at(-1)!)).toEqual([{ kind: 'usage', amount: 50, quantity: '50', period: '2027-02-01' }]);
    } finally {
      await ok(h, 'POST', '/v1/account', { late_usage_policy: 'next_invoice' });
    }
  });

  it('a correction is billed once: the April invoice does not correct January again', async () => {
    const { sub, customer } = await januaryCorrected('o', 30);
    const clock = (await ok(h, 'GET', `/v1/customers/${customer.id}`)).test_clock;
    await advance(h, clock, '2027-04-01T00:00:01Z');
    const april = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(usageOf(april)).toEqual([{ kind: 'usage', amount: 0, quantity: '0', period: '2027-03-01' }]);
    // Past January's late window (35 days after its end), its ledger rows are settled.
    const open = await h.database.pool.query("SELECT count(*)::int AS n FROM usage_billings WHERE subscription_id = $1 AND period_start = '2027-01-01' AND NOT settled", [sub.id]);
    expect(open.rows[0].n).toBe(0);
  });

  /** Usage lines with both ends of their period, to the day. */
  const usageSpans = (inv: Invoice) => inv.lines.data.filter((l) => l.kind !== 'subscription')
    .map((l) => ({ kind: l.kind, amount: l.amount, quantity: l.quantity_decimal, from: l.period.start.slice(0, 10), to: l.period.end.slice(0, 10) }));

  it('canceled mid-period: its part-period usage is invoiced at once, late usage for it 35 days on, and a later subscription bills only its own', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perMessage.id }] });
    await advance(h, clock.id, '2027-01-15T00:00:00Z');
    await send(customer.id, 'mid-a', '2027-01-05T00:00:00Z', 70);
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    await advance(h, clock.id, '2027-01-15T00:00:01Z');
    const final = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(final).toMatchObject({ billing_reason: 'subscription_final', total: 70, status: 'paid' });
    expect(usageSpans(final)).toEqual([{ kind: 'usage', amount: 70, quantity: '70', from: '2027-01-01', to: '2027-01-15' }]);

    // The same meter on a new subscription from the 16th; usage from then is that one's.
    await advance(h, clock.id, '2027-01-16T00:00:00Z');
    const next = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: perMessage.id }] });
    await advance(h, clock.id, '2027-01-20T00:00:00Z');
    await send(customer.id, 'mid-late', '2027-01-10T00:00:00Z', 30);
    await send(customer.id, 'mid-new', '2027-01-18T00:00:00Z', 500);
    await advance(h, clock.id, '2027-02-18T23:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(2);
    expect(usageSpans((await invoicesOf(h, next.id)).at(-1) as unknown as Invoice)).toEqual([{ kind: 'usage', amount: 500, quantity: '500', from: '2027-01-16', to: '2027-02-16' }]);
    // January 15 + 35 days: the late window of the ended subscription closes, and the late 30 are invoiced on their own.
    await advance(h, clock.id, '2027-02-19T00:00:01Z');
    const late = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(late).toMatchObject({ billing_reason: 'usage_correction', total: 30 });
    expect(usageSpans(late)).toEqual([{ kind: 'usage_adjustment', amount: 30, quantity: '30', from: '2027-01-01', to: '2027-01-15' }]);
    expect(await ok(h, 'GET', `/v1/invoices/${final.id}`)).toMatchObject({ total: 70 });
    await advance(h, clock.id, '2027-04-01T00:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(3);
    expect((await h.database.pool.query('SELECT next_action_at FROM subscriptions WHERE id = $1', [sub.id])).rows[0].next_action_at).toBeNull();
  });

  it('canceled at period end: usage reported late for its last period is invoiced when that period\'s window closes', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perMessage.id }] });
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { cancel_at_period_end: true });
    await advance(h, clock.id, '2027-01-05T00:00:00Z');
    await send(customer.id, 'end-a', '2027-01-03T00:00:00Z', 40);
    await advance(h, clock.id, '2027-02-01T00:00:01Z');
    const final = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(usageSpans(final)).toEqual([{ kind: 'usage', amount: 40, quantity: '40', from: '2027-01-01', to: '2027-02-01' }]);
    await advance(h, clock.id, '2027-02-10T00:00:00Z');
    await send(customer.id, 'end-late', '2027-01-30T00:00:00Z', 25);
    await advance(h, clock.id, '2027-03-07T23:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(2);
    await advance(h, clock.id, '2027-03-08T00:00:01Z');
    const late = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(late).toMatchObject({ billing_reason: 'usage_correction', total: 25 });
    expect(usageSpans(late)).toEqual([{ kind: 'usage_adjustment', amount: 25, quantity: '25', from: '2027-01-01', to: '2027-02-01' }]);
  });

  it('an ended subscription parked while billing its usage is billed when an operator retries it', async () => {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: flat.id }, { price: perMessage.id }] });
    await advance(h, clock.id, '2027-01-15T00:00:00Z');
    await send(customer.id, 'parked-a', '2027-01-05T00:00:00Z', 70);
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    // Its final usage bill fails three times (as a bug would make it) and it is parked.
    const failure = await parkSubscription(h.deps, h.accountId, sub.id);
    await advance(h, clock.id, '2027-01-16T00:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    await ok(h, 'POST', `/v1/billing_failures/${failure}/retry`, {});
    await advance(h, clock.id, '2027-01-16T00:00:01Z');
    const final = (await invoicesOf(h, sub.id)).at(-1) as unknown as Invoice;
    expect(final).toMatchObject({ billing_reason: 'subscription_final', total: 70 });
    expect(usageSpans(final)).toEqual([{ kind: 'usage', amount: 70, quantity: '70', from: '2027-01-01', to: '2027-01-15' }]);
  });
});
