import { describe, expect, it } from 'vitest';
import { customerWithCard, firstInvoiceOf, monthlyPrice, must } from '../builders.ts';
import { harness } from '../support.ts';

describe('payments: every charge attempt on an invoice, failed ones included', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2500);

  it('lists a declined attempt and the later successful one, newest first, with decline codes', async () => {
    const customer = await customerWithCard(h, 'tok_chargeDeclinedInsufficientFunds');
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    expect(sub.status).toBe('incomplete');
    const invoice = await firstInvoiceOf(h, sub.id);
    const visa = await must(h.client.POST('/v1/payment_methods', { body: { customer: customer.id, token: 'tok_visa' } }));
    const paid = await must(h.client.POST('/v1/invoices/{id}/pay', { params: { path: { id: invoice.id } }, body: { payment_method: visa.id } }));
    expect(paid.status).toBe('paid');

    const { data: attempts } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: invoice.id } } }));
    expect(attempts.map((p) => [p.status, p.decline_code, p.amount, p.currency])).toEqual([
      ['succeeded', null, 2500, 'usd'], ['failed', 'insufficient_funds', 2500, 'usd']]);
    expect(attempts[0]).toMatchObject({ object: 'payment', invoice: invoice.id, customer: customer.id, payment_method: visa.id, gateway: 'sandbox' });
    expect(attempts[0]!.gateway_charge_id).toEqual(expect.any(String));

    const one = await must(h.client.GET('/v1/payments/{id}', { params: { path: { id: attempts[1]!.id } } }));
    expect(one).toEqual(attempts[1]);
    const failedOnly = await must(h.client.GET('/v1/payments', { params: { query: { customer: customer.id, status: 'failed' } } }));
    expect(failedOnly.data.map((p) => p.id)).toEqual([attempts[1]!.id]);
  });

  it('records each decline normalized: its category, whether the card may be retried, the processor\'s own code', async () => {
    const cases = [
      ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'soft', false],
      ['tok_chargeDeclinedProcessingError', 'processing_error', 'soft', false],
      ['tok_chargeDeclinedExpiredCard', 'expired_card', 'hard', true],
      ['tok_chargeDeclinedStolenCard', 'stolen_card', 'hard', true],
    ] as const;
    for (const [token, code, category, doNotRetry] of cases) {
      const customer = await customerWithCard(h, token);
      const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
      const { data: [attempt] } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: (await firstInvoiceOf(h, sub.id)).id } } }));
      expect(attempt, token).toMatchObject({ status: 'failed', decline_code: code, decline_category: category, do_not_retry: doNotRetry, gateway_decline_code: code });
      expect(attempt!.network_advice, token).toMatchObject({ network: 'visa', visa_category: expect.any(Number) });
    }
    const paid = await customerWithCard(h, 'tok_visa');
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: paid.id, items: [{ price: price.id }] } }));
    const { data: [ok] } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: (await firstInvoiceOf(h, sub.id)).id } } }));
    expect(ok).toMatchObject({ status: 'succeeded', decline_code: null, decline_category: null, do_not_retry: false, gateway_decline_code: null, network_advice: null });
  });

  it('a card that recovers: the sandbox declines an invoice\'s first two attempts for insufficient funds and takes the third', async () => {
    const customer = await customerWithCard(h, 'tok_chargeDeclinedInsufficientFundsRecoversAfter2');
    const sub = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    const invoice = await firstInvoiceOf(h, sub.id);
    const again = await h.call('POST', `/v1/invoices/${invoice.id}/pay`, {});
    expect(again.status).toBe(402);
    expect(again.body.error).toMatchObject({ decline_code: 'insufficient_funds' });
    const paid = await must(h.client.POST('/v1/invoices/{id}/pay', { params: { path: { id: invoice.id } }, body: {} }));
    expect(paid.status).toBe('paid');
    const { data } = await must(h.client.GET('/v1/payments', { params: { query: { invoice: invoice.id } } }));
    expect(data.map((p) => [p.status, p.decline_code, p.decline_category])).toEqual([
      ['succeeded', null, null], ['failed', 'insufficient_funds', 'soft'], ['failed', 'insufficient_funds', 'soft']]);
    // Another invoice of the same card starts over: its own first two attempts decline.
    const other = await must(h.client.POST('/v1/subscriptions', { body: { customer: customer.id, items: [{ price: price.id }] } }));
    expect(other.status).toBe('incomplete');
  });

  it('refuses an unknown status filter and answers 404 for an unknown payment', async () => {
    const bad = await h.call('GET', '/v1/payments?status=refunded');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'parameter_invalid', param: 'status' });
    const missing = await h.client.GET('/v1/payments/{id}', { params: { path: { id: 'pay_missing' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error).toMatchObject({ code: 'resource_missing', param: 'id' });
  });
});
