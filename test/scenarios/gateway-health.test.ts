import { describe, expect, it } from 'vitest';
import { GatewayUnreachableError, type ChargeOutcome, type ChargeRequest, type PaymentGateway } from '../../src/app/ports.ts';
import { normalizeDecline } from '../../src/domain/declines.ts';
import { monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';

type Step = { ms: number; kind: 'ok' | 'decline' | 'unreachable' | 'processing_error' };

/**
 * Gateway health (issue 16, point 6) from charges Rebill really sent. The account's `sandbox`-type
 * gateways are replaced by a scripted processor: each charge takes the next step of its gateway's
 * script, moving the harness's clock by the step's milliseconds while it "works", so every
 * latency is known in advance.
 */
describe('gateway health', async () => {
  const h = await harness();
  const scripts = new Map<string, Step[]>();
  const charged = new Map<string, string[]>();
  const scripted = (id: string): PaymentGateway => ({
    name: id,
    async charge(req: ChargeRequest): Promise<ChargeOutcome> {
      const step = scripts.get(id)?.shift() ?? { ms: 0, kind: 'ok' };
      h.clock.advanceMs(step.ms);
      charged.set(id, [...(charged.get(id) ?? []), req.attemptId]);
      if (step.kind === 'unreachable') throw new GatewayUnreachableError('scripted: no answer');
      if (step.kind === 'ok') return { status: 'succeeded', chargeId: `ch_${req.attemptId}` };
      const code = step.kind === 'decline' ? 'insufficient_funds' : 'processing_error';
      return { status: 'failed', chargeId: `ch_${req.attemptId}`, decline: normalizeDecline('sandbox', { code }), gatewayCode: code, message: code };
    },
    async retrieve() { return null; },
    async refund() { throw new Error('not used'); },
    async retrieveRefund() { return null; },
    async inspectToken() { return { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 }; },
  });
  h.deps.gatewayFactories = { ...h.deps.gatewayFactories, sandbox: (c) => scripted(c.id) };
  const price = await monthlyPrice(h, 1500);
  const gwA = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'A' });
  const gwB = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'B' });

  /** A new customer with a card on each gateway given (the first is the default), subscribed: one charge. */
  async function chargeOn(gateways: string[]) {
    const c = await ok(h, 'POST', '/v1/customers', { email: 'health@example.com' });
    for (const [i, g] of gateways.entries()) await ok(h, 'POST', '/v1/payment_methods', { customer: c.id, token: 'tok_visa', gateway: g, set_default: i === 0 });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }] });
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${sub.latest_invoice}`)).data;
    return attempt;
  }
  const health = async (id: string) => await ok(h, 'GET', `/v1/gateways/${id}/health`);

  it("counts the last hour's charges by outcome, with nearest-rank latency percentiles", async () => {
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'Figures' });
    scripts.set(gw.id, [{ ms: 100, kind: 'ok' }, { ms: 200, kind: 'ok' }, { ms: 300, kind: 'decline' }, { ms: 400, kind: 'unreachable' }, { ms: 500, kind: 'processing_error' }, { ms: 50, kind: 'ok' }]);
    for (let i = 0; i < 6; i++) await chargeOn([gw.id]);
    // 6 calls: 3 succeeded, 1 declined (the card), 2 the gateway's own (no answer, processing_error).
    // Latencies sorted 50 100 200 300 400 500: p50 = the 3rd (ceil(0.5·6)), p95 = the 6th (ceil(0.95·6)).
    // 2 gateway errors of 6 is under half: healthy, and it was all hour.
    expect(await health(gw.id)).toMatchObject({
      object: 'gateway_health', gateway: gw.id, attempts: 6, succeeded: 3, declined: 1, gateway_errors: 2, pending: 0,
      success_rate: 0.5, latency_ms: { p50: 200, p95: 500 }, status: 'healthy', since: null,
    });
    h.clock.advanceMs(60 * 60_000 + 1);
    expect(await health(gw.id)).toMatchObject({ attempts: 0, success_rate: null, latency_ms: { p50: null, p95: null }, status: 'healthy', since: null });
  });

  it('answers for the built-in sandbox too, and 404 for a gateway the account does not have', async () => {
    expect(await health('sandbox')).toMatchObject({ object: 'gateway_health', gateway: 'sandbox', status: 'healthy' });
    const r = await h.call('GET', '/v1/gateways/gw_nope/health');
    expect([r.status, r.body.error.code, r.body.error.param]).toEqual([404, 'resource_missing', 'id']);
  });

  it('routing skips an unhealthy gateway for a customer with a method elsewhere, lets one probe through after the cool-down, and returns when it succeeds', async () => {
    // Five calls in a row that A fails on its own side, a second apart: the fifth trips it.
    scripts.set(gwA.id, Array.from({ length: 5 }, () => ({ ms: 0, kind: 'unreachable' as const })));
    let tripAt = '';
    for (let i = 0; i < 5; i++) {
      h.clock.advanceMs(1000);
      tripAt = h.clock.now().toISOString();
      expect(await chargeOn([gwA.id])).toMatchObject({ gateway: gwA.id, status: 'unknown' });
    }
    expect(await health(gwA.id)).toMatchObject({ attempts: 5, gateway_errors: 5, success_rate: 0, status: 'unhealthy', since: tripAt });
    // A customer with cards on A (default) and B: the charge goes to B.
    expect(await chargeOn([gwA.id, gwB.id])).toMatchObject({ gateway: gwB.id, status: 'succeeded' });
    // A customer with a card on A only: nowhere else to go, so A is tried as before.
    scripts.set(gwA.id, [{ ms: 0, kind: 'unreachable' }]);
    expect(await chargeOn([gwA.id])).toMatchObject({ gateway: gwA.id, status: 'unknown' });
    // After the cool-down one charge probes A; it fails, so A stays skipped for another cool-down.
    h.clock.advanceMs(61_000);
    scripts.set(gwA.id, [{ ms: 0, kind: 'unreachable' }]);
    expect(await chargeOn([gwA.id, gwB.id])).toMatchObject({ gateway: gwA.id });
    expect(await chargeOn([gwA.id, gwB.id])).toMatchObject({ gateway: gwB.id });
    // The next probe succeeds: A is healthy from that moment, and routing uses it again.
    h.clock.advanceMs(61_000);
    const recoveredAt = h.clock.now().toISOString();
    expect(await chargeOn([gwA.id, gwB.id])).toMatchObject({ gateway: gwA.id, status: 'succeeded' });
    expect(await health(gwA.id)).toMatchObject({ status: 'healthy', since: recoveredAt });
    expect(await chargeOn([gwA.id, gwB.id])).toMatchObject({ gateway: gwA.id, status: 'succeeded' });
  });
});
