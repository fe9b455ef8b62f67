import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayUnreachableError, type ChargeRequest } from '../../../app/ports.ts';
import { signatureProblem } from '../../../domain/gateway-signature.ts';
import { CustomHttpGateway } from './adapter.ts';

// A service that answers whatever the test sets, to show how each kind of answer is read.
type Canned = { status: number; body: string } | 'drop';
let next: Canned = { status: 200, body: '{}' };
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
    if (next === 'drop') { res.socket?.destroy(); return; }
    res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
  });
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`;
});
afterAll(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

const secret = 'sign_unit_test_secret';
const loopbackAllowed = { allowHttp: true, allowPrivate: false };
const gateway = (apiBase = base, policy = loopbackAllowed) => new CustomHttpGateway(
  { accountId: 'acct_1', id: 'gw_1', type: 'custom_http', apiBase, credentials: { api_key: 'key_unit_test', signing_secret: secret } }, { maxAnswerBytes: 1024, policy });
const req: ChargeRequest = {
  idempotencyKey: 'rebill:acct_1:pay_1', attemptId: 'pay_1', token: 'tok/with space', gatewayCustomer: null, amount: 9_007_199_254_740_993n,
  currency: 'jpy', reference: 'in_1', customerId: 'cus_1', attemptNumber: 2, attemptedAt: new Date('2027-05-01T10:00:00Z'),
};

describe('custom_http adapter: reading the service\'s answers', () => {
  it('sends the documented, signed request with the amount as an exact decimal string', async () => {
    next = { status: 200, body: '{"id":"ch_1","status":"succeeded"}' };
    expect(await gateway().charge(req)).toEqual({ status: 'succeeded', chargeId: 'ch_1' });
    const s = seen.at(-1)!;
    expect([s.method, s.url, s.headers.authorization, s.headers['idempotency-key']]).toEqual(['POST', '/base/charges', 'Bearer key_unit_test', req.idempotencyKey]);
    expect(JSON.parse(s.body)).toEqual({
      amount: '9007199254740993', currency: 'jpy', token: 'tok/with space', gateway_customer: null, reference: 'pay_1', invoice: 'in_1',
      customer: 'cus_1', attempt_number: 2, attempted_at: '2027-05-01T10:00:00.000Z',
    });
    expect(signatureProblem(secret, s.headers['rebill-signature'] as string, { method: 'POST', path: '/base/charges', body: s.body }, new Date())).toBeNull();
    next = { status: 404, body: '{"error":{"code":"not_found","message":"no"}}' };
    expect(await gateway().inspectToken('tok/with space', { gatewayCustomer: 'c 1' })).toBeNull();
    expect(seen.at(-1)!.url).toBe('/base/payment_methods/tok%2Fwith%20space?customer=c%201');
  });

  it('reads declines through Rebill\'s vocabulary, unknown codes as generic_decline, network codes refining', async () => {
    next = { status: 200, body: '{"id":"ch_2","status":"failed","decline_code":"stolen_card","message":"stolen"}' };
    expect(await gateway().charge(req)).toMatchObject({ status: 'failed', chargeId: 'ch_2', gatewayCode: 'stolen_card', message: 'stolen', decline: { declineCode: 'stolen_card', category: 'hard', doNotRetry: true } });
    next = { status: 200, body: '{"id":"ch_3","status":"failed","decline_code":"card_on_fire"}' };
    expect(await gateway().charge(req)).toMatchObject({ gatewayCode: 'card_on_fire', decline: { declineCode: 'generic_decline', category: 'soft', recognized: false } });
    next = { status: 200, body: '{"id":"ch_4","status":"failed","decline_code":"generic_decline","card_network":"visa","network_decline_code":"51"}' };
    expect(await gateway().charge(req)).toMatchObject({ decline: { declineCode: 'insufficient_funds' } });
    next = { status: 200, body: '{"id":"ch_5","status":"requires_action","action_url":"javascript:alert(1)"}' };
    expect(await gateway().charge(req)).toEqual({ status: 'requires_action', chargeId: 'ch_5', actionUrl: null });
  });

  it('treats every answer that proves nothing as unknown, and a refusal as a config decline', async () => {
    const unknown: Canned[] = [
      'drop', { status: 500, body: '' }, { status: 503, body: '{"error":{"code":"x"}}' }, { status: 429, body: '' }, { status: 409, body: '' },
      { status: 200, body: 'not json' }, { status: 200, body: '{"id":"ch_1","status":"done"}' }, { status: 200, body: '{"status":"succeeded"}' },
      { status: 200, body: `{"id":"ch_1","status":"succeeded","pad":"${'x'.repeat(2000)}"}` },
    ];
    for (const c of unknown) {
      next = c;
      await expect(gateway().charge(req), JSON.stringify(c).slice(0, 80)).rejects.toBeInstanceOf(GatewayUnreachableError);
    }
    for (const [status, body, code] of [[401, '{"error":{"code":"invalid_signature","message":"bad"}}', 'invalid_signature'], [302, '', 'http_302'], [400, '{"error":{"code":"invalid_amount"}}', 'invalid_amount']] as const) {
      next = { status, body };
      const out = await gateway().charge(req);
      expect(out, String(status)).toMatchObject({ status: 'failed', chargeId: null, gatewayCode: code, decline: { category: 'config', declineCode: code === 'invalid_amount' ? 'invalid_amount' : 'merchant_config_error' } });
    }
  });

  it('looks charges and refunds up by Rebill\'s reference; a failed lookup leaves the outcome unknown', async () => {
    next = { status: 200, body: '{"data":[]}' };
    expect(await gateway().retrieve({ idempotencyKey: 'k', attemptId: 'pay_9', gatewayCustomer: null, attemptedAt: new Date() })).toBeNull();
    expect(seen.at(-1)!.url).toBe('/base/charges?reference=pay_9');
    next = { status: 200, body: '{"data":[{"id":"ch_9","status":"processing"}]}' };
    expect(await gateway().retrieve({ idempotencyKey: 'k', attemptId: 'pay_9', gatewayCustomer: null, attemptedAt: new Date() })).toEqual({ status: 'processing', chargeId: 'ch_9' });
    next = { status: 200, body: '{"data":[{"id":"rf_1","status":"pending"}]}' };
    expect(await gateway().retrieveRefund({ idempotencyKey: 'k', refundId: 're_1', chargeId: 'ch_9' })).toEqual({ status: 'pending', refundId: 'rf_1' });
    expect(seen.at(-1)!.url).toBe('/base/refunds?reference=re_1');
    next = { status: 401, body: '{"error":{"code":"invalid_api_key"}}' };
    await expect(gateway().retrieve({ idempotencyKey: 'k', attemptId: 'pay_9', gatewayCustomer: null, attemptedAt: new Date() })).rejects.toBeInstanceOf(GatewayUnreachableError);
    next = { status: 400, body: '{"error":{"code":"invalid_amount","message":"too much"}}' };
    expect(await gateway().refund({ idempotencyKey: 'k', chargeId: 'ch_9', amount: 5n, currency: 'eur', reference: 'cn_1', refundId: 're_2' }))
      .toEqual({ status: 'failed', refundId: null, code: 'invalid_amount', message: 'too much' });
  });

  it('never connects to an address the policy forbids, by literal or by name: a config refusal, nothing sent', async () => {
    const before = seen.length;
    const strict = { allowHttp: false, allowPrivate: false };
    for (const apiBase of [base, base.replace('127.0.0.1', 'localhost')]) {
      expect(await gateway(apiBase, strict).charge(req), apiBase).toMatchObject({ status: 'failed', chargeId: null, gatewayCode: 'address_not_allowed', decline: { category: 'config' } });
    }
    expect(seen.length).toBe(before);
  });

  it('never puts the credentials in an error message', async () => {
    next = 'drop';
    const err = await gateway().charge(req).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toMatch(/key_unit_test|sign_unit_test_secret/);
  });
});
