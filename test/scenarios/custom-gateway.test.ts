import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { recoverNextAttempt } from '../../src/app/payments/recover.ts';
import { recoverNextRefund } from '../../src/app/payments/refunds.ts';
import { customHttpFactory } from '../../src/adapters/gateways/custom-http/adapter.ts';
import { signatureProblem } from '../../src/domain/gateway-signature.ts';
import { startExampleGateway } from '../../examples/custom-gateway/server.ts';
import { firstInvoiceOf, monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('custom HTTP gateway: Rebill against the example service of the contract', async () => {
  const h = await harness({ recoveryDelayMs: 1000 });
  const logged: string[] = [];
  h.deps.log = pino({ level: 'trace' }, { write: (line: string) => { logged.push(line); } });
  // The registered factory, with a short timeout so the service that never answers costs a second.
  h.deps.gatewayFactories = { ...h.deps.gatewayFactories, custom_http: customHttpFactory({ timeoutMs: 1000, policy: h.deps.webhooks!.policy }) };
  const apiKey = 'key_live_example_0123456789';
  const signingSecret = 'sign_example_abcdefghijklmnop';
  const service = await startExampleGateway({ apiKey, signingSecret, log: (line) => logged.push(line) });
  afterAll(async () => { await service.close(); });
  const credentials = { api_key: apiKey, signing_secret: signingSecret };
  const gw = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Own processor', api_base: service.url, credentials });
  const price = await monthlyPrice(h, 1500, 'eur');

  async function subscribe(token: string, gateway = gw.id) {
    const customer = await ok(h, 'POST', '/v1/customers', { email: `${token}@example.com` });
    const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token, gateway, gateway_customer: `cust_${token}` });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const attempts = async () => (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data as any[];
    return { customer, pm, sub, invoice, attempts };
  }
  const chargesFor = (reference: string) => service.charges.filter((c) => c.reference === reference);

  it('reads the card from the service and charges it, sending the documented request', async () => {
    const { customer, pm, sub, invoice, attempts } = await subscribe('card_ok');
    expect(pm.card).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 });
    expect(sub.status).toBe('active');
    const [attempt] = await attempts();
    expect(attempt).toMatchObject({ status: 'succeeded', gateway: gw.id, amount: 1500, currency: 'eur' });
    const [charge] = chargesFor(attempt.id);
    expect(charge).toMatchObject({
      id: attempt.gateway_charge_id, status: 'succeeded', amount: 1500n, currency: 'eur', token: 'card_ok', invoice: invoice.id,
      customer: customer.id, attempt_number: 1, attempted_at: '2027-01-01T00:00:00.000Z',
    });
    const refused = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'card_nobody_knows', gateway: gw.id });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'token_invalid']);
  });

  it('stores each decline class normalized', async () => {
    const cases = [
      ['card_insufficient_funds', 'insufficient_funds', 'soft', false],
      ['card_stolen', 'stolen_card', 'hard', true],
      ['card_fraud', 'fraudulent', 'fraud', true],
    ] as const;
    for (const [token, code, category, doNotRetry] of cases) {
      const { invoice, attempts } = await subscribe(token);
      const [attempt] = await attempts();
      expect(attempt, token).toMatchObject({ status: 'failed', decline_code: code, decline_category: category, do_not_retry: doNotRetry, gateway_decline_code: code });
      expect(chargesFor(attempt.id), token).toHaveLength(1);
      expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status, token).toBe('open');
    }
  });

  it('recovers a lost answer, a service that never answers and a 5xx by reference: one charge each', async () => {
    for (const token of ['card_lost_answer', 'card_no_answer', 'card_unavailable_once']) {
      const { invoice, attempts } = await subscribe(token);
      const [attempt] = await attempts();
      expect(attempt, token).toMatchObject({ status: 'unknown' });
      // Lost and unanswered: the service did the work; the 5xx: it did nothing.
      expect(chargesFor(attempt.id), token).toHaveLength(token === 'card_unavailable_once' ? 0 : 1);
      h.clock.advanceMs(2000);
      while (await recoverNextAttempt(h.deps));
      expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status, token).toBe('succeeded');
      expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status, token).toBe('paid');
      expect(chargesFor(attempt.id), token).toHaveLength(1);
    }
  });

  it('charges a card that recovers on its third attempt when the invoice is paid again', async () => {
    const { invoice, attempts } = await subscribe('card_recovers_on_attempt_3');
    expect((await attempts())[0]).toMatchObject({ status: 'failed', decline_code: 'insufficient_funds' });
    const second = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(second.status).toBeGreaterThanOrEqual(400);
    const third = await ok(h, 'POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(third.status).toBe('paid');
    const sent = service.charges.filter((c) => c.invoice === invoice.id);
    expect(sent.map((c) => [c.attempt_number, c.status])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'succeeded']]);
    expect((await attempts()).map((a) => a.status).sort()).toEqual(['failed', 'failed', 'succeeded']);
  });

  it('refunds through a credit note once, also when the refund\'s answer is lost', async () => {
    const { invoice } = await subscribe('card_ok');
    const note = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 500, refund_amount: 500 });
    expect(await ok(h, 'GET', `/v1/refunds/${note.refund}`)).toMatchObject({ status: 'succeeded', amount: 500 });
    service.loseNextAnswer('refunds');
    const lost = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 700, refund_amount: 700 });
    expect(await ok(h, 'GET', `/v1/refunds/${lost.refund}`)).toMatchObject({ status: 'unknown' });
    h.clock.advanceMs(61_000);
    while (await recoverNextRefund(h.deps));
    expect(await ok(h, 'GET', `/v1/refunds/${lost.refund}`)).toMatchObject({ status: 'succeeded', amount: 700 });
    for (const [id, amount] of [[note.refund, 500n], [lost.refund, 700n]] as const) {
      expect(service.refunds.filter((r) => r.reference === id).map((r) => r.amount)).toEqual([amount]);
    }
    const [charge] = service.charges.filter((c) => c.invoice === invoice.id);
    expect(charge!.refunded).toBe(1200n);
  });

  it('a service that refuses Rebill\'s signature or key charges nothing: a config decline', async () => {
    const cases: Record<string, string>[] = [{ signing_secret: 'sign_not_the_shared_one' }, { api_key: 'key_not_the_right_one' }];
    for (const wrong of cases) {
      const bad = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Misconfigured', api_base: service.url, credentials: { ...credentials, ...wrong } });
      const customer = await ok(h, 'POST', '/v1/customers', { email: 'misconfigured@example.com' });
      const r = await h.call('POST', '/v1/payment_methods', { customer: customer.id, token: 'card_ok', gateway: bad.id });
      // Refused (today as a 500: a gateway error on attaching is not in the error catalogue yet), nothing stored.
      expect(r.status, JSON.stringify(wrong)).toBeGreaterThanOrEqual(400);
      expect((await ok(h, 'GET', `/v1/payment_methods?customer=${customer.id}`)).data, JSON.stringify(wrong)).toEqual([]);
      const before = service.charges.length;
      // The card was attached through the right gateway; then the merchant breaks the credentials.
      const good = await subscribeWithBrokenCredentials(wrong);
      expect(good.attempt, JSON.stringify(wrong)).toMatchObject({
        status: 'failed', decline_code: 'merchant_config_error', decline_category: 'config', gateway_decline_code: 'signing_secret' in wrong ? 'invalid_signature' : 'invalid_api_key',
      });
      expect(service.charges.length).toBe(before);
    }
  });

  async function subscribeWithBrokenCredentials(wrong: Record<string, string>) {
    const own = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Soon broken', api_base: service.url, credentials });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'broken@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'card_ok', gateway: own.id });
    await ok(h, 'POST', `/v1/gateways/${own.id}`, { credentials: wrong });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    return { attempt };
  }

  it('a card that is funded from a date is declined before it and charged after, by the attempt\'s business time', async () => {
    const { invoice, attempts } = await subscribe('card_funded_from_2027-02-01');
    expect((await attempts())[0]).toMatchObject({ status: 'failed', decline_code: 'insufficient_funds' });
    h.clock.set(new Date('2027-02-03T00:00:00Z'));
    expect((await ok(h, 'POST', `/v1/invoices/${invoice.id}/pay`, {})).status).toBe('paid');
    const sent = service.charges.filter((c) => c.invoice === invoice.id);
    expect(sent.map((c) => [c.attempted_at.slice(0, 10), c.status])).toEqual([['2027-01-01', 'failed'], ['2027-02-03', 'succeeded']]);
  });

  it('a processing debit stays open until the service settles it; the service signs its webhook as documented', async () => {
    const hooks: { path: string; body: string; signature: string | undefined }[] = [];
    const receiver = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => { hooks.push({ path: req.url!, body: Buffer.concat(parts).toString('utf8'), signature: req.headers['rebill-signature'] as string }); res.end(); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookPath = '/v1/gateway_webhooks/gw_debits';
    const debits = await startExampleGateway({ apiKey, signingSecret, webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${hookPath}` });
    try {
      const gateway = await ok(h, 'POST', '/v1/gateways', { type: 'custom_http', name: 'Debits', api_base: debits.url, credentials });
      const { invoice, attempts } = await subscribe('card_processing', gateway.id);
      const [attempt] = await attempts();
      const [charge] = debits.charges.filter((c) => c.reference === attempt.id);
      expect(attempt).toMatchObject({ status: 'processing', gateway_charge_id: charge!.id });
      h.clock.advanceMs(2000);
      while (await recoverNextAttempt(h.deps));
      expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('open');
      await debits.settle(charge!.id, 'succeeded');
      const hook = hooks.find((x) => JSON.parse(x.body).data.id === charge!.id)!;
      expect(JSON.parse(hook.body)).toMatchObject({ id: expect.stringMatching(/^evt_/), type: 'charge.succeeded', created: expect.any(Number), data: { status: 'succeeded', reference: attempt.id } });
      expect(signatureProblem(signingSecret, hook.signature, { method: 'POST', path: hookPath, body: hook.body }, new Date())).toBeNull();
      expect(signatureProblem(signingSecret, hook.signature, { method: 'POST', path: hookPath, body: hook.body.replace('succeeded', 'failed') }, new Date())).toBe('mismatch');
      h.clock.advanceMs(2000);
      while (await recoverNextAttempt(h.deps));
      expect((await ok(h, 'GET', `/v1/payments/${attempt.id}`)).status).toBe('succeeded');
      expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
      expect(debits.charges.filter((c) => c.reference === attempt.id)).toHaveLength(1);
    } finally {
      await debits.close();
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });

  it('never stores or logs the signing secret or the API key in clear', async () => {
    const dumps: string[] = [];
    for (const table of ['gateways', 'audit_log', 'events', 'payment_attempts', 'refunds', 'idempotency_keys']) {
      const rows = await h.database.pool.query(`SELECT t::text AS row FROM ${table} t`);
      dumps.push(rows.rows.map((r) => r.row).join('\n'));
    }
    const all = dumps.join('\n') + logged.join('\n');
    expect(logged.length).toBeGreaterThan(0);
    expect(all).toContain(gw.id);
    for (const s of [signingSecret, apiKey, 'sign_not_the_shared_one', 'key_not_the_right_one']) expect(all).not.toContain(s);
  });
});
