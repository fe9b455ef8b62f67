import { describe, expect, it } from 'vitest';
import { applyCredits, restoreCredits } from '../../src/app/usage/credits.ts';
import { command } from '../../src/app/unit-of-work.ts';
import { advance, clockAt, customerWithCard, eventsOf, firstInvoiceOf, monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';

/** Credit grants, their consumption by invoices, and the balance summary (issue 18, point 5). */
describe('credit grants', async () => {
  const h = await harness(); // real time of the harness: 2027-01-01T00:00:00Z
  const actor = { accountId: h.accountId, actor: 'test', requestId: 'req_test' };
  const usd = (value: number) => ({ type: 'monetary', monetary: { value, currency: 'usd' } });
  const grantBody = (customer: string, value: number, extra: Record<string, unknown> = {}) =>
    ({ customer, amount: usd(value), applicability_config: { scope: { price_type: 'metered' } }, category: 'paid', ...extra });
  const summary = async (customer: string, query = '') => (await ok(h, 'GET', `/v1/billing/credit_balance_summary?customer=${customer}${query}`)).balances;
  const money = (available: number, ledger: number, currency = 'usd') =>
    ({ available_balance: { type: 'monetary', monetary: { currency, value: available } }, ledger_balance: { type: 'monetary', monetary: { currency, value: ledger } } });
  /** A customer billed once in USD (an invoice to charge credit against), paying by card. */
  const billedCustomer = async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const price = await monthlyPrice(h);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    return { customer, invoice: (await firstInvoiceOf(h, sub.id)).id };
  };
  // Every grant's balance column equals amount − debits + credits of its ledger.
  const ledgerAgrees = async () => {
    const { rows } = await h.database.pool.query(`SELECT g.id FROM credit_grants g WHERE g.balance <> g.amount
      - coalesce((SELECT sum(CASE t.type WHEN 'debit' THEN t.amount ELSE -t.amount END) FROM credit_grant_transactions t WHERE t.account_id = g.account_id AND t.grant_id = g.id), 0)`);
    expect(rows).toEqual([]);
  };

  it('creates a grant in Stripe\'s shape with defaults, lists it by customer, retrieves it, announces and audits it', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'credits@example.com' });
    const grant = await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(customer.id, 5000, { name: 'Launch credit', metadata: { deal: 'q1' } }));
    expect(grant).toMatchObject({
      object: 'billing.credit_grant', customer: customer.id, amount: usd(5000), applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid', name: 'Launch credit', priority: 50, effective_at: '2027-01-01T00:00:00.000Z', expires_at: null, voided_at: null,
      metadata: { deal: 'q1' }, test_clock: null,
    });
    expect(grant.id).toMatch(/^cgr_/);
    const other = await ok(h, 'POST', '/v1/customers', { email: 'other@example.com' });
    await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(other.id, 100, { category: 'promotional' }));
    expect((await ok(h, 'GET', `/v1/billing/credit_grants?customer=${customer.id}`)).data).toEqual([grant]);
    expect(await ok(h, 'GET', `/v1/billing/credit_grants/${grant.id}`)).toEqual(grant);
    expect((await eventsOf(h, 'credit_grant.created')).map((e) => e.data.object.id)).toContain(grant.id);
    const audit = await h.database.pool.query("SELECT action FROM audit_log WHERE object_id = $1", [grant.id]);
    expect(audit.rows).toEqual([{ action: 'credit_grant.created' }]);
    expect(await summary(customer.id)).toEqual([money(5000, 5000)]);
  });

  it('refuses an unknown currency, a currency the customer does not bill in, and an expiry in the past or before it takes effect', async () => {
    const { customer } = await billedCustomer();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ amount: { type: 'monetary', monetary: { value: 100, currency: 'zzz' } } }, 'currency_invalid', 'amount[monetary][currency]'],
      [{ amount: { type: 'monetary', monetary: { value: 100, currency: 'eur' } } }, 'customer_currency_mismatch', 'amount[monetary][currency]'],
      [{ expires_at: '2026-12-31T00:00:00Z' }, 'parameter_invalid', 'expires_at'],
      [{ effective_at: '2027-03-01T00:00:00Z', expires_at: '2027-02-01T00:00:00Z' }, 'parameter_invalid', 'expires_at'],
      [{ amount: usd(1e15 + 1) }, 'parameter_invalid', 'amount[monetary][value]'],
      [{ priority: 101 }, 'parameter_invalid', 'priority'],
    ];
    for (const [extra, code, param] of cases) {
      const r = await h.call('POST', '/v1/billing/credit_grants', grantBody(customer.id, 100, extra));
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([400, code, param]);
    }
    expect(await summary(customer.id)).toEqual([]);
  });

  it('an invoice consumes grants by priority, then soonest expiry, then age; a void gives it back, once', async () => {
    const { customer, invoice } = await billedCustomer();
    const grant = async (value: number, extra: Record<string, unknown> = {}) => (await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(customer.id, value, extra))).id;
    const expiring = await grant(1000, { expires_at: '2027-01-11T00:00:00Z' });
    const first = await grant(500, { priority: 10, category: 'promotional' });
    const lasting = await grant(2000);
    await grant(700, { effective_at: '2027-01-06T00:00:00Z' }); // not usable before January 6
    expect(await summary(customer.id)).toEqual([money(3500, 4200)]);

    const at = h.clock.now();
    const applied = await command(h.deps, actor, (u) => applyCredits(u, { customerId: customer.id, currency: 'usd', amount: 1800n, invoiceId: invoice, at }));
    expect(applied).toEqual({ applied: 1800n, grants: [{ grant: first, amount: 500n }, { grant: expiring, amount: 1000n }, { grant: lasting, amount: 300n }] });
    expect(await summary(customer.id)).toEqual([money(1700, 2400)]);
    expect(await summary(customer.id, `&filter[type]=credit_grant&filter[credit_grant]=${lasting}`)).toEqual([money(1700, 1700)]);
    expect(await summary(customer.id, '&filter[type]=applicability_scope&filter[applicability_scope][price_type]=metered')).toEqual([money(1700, 2400)]);
    // Asked for more than is left: it pays what it can, and the grant not yet effective is not touched.
    const rest = await command(h.deps, actor, (u) => applyCredits(u, { customerId: customer.id, currency: 'usd', amount: 5000n, invoiceId: invoice, at }));
    expect(rest).toEqual({ applied: 1700n, grants: [{ grant: lasting, amount: 1700n }] });
    expect(await summary(customer.id)).toEqual([money(0, 700)]);
    expect((await command(h.deps, actor, (u) => applyCredits(u, { customerId: customer.id, currency: 'eur', amount: 100n, invoiceId: invoice, at }))).applied).toBe(0n);

    const restored = await command(h.deps, actor, (u) => restoreCredits(u, invoice, at));
    expect(restored.applied).toBe(3500n);
    expect(await summary(customer.id)).toEqual([money(3500, 4200)]);
    expect((await command(h.deps, actor, (u) => restoreCredits(u, invoice, at))).applied).toBe(0n);
    await ledgerAgrees();
  });

  it('a voided grant is no longer usable nor changeable; metadata merges; the expiry can move or go', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'void@example.com' });
    const a = await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(customer.id, 300, { metadata: { a: '1', b: '2' } }));
    const b = await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(customer.id, 400, { expires_at: '2027-02-01T00:00:00Z' }));
    const changed = await ok(h, 'POST', `/v1/billing/credit_grants/${a.id}`, { metadata: { a: '', c: '3' }, expires_at: '2027-06-01T00:00:00Z' });
    expect(changed).toMatchObject({ metadata: { b: '2', c: '3' }, expires_at: '2027-06-01T00:00:00.000Z' });
    expect((await ok(h, 'POST', `/v1/billing/credit_grants/${b.id}`, { expires_at: null })).expires_at).toBeNull();
    const voided = await ok(h, 'POST', `/v1/billing/credit_grants/${a.id}/void`);
    expect(voided.voided_at).toBe('2027-01-01T00:00:00.000Z');
    expect(await summary(customer.id)).toEqual([money(400, 400)]);
    for (const [url, body] of [[`/v1/billing/credit_grants/${a.id}/void`, {}], [`/v1/billing/credit_grants/${a.id}`, { expires_at: null }]] as const) {
      const r = await h.call('POST', url, body);
      expect([r.status, r.body.error.code]).toEqual([400, 'credit_grant_voided']);
    }
    expect((await ok(h, 'POST', `/v1/billing/credit_grants/${a.id}`, { metadata: { note: 'after void' } })).metadata).toEqual({ b: '2', c: '3', note: 'after void' });
    expect((await eventsOf(h, 'credit_grant.voided')).map((e) => e.data.object.id)).toEqual([a.id]);
    expect((await eventsOf(h, 'credit_grant.updated')).length).toBe(3);
  });

  it('reads effective and expired in the customer\'s business time: their test clock\'s', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    const grant = await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(customer.id, 900, { expires_at: '2027-03-10T00:00:00Z' }));
    expect(grant).toMatchObject({ effective_at: '2027-03-01T00:00:00.000Z', test_clock: clock.id });
    expect(await summary(customer.id)).toEqual([money(900, 900)]);
    await advance(h, clock.id, '2027-03-10T00:00:00Z');
    expect(await summary(customer.id)).toEqual([money(0, 0)]);
    const late = await h.call('POST', `/v1/billing/credit_grants/${grant.id}`, { expires_at: '2027-04-01T00:00:00Z' });
    expect([late.status, late.body.error.code]).toEqual([400, 'credit_grant_expired']);
  });

  it('concurrent invoices of one customer never consume more credit than there is', async () => {
    const { customer, invoice } = await billedCustomer();
    for (const value of [400, 350, 250]) await ok(h, 'POST', '/v1/billing/credit_grants', grantBody(customer.id, value));
    const at = h.clock.now();
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      command(h.deps, actor, (u) => applyCredits(u, { customerId: customer.id, currency: 'usd', amount: 300n, invoiceId: invoice, at }))));
    expect(results.reduce((s, r) => s + r.applied, 0n)).toBe(1000n);
    expect(results.filter((r) => r.applied === 300n).length).toBe(3);
    expect(await summary(customer.id)).toEqual([money(0, 0)]);
    await ledgerAgrees();
  });
});
