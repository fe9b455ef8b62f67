import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { processNextDue } from '../../src/app/billing/process-due.ts';
import { advance, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, must } from '../builders.ts';
import { harness, tableCounts } from '../support.ts';

/** All invoices of a customer, in the order they were finalized. */
async function customerInvoices(h: Awaited<ReturnType<typeof harness>>, customer: string) {
  const { data } = await must(h.client.GET('/v1/invoices', { params: { query: { customer, limit: '100' } } }));
  return data.slice().sort((a, b) => (a.finalized_at! < b.finalized_at! ? -1 : a.finalized_at! > b.finalized_at! ? 1 : a.id < b.id ? -1 : 1));
}

describe('invoice numbers: per customer, sequential, no gaps', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2000);

  it('number every finalized invoice of a customer from its prefix, across creation and renewals', async () => {
    const clock = await clockAt(h, '2027-01-31T10:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    expect(customer.invoice_prefix).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(customer.next_invoice_sequence).toBe(1);
    // One subscription invoiced at once, one after a trial: their invoices interleave in time.
    const now = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    const trial = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }], trial_period_days: 14 } }));
    await advance(h, clock.id, '2027-05-15T00:00:00Z');

    const invoices = await customerInvoices(h, customer.id);
    expect((await invoicesOf(h, now.id)).length).toBe(4);  // 01-31, 02-28, 03-31, 04-30
    expect((await invoicesOf(h, trial.id)).length).toBe(5); // the trial's zero invoice, then 02-14, 03-14, 04-14, 05-14
    expect(invoices.map((i) => i.number)).toEqual(invoices.map((_, k) => `${customer.invoice_prefix}-${String(k + 1).padStart(4, '0')}`));
    const after = await must(h.client.GET('/v1/customers/{id}', { params: { path: { id: customer.id } } }));
    expect(after.next_invoice_sequence).toBe(invoices.length + 1);

    // The number is on the invoice from the moment it is finalized, in the event as well.
    const finalized = (await eventsOf(h, 'invoice.finalized')).filter((e) => e.data.object.customer === customer.id);
    expect(finalized.map((e) => e.data.object.number).sort()).toEqual(invoices.map((i) => i.number));
    // Finance looks an invoice up by its number.
    const third = invoices[2]!;
    const found = await must(h.client.GET('/v1/invoices', { params: { query: { number: third.number! } } }));
    expect(found.data.map((i) => i.id)).toEqual([third.id]);
  });

  it('keep the number of an invoice that is voided', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_chargeDeclinedInsufficientFunds', clock.id);
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    expect(sub.status).toBe('incomplete');
    await advance(h, clock.id, '2027-03-02T00:00:00Z');
    const [invoice] = await invoicesOf(h, sub.id);
    expect(invoice).toMatchObject({ status: 'void', number: `${customer.invoice_prefix}-0001` });
  });

  it('number a billing batch that renews several subscriptions of one customer consecutively', async () => {
    h.clock.set(new Date('2027-06-01T00:00:00Z'));
    const customer = await customerWithCard(h, 'tok_visa');
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } })));
    // A month on, the worker claims all three in one batch (one transaction, the customer locked once).
    h.clock.set(new Date('2027-07-01T00:00:01Z'));
    expect(await processNextDue(h.deps)).toBe(3);
    const invoices = await customerInvoices(h, customer.id);
    expect(invoices.map((i) => [i.billing_reason, i.status])).toEqual([
      ...Array(3).fill(['subscription_create', 'paid']), ...Array(3).fill(['subscription_cycle', 'paid'])]);
    expect(invoices.map((i) => i.number)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `${customer.invoice_prefix}-000${n}`));
    // Written by one transaction, so the batch itself numbered them (not its one-by-one fallback).
    const writers = await h.database.pool.query('SELECT count(DISTINCT xmin::text)::int AS n FROM invoices WHERE id = ANY($1)', [invoices.slice(3).map((i) => i.id)]);
    expect(writers.rows[0].n).toBe(1);
    const after = await must(h.client.GET('/v1/customers/{id}', { params: { path: { id: customer.id } } }));
    expect(after.next_invoice_sequence).toBe(7);
  });

  it('give concurrent subscriptions of one customer consecutive numbers, none twice', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const created = await Promise.all(Array.from({ length: 8 }, () =>
      h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] })));
    expect(created.map((r) => r.status)).toEqual(Array(8).fill(200));
    const numbers = (await customerInvoices(h, customer.id)).map((i) => i.number).sort();
    expect(numbers).toEqual(Array.from({ length: 8 }, (_, k) => `${customer.invoice_prefix}-000${k + 1}`));
    const after = await must(h.client.GET('/v1/customers/{id}', { params: { path: { id: customer.id } } }));
    expect(after.next_invoice_sequence).toBe(9);
  });

  it('take a prefix the merchant chooses, unique within the account', async () => {
    const acme = await must(h.client.POST('/v1/customers', { body: { email: 'acme@example.com', invoice_prefix: 'ACME2027' } }));
    await must(h.client.POST('/v1/payment_methods', { body: { customer: acme.id, token: 'tok_visa' } }));
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: acme.id, items: [{ price: price.id }] } }));
    expect((await invoicesOf(h, sub.id))[0]!.number).toBe('ACME2027-0001');

    const before = await tableCounts(h);
    const taken = await h.call('POST', '/v1/customers', { email: 'copy@example.com', invoice_prefix: 'ACME2027' });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invoice_prefix_taken', param: 'invoice_prefix' });
    for (const bad of ['acme', 'AC', 'ACME-2027', '0123456789ABC', 42, null]) {
      const r = await h.call('POST', '/v1/customers', { email: 'bad@example.com', invoice_prefix: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.param).toBe('invoice_prefix');
    }
    expect(await tableCounts(h)).toEqual(before);
  });

  it('let the prefix change until the first invoice is numbered, and not after', async () => {
    const fresh = await must(h.client.POST('/v1/customers', { body: { email: 'renamed@example.com' } }));
    const renamed = await must(h.client.POST('/v1/customers/{id}', { params: { path: { id: fresh.id } }, body: { invoice_prefix: 'RENAMED' } }));
    expect(renamed.invoice_prefix).toBe('RENAMED');
    const clash = await h.call('POST', `/v1/customers/${fresh.id}`, { invoice_prefix: 'ACME2027' });
    expect(clash.body.error).toMatchObject({ code: 'invoice_prefix_taken', param: 'invoice_prefix' });

    await must(h.client.POST('/v1/payment_methods', { body: { customer: fresh.id, token: 'tok_visa' } }));
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: fresh.id, items: [{ price: price.id }] } }));
    expect((await invoicesOf(h, sub.id))[0]!.number).toBe('RENAMED-0001');
    const before = await tableCounts(h);
    const locked = await h.call('POST', `/v1/customers/${fresh.id}`, { invoice_prefix: 'OTHER' });
    expect(locked.status).toBe(400);
    expect(locked.body.error).toMatchObject({ code: 'invoice_prefix_locked', param: 'invoice_prefix' });
    expect(await tableCounts(h)).toEqual(before);
    // Sending the prefix it already has changes nothing and is not an error.
    const same = await must(h.client.POST('/v1/customers/{id}', { params: { path: { id: fresh.id } }, body: { invoice_prefix: 'RENAMED', name: 'Renamed Ltd' } }));
    expect(same).toMatchObject({ invoice_prefix: 'RENAMED', name: 'Renamed Ltd', next_invoice_sequence: 2 });
  });

  it('are per account: another merchant may use the same prefix', async () => {
    const other = await createAccount(h.database.db, 'Other merchant');
    const theirs = await h.call('POST', '/v1/customers', { email: 'x@example.com', invoice_prefix: 'ACME2027' }, { key: other.key.secret });
    expect(theirs.status).toBe(200);
    expect(theirs.body.invoice_prefix).toBe('ACME2027');
    // Looking up a number of the first account with the second one's key finds nothing.
    const notMine = await h.call('GET', '/v1/invoices?number=ACME2027-0001', undefined, { key: other.key.secret });
    expect(notMine.body.data).toEqual([]);
    expect((await must(h.client.GET('/v1/invoices', { params: { query: { number: 'ACME2027-0001' } } }))).data).toHaveLength(1);
  });
});
