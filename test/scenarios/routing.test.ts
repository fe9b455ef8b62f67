import { describe, expect, it } from 'vitest';
import { firstInvoiceOf, monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';

/** A customer with a card on each of two gateways; rules decide which one a charge goes to. */
describe('routing rules', async () => {
  const h = await harness();
  const usd = await monthlyPrice(h, 1500, 'usd');
  const eur = await monthlyPrice(h, 900, 'eur');
  const gwA = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'A' });
  const gwB = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'B' });

  async function customerOnBoth(metadata: Record<string, string> = {}) {
    const c = await ok(h, 'POST', '/v1/customers', { email: 'routed@example.com', metadata });
    const onA = await ok(h, 'POST', '/v1/payment_methods', { customer: c.id, token: 'tok_visa', gateway: gwA.id });
    const onB = await ok(h, 'POST', '/v1/payment_methods', { customer: c.id, token: 'tok_mastercard', gateway: gwB.id, set_default: false });
    return { c, onA, onB };
  }
  async function chargedWith(customer: string, price: string) {
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer, items: [{ price }] });
    const [attempt] = (await ok(h, 'GET', `/v1/payments?invoice=${(await firstInvoiceOf(h, sub.id)).id}`)).data;
    return attempt;
  }

  it('sends a charge where the first matching rule says, and keeps the default when none matches', async () => {
    const eurRule = await ok(h, 'POST', '/v1/routing_rules', { gateway: gwB.id, currency: 'EUR' });
    expect(eurRule).toMatchObject({ object: 'routing_rule', position: 0, gateway: gwB.id, currency: 'eur' });
    // A customer bills in one currency: one customer per currency.
    const inEur = await customerOnBoth();
    expect(await chargedWith(inEur.c.id, eur.id)).toMatchObject({ status: 'succeeded', gateway: gwB.id, payment_method: inEur.onB.id });
    const inUsd = await customerOnBoth();
    expect(await chargedWith(inUsd.c.id, usd.id)).toMatchObject({ status: 'succeeded', gateway: gwA.id, payment_method: inUsd.onA.id });
    await ok(h, 'DELETE', `/v1/routing_rules/${eurRule.id}`);
  });

  it('routes a pay of an open invoice without a named method like a renewal, and keeps a method the caller names', async () => {
    const rule = await ok(h, 'POST', '/v1/routing_rules', { gateway: gwB.id, currency: 'usd' });
    const { c, onA, onB } = await customerOnBoth();
    // Sent for payment rather than charged at finalization: open until paid.
    await ok(h, 'POST', '/v1/invoiceitems', { customer: c.id, amount: 700, currency: 'usd', description: 'Setup' });
    const routed = await ok(h, 'POST', '/v1/invoices', { customer: c.id, auto_advance: false, collection_method: 'send_invoice', days_until_due: 30 });
    await ok(h, 'POST', `/v1/invoices/${routed.id}/finalize`, {});
    expect((await ok(h, 'POST', `/v1/invoices/${routed.id}/pay`, {})).status).toBe('paid');
    expect((await ok(h, 'GET', `/v1/payments?invoice=${routed.id}`)).data).toMatchObject([{ gateway: gwB.id, payment_method: onB.id }]);
    await ok(h, 'POST', '/v1/invoiceitems', { customer: c.id, amount: 800, currency: 'usd', description: 'Extra' });
    const named = await ok(h, 'POST', '/v1/invoices', { customer: c.id, auto_advance: false, collection_method: 'send_invoice', days_until_due: 30 });
    await ok(h, 'POST', `/v1/invoices/${named.id}/finalize`, {});
    await ok(h, 'POST', `/v1/invoices/${named.id}/pay`, { payment_method: onA.id });
    expect((await ok(h, 'GET', `/v1/payments?invoice=${named.id}`)).data).toMatchObject([{ gateway: gwA.id, payment_method: onA.id }]);
    await ok(h, 'DELETE', `/v1/routing_rules/${rule.id}`);
  });

  it('tries rules by position; matches amount, brand and customer metadata; skips rules of inactive gateways', async () => {
    const big = await ok(h, 'POST', '/v1/routing_rules', { gateway: gwA.id, amount_gte: 1000, brand: 'visa', position: 5 });
    const vip = await ok(h, 'POST', '/v1/routing_rules', { gateway: gwB.id, customer_metadata: { tier: 'vip' }, position: 1 });
    const { c: vipCustomer, onB } = await customerOnBoth({ tier: 'vip' });
    expect(await chargedWith(vipCustomer.id, usd.id)).toMatchObject({ payment_method: onB.id, gateway: gwB.id });
    const { c: other, onA } = await customerOnBoth();
    expect(await chargedWith(other.id, usd.id)).toMatchObject({ payment_method: onA.id });
    // With B inactive its rule is passed over: the VIP's charge falls to the next rule (A, visa, over 10.00).
    const { c: vip2, onA: vip2OnA } = await customerOnBoth({ tier: 'vip' });
    await ok(h, 'POST', `/v1/gateways/${gwB.id}`, { active: false });
    expect(await chargedWith(vip2.id, usd.id)).toMatchObject({ payment_method: vip2OnA.id });
    await ok(h, 'POST', `/v1/gateways/${gwB.id}`, { active: true });
    for (const r of [big, vip]) await ok(h, 'DELETE', `/v1/routing_rules/${r.id}`);
    expect((await ok(h, 'GET', '/v1/routing_rules')).data).toEqual([]);
  });

  it('refuses a gateway of nobody, bad conditions and an inverted range, writing nothing', async () => {
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ gateway: 'gw_nope' }, 404, 'resource_missing', 'gateway'],
      [{ gateway: gwA.id, currency: 'xyz' }, 400, 'currency_invalid', 'currency'],
      [{ gateway: gwA.id, card_country: 'ZZ' }, 400, 'parameter_invalid', 'card_country'],
      [{ gateway: gwA.id, amount_gte: 500, amount_lte: 100 }, 400, 'parameter_invalid', 'amount_gte'],
      [{ gateway: gwA.id, amount_gte: -1 }, 400, 'parameter_invalid', 'amount_gte'],
    ];
    for (const [body, status, code, param] of cases) {
      const r = await h.call('POST', '/v1/routing_rules', body);
      expect([r.status, r.body.error.code, r.body.error.param], JSON.stringify(body)).toEqual([status, code, param]);
    }
    expect((await ok(h, 'GET', '/v1/routing_rules')).data).toEqual([]);
  });
});
