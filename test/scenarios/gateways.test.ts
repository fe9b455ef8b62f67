import { describe, expect, it } from 'vitest';
import { recoverNextAttempt } from '../../src/app/payments/recover.ts';
import { GatewayUnreachableError, type GatewayConfig, type PaymentGateway } from '../../src/app/ports.ts';
import { SandboxGateway } from '../../src/adapters/gateways/sandbox/gateway.ts';
import { firstInvoiceOf, monthlyPrice, ok } from '../builders.ts';
import { harness, tableCounts } from '../support.ts';

/** A sandbox adapter that counts what is asked of it, so a test can see which gateway did the work. */
function counted(inner: PaymentGateway, calls: string[]): PaymentGateway {
  return {
    name: inner.name,
    charge: async (r) => { calls.push(`charge:${inner.name}`); return await inner.charge(r); },
    retrieve: async (k) => { calls.push(`retrieve:${inner.name}`); return await inner.retrieve(k); },
    refund: async (r) => { calls.push(`refund:${inner.name}`); return await inner.refund(r); },
    retrieveRefund: async (k) => await inner.retrieveRefund(k),
    inspectToken: async (t, c) => { calls.push(`inspect:${inner.name}`); return await inner.inspectToken(t, c); },
  };
}

describe('gateways as account configuration', async () => {
  const h = await harness({ recoveryDelayMs: 1000 });
  const calls: string[] = [];
  const configs: GatewayConfig[] = [];
  // Stripe's adapter lands later; until then a stand-in shows what an adapter is given. This
  // harness has no Razorpay adapter (the runtime's is tested in razorpay-gateway.test.ts), so it
  // also shows how a type the installation lacks is refused.
  h.deps.gatewayFactories = {
    sandbox: (c) => counted(new SandboxGateway(h.database.db, { name: c.id }), calls),
    stripe: (c) => { configs.push(c); return counted(new SandboxGateway(h.database.db, { name: c.id }), calls); },
  };
  const price = await monthlyPrice(h, 1500);

  it('keeps credentials sealed: never answered, stored, audited or sent in an event in clear', async () => {
    const secret = 'sk_test_51AbCdEfGhIjKlMnOpQrStUv';
    const hook = 'whsec_dGhpcyBpcyBhIHRlc3Qgc2VjcmV0';
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe EU', credentials: { secret_key: secret, webhook_secret: hook } });
    expect(gw).toMatchObject({ object: 'gateway', type: 'stripe', name: 'Stripe EU', api_base: null, active: true, credentials_set: ['secret_key', 'webhook_secret'] });
    expect(JSON.stringify(gw)).not.toContain(secret);
    const changed = await ok(h, 'POST', `/v1/gateways/${gw.id}`, { credentials: { secret_key: 'sk_test_51ZyXwVuTsRqPoNmLkJiHg' } });
    expect(changed.credentials_set).toEqual(['secret_key', 'webhook_secret']);
    // Every table of every schema Rebill writes (a table added later is covered unasked).
    const tables = await h.database.pool.query<{ name: string }>(`SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
      FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`);
    expect(tables.rows.map((t) => t.name)).toEqual(expect.arrayContaining(['public.gateways', 'public.audit_log', 'public.events', 'public.idempotency_keys']));
    for (const { name } of tables.rows) {
      const dump = await h.database.pool.query(`SELECT t::text AS row FROM ${name} t`);
      const all = dump.rows.map((r) => r.row).join('\n');
      for (const s of [secret, hook, 'sk_test_51ZyXwVuTsRqPoNmLkJiHg']) expect(all, name).not.toContain(s.slice(8));
    }
    // Only the adapter sees them, opened, with the latest change.
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'eu@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', gateway: gw.id, gateway_customer: 'cus_Stripe123' });
    expect(configs.at(-1)).toEqual({ accountId: h.accountId, id: gw.id, type: 'stripe', apiBase: null, credentials: { secret_key: 'sk_test_51ZyXwVuTsRqPoNmLkJiHg', webhook_secret: hook } });
  });

  it('charges a payment method through its own gateway, and recovers an unanswered charge there too', async () => {
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'Backup sandbox' });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'own-gateway@example.com' });
    const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_timeout', gateway: gw.id, gateway_customer: 'cus_own' });
    expect(pm).toMatchObject({ gateway: gw.id, gateway_customer: 'cus_own', card: { brand: 'visa' } });
    calls.length = 0;
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    expect(attempt).toMatchObject({ status: 'unknown', gateway: gw.id });
    h.clock.advanceMs(2000);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    expect(calls).toEqual([`charge:${gw.id}`, `retrieve:${gw.id}`]);
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
    const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE idempotency_key = $1', [`rebill:${h.accountId}:${attempt.id}`]);
    expect(charges.rows[0].n).toBe(1);
  });

  it('an inactive gateway takes no new payment methods; its own refunds and recovery go on', async () => {
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'Retiring' });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'retiring@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', gateway: gw.id });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    expect((await ok(h, 'POST', `/v1/gateways/${gw.id}`, { active: false })).active).toBe(false);
    const refused = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', gateway: gw.id });
    expect([refused.status, refused.body.error.code, refused.body.error.param]).toEqual([400, 'gateway_inactive', 'gateway']);
    calls.length = 0;
    const invoice = await firstInvoiceOf(h, sub.id);
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 500, refund_amount: 500 });
    expect((await ok(h, 'GET', `/v1/refunds/${note.refund}`)).status).toBe('succeeded');
    expect(calls).toEqual([`refund:${gw.id}`]);
  });

  it('refuses a type without an adapter, bad credentials and an unknown gateway, writing nothing', async () => {
    const count = async () => (await h.database.pool.query('SELECT count(*)::int AS n FROM gateways')).rows[0].n;
    const before = await count();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ type: 'razorpay', name: 'R', credentials: { key_id: 'rzp_test_abcdefgh', key_secret: 'secret123' } }, 'gateway_type_unavailable', 'type'],
      [{ type: 'stripe', name: 'S' }, 'parameter_missing', 'credentials[secret_key]'],
      [{ type: 'stripe', name: 'S', credentials: { secret_key: 'pk_test_publishable' } }, 'parameter_invalid', 'credentials[secret_key]'],
      [{ type: 'stripe', name: 'S', credentials: { secret_key: 'sk_test_51AbCdEfGhIj', password: 'x' } }, 'parameter_unknown', 'credentials[password]'],
      [{ type: 'stripe', name: 'S', credentials: { secret_key: 'sk_test_51AbCdEfGhIj' }, api_base: 'http://api.stripe.com' }, 'webhook_url_insecure', 'api_base'],
      [{ type: 'stripe', name: 'S', credentials: { secret_key: 'sk_test_51AbCdEfGhIj' }, api_base: 'https://10.1.1.1' }, 'webhook_url_not_public', 'api_base'],
    ];
    for (const [body, code, param] of cases) {
      const r = await h.call('POST', '/v1/gateways', body);
      expect([r.status, r.body.error.code, r.body.error.param], JSON.stringify(body)).toEqual([400, code, param]);
    }
    expect(await count()).toBe(before);
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'nowhere@example.com' });
    const r = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa', gateway: 'gw_nope' });
    expect([r.status, r.body.error.code, r.body.error.param]).toEqual([404, 'resource_missing', 'gateway']);
  });

  it('a charge still processing keeps its invoice open, charged once, until the processor settles it', async () => {
    let settled = false;
    const asked: string[] = [];
    // A bank debit: the processor answers `processing`, and knows the final outcome days later.
    h.deps.gatewayFactories = {
      ...h.deps.gatewayFactories,
      custom_http: (c) => ({
        name: c.id,
        inspectToken: async () => ({ brand: 'visa', last4: '1111', exp_month: 1, exp_year: 2030 }),
        charge: async (r) => { asked.push(`charge:${r.attemptId}:${r.attemptNumber}`); return { status: 'processing', chargeId: 'ch_debit_1' }; },
        retrieve: async (l) => { asked.push(`retrieve:${l.attemptId}`); return settled ? { status: 'succeeded', chargeId: 'ch_debit_1' } : { status: 'processing', chargeId: 'ch_debit_1' }; },
        refund: async () => { throw new Error('not in this test'); },
        retrieveRefund: async () => null,
      }),
    };
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Bank debits', api_base: 'https://debits.example.com', credentials: { api_key: 'key_12345678', signing_secret: 'sign_12345678' } });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'debit@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'mandate_1', gateway: gw.id });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    expect(attempt).toMatchObject({ status: 'processing', gateway: gw.id, gateway_charge_id: 'ch_debit_1' });
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('open');
    h.clock.advanceMs(2000);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('processing');
    settled = true;
    h.clock.advanceMs(2000);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    expect(asked).toEqual([`charge:${attempt.id}:1`, `retrieve:${attempt.id}`, `retrieve:${attempt.id}`]);
  });

  it('a gateway that does not answer while a card is attached: 502 gateway_unavailable, nothing saved', async () => {
    h.deps.gatewayFactories = {
      ...h.deps.gatewayFactories,
      custom_http: (c) => ({
        name: c.id,
        inspectToken: async () => { throw new GatewayUnreachableError('no answer'); },
        charge: async () => { throw new Error('not in this test'); },
        retrieve: async () => null,
        refund: async () => { throw new Error('not in this test'); },
        retrieveRefund: async () => null,
      }),
    };
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Down', api_base: 'https://down.example.com', credentials: { api_key: 'key_12345678', signing_secret: 'sign_12345678' } });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'down@example.com' });
    const before = await tableCounts(h);
    const r = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_1', gateway: gw.id });
    expect([r.status, r.body.error.type, r.body.error.code, r.body.error.param]).toEqual([502, 'api_error', 'gateway_unavailable', 'gateway']);
    expect(await tableCounts(h)).toEqual(before);
  });
});
