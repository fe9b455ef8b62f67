import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, eventsOf, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness, tableCounts, type Harness } from '../support.ts';

async function auditActions(h: Harness, objectId: string): Promise<string[]> {
  const r = await ok(h, 'GET', `/v1/audit_log?object_id=${objectId}&limit=100`);
  return (r.data as any[]).map((a) => a.action);
}

async function deletedEventsFor(h: Harness, subId: string) {
  return (await eventsOf(h, 'subscription.deleted')).filter((e) => e.data.object.id === subId);
}

describe('cancelling subscriptions', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2000);

  async function activeOnClock(iso: string, token = 'tok_visa') {
    const clock = await clockAt(h, iso);
    const customer = await customerWithCard(h, token, clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    return { clock, customer, sub };
  }

  it('at_period_end keeps the subscription active until the period ends, then ends it without another invoice', async () => {
    const { clock, sub } = await activeOnClock('2027-03-10T09:00:00Z');
    expect(sub).toMatchObject({ status: 'active', current_period_end: '2027-04-10T09:00:00.000Z', cancel_at_period_end: false });
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);

    await advance(h, clock.id, '2027-03-20T00:00:00Z');
    const scheduled = await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
    expect(scheduled).toMatchObject({ id: sub.id, status: 'active', cancel_at_period_end: true, ended_at: null,
      current_period_end: '2027-04-10T09:00:00.000Z' });
    expect(await auditActions(h, sub.id)).toContain('subscription.cancel_scheduled');
    expect(await deletedEventsFor(h, sub.id)).toHaveLength(0);

    // Just before the period ends it is still active.
    await advance(h, clock.id, '2027-04-10T08:59:00Z');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');

    await advance(h, clock.id, '2027-04-11T00:00:00Z');
    const ended = await ok(h, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: '2027-04-10T09:00:00.000Z', cancel_at_period_end: true });
    const deleted = await deletedEventsFor(h, sub.id);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.data.object.status).toBe('canceled');
    expect(await auditActions(h, sub.id)).toEqual(expect.arrayContaining(['subscription.cancel_scheduled', 'subscription.ended']));
    // The next period was never invoiced, nor any after it.
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    await advance(h, clock.id, '2027-06-11T00:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('canceled');
    const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = ANY($1)',
      [(await invoicesOf(h, sub.id)).map((i) => i.id)]);
    expect(charges.rows[0].n).toBe(1);
  });

  for (const [label, body] of [['an empty JSON body', {}], ['no body at all', undefined]] as const) {
    it(`cancels immediately with ${label}, at the clock's time, and never bills again`, async () => {
      const { clock, sub } = await activeOnClock('2027-03-10T09:00:00Z');
      await advance(h, clock.id, '2027-03-20T08:30:00Z');
      const r = await h.call('POST', `/v1/subscriptions/${sub.id}/cancel`, body);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: sub.id, status: 'canceled', ended_at: '2027-03-20T08:30:00.000Z', canceled_at: '2027-03-20T08:30:00.000Z' });
      expect(await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).toMatchObject({ status: 'canceled', ended_at: '2027-03-20T08:30:00.000Z' });
      expect(await auditActions(h, sub.id)).toContain('subscription.canceled');
      expect(await deletedEventsFor(h, sub.id)).toHaveLength(1);

      await advance(h, clock.id, '2027-06-01T00:00:00Z');
      expect(await invoicesOf(h, sub.id)).toHaveLength(1);
      expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('canceled');
    });
  }

  it('cancelling a trial at period end ends it at trial_end, and nothing is ever charged', async () => {
    const clock = await clockAt(h, '2027-03-10T09:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    expect(sub).toMatchObject({ status: 'trialing', trial_end: '2027-03-17T09:00:00.000Z' });
    const scheduled = await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
    expect(scheduled).toMatchObject({ status: 'trialing', cancel_at_period_end: true });

    await advance(h, clock.id, '2027-03-18T00:00:00Z');
    const ended = await ok(h, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: '2027-03-17T09:00:00.000Z' });
    // Only the zero invoice that opened the trial.
    expect((await invoicesOf(h, sub.id)).map((i) => [i.billing_reason, i.total, i.status])).toEqual([['subscription_create', 0, 'paid']]);
    expect(await deletedEventsFor(h, sub.id)).toHaveLength(1);
    expect(await auditActions(h, sub.id)).toEqual(expect.arrayContaining(['subscription.cancel_scheduled', 'subscription.ended']));

    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    expect(await invoicesOf(h, sub.id)).toHaveLength(1);
    const attempts = await h.database.pool.query('SELECT count(*)::int AS n FROM payment_attempts WHERE customer_id = $1', [customer.id]);
    expect(attempts.rows[0].n).toBe(0);
  });

  it('cancelling an already canceled subscription is refused and writes nothing', async () => {
    const { sub } = await activeOnClock('2027-03-10T09:00:00Z');
    const canceled = await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    expect(canceled.status).toBe('canceled');

    for (const body of [{}, { at_period_end: true }]) {
      const before = await tableCounts(h);
      const r = await h.call('POST', `/v1/subscriptions/${sub.id}/cancel`, body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('subscription_status_invalid');
      expect(r.body.error.message).toContain('canceled');
      expect(await tableCounts(h)).toEqual(before);
    }
    // The subscription is exactly as the first cancel left it.
    const now = await ok(h, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(now).toMatchObject({ status: 'canceled', ended_at: canceled.ended_at, canceled_at: canceled.canceled_at, cancel_at_period_end: false });
  });

  it('every cancel leaves an audit entry naming who did what', async () => {
    const a = await activeOnClock('2027-03-10T09:00:00Z');
    const b = await activeOnClock('2027-03-10T09:00:00Z');
    await ok(h, 'POST', `/v1/subscriptions/${a.sub.id}/cancel`, { at_period_end: true });
    await ok(h, 'POST', `/v1/subscriptions/${b.sub.id}/cancel`);
    const auditA = (await ok(h, 'GET', `/v1/audit_log?object_id=${a.sub.id}&limit=100`)).data as any[];
    const auditB = (await ok(h, 'GET', `/v1/audit_log?object_id=${b.sub.id}&limit=100`)).data as any[];
    expect(auditA.map((e) => e.action)).toContain('subscription.cancel_scheduled');
    expect(auditA.map((e) => e.action)).not.toContain('subscription.canceled');
    expect(auditB.map((e) => e.action)).toContain('subscription.canceled');
    expect(auditB.map((e) => e.action)).not.toContain('subscription.cancel_scheduled');
    for (const entry of [auditA.find((e) => e.action === 'subscription.cancel_scheduled'), auditB.find((e) => e.action === 'subscription.canceled')]) {
      expect(entry.actor).toBeTruthy();
    }

    await advance(h, a.clock.id, '2027-04-11T00:00:00Z');
    expect(await auditActions(h, a.sub.id)).toContain('subscription.ended');
  });
});

describe('voiding invoices', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2000);

  it('an open invoice can be voided; a void invoice cannot be paid', async () => {
    const clock = await clockAt(h, '2027-03-10T09:00:00Z');
    const customer = await customerWithCard(h, 'tok_chargeDeclined', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    expect(invoice).toMatchObject({ status: 'open', amount_remaining: 2000, amount_paid: 0 });

    const voided = await ok(h, 'POST', `/v1/invoices/${invoice.id}/void`);
    expect(voided).toMatchObject({ id: invoice.id, status: 'void', amount_paid: 0, amount_remaining: 0, voided_at: '2027-03-10T09:00:00.000Z' });
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('void');
    expect((await eventsOf(h, 'invoice.voided')).filter((e) => e.data.object.id === invoice.id)).toHaveLength(1);
    expect(await auditActions(h, invoice.id)).toContain('invoice.voided');

    // A good card does not help: a void invoice is not open.
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', set_default: true });
    const before = await tableCounts(h);
    const chargesBefore = (await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges')).rows[0].n;
    const pay = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(pay.status).toBe(400);
    expect(pay.body.error.code).toBe('invoice_not_open');
    expect(pay.body.error.message).toContain('void');
    expect(await tableCounts(h)).toEqual(before);
    expect((await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges')).rows[0].n).toBe(chargesBefore);

    // Voiding twice is refused too.
    const again = await h.call('POST', `/v1/invoices/${invoice.id}/void`, {});
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invoice_not_voidable');
    expect(await tableCounts(h)).toEqual(before);
  });

  it('a paid invoice cannot be voided', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    expect(invoice.status).toBe('paid');
    const before = await tableCounts(h);
    const r = await h.call('POST', `/v1/invoices/${invoice.id}/void`, {});
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invoice_not_voidable');
    expect(r.body.error.message).toContain('paid');
    expect(await tableCounts(h)).toEqual(before);
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amount_paid: 2000, voided_at: null });
  });
});
