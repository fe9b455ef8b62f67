import { describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';
import { idFloorAt, idTime } from '../../src/domain/ids.ts';
import { warmBooks } from '../../src/app/analytics/book.ts';
import { buildServer } from '../../src/http/server.ts';

type Series = { currency: string; periods: { mrr: number; paying_customers: number }[] };
const last = (report: { data: Series[] }) => report.data.find((s) => s.currency === 'usd')!.periods.at(-1)!;

/**
 * The book behind the reports is kept between requests (src/app/analytics/book.ts) until the
 * account's subscriptions change: every change must show in the very next report.
 */
describe('revenue reports after a change', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 1000);
  const clock = await clockAt(h, '2027-01-05T00:00:00Z');
  const to = '2027-02-01T00:00:00Z';
  const report = async (path: string) => await ok(h, 'GET', `/v1/analytics/${path}?from=2027-01-01T00:00:00Z&to=${to}`);

  it('shows a new subscription, a plan change and a cancellation in the next report', async () => {
    const a = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: a.id, items: [{ price: price.id }] });
    expect(last(await report('mrr'))).toMatchObject({ mrr: 1000, paying_customers: 1 });
    const b = await customerWithCard(h, 'tok_visa', clock.id);
    await ok(h, 'POST', '/v1/subscriptions', { customer: b.id, items: [{ price: price.id }] });
    expect(last(await report('mrr'))).toMatchObject({ mrr: 2000, paying_customers: 2 });
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, quantity: 3 }] });
    expect(last(await report('mrr'))).toMatchObject({ mrr: 4000, paying_customers: 2 });
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    expect(last(await report('mrr'))).toMatchObject({ mrr: 1000, paying_customers: 1 });
    const subscribers = await report('subscribers');
    expect(subscribers.data.at(-1).subscriptions.active).toBe(1);
    expect(subscribers.data.at(-1).canceled).toBe(1);
  });

  it('answers for the range asked, whatever was asked before: a change after `to` is not in it', async () => {
    await advance(h, clock.id, '2027-02-10T00:00:00Z');
    const c = await customerWithCard(h, 'tok_visa', clock.id);
    await ok(h, 'POST', '/v1/subscriptions', { customer: c.id, items: [{ price: price.id }] });
    expect(last(await report('mrr'))).toMatchObject({ mrr: 1000, paying_customers: 1 });
    const later = await ok(h, 'GET', '/v1/analytics/mrr?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z');
    expect(last(later)).toMatchObject({ mrr: 2000, paying_customers: 2 });
    expect(last(await report('mrr'))).toMatchObject({ mrr: 1000, paying_customers: 1 });
  });

  const until = '2027-04-01T00:00:00Z';
  const mrrNow = async () => last(await ok(h, 'GET', `/v1/analytics/mrr?from=2027-01-01T00:00:00Z&to=${until}`)).mrr;

  it('a plan change to a price the kept book never read shows in the next report', async () => {
    const e = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: e.id, items: [{ price: price.id }] });
    const before = await mrrNow();
    const dearer = await monthlyPrice(h, 2500);
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, price: dearer.id }], proration_behavior: 'none' });
    expect(await mrrNow()).toBe(before + 1500);
  });

  it('a revision committed after one of a greater id (another writer\'s transaction) shows in the next report', async () => {
    const f = await customerWithCard(h, 'tok_visa', clock.id);
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: f.id, items: [{ price: price.id }] });
    await warmBooks(h.deps.db);
    const before = await mrrNow();
    // Its cancellation as another process would write it: minted a second before the greatest id the book has read, committed now.
    const { rows: [{ max }] } = await h.database.pool.query('SELECT max(id) AS max FROM subscription_revisions WHERE account_id = $1', [h.accountId]);
    const late = `${idFloorAt('subscriptionRevision', idTime(max) - 1000).slice(0, -1)}1`;
    await h.database.pool.query(`
      INSERT INTO subscription_revisions (account_id, id, subscription_id, customer_id, at, status, currency, items, discount_ids)
      SELECT account_id, $2, subscription_id, customer_id, at + interval '1 second', 'canceled', currency, items, discount_ids
        FROM subscription_revisions WHERE subscription_id = $1 ORDER BY id DESC LIMIT 1`, [sub.id, late]);
    expect(late < max).toBe(true);
    expect(await mrrNow()).toBe(before - 1000);
  });
});

describe('GET /health/ready', async () => {
  const h = await harness();
  it('answers 503 until the books read at start are in, then 200; /health answers all along', async () => {
    let warmed = false;
    const app = await buildServer(h.deps, { logLevel: 'silent', ready: () => warmed });
    try {
      const ask = async (url: string) => { const r = await app.inject({ method: 'GET', url }); return [r.statusCode, r.json()]; };
      expect(await ask('/health/ready')).toEqual([503, { ready: false }]);
      expect(await ask('/health')).toEqual([200, { ok: true }]);
      await warmBooks(h.deps.db);
      warmed = true;
      expect(await ask('/health/ready')).toEqual([200, { ready: true }]);
    } finally {
      await app.close();
    }
  });
});
