import { describe, expect, it } from 'vitest';
import { drain } from '../../src/worker/worker.ts';
import { advance, clockAt, customerWithCard, eventsOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/** A pending one-off item of `amount` minor units. */
const item = (h: Harness, customer: string, amount: number, extra: Record<string, unknown> = {}) =>
  ok(h, 'POST', '/v1/invoiceitems', { customer, amount, currency: 'usd', ...extra });

const attemptsOf = async (h: Harness, invoice: string) =>
  (await h.database.pool.query('SELECT count(*)::int AS n FROM payment_attempts WHERE invoice_id = $1',
    [invoice])).rows[0].n as number;
const chargesOf = async (h: Harness, invoice: string) =>
  (await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1',
    [invoice])).rows[0].n as number;

describe('invoices made by hand: draft, edit, finalize', async () => {
  const h = await harness();

  it('makes a draft of the pending items, in the order they were added, and takes them', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const product = await ok(h, 'POST', '/v1/products', { name: 'Consulting' });
    const hour = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 12000,
      nickname: 'Hour of consulting' });
    const hours = await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, price: hour.id, quantity: 3 });
    const discount = await item(h, customer.id, -6000, { description: 'Returning client' });
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, description: 'March work' });
    expect(draft).toMatchObject({
      object: 'invoice', status: 'draft', billing_reason: 'manual', number: null, customer: customer.id, subscription: null,
      currency: 'usd', subtotal: 30000, total: 30000, amount_due: 30000, amount_paid: 0, collection_method: 'charge_automatically',
      auto_advance: false, description: 'March work', finalized_at: null, ending_balance: null, attempt_count: 0,
    });
    expect(draft.lines.data.map((l: any) => [l.kind, l.invoice_item, l.amount, l.description])).toEqual([
      ['invoice_item', hours.id, 36000, 'Hour of consulting'],
      ['invoice_item', discount.id, -6000, 'Returning client'],
    ]);
    for (const i of [hours, discount]) expect((await ok(h, 'GET', `/v1/invoiceitems/${i.id}`)).invoice).toBe(draft.id);
    const created = (await eventsOf(h, 'invoice.created')).find((e) => e.data.object.id === draft.id);
    expect(created?.data.object).toEqual(draft);
    expect(await attemptsOf(h, draft.id)).toBe(0);

    // Nothing is pending any more: a second invoice has nothing to take.
    const none = await h.call('POST', '/v1/invoices', { customer: customer.id });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: 'invoice_no_pending_items', param: 'customer' });
  });

  it('takes the items of one currency: the one asked for, else the oldest item\'s', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const eur = await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 900, currency: 'eur' });
    const usd = await item(h, customer.id, 400);
    const inUsd = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, currency: 'usd' });
    expect(inUsd.lines.data.map((l: any) => l.invoice_item)).toEqual([usd.id]);
    const none = await h.call('POST', '/v1/invoices', { customer: customer.id, currency: 'usd' });
    expect(none.body.error).toMatchObject({ code: 'invoice_no_pending_items', param: 'currency' });
    const oldest = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    expect(oldest).toMatchObject({ currency: 'eur', total: 900 });
    expect(oldest.lines.data.map((l: any) => l.invoice_item)).toEqual([eur.id]);
  });

  it("with a subscription, takes only that subscription's items", async () => {
    const price = await monthlyPrice(h, 2000);
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const loose = await item(h, customer.id, 300);
    const bound = await item(h, customer.id, 700, { subscription: sub.id });
    const inv = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, subscription: sub.id });
    expect(inv).toMatchObject({ subscription: sub.id, total: 700, billing_reason: 'manual' });
    expect(inv.lines.data.map((l: any) => l.invoice_item)).toEqual([bound.id]);
    expect((await ok(h, 'GET', `/v1/invoiceitems/${loose.id}`)).invoice).toBeNull();
    const none = await h.call('POST', '/v1/invoices', { customer: customer.id, subscription: sub.id });
    expect(none.body.error).toMatchObject({ code: 'invoice_no_pending_items', param: 'subscription' });
  });

  it('edits a draft only, version-checked, with before and after in the audit log', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await item(h, customer.id, 1500);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    const missingDays = await h.call('POST', `/v1/invoices/${draft.id}`, { collection_method: 'send_invoice' });
    expect(missingDays.body.error).toMatchObject({ code: 'parameter_missing', param: 'days_until_due' });
    const daysForCharge = await h.call('POST', `/v1/invoices/${draft.id}`, { days_until_due: 10 });
    expect(daysForCharge.body.error).toMatchObject({ code: 'parameter_invalid', param: 'days_until_due' });

    const edited = await ok(h, 'POST', `/v1/invoices/${draft.id}`, { collection_method: 'send_invoice',
      days_until_due: 10, description: 'Net 10' });
    expect(edited).toMatchObject({ status: 'draft', collection_method: 'send_invoice', days_until_due: 10,
      description: 'Net 10', total: 1500 });
    expect(edited.lines).toEqual(draft.lines);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${draft.id}`)).data
      .find((a: any) => a.action === 'invoice.updated');
    expect(audit.before).toEqual({ description: null, collection_method: 'charge_automatically', days_until_due: null,
      auto_advance: false });
    expect(audit.after).toEqual({ description: 'Net 10', collection_method: 'send_invoice', days_until_due: 10,
      auto_advance: false });
    const updated = (await eventsOf(h, 'invoice.updated')).find((e) => e.data.object.id === draft.id);
    expect(updated?.data.previous_attributes).toMatchObject({ collection_method: 'charge_automatically' });
    // Back to charging: the days to pay go with it.
    const back = await ok(h, 'POST', `/v1/invoices/${draft.id}`, { collection_method: 'charge_automatically' });
    expect(back).toMatchObject({ collection_method: 'charge_automatically', days_until_due: null,
      description: 'Net 10' });
    const versions = await h.database.pool.query('SELECT version FROM invoices WHERE id = $1', [draft.id]);
    expect(versions.rows[0].version).toBe(3);

    const paid = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(paid.status).toBe('paid');
    const late = await h.call('POST', `/v1/invoices/${draft.id}`, { description: 'too late' });
    expect(late.status).toBe(400);
    expect(late.body.error).toMatchObject({ code: 'invoice_not_editable', param: 'id' });
    expect(late.body.error.message).toContain('paid');
  });

  it('finalizing numbers it and charges the default card once, after commit', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await item(h, customer.id, 2500);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    const paid = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(paid).toMatchObject({
      status: 'paid', amount_due: 2500, amount_paid: 2500, amount_remaining: 0, attempt_count: 1,
      starting_balance: 0, ending_balance: 0,
    });
    expect(paid.number).toMatch(/^[0-9A-Z]{3,12}-0001$/);
    expect(await chargesOf(h, draft.id)).toBe(1);
    const again = await h.call('POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'invoice_not_draft', param: 'id' });
    expect(again.body.error.message).toContain('paid');
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${draft.id}`)).data.map((a: any) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['invoice.created', 'invoice.finalized', 'invoice.paid']));
  });

  it('with auto_advance it is finalized and collected in the same call', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await item(h, customer.id, 1200);
    const paid = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, auto_advance: true });
    expect(paid).toMatchObject({ status: 'paid', auto_advance: true, amount_paid: 1200 });
    expect(paid.number).not.toBeNull();
    expect(await chargesOf(h, paid.id)).toBe(1);

    // Without a card it stays open, and says why.
    const noCard = await ok(h, 'POST', '/v1/customers', {});
    await item(h, noCard.id, 800);
    const open = await ok(h, 'POST', '/v1/invoices', { customer: noCard.id, auto_advance: true });
    expect(open).toMatchObject({ status: 'open', amount_remaining: 800, attempt_count: 0 });
    const failed = (await eventsOf(h, 'invoice.payment_failed')).find((e) => e.data.object.id === open.id);
    expect(failed?.data.decline_code).toBe('no_payment_method');
  });

  it('a zero total is paid without a charge', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await item(h, customer.id, 500);
    await item(h, customer.id, -500);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    const paid = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(paid).toMatchObject({ status: 'paid', total: 0, amount_due: 0, amount_paid: 0, attempt_count: 0 });
    expect(await attemptsOf(h, draft.id)).toBe(0);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(0);
  });

  it('a net credit goes to the customer\'s balance, and the next renewal consumes it', async () => {
    const price = await monthlyPrice(h, 2000);
    const clock = await clockAt(h, '2027-05-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    await item(h, customer.id, -500, { description: 'Late delivery' });
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    const credited = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(credited).toMatchObject({ status: 'paid', total: -500, amount_due: 0, amount_paid: 0, starting_balance: 0,
      ending_balance: -500 });
    expect(await attemptsOf(h, draft.id)).toBe(0);
    expect(await ok(h, 'GET', `/v1/customers/${customer.id}`)).toMatchObject({ balance: -500, currency: 'usd' });
    const txns = await h.database.pool.query(
      'SELECT type, amount::int, ending_balance::int FROM customer_balance_transactions WHERE customer_id = $1', [customer.id]);
    expect(txns.rows).toEqual([{ type: 'invoice_credit', amount: -500, ending_balance: -500 }]);

    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    const renewal = (await invoicesOf(h, sub.id)).find((i) => i.billing_reason === 'subscription_cycle')!;
    expect(renewal).toMatchObject({ total: 2000, starting_balance: -500, ending_balance: 0, amount_due: 1500,
      amount_paid: 1500, status: 'paid' });
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(0);
    const charged = await h.database.pool.query('SELECT amount::int FROM sandbox.charges WHERE reference = $1',
      [renewal.id]);
    expect(charged.rows).toEqual([{ amount: 1500 }]);
  });

  it('a credit is also consumed by the next invoice made by hand', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await item(h, customer.id, -500);
    const credit = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    await ok(h, 'POST', `/v1/invoices/${credit.id}/finalize`, {});
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(-500);
    await item(h, customer.id, 2000);
    const next = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, auto_advance: true });
    expect(next).toMatchObject({ status: 'paid', total: 2000, starting_balance: -500, amount_due: 1500,
      amount_paid: 1500 });
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(0);
  });
});

describe('send_invoice: open with a due date, never charged', async () => {
  const h = await harness();

  it('is open until its due date and beyond, and neither the worker nor the clock charges it', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    await item(h, customer.id, 4200);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, collection_method: 'send_invoice',
      days_until_due: 14 });
    expect(draft).toMatchObject({ collection_method: 'send_invoice', days_until_due: 14, due_date: null });
    const open = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    const finalized = new Date(open.finalized_at).getTime();
    expect(open).toMatchObject({ status: 'open', amount_due: 4200, amount_remaining: 4200, attempt_count: 0 });
    expect(new Date(open.due_date).getTime() - finalized).toBe(14 * 24 * 3600 * 1000);
    expect(await attemptsOf(h, draft.id)).toBe(0);

    h.clock.set(new Date(finalized + 60 * 24 * 3600 * 1000));
    await drain(h.deps);
    expect(await ok(h, 'GET', `/v1/invoices/${draft.id}`)).toMatchObject({ status: 'open', amount_remaining: 4200,
      attempt_count: 0 });
    expect(await attemptsOf(h, draft.id)).toBe(0);
    expect(await chargesOf(h, draft.id)).toBe(0);
    // The customer pays when they choose to.
    expect(await ok(h, 'POST', `/v1/invoices/${draft.id}/pay`, {})).toMatchObject({ status: 'paid',
      amount_paid: 4200 });
  });

  it('on a test clock, advancing past the due date charges nothing either', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    await item(h, customer.id, 990);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, collection_method: 'send_invoice',
      days_until_due: 30 });
    const open = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(open).toMatchObject({ status: 'open', finalized_at: '2027-03-01T00:00:00.000Z',
      due_date: '2027-03-31T00:00:00.000Z' });
    await advance(h, clock.id, '2027-06-01T00:00:00Z');
    expect((await ok(h, 'GET', `/v1/invoices/${draft.id}`)).status).toBe('open');
    expect(await attemptsOf(h, draft.id)).toBe(0);
  });
});

describe('uncollectible, void and the subscription of a manual invoice', async () => {
  const h = await harness();

  it('marks only open invoices uncollectible; such an invoice can still be paid, and is then paid', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', {});
    await item(h, customer.id, 3000);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    const onDraft = await h.call('POST', `/v1/invoices/${draft.id}/mark_uncollectible`, {});
    expect(onDraft.status).toBe(400);
    expect(onDraft.body.error).toMatchObject({ code: 'invoice_not_open', param: 'id' });
    expect(onDraft.body.error.message).toContain('draft');

    const open = await ok(h, 'POST', `/v1/invoices/${draft.id}/finalize`, {});
    expect(open.status).toBe('open');
    const written = await ok(h, 'POST', `/v1/invoices/${draft.id}/mark_uncollectible`, {});
    expect(written).toMatchObject({ status: 'uncollectible', amount_remaining: 3000 });
    expect(written.marked_uncollectible_at).toBe(written.updated);
    const event = (await eventsOf(h, 'invoice.marked_uncollectible')).find((e) => e.data.object.id === draft.id);
    expect(event?.data.object.status).toBe('uncollectible');
    const twice = await h.call('POST', `/v1/invoices/${draft.id}/mark_uncollectible`, {});
    expect(twice.body.error).toMatchObject({ code: 'invoice_not_open', param: 'id' });
    expect(twice.body.error.message).toContain('uncollectible');

    const card = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const paid = await ok(h, 'POST', `/v1/invoices/${draft.id}/pay`, { payment_method: card.id });
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 3000, amount_remaining: 0 });
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${draft.id}`)).data
      .find((a: any) => a.action === 'invoice.paid');
    expect(audit.before.status).toBe('uncollectible');
    expect((await eventsOf(h, 'invoice.paid')).some((e) => e.data.object.id === draft.id)).toBe(true);
  });

  it('refuses to mark an invoice uncollectible while a payment for it is in flight', async () => {
    const customer = await customerWithCard(h, 'tok_timeout');
    await item(h, customer.id, 1000);
    const open = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, auto_advance: true });
    expect(open.status).toBe('open');
    const r = await h.call('POST', `/v1/invoices/${open.id}/mark_uncollectible`, {});
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ type: 'conflict_error', code: 'payment_in_progress' });
    expect((await ok(h, 'GET', `/v1/invoices/${open.id}`)).status).toBe('open');
  });

  it('voiding a draft gives its items back; a later invoice takes them', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const a = await item(h, customer.id, 100);
    const b = await item(h, customer.id, 250);
    const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    const voided = await ok(h, 'POST', `/v1/invoices/${draft.id}/void`, {});
    expect(voided).toMatchObject({ status: 'void', total: 350 });
    const pending = await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}&pending=true`);
    expect(pending.data.map((i: any) => i.id).sort()).toEqual([a.id, b.id].sort());
    const released = (await ok(h, 'GET', `/v1/audit_log?object_id=${a.id}`)).data.map((x: any) => x.action);
    expect(released).toEqual(['invoiceitem.released', 'invoiceitem.created']);
    const next = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
    expect(next.lines.data.map((l: any) => l.invoice_item)).toEqual([a.id, b.id]);
    expect((await ok(h, 'GET', `/v1/invoiceitems?invoice=${next.id}`)).data).toHaveLength(2);
  });

  it("a declined charge on a manual invoice does not make the subscription past_due", async () => {
    const price = await monthlyPrice(h, 2000);
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclined',
      set_default: true });
    await item(h, customer.id, 900, { subscription: sub.id });
    const open = await ok(h, 'POST', '/v1/invoices', { customer: customer.id, subscription: sub.id,
      auto_advance: true });
    expect(open).toMatchObject({ status: 'open', attempt_count: 1, subscription: sub.id });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
  });
});

describe('racing invoice creations', async () => {
  const h = await harness();

  it('never put one item on two invoices', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const items = [];
    for (let i = 1; i <= 6; i++) items.push(await item(h, customer.id, i * 100));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      h.call('POST', '/v1/invoices', { customer: customer.id, ...(i % 2 ? { auto_advance: true } : {}) })));
    const made = results.filter((r) => r.status === 200);
    expect(made).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.code).toBe('invoice_no_pending_items');
    }
    const winner = made[0]!.body;
    expect(winner.total).toBe(2100);
    const lines = await h.database.pool.query(`SELECT invoice_item_id, count(*)::int AS n FROM invoice_lines
      WHERE invoice_item_id = ANY($1) GROUP BY invoice_item_id`, [items.map((i) => i.id)]);
    expect(lines.rows).toHaveLength(6);
    expect(lines.rows.every((r) => r.n === 1)).toBe(true);
    const owners = await h.database.pool.query('SELECT DISTINCT invoice_id FROM invoice_items WHERE id = ANY($1)',
      [items.map((i) => i.id)]);
    expect(owners.rows).toEqual([{ invoice_id: winner.id }]);
    const invoices = await h.database.pool.query('SELECT count(*)::int AS n FROM invoices WHERE customer_id = $1',
      [customer.id]);
    expect(invoices.rows[0].n).toBe(1);
  });

  it('with items added while they race, each item still lands on exactly one invoice', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const ids: string[] = [];
    const adding = (async () => {
      for (let i = 0; i < 10; i++) ids.push((await item(h, customer.id, 100 + i)).id);
    })();
    const making = (async () => {
      const out = [];
      for (let round = 0; round < 6; round++) {
        out.push(...await Promise.all([0, 1, 2].map(() => h.call('POST', '/v1/invoices', { customer: customer.id }))));
      }
      return out;
    })();
    const [, results] = await Promise.all([adding, making]);
    for (const r of results) expect([200, 400], JSON.stringify(r.body)).toContain(r.status);
    // Items added after the last round are taken by one more invoice.
    const last = await h.call('POST', '/v1/invoices', { customer: customer.id });
    expect([200, 400]).toContain(last.status);
    const taken = await h.database.pool.query(
      'SELECT invoice_item_id, count(*)::int AS n FROM invoice_lines WHERE invoice_item_id = ANY($1) GROUP BY 1', [ids]);
    expect(taken.rows).toHaveLength(10);
    expect(taken.rows.every((r) => r.n === 1)).toBe(true);
    // And the line that shows an item is on the invoice the item says it is on.
    const mismatched = await h.database.pool.query(`SELECT count(*)::int AS n FROM invoice_items i
      JOIN invoice_lines l ON l.invoice_item_id = i.id WHERE i.id = ANY($1) AND l.invoice_id <> i.invoice_id`, [ids]);
    expect(mismatched.rows[0].n).toBe(0);
  });
});
