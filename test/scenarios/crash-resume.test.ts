import { describe, expect, it } from 'vitest';
import { SandboxGateway } from '../../src/adapters/gateways/sandbox/gateway.ts';
import { recoverNextAttempt } from '../../src/app/payments/recover.ts';
import type { ChargeLookup, ChargeRequest, PaymentGateway, RefundLookup, RefundRequest } from '../../src/app/ports.ts';
import { resumeStalledAdvance } from '../../src/app/test-clocks/test-clocks.ts';
import { clockAt, customerWithCard, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/**
 * What a crash leaves behind, made on purpose and then healed: an advance whose process died
 * (its lease runs out), and payment attempts of test-clock customers left `pending` by a process
 * that died before or after the gateway got the charge. The chaos test does the same with real
 * SIGKILLs at random; these pin down each case.
 */

/** The sandbox, except that `crash` makes the process "die" before the request leaves, or after the answer came back. */
class CrashingGateway implements PaymentGateway {
  readonly name = 'sandbox';
  crash: 'before' | 'after' | null = null;
  constructor(private readonly inner: SandboxGateway) {}
  inspectToken(token: string) { return this.inner.inspectToken(token); }
  retrieve(lookup: ChargeLookup) { return this.inner.retrieve(lookup); }
  refund(req: RefundRequest) { return this.inner.refund(req); }
  retrieveRefund(lookup: RefundLookup) { return this.inner.retrieveRefund(lookup); }
  async charge(req: ChargeRequest) {
    if (this.crash === 'before') throw new Error('process died before the charge left');
    const outcome = await this.inner.charge(req);
    if (this.crash === 'after') throw new Error('process died before the answer was recorded');
    return outcome;
  }
}

async function stallAdvance(h: Harness, clockId: string, target: string, leaseMs: number) {
  await h.database.pool.query(`UPDATE test_clocks SET status = 'advancing', advance_target = $2, lease_owner = 'dead-process', lease_until = $3 WHERE id = $1`,
    [clockId, target, new Date(h.clock.now().getTime() + leaseMs)]);
}

async function clockWithSubscriptions(h: Harness) {
  const clock = await clockAt(h, '2027-01-10T00:00:00Z');
  const price = await monthlyPrice(h);
  const subs = [];
  for (let i = 0; i < 2; i++) {
    const c = await customerWithCard(h, 'tok_visa', clock.id);
    subs.push(await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }] }));
  }
  return { clock, subs };
}

describe('an advance whose process died', () => {
  it('answers 409 while its lease holds, and is carried on by calling advance again once it ran out', async () => {
    const h = await harness();
    const { clock, subs } = await clockWithSubscriptions(h);
    await stallAdvance(h, clock.id, '2027-03-15T00:00:00Z', 30_000);
    const busy = await h.call('POST', `/v1/test_clocks/${clock.id}/advance`, { frozen_time: '2027-03-15T00:00:00Z' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('test_clock_advancing');

    h.clock.advanceMs(31_000);
    const done = await ok(h, 'POST', `/v1/test_clocks/${clock.id}/advance`, { frozen_time: '2027-03-15T00:00:00Z' });
    expect(done).toMatchObject({ status: 'ready', frozen_time: '2027-03-15T00:00:00.000Z' });
    for (const s of subs) expect((await invoicesOf(h, s.id)).map((i) => i.period_start)).toEqual(['2027-01-10T00:00:00.000Z', '2027-02-10T00:00:00.000Z', '2027-03-10T00:00:00.000Z']);
    const audit = await ok(h, 'GET', `/v1/audit_log?object_id=${clock.id}`);
    expect(audit.data.map((a: { action: string }) => a.action)).toContain('test_clock.advance_resumed');
  });

  it('is taken over by a worker once its lease ran out, and ends ready at its target', async () => {
    const h = await harness();
    const { clock, subs } = await clockWithSubscriptions(h);
    await stallAdvance(h, clock.id, '2027-02-20T00:00:00Z', 30_000);
    expect(await resumeStalledAdvance(h.deps)).toBe(false); // still held
    h.clock.advanceMs(31_000);
    expect(await resumeStalledAdvance(h.deps)).toBe(true);
    expect(await ok(h, 'GET', `/v1/test_clocks/${clock.id}`)).toMatchObject({ status: 'ready', frozen_time: '2027-02-20T00:00:00.000Z' });
    for (const s of subs) expect((await invoicesOf(h, s.id)).map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(await resumeStalledAdvance(h.deps)).toBe(false);
  });
});

describe("a test-clock customer's charge left pending by a dead process", () => {
  it.each([
    ['before the gateway got it: recovery charges it, once', 'before' as const],
    ['after the gateway charged: recovery records that charge and sends none', 'after' as const],
  ])('%s', async (_name, when) => {
    let gateway: CrashingGateway | null = null;
    const h = await harness({ gateway: (d) => (gateway = new CrashingGateway(new SandboxGateway(d.db))) });
    const clock = await clockAt(h, '2027-01-10T00:00:00Z');
    const price = await monthlyPrice(h);
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    gateway!.crash = when;
    const r = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(r.status).toBe(500);
    gateway!.crash = null;
    const [invoice] = (await ok(h, 'GET', `/v1/invoices?customer=${customer.id}`)).data;
    const charges = async () => (await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges WHERE reference = $1', [invoice.id])).rows[0].n;
    expect(await charges()).toBe(when === 'before' ? 0 : 1);

    // The clock does not move; real time does. Before rescue_at nothing happens, after it the charge settles.
    expect(await recoverNextAttempt(h.deps)).toBe(false);
    h.clock.advanceMs(h.deps.recoveryDelayMs + 1);
    expect(await recoverNextAttempt(h.deps)).toBe(true);
    expect(await charges()).toBe(1);
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    const [sub] = (await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data;
    expect(sub.status).toBe('active');
    const [payment] = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data;
    // Settled in the clock's time, not real time.
    expect(payment).toMatchObject({ status: 'succeeded', updated: '2027-01-10T00:00:00.000Z' });
    expect(await recoverNextAttempt(h.deps)).toBe(false);
  });
});
