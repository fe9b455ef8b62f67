import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { loadConversions, loadRates } from '../../src/app/analytics/exchange.ts';
import { expectErrorShape, ok } from '../builders.ts';
import { harness } from '../support.ts';

/** Exchange rates the merchant uploads for revenue analytics in one reporting currency (issue 19, point 1). */
describe('exchange rates: uploaded as dated history, used by analytics, never mixed silently', async () => {
  const h = await harness();
  const count = async () => Number((await h.database.pool.query('SELECT count(*) FROM exchange_rates')).rows[0].count);
  const post = async (body: Record<string, unknown>) => await h.call('POST', '/v1/exchange_rates', body);

  const eurJan = await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'EUR', quote_currency: 'usd', rate: '1.0850', effective_date: '2027-01-01' });
  const eurFeb = await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: 1.1, effective_date: '2027-02-01' });
  const usdJpy = await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'usd', quote_currency: 'jpy', rate: '150', effective_date: '2027-01-01' });

  it('creates a rate as an exact decimal of a day, and retrieves it', async () => {
    expect(eurJan).toEqual({
      id: expect.stringMatching(/^fxr_/), object: 'exchange_rate', base_currency: 'eur', quote_currency: 'usd',
      rate: '1.085', effective_date: '2027-01-01', created: '2027-01-01T00:00:00.000Z',
    });
    expect(eurFeb.rate).toBe('1.1');
    expect(await ok(h, 'GET', `/v1/exchange_rates/${eurJan.id}`)).toEqual(eurJan);
  });

  it('records the upload in the audit log and as an exchange_rate.created event', async () => {
    const events = (await ok(h, 'GET', `/v1/events?type=exchange_rate.created&object_id=${eurJan.id}`)).data;
    expect(events).toHaveLength(1);
    expect(events[0].data.object).toEqual(eurJan);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${eurJan.id}`)).data;
    expect(audit.map((a: any) => a.action)).toEqual(['exchange_rate.created']);
  });

  it('lists newest first in the list shape, filtered by pair', async () => {
    const all = await ok(h, 'GET', '/v1/exchange_rates');
    expect(all).toEqual({ object: 'list', data: [usdJpy, eurFeb, eurJan], has_more: false });
    expect((await ok(h, 'GET', '/v1/exchange_rates?base_currency=EUR&quote_currency=usd')).data).toEqual([eurFeb, eurJan]);
    expect((await ok(h, 'GET', '/v1/exchange_rates?quote_currency=jpy')).data).toEqual([usdJpy]);
    const first = await ok(h, 'GET', '/v1/exchange_rates?limit=1');
    expect(first).toEqual({ object: 'list', data: [usdJpy], has_more: true });
    expect((await ok(h, 'GET', `/v1/exchange_rates?limit=2&starting_after=${usdJpy.id}`)).data).toEqual([eurFeb, eurJan]);
  });

  it('refuses a second rate of the same pair and day with 409 exchange_rate_exists, writing nothing', async () => {
    const before = await count();
    const r = await post({ base_currency: 'eur', quote_currency: 'usd', rate: '1.2', effective_date: '2027-01-01' });
    expect(r.status).toBe(409);
    expectErrorShape(r.body);
    expect(r.body.error).toMatchObject({ type: 'conflict_error', code: 'exchange_rate_exists', param: 'effective_date' });
    expect(r.body.error.message).toContain('2027-01-01');
    expect(await count()).toBe(before);
    expect((await ok(h, 'GET', `/v1/exchange_rates/${eurJan.id}`)).rate).toBe('1.085');
  });

  it('lets exactly one of two simultaneous uploads of a pair and day through; the other is 409', async () => {
    const body = { base_currency: 'cad', quote_currency: 'usd', rate: '0.73', effective_date: '2027-01-01' };
    const answers = await Promise.all([post(body), post({ ...body, rate: '0.74' })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const rows = (await ok(h, 'GET', '/v1/exchange_rates?base_currency=cad')).data;
    expect(rows).toEqual([answers.find((a) => a.status === 200)!.body]);
  });

  it.each([
    ['an unknown currency', { base_currency: 'eur', quote_currency: 'abc', rate: '1', effective_date: '2027-01-01' }, 'currency_invalid', 'quote_currency'],
    ['gold, which is not money', { base_currency: 'xau', quote_currency: 'usd', rate: '1', effective_date: '2027-01-01' }, 'currency_invalid', 'base_currency'],
    ['the same currency twice', { base_currency: 'usd', quote_currency: 'USD', rate: '1', effective_date: '2027-01-01' }, 'parameter_invalid', 'quote_currency'],
    ['a rate of 0', { base_currency: 'gbp', quote_currency: 'usd', rate: '0', effective_date: '2027-01-01' }, 'parameter_invalid', 'rate'],
    ['a negative rate', { base_currency: 'gbp', quote_currency: 'usd', rate: -1.2, effective_date: '2027-01-01' }, 'parameter_invalid', 'rate'],
    ['a rate that is no number', { base_currency: 'gbp', quote_currency: 'usd', rate: 'one', effective_date: '2027-01-01' }, 'parameter_invalid', 'rate'],
    ['a rate with 13 decimals', { base_currency: 'gbp', quote_currency: 'usd', rate: '1.0000000000001', effective_date: '2027-01-01' }, 'parameter_invalid', 'rate'],
    ['February 29 of a common year', { base_currency: 'gbp', quote_currency: 'usd', rate: '1.25', effective_date: '2027-02-29' }, 'parameter_invalid', 'effective_date'],
    ['a timestamp for a date', { base_currency: 'gbp', quote_currency: 'usd', rate: '1.25', effective_date: '2027-02-01T00:00Z' }, 'parameter_invalid', 'effective_date'],
  ])('refuses %s with 400 and the param, writing nothing', async (_name, body, code, param) => {
    const before = await count();
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code, param });
    expect(await count()).toBe(before);
  });

  it('converts into a reporting currency with the rate of the day, or the reverse pair inverted', async () => {
    const fx = await loadConversions(h.deps.db, h.accountId, [
      { currency: 'eur', at: new Date('2027-01-31T23:59:59Z') }, { currency: 'jpy', at: new Date('2027-01-15T00:00:00Z') },
    ], 'USD');
    expect(fx.reporting).toBe('usd');
    expect(fx.convert(10_000n, 'eur', new Date('2027-01-31T23:59:59Z'))).toBe(10_850n); // €100.00 at 1.085
    expect(fx.convert(10_000n, 'eur', new Date('2027-02-01T00:00:00Z'))).toBe(11_000n); // from Feb 1, 00:00 UTC: 1.1
    // Only usd→jpy 150 was uploaded: ¥1,000 is $6.666… → $6.67.
    expect(fx.rateFor('jpy', new Date('2027-01-15T00:00:00Z'))).toEqual({ base: 'jpy', quote: 'usd', rate: '150', inverse: true, effective_date: '2027-01-01' });
    expect(fx.convert(1_000n, 'jpy', new Date('2027-01-15T00:00:00Z'))).toBe(667n);
    expect(fx.convert(4_200n, 'usd', new Date('2027-01-15T00:00:00Z'))).toBe(4_200n);
  });

  it('prefers an uploaded direct pair over the inverse of the reverse one', async () => {
    await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'jpy', quote_currency: 'usd', rate: '0.0067', effective_date: '2027-03-01' });
    const fx = await loadConversions(h.deps.db, h.accountId, [{ currency: 'jpy', at: new Date('2027-03-01T00:00:00Z') }], 'usd');
    expect(fx.convert(1_000n, 'jpy', new Date('2027-03-01T00:00:00Z'))).toBe(670n);
    expect(fx.convert(1_000n, 'jpy', new Date('2027-02-28T12:00:00Z'))).toBe(667n);
  });

  it('stops with exchange_rate_missing naming the pair and the day when a needed rate is missing', async () => {
    const needs = [{ currency: 'eur', at: new Date('2027-03-01T00:00:00Z') }, { currency: 'gbp', at: new Date('2027-02-10T08:00:00Z') }];
    const err = await loadConversions(h.deps.db, h.accountId, needs, 'usd').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'exchange_rate_missing', status: 400, type: 'invalid_request_error', param: 'currency' });
    expect((err as Error).message).toContain('gbp to usd');
    expect((err as Error).message).toContain('2027-02-10');
    // Before a pair's first rate there is nothing to use either.
    await expect(loadConversions(h.deps.db, h.accountId, [{ currency: 'eur', at: new Date('2026-12-31T23:59:59Z') }], 'usd'))
      .rejects.toMatchObject({ code: 'exchange_rate_missing', message: expect.stringContaining('eur to usd is in effect on 2026-12-31') });
    // Into a currency with no rates at all.
    await expect(loadConversions(h.deps.db, h.accountId, [{ currency: 'usd', at: new Date('2027-02-01T00:00:00Z') }], 'chf'))
      .rejects.toMatchObject({ code: 'exchange_rate_missing', message: expect.stringContaining('usd to chf') });
  });

  it("keeps another account's rates invisible, and lets it upload the same pair and day", async () => {
    const b = await createAccount(h.database.db, 'Other merchant');
    const asB = async (method: string, url: string, body?: unknown) => await h.call(method, url, body, { key: b.key.secret });
    const got = await asB('GET', `/v1/exchange_rates/${eurJan.id}`);
    expect(got.status).toBe(404);
    expect(got.body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
    expect((await asB('GET', '/v1/exchange_rates')).body).toEqual({ object: 'list', data: [], has_more: false });
    expect(await loadRates(h.deps.db, b.account.id)).toEqual([]);
    await expect(loadConversions(h.deps.db, b.account.id, [{ currency: 'eur', at: new Date('2027-02-01T00:00:00Z') }], 'usd'))
      .rejects.toMatchObject({ code: 'exchange_rate_missing' });
    const own = await asB('POST', '/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: '1.09', effective_date: '2027-01-01' });
    expect(own.status).toBe(200);
    expect((await ok(h, 'GET', `/v1/exchange_rates/${eurJan.id}`)).rate).toBe('1.085');
  });
});
