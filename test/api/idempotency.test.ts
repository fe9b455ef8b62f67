import type { AddressInfo } from 'node:net';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { failedJob, ok, webhookDelivery } from '../builders.ts';
import { harness, tableCounts, type Harness } from '../support.ts';

/** Same key + same body → same response, nothing written twice; same key + other body → 409. */

type Raw = { status: number; text: string; headers: Headers };

/** A request whose response body is kept as the exact bytes sent. */
async function raw(h: Harness, url: string, body: unknown, key: string | undefined, secret = h.key): Promise<Raw> {
  const { port } = h.app.server.address() as AddressInfo;
  const headers: Record<string, string> = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  if (key !== undefined) headers['idempotency-key'] = key;
  const res = await fetch(`http://127.0.0.1:${port}${url}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function everything(h: Harness) {
  const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges');
  const keys = await h.database.pool.query('SELECT count(*)::int AS n FROM idempotency_keys');
  return { ...(await tableCounts(h)), sandbox_charges: charges.rows[0].n as number, idempotency_keys: keys.rows[0].n as number };
}

/** A repeat of `first` with its key and body: the very same bytes, marked as replayed. */
async function expectReplayed(h: Harness, url: string, body: unknown, key: string, first: Raw) {
  const again = await raw(h, url, body, key);
  expect(again.status).toBe(first.status);
  expect(again.text).toBe(first.text);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
}

async function storedKey(h: Harness, accountId: string, key: string) {
  const r = await h.database.pool.query('SELECT status_code, response FROM idempotency_keys WHERE account_id = $1 AND key = $2', [accountId, key]);
  return r.rows[0] as { status_code: number | null; response: string | null } | undefined;
}

describe('Idempotency-Key on writes', async () => {
  const h = await harness();
  const product = await ok(h, 'POST', '/v1/products', { name: 'Coffee box' });
  const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });

  it('replays a balance adjustment: one transaction, one change of the balance', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-balance@example.com' });
    const url = `/v1/customers/${customer.id}/balance_transactions`;
    const body = { amount: -250, currency: 'usd', description: 'Refund of shipping' };
    const first = await raw(h, url, body, 'balance-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, url, body, 'balance-key-1', first);
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(-250);
    expect((await ok(h, 'GET', url)).data).toHaveLength(1);
    const other = await raw(h, url, { ...body, amount: -251 }, 'balance-key-1');
    expect(other.status).toBe(409);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(-250);
  });

  it('replays a user creation: one user; the password is kept out of the stored fingerprint', async () => {
    const body = { email: 'idem-user@example.com', password: 'idempotent passphrase', role: 'support' };
    const first = await raw(h, '/v1/users', body, 'user-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/users', body, 'user-key-1', first);
    // Another password under the same key is the same request as far as the key can tell: a fast
    // hash of the password is never stored, so the two cannot be told apart.
    await expectReplayed(h, '/v1/users', { ...body, password: 'another passphrase' }, 'user-key-1', first);
    expect(await everything(h)).toEqual(before);
    expect((await raw(h, '/v1/users', { ...body, role: 'finance' }, 'user-key-1')).status).toBe(409);
    expect((await ok(h, 'GET', '/v1/users')).data.filter((u: { email: string }) => u.email === body.email)).toHaveLength(1);
    const stored = await storedKey(h, h.accountId, 'user-key-1');
    expect(JSON.stringify(stored)).not.toContain(body.password);
  });

  it('replays a job retry: the job is queued once, and the replay is not refused as already retried', async () => {
    const job = await failedJob(h.deps, h.accountId);
    const url = `/v1/jobs/${job}/retry`;
    const first = await raw(h, url, {}, 'job-retry-1');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ id: job, status: 'ready', attempts: 0 });
    const before = await everything(h);
    await expectReplayed(h, url, {}, 'job-retry-1', first);
    expect(await everything(h)).toEqual(before);
    const audit = await h.database.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE object_id = $1 AND action = 'job.retried'", [job]);
    expect(audit.rows[0].n).toBe(1);
    // Without the key, a second retry is refused: the job is no longer failed.
    expect((await raw(h, url, {}, undefined)).status).toBe(400);
  });

  it('replays a notification resend: one send job, one audit entry, and a template change is recorded once', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-notify@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    await sequenceEvents(h.deps.db, h.clock.now());
    const n = (await ok(h, 'GET', `/v1/notifications?customer=${customer.id}`)).data[0];
    // As a worker that died mid-send leaves it.
    await h.database.pool.query("UPDATE notifications SET status = 'unknown' WHERE id = $1", [n.id]);
    const url = `/v1/notifications/${n.id}/resend`;
    const first = await raw(h, url, {}, 'resend-1');
    expect(JSON.parse(first.text)).toMatchObject({ id: n.id, status: 'pending' });
    const before = await everything(h);
    await expectReplayed(h, url, {}, 'resend-1', first);
    expect(await everything(h)).toEqual(before);
    const jobs = await h.database.pool.query("SELECT count(*)::int AS n FROM jobs WHERE kind = 'notification.send' AND payload->>'notification' = $1", [n.id]);
    expect(jobs.rows[0].n).toBe(2); // the first send's and the resend's

    const body = { subject: 'Receipt {{invoice_number}}' };
    const t = await raw(h, '/v1/notification_templates/receipt', body, 'template-1');
    expect(t.status).toBe(200);
    const unchanged = await everything(h);
    await expectReplayed(h, '/v1/notification_templates/receipt', body, 'template-1', t);
    expect(await everything(h)).toEqual(unchanged);
    expect((await raw(h, '/v1/notification_templates/receipt', { subject: 'Other' }, 'template-1')).status).toBe(409);
  });

  it('replays POST /v1/customers byte for byte and writes nothing the second time', async () => {
    const body = { email: 'idem@example.com', name: 'Idem', metadata: { source: 'test' } };
    const first = await raw(h, '/v1/customers', body, 'cust-key-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const before = await everything(h);

    const again = await raw(h, '/v1/customers', body, 'cust-key-1');
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    // The same body with its keys in another order is the same request.
    const reordered = await raw(h, '/v1/customers', { metadata: { source: 'test' }, name: 'Idem', email: 'idem@example.com' }, 'cust-key-1');
    expect(reordered.status).toBe(200);
    expect(reordered.text).toBe(first.text);
    expect(await everything(h)).toEqual(before);
    const list = await ok(h, 'GET', '/v1/customers?email=idem%40example.com');
    expect(list.data).toHaveLength(1);
  });

  it('replays a plan change with always_invoice without a second proration invoice or charge', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'upgrade@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const body = { items: [{ id: sub.items.data[0].id, quantity: 3 }], proration_behavior: 'always_invoice' };
    const first = await raw(h, `/v1/subscriptions/${sub.id}`, body, 'upgrade-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    const again = await raw(h, `/v1/subscriptions/${sub.id}`, body, 'upgrade-key-1');
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await everything(h)).toEqual(before);
    const invoices = await ok(h, 'GET', `/v1/invoices?subscription=${sub.id}`);
    expect(invoices.data.map((i: { billing_reason: string }) => i.billing_reason).sort()).toEqual(['subscription_create', 'subscription_update']);
    // The same key with another change is refused, and changes nothing.
    const other = await raw(h, `/v1/subscriptions/${sub.id}`, { ...body, items: [{ id: sub.items.data[0].id, quantity: 4 }] }, 'upgrade-key-1');
    expect(other.status).toBe(409);
    expect(JSON.parse(other.text).error.code).toBe('idempotency_key_reused');
    expect(await everything(h)).toEqual(before);
  });

  it('replays POST /v1/subscriptions without a second invoice or charge', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'sub@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const body = { customer: customer.id, items: [{ price: price.id, quantity: 2 }] };
    const chargesBefore = (await everything(h)).sandbox_charges;
    const first = await raw(h, '/v1/subscriptions', body, 'sub-key-1');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).status).toBe('active');
    const afterFirst = await everything(h);
    expect(afterFirst.sandbox_charges).toBe(chargesBefore + 1);

    for (let i = 0; i < 3; i++) await expectReplayed(h, '/v1/subscriptions', body, 'sub-key-1', first);
    expect(await everything(h)).toEqual(afterFirst);
    expect((await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data).toHaveLength(1);
    expect((await ok(h, 'GET', `/v1/invoices?customer=${customer.id}`)).data).toHaveLength(1);
  });

  it('replays POST /v1/invoiceitems: one item, the same answer', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'items@example.com' });
    const body = { customer: customer.id, amount: -250, currency: 'usd', description: 'Goodwill credit' };
    const first = await raw(h, '/v1/invoiceitems', body, 'item-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    for (let i = 0; i < 2; i++) {
      const again = await raw(h, '/v1/invoiceitems', body, 'item-key-1');
      expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    }
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}`)).data).toHaveLength(1);
    const other = await raw(h, '/v1/invoiceitems', { ...body, amount: -300 }, 'item-key-1');
    expect(other.status).toBe(409);
    expect(JSON.parse(other.text).error.code).toBe('idempotency_key_reused');
  });

  it('replays POST /v1/account: one change, one event, even after the settings changed again', async () => {
    const body = { name: 'Replayed merchant', tax_id: 'FR12345678901' };
    const first = await raw(h, '/v1/account', body, 'account-key-1');
    expect(first.status).toBe(200);
    await ok(h, 'POST', '/v1/account', { name: 'Renamed since' });
    const before = await everything(h);
    await expectReplayed(h, '/v1/account', body, 'account-key-1', first);
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', '/v1/account')).name).toBe('Renamed since');
    const events = await ok(h, 'GET', `/v1/events?type=account.updated&object_id=${h.accountId}`);
    expect(events.data.map((e: { data: { object: { name: string } } }) => e.data.object.name)).toEqual(['Renamed since', 'Replayed merchant']);
  });

  it('replays POST /v1/invoices: one invoice, one charge, and no second invoice of items added since', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'manual@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 1800, currency: 'usd' });
    const body = { customer: customer.id, auto_advance: true };
    const first = await raw(h, '/v1/invoices', body, 'invoice-key-1');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ status: 'paid', amount_paid: 1800 });
    // A new pending item would make a second invoice if the request ran again; the key stops it.
    await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 500, currency: 'usd' });
    const before = await everything(h);
    const again = await raw(h, '/v1/invoices', body, 'invoice-key-1');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', `/v1/invoices?customer=${customer.id}`)).data).toHaveLength(1);
    expect((await ok(h, 'GET', `/v1/invoiceitems?customer=${customer.id}&pending=true`)).data).toHaveLength(1);
  });

  it('replays POST /v1/subscription_schedules: one schedule, one subscription, one charge', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'schedule@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const body = { customer: customer.id, start_date: 'now', phases: [{ items: [{ price: price.id }], iterations: 3 }] };
    const chargesBefore = (await everything(h)).sandbox_charges;
    const first = await raw(h, '/v1/subscription_schedules', body, 'schedule-key-1');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ object: 'subscription_schedule', status: 'active' });
    const afterFirst = await everything(h);
    expect(afterFirst.sandbox_charges).toBe(chargesBefore + 1);

    for (let i = 0; i < 2; i++) await expectReplayed(h, '/v1/subscription_schedules', body, 'schedule-key-1', first);
    const other = await raw(h, '/v1/subscription_schedules', { ...body, end_behavior: 'cancel' }, 'schedule-key-1');
    expect(other.status).toBe(409);
    expect(JSON.parse(other.text).error.code).toBe('idempotency_key_reused');
    expect(await everything(h)).toEqual(afterFirst);
    expect((await ok(h, 'GET', `/v1/subscription_schedules?customer=${customer.id}`)).data).toHaveLength(1);
    expect((await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data).toHaveLength(1);
  });

  it('replays POST /v1/coupons: one coupon, the same answer', async () => {
    const body = { name: 'Replayed', percent_off: '15', duration: 'forever' };
    const first = await raw(h, '/v1/coupons', body, 'coupon-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    const again = await raw(h, '/v1/coupons', body, 'coupon-key-1');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
  });

  it('replays a credit note with a refund and its void: one note, one refund at the gateway, one void', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-cn@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const body = { invoice: sub.latest_invoice, amount: 500, refund_amount: 300, credit_amount: 200, reason: 'duplicate' };
    const refunds = async () => (await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.refunds')).rows[0].n as number;
    const first = await raw(h, '/v1/credit_notes', body, 'cn-key-1');
    expect(first.status).toBe(200);
    const before = { ...(await everything(h)), sandbox_refunds: await refunds() };
    await expectReplayed(h, '/v1/credit_notes', body, 'cn-key-1', first);
    expect({ ...(await everything(h)), sandbox_refunds: await refunds() }).toEqual(before);
    expect((await raw(h, '/v1/credit_notes', { ...body, reason: 'fraudulent' }, 'cn-key-1')).status).toBe(409);
    expect((await ok(h, 'GET', `/v1/credit_notes?invoice=${sub.latest_invoice}`)).data).toHaveLength(1);

    const unrefunded = await ok(h, 'POST', '/v1/credit_notes', { invoice: sub.latest_invoice, amount: 100, credit_amount: 100 });
    const url = `/v1/credit_notes/${unrefunded.id}/void`;
    const voided = await raw(h, url, {}, 'cn-void-key-1');
    expect(voided.status).toBe(200);
    const afterVoid = await everything(h);
    await expectReplayed(h, url, {}, 'cn-void-key-1', voided);
    expect(await everything(h)).toEqual(afterVoid);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).balance).toBe(-200);
  });

  it('replays POST /v1/promotion_codes: one code (the same made-up one), the same answer; its update too', async () => {
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: '5', duration: 'once' });
    const first = await raw(h, '/v1/promotion_codes', { coupon: coupon.id }, 'promo-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    const again = await raw(h, '/v1/promotion_codes', { coupon: coupon.id }, 'promo-key-1');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
    const id = JSON.parse(first.text).id;
    const off = await raw(h, `/v1/promotion_codes/${id}`, { active: false }, 'promo-key-2');
    const afterOff = await everything(h);
    const offAgain = await raw(h, `/v1/promotion_codes/${id}`, { active: false }, 'promo-key-2');
    expect([offAgain.status, offAgain.text]).toEqual([200, off.text]);
    expect(await everything(h)).toEqual(afterOff);
  });

  it('replays a subscription redeeming a promotion code: redeemed once', async () => {
    const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: '10', duration: 'forever' });
    const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, max_redemptions: 1 });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'promo@example.com' });
    const product = await ok(h, 'POST', '/v1/products', { name: 'Promo box' });
    const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1_000, recurring: { interval: 'month' } });
    const body = { customer: customer.id, items: [{ price: price.id }], discounts: [{ promotion_code: promo.id }] };
    const first = await raw(h, '/v1/subscriptions', body, 'promo-sub-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    const again = await raw(h, '/v1/subscriptions', body, 'promo-sub-key-1');
    expect([again.status, again.text]).toEqual([200, first.text]);
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', `/v1/promotion_codes/${promo.id}`)).times_redeemed).toBe(1);
  });

  it('replays a webhook endpoint and its secret rotation with the same secret, kept sealed for the replay', async () => {
    const body = { url: 'https://hooks.example.com/idem', enabled_events: ['invoice.paid'] };
    const first = await raw(h, '/v1/webhook_endpoints', body, 'we-key-1');
    expect(first.status).toBe(200);
    const { id, secret } = JSON.parse(first.text);
    const before = await everything(h);
    const again = await raw(h, '/v1/webhook_endpoints', body, 'we-key-1');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
    const stored = await h.database.pool.query("SELECT response FROM idempotency_keys WHERE key = 'we-key-1'");
    expect(stored.rows[0].response).not.toContain(secret.slice(6));
    const rotated = await raw(h, `/v1/webhook_endpoints/${id}/rotate_secret`, {}, 'we-key-2');
    const afterRotation = await everything(h);
    const rotatedAgain = await raw(h, `/v1/webhook_endpoints/${id}/rotate_secret`, {}, 'we-key-2');
    expect([rotatedAgain.status, rotatedAgain.text]).toEqual([200, rotated.text]);
    expect(JSON.parse(rotatedAgain.text).secret).not.toBe(secret);
    expect(await everything(h)).toEqual(afterRotation);
  });

  it('replays a card-update link: one link, the same URL, kept sealed for the replay', async () => {
    h.deps.notifications = { from: 'billing@idem.example', publicUrl: 'http://127.0.0.1:9', signingKey: Buffer.alloc(32, 3) };
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-link@example.com' });
    const body = { customer: customer.id, return_url: 'https://shop.example/account' };
    const first = await raw(h, '/v1/payment_links/update_payment_method', body, 'link-key-1');
    expect(first.status).toBe(200);
    const { url } = JSON.parse(first.text);
    const before = await everything(h);
    const again = await raw(h, '/v1/payment_links/update_payment_method', body, 'link-key-1');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
    const stored = await h.database.pool.query("SELECT response FROM idempotency_keys WHERE key = 'link-key-1'");
    expect(stored.rows[0].response).not.toContain(url.split('.').at(-1));
    expect((await raw(h, '/v1/payment_links/update_payment_method', { customer: customer.id }, 'link-key-1')).status).toBe(409);
  });

  it('replays a billing portal session: one session, the same URL, kept sealed; and a configuration made once', async () => {
    h.deps.notifications = { from: 'billing@idem.example', publicUrl: 'http://127.0.0.1:9', signingKey: Buffer.alloc(32, 3) };
    const config = { features: { invoice_history: { enabled: true } } };
    const made = await raw(h, '/v1/billing_portal/configurations', config, 'bpc-key-1');
    expect(made.status).toBe(200);
    await expectReplayed(h, '/v1/billing_portal/configurations', config, 'bpc-key-1', made);
    const id = JSON.parse(made.text).id as string;
    const changed = await raw(h, `/v1/billing_portal/configurations/${id}`, { is_default: true }, 'bpc-key-2');
    await expectReplayed(h, `/v1/billing_portal/configurations/${id}`, { is_default: true }, 'bpc-key-2', changed);
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-portal@example.com' });
    const body = { customer: customer.id, return_url: 'https://shop.example/account' };
    const first = await raw(h, '/v1/billing_portal/sessions', body, 'bps-key-1');
    expect(first.status).toBe(200);
    const { url } = JSON.parse(first.text);
    await expectReplayed(h, '/v1/billing_portal/sessions', body, 'bps-key-1', first);
    const stored = await h.database.pool.query("SELECT response FROM idempotency_keys WHERE key = 'bps-key-1'");
    expect(stored.rows[0].response).not.toContain(url.split('.').at(-1));
    expect((await h.database.pool.query('SELECT count(*)::int AS n FROM billing_portal_sessions WHERE customer_id = $1', [customer.id])).rows[0].n).toBe(1);
  });

  it('replays a webhook replay and a delivery retry: each sends once, the same answer', async () => {
    const endpoint = JSON.parse((await raw(h, '/v1/webhook_endpoints', { url: 'https://hooks.example.com/replayed', enabled_events: ['customer.created'] }, 'we-replay-0')).text);
    const delivery = await webhookDelivery(h, endpoint.id);
    const failed = await h.database.pool.query("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE account_id = $1 AND endpoint_id = $2", [h.accountId, endpoint.id]);
    const url = `/v1/webhook_endpoints/${endpoint.id}/replay`;
    const first = await raw(h, url, { status: 'failed' }, 'we-replay-1');
    expect(JSON.parse(first.text)).toEqual({ object: 'webhook_replay', endpoint: endpoint.id, events: failed.rowCount });
    const before = await everything(h);
    await expectReplayed(h, url, { status: 'failed' }, 'we-replay-1', first);
    expect(await everything(h)).toEqual(before);
    const replays = await h.database.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE object_id = $1 AND action = 'webhook_endpoint.replayed'", [endpoint.id]);
    expect(replays.rows[0].n).toBe(1);
    await h.database.pool.query("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = $1", [delivery]);
    const retryUrl = `/v1/webhook_deliveries/${delivery}/retry`;
    const retried = await raw(h, retryUrl, {}, 'we-retry-1');
    expect(JSON.parse(retried.text)).toMatchObject({ id: delivery, status: 'pending' });
    const afterRetry = await everything(h);
    await expectReplayed(h, retryUrl, {}, 'we-retry-1', retried);
    expect(await everything(h)).toEqual(afterRetry);
    const audit = await h.database.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE object_id = $1 AND action = 'webhook_delivery.retried'", [delivery]);
    expect(audit.rows[0].n).toBe(1);
  });

  it('replays POST /v1/gateways: one gateway, the same answer', async () => {
    const body = { type: 'sandbox', name: 'Replayed', metadata: { k: 'v' } };
    const first = await raw(h, '/v1/gateways', body, 'gw-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/gateways', body, 'gw-key-1', first);
    expect(await everything(h)).toEqual(before);
  });

  it('replays POST /v1/routing_rules: one rule at one position, the same answer', async () => {
    const body = { gateway: 'sandbox', currency: 'usd', amount_gte: 100 };
    const first = await raw(h, '/v1/routing_rules', body, 'rr-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/routing_rules', body, 'rr-key-1', first);
    expect(await everything(h)).toEqual(before);
  });

  it('replays POST /v1/dunning_policies: one policy, the same answer', async () => {
    const body = { name: 'Replayed', retry_schedule_days: [2, 4], is_default: true };
    const first = await raw(h, '/v1/dunning_policies', body, 'dpol-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/dunning_policies', body, 'dpol-key-1', first);
    expect(await everything(h)).toEqual(before);
  });

  it('replays POST /v1/features and an entitlement override: one of each, one announcement, the same answers', async () => {
    const body = { lookup_key: 'replayed', name: 'Replayed' };
    const first = await raw(h, '/v1/features', body, 'feat-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/features', body, 'feat-key-1', first);
    expect(await everything(h)).toEqual(before);
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-entitled@example.com' });
    const grant = { feature: JSON.parse(first.text).id, grant: true, expires_at: '2030-01-01T00:00:00Z' };
    const url = `/v1/customers/${customer.id}/entitlement_overrides`;
    const made = await raw(h, url, grant, 'entov-key-1');
    expect(made.status).toBe(200);
    const granted = await everything(h);
    await expectReplayed(h, url, grant, 'entov-key-1', made);
    expect(await everything(h)).toEqual(granted);
    expect((await ok(h, 'GET', `/v1/events?type=entitlements.updated&object_id=${customer.id}`)).data).toHaveLength(1);
  });

  it('replays POST /v1/billing/meters; meter events ignore the header: their identifier is the key, and no reservation is kept', async () => {
    const body = { event_name: 'replayed', display_name: 'Replayed', default_aggregation: { formula: 'sum' } };
    const first = await raw(h, '/v1/billing/meters', body, 'mtr-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/billing/meters', body, 'mtr-key-1', first);
    expect(await everything(h)).toEqual(before);
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-usage@example.com' });
    const event = { event_name: 'replayed', identifier: 'usage-1', payload: { customer: customer.id, value: 1 } };
    const keys = async () => (await h.database.pool.query('SELECT count(*)::int AS n FROM idempotency_keys')).rows[0].n;
    const keysBefore = await keys();
    const sent = await raw(h, '/v1/billing/meter_events', event, 'usage-key-1');
    const again = await raw(h, '/v1/billing/meter_events', { ...event, identifier: 'usage-2' }, 'usage-key-1');
    expect([JSON.parse(sent.text).status, JSON.parse(again.text).status]).toEqual(['accepted', 'accepted']);
    expect(JSON.parse((await raw(h, '/v1/billing/meter_events', event, 'usage-key-2')).text).status).toBe('duplicate');
    expect(await keys()).toBe(keysBefore);
  });

  it('replays a credit grant, its change and its void: one grant, one of each announcement, the same answers', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-credit@example.com' });
    const body = { customer: customer.id, amount: { type: 'monetary', monetary: { value: 2500, currency: 'usd' } }, applicability_config: { scope: { price_type: 'metered' } }, category: 'paid' };
    const first = await raw(h, '/v1/billing/credit_grants', body, 'cgr-key-1');
    expect(first.status).toBe(200);
    const id = JSON.parse(first.text).id as string;
    const steps: [string, unknown, string][] = [[`/v1/billing/credit_grants/${id}`, { metadata: { po: '42' } }, 'cgr-key-2'], [`/v1/billing/credit_grants/${id}/void`, {}, 'cgr-key-3']];
    for (const [url, b, key] of steps) expect((await raw(h, url, b, key)).status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/billing/credit_grants', body, 'cgr-key-1', first);
    // The void replays as the first answer, not as "voided already".
    for (const [url, b, key] of steps) expect((await raw(h, url, b, key)).status).toBe(200);
    expect(await everything(h)).toEqual(before);
    for (const type of ['credit_grant.created', 'credit_grant.updated', 'credit_grant.voided']) {
      expect((await ok(h, 'GET', `/v1/events?type=${type}&object_id=${id}`)).data).toHaveLength(1);
    }
  });

  it('replays POST /v1/billing/alerts and an archive: one alert, one check queued, the same answers', async () => {
    const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'alerted', display_name: 'Alerted', default_aggregation: { formula: 'sum' } });
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'idem-alert@example.com' });
    const body = { alert_type: 'usage_threshold', title: 'Replayed', usage_threshold: { gte: 5, meter: meter.id, filters: [{ type: 'customer', customer: customer.id }] } };
    const first = await raw(h, '/v1/billing/alerts', body, 'alrt-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/billing/alerts', body, 'alrt-key-1', first);
    expect(await everything(h)).toEqual(before);
    const url = `/v1/billing/alerts/${JSON.parse(first.text).id}/archive`;
    const archived = await raw(h, url, {}, 'alrt-archive-1');
    expect(JSON.parse(archived.text).status).toBe('archived');
    const after = await everything(h);
    await expectReplayed(h, url, {}, 'alrt-archive-1', archived);
    expect(await everything(h)).toEqual(after);
    expect((await ok(h, 'GET', `/v1/events?type=billing.alert.updated&object_id=${JSON.parse(first.text).id}`)).data).toHaveLength(1);
  });

  it('replays POST /v1/exchange_rates as the first answer, where a new key is refused as a second rate of the day', async () => {
    const body = { base_currency: 'chf', quote_currency: 'usd', rate: '1.1234', effective_date: '2027-01-01' };
    const first = await raw(h, '/v1/exchange_rates', body, 'fx-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    await expectReplayed(h, '/v1/exchange_rates', body, 'fx-key-1', first);
    expect(await everything(h)).toEqual(before);
    const fresh = await raw(h, '/v1/exchange_rates', body, 'fx-key-2');
    expect(fresh.status).toBe(409);
    expect(JSON.parse(fresh.text).error).toMatchObject({ code: 'exchange_rate_exists', param: 'effective_date' });
    expect((await ok(h, 'GET', '/v1/exchange_rates?base_currency=chf')).data).toEqual([JSON.parse(first.text)]);
  });

  it('replays POST /v1/tax_rates: one rate, the same answer', async () => {
    const body = { display_name: 'Replayed VAT', percentage: '7.7', inclusive: true };
    const first = await raw(h, '/v1/tax_rates', body, 'tax-key-1');
    expect(first.status).toBe(200);
    const before = await everything(h);
    const again = await raw(h, '/v1/tax_rates', body, 'tax-key-1');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', '/v1/tax_rates?limit=100')).data.filter((r: { display_name: string }) => r.display_name === 'Replayed VAT')).toHaveLength(1);
  });

  it('refuses the same key with another body (409 idempotency_key_reused) and writes nothing', async () => {
    const first = await raw(h, '/v1/customers', { email: 'one@example.com' }, 'reuse-key');
    expect(first.status).toBe(200);
    const before = await everything(h);
    for (const [url, body] of [
      ['/v1/customers', { email: 'two@example.com' }],
      ['/v1/customers', { email: 'one@example.com', name: 'extra' }],
      ['/v1/customers', {}],
      ['/v1/products', { name: 'elsewhere' }],
    ] as const) {
      const r = await raw(h, url, body, 'reuse-key');
      expect(r.status, r.text).toBe(409);
      expect(JSON.parse(r.text)).toEqual({ error: { type: 'idempotency_error', code: 'idempotency_key_reused', message: expect.any(String), param: 'Idempotency-Key' } });
      expect(r.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await everything(h)).toEqual(before);
    // The original request still replays.
    expect((await raw(h, '/v1/customers', { email: 'one@example.com' }, 'reuse-key')).text).toBe(first.text);
  });

  it('scopes keys per account: another account using the same key gets its own fresh result', async () => {
    const other = await createAccount(h.database.db, 'Other');
    const body = { email: 'shared@example.com' };
    const mine = await raw(h, '/v1/customers', body, 'shared-key');
    const theirs = await raw(h, '/v1/customers', body, 'shared-key', other.key.secret);
    expect(mine.status).toBe(200);
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.parse(theirs.text).id).not.toBe(JSON.parse(mine.text).id);
    // And each account's key is independent of the other's body.
    const otherBody = await raw(h, '/v1/products', { name: 'theirs' }, 'shared-key-2', other.key.secret);
    const myBody = await raw(h, '/v1/customers', { email: 'mine@example.com' }, 'shared-key-2');
    expect([otherBody.status, myBody.status]).toEqual([200, 200]);
    const owners = await h.database.pool.query('SELECT account_id, id FROM customers WHERE email = $1 ORDER BY account_id', ['shared@example.com']);
    expect(owners.rows.map((r) => r.account_id).sort()).toEqual([h.accountId, other.account.id].sort());
    // A replay in each account returns that account's own object.
    expect((await raw(h, '/v1/customers', body, 'shared-key', other.key.secret)).text).toBe(theirs.text);
    expect((await raw(h, '/v1/customers', body, 'shared-key')).text).toBe(mine.text);
  });

  it('does not reserve a key for a request that fails validation, so a corrected retry with the key succeeds', async () => {
    const before = await everything(h);
    const bad = await raw(h, '/v1/customers', { email: 42 }, 'fix-me');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatchObject({ code: 'parameter_invalid', param: 'email' });
    expect(await storedKey(h, h.accountId, 'fix-me')).toBeUndefined();
    const malformed = await raw(h, '/v1/customers', '{"email":', 'fix-me');
    expect(malformed.status).toBe(400);
    const card = await raw(h, '/v1/customers', { name: '4242 4242 4242 4242' }, 'fix-me');
    expect(JSON.parse(card.text).error.code).toBe('card_number_refused');
    expect(await everything(h)).toEqual(before);

    const fixed = await raw(h, '/v1/customers', { email: 'fixed@example.com' }, 'fix-me');
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect((await raw(h, '/v1/customers', { email: 'fixed@example.com' }, 'fix-me')).text).toBe(fixed.text);
    // The invalid body is still refused for what it is, before the key is consulted.
    const badAgain = await raw(h, '/v1/customers', { email: 42 }, 'fix-me');
    expect(badAgain.status).toBe(400);
    expect(JSON.parse(badAgain.text).error.code).toBe('parameter_invalid');
  });

  it('replays a 4xx from the service as the same 4xx, even once the cause is gone', async () => {
    const first = await raw(h, '/v1/payment_methods', { customer: 'cus_does_not_exist', token: 'tok_visa' }, 'missing-key');
    expect(first.status).toBe(404);
    expect(JSON.parse(first.text).error).toMatchObject({ code: 'resource_missing', param: 'customer' });
    expect(await storedKey(h, h.accountId, 'missing-key')).toMatchObject({ status_code: 404 });
    const again = await raw(h, '/v1/payment_methods', { customer: 'cus_does_not_exist', token: 'tok_visa' }, 'missing-key');
    expect(again.status).toBe(404);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    // A subscription refused for having no payable customer yet stays refused under its key.
    const customer = await ok(h, 'POST', '/v1/customers', {});
    const oneTime = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 100 });
    const body = { customer: customer.id, items: [{ price: oneTime.id }] };
    const refused = await raw(h, '/v1/subscriptions', body, 'sub-400');
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error.code).toBe('price_not_recurring');
    const before = await everything(h);
    const replay = await raw(h, '/v1/subscriptions', body, 'sub-400');
    expect([replay.status, replay.text, replay.headers.get('idempotent-replayed')]).toEqual([400, refused.text, 'true']);
    expect(await everything(h)).toEqual(before);
  });

  it('replays a declined payment (402) without charging the card again', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'declined@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_chargeDeclined' });
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('incomplete');
    const first = await raw(h, `/v1/invoices/${sub.latest_invoice}/pay`, {}, 'pay-key');
    expect(first.status).toBe(402);
    expect(JSON.parse(first.text).error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
    const before = await everything(h);
    const again = await raw(h, `/v1/invoices/${sub.latest_invoice}/pay`, {}, 'pay-key');
    expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([402, first.text, 'true']);
    expect(await everything(h)).toEqual(before);
  });

  it('creates one object when the same request races itself', async () => {
    const body = { email: 'race@example.com' };
    const results = await Promise.all(Array.from({ length: 6 }, () => raw(h, '/v1/customers', body, 'race-key')));
    const created = results.filter((r) => r.status === 200);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => JSON.parse(r.text).id)).size).toBe(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(JSON.parse(r.text).error).toMatchObject({ type: 'conflict_error', code: 'idempotency_key_in_use', param: 'Idempotency-Key' });
    }
    expect((await ok(h, 'GET', '/v1/customers?email=race%40example.com')).data).toHaveLength(1);
  });

  it('refuses an empty or over-long key with a clear error', async () => {
    const before = await everything(h);
    for (const key of ['', 'k'.repeat(256)]) {
      const r = await raw(h, '/v1/customers', { email: 'k@example.com' }, key);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error).toMatchObject({ type: 'invalid_request_error', code: 'idempotency_key_invalid', param: 'Idempotency-Key' });
    }
    expect(await everything(h)).toEqual(before);
    const longest = await raw(h, '/v1/customers', { email: 'k@example.com' }, 'k'.repeat(255));
    expect(longest.status).toBe(200);
  });

  it('does not keep a transient 409 under the key: the retry after the conflict clears goes through', async () => {
    const clock = await ok(h, 'POST', '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
    // Another advance is (as far as the API can tell) still running.
    await h.database.pool.query("UPDATE test_clocks SET status = 'advancing', lease_until = '2100-01-01' WHERE id = $1", [clock.id]);
    const body = { frozen_time: '2027-01-05T00:00:00Z' };
    const busy = await raw(h, `/v1/test_clocks/${clock.id}/advance`, body, 'advance-key');
    expect(busy.status).toBe(409);
    expect(JSON.parse(busy.text).error).toMatchObject({ type: 'conflict_error', code: 'test_clock_advancing' });
    expect(await storedKey(h, h.accountId, 'advance-key')).toBeUndefined();
    await h.database.pool.query("UPDATE test_clocks SET status = 'ready' WHERE id = $1", [clock.id]);
    const done = await raw(h, `/v1/test_clocks/${clock.id}/advance`, body, 'advance-key');
    expect(done.status, done.text).toBe(200);
    expect(done.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.parse(done.text)).toMatchObject({ status: 'ready', frozen_time: '2027-01-05T00:00:00.000Z' });
    const replay = await raw(h, `/v1/test_clocks/${clock.id}/advance`, body, 'advance-key');
    expect([replay.status, replay.text, replay.headers.get('idempotent-replayed')]).toEqual([200, done.text, 'true']);
  });

  it('refuses a card number used as an Idempotency-Key, and stores nothing', async () => {
    const before = await everything(h);
    const r = await raw(h, '/v1/customers', { email: 'pan@example.com' }, '4242424242424242');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatchObject({ code: 'card_number_refused', param: 'Idempotency-Key' });
    expect(r.text).not.toContain('4242424242424242');
    expect(await everything(h)).toEqual(before);
    const stored = await h.database.pool.query("SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE '%4242424242424242%'");
    expect(stored.rows[0].n).toBe(0);
  });

  it('without a key, each POST is a new request', async () => {
    const a1 = await raw(h, '/v1/customers', { email: 'nokey@example.com' }, undefined);
    const a2 = await raw(h, '/v1/customers', { email: 'nokey@example.com' }, undefined);
    expect(JSON.parse(a1.text).id).not.toBe(JSON.parse(a2.text).id);
    expect((await ok(h, 'GET', '/v1/customers?email=nokey%40example.com')).data).toHaveLength(2);
  });

  // A process that dies after its command committed but before it stored the answer leaves the
  // key reserved with no response. Simulated here by taking a finished request's answer away.
  async function loseAnswer(key: string, requestId?: string) {
    await h.database.pool.query(`UPDATE idempotency_keys SET status_code = NULL, response = NULL, created_at = now() - interval '2 minutes'
      ${requestId ? ', request_id = $3' : ''} WHERE account_id = $1 AND key = $2`, requestId ? [h.accountId, key, requestId] : [h.accountId, key]);
  }

  it('never runs again a request that changed data before its answer was lost: 409 idempotency_key_orphaned', async () => {
    const customer = await ok(h, 'POST', '/v1/customers', { email: 'orphan@example.com' });
    await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    const body = { customer: customer.id, items: [{ price: price.id }] };
    const first = await raw(h, '/v1/subscriptions', body, 'orphan-sub');
    expect(first.status).toBe(200);
    const firstRequest = first.headers.get('request-id');
    await loseAnswer('orphan-sub');
    const before = await everything(h);
    for (let i = 0; i < 2; i++) {
      const retry = await raw(h, '/v1/subscriptions', body, 'orphan-sub');
      expect(retry.status).toBe(409);
      const err = JSON.parse(retry.text).error;
      expect(err).toMatchObject({ type: 'conflict_error', code: 'idempotency_key_orphaned', param: 'Idempotency-Key' });
      expect(err.message).toContain(firstRequest);
    }
    expect(await everything(h)).toEqual(before);
    expect((await ok(h, 'GET', `/v1/subscriptions?customer=${customer.id}`)).data).toHaveLength(1);
  });

  it('runs again a request that died before changing anything', async () => {
    const body = { email: 'died-early@example.com' };
    const first = await raw(h, '/v1/customers', body, 'died-early');
    // Pretend the reserving request was one that wrote nothing before it died.
    await loseAnswer('died-early', 'req_that_wrote_nothing');
    const retry = await raw(h, '/v1/customers', body, 'died-early');
    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.text).id).not.toBe(JSON.parse(first.text).id);
    const replay = await raw(h, '/v1/customers', body, 'died-early');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(retry.text);
  });
});
