import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { buildServer } from '../../src/http/server.ts';
import { advance, declinedRenewal, ok } from '../builders.ts';
import { smtpMailer } from '../../src/adapters/mailer/smtp.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { drain } from '../../src/worker/worker.ts';
import { mailSink } from '../mail-sink.ts';
import { harness, tableCounts, type Harness } from '../support.ts';

/**
 * Card-update links over HTTP: the merchant makes one with the API, the customer opens the page
 * and posts the form (as a browser without JavaScript would), and the link is spent, refused
 * when forged, edited, used or expired, and no card number is kept anywhere.
 */
async function setup() {
  const h = await harness();
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  h.deps.notifications = { from: 'billing@coffee.example', publicUrl: base, signingKey: randomBytes(32) };
  return { h, base };
}

const page = async (url: string, form?: Record<string, string>) => {
  const res = await fetch(url, form ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() } : {});
  return { status: res.status, html: await res.text(), headers: Object.fromEntries(res.headers.entries()) };
};

/** A customer on a clock whose renewal was declined (a stolen card): one open invoice of $29.00. */
const owing = (h: Harness) => declinedRenewal(h, 'tok_chargeDeclinedStolenCard');

const linkFor = async (h: Harness, customer: string, extra: Record<string, unknown> = {}) =>
  await ok(h, 'POST', '/v1/payment_links/update_payment_method', { customer, ...extra });

describe('card-update links', async () => {
  const { h, base } = await setup();

  it('the merchant makes a link: 7 days by the customer\'s test clock, a signed URL on the public address, kept out of audit and events', async () => {
    const { customer } = await owing(h);
    const link = await linkFor(h, customer.id, { return_url: 'https://coffee.example/account' });
    expect(link).toMatchObject({ object: 'payment_link', customer: customer.id, status: 'active', used_at: null, expires_at: '2027-01-15T00:00:01.000Z', return_url: 'https://coffee.example/account' });
    expect(link.url).toMatch(new RegExp(`^${base}/pay/update/acct_[0-9a-z]+\\.plink_[0-9a-z]+\\.[\\w-]{43}$`));
    expect(await ok(h, 'GET', `/v1/payment_links/${link.id}`)).toEqual(link);
    const token = link.url.split('/').at(-1);
    for (const table of ['audit_log', 'events', 'payment_links']) {
      const dump = await h.database.pool.query(`SELECT t::text AS row FROM ${table} t`);
      expect(dump.rows.map((r) => r.row).join('\n'), table).not.toContain(token.split('.')[2]);
    }
  });

  it('the page shows the merchant and what is owed in its currency, with strict headers and no script', async () => {
    const { customer } = await owing(h);
    const link = await linkFor(h, customer.id);
    const p = await page(link.url);
    expect(p.status).toBe(200);
    expect(p.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(p.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'; frame-ancestors 'none'/);
    expect(p.headers).toMatchObject({ 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    expect(p.html).toContain('Test merchant');
    expect(p.html).toContain('$29.00');
    expect(p.html).toContain('<form method="post">');
    expect(p.html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('paying through the link: card saved as default, invoice paid, link spent; a second submit is refused and writes nothing', async () => {
    const { customer, invoice, sub } = await owing(h);
    const link = await linkFor(h, customer.id);
    const done = await page(link.url, { card_number: '4242 4242 4242 4242', expiry: '12/30' });
    expect(done.status).toBe(200);
    expect(done.html).toContain('your card is saved and your payment went through');
    expect(done.html).toContain('$29.00 paid');
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amount_paid: 2900 });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    const pms = (await ok(h, 'GET', `/v1/payment_methods?customer=${customer.id}`)).data;
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).invoice_settings.default_payment_method).toBe(pms.find((p: { card: { last4: string } }) => p.card.last4 === '4242').id);
    expect(await ok(h, 'GET', `/v1/payment_links/${link.id}`)).toMatchObject({ status: 'used', used_at: '2027-01-08T00:00:01.000Z' });
    const audit = await h.database.pool.query(`SELECT actor, action FROM audit_log WHERE actor = $1 ORDER BY id`, [`customer:${customer.id}/payment_link:${link.id}`]);
    expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['payment_method.attached', 'payment_link.used']));

    const before = await tableCounts(h);
    const again = await page(link.url, { card_number: '4242424242424242', expiry: '12/30' });
    expect(again.status).toBe(410);
    expect(again.html).toContain('This link is not valid');
    expect((await page(link.url)).status).toBe(410);
    expect(await tableCounts(h)).toEqual(before);
  });

  it('a declined card shows the reason and the form again, and does not spend the link', async () => {
    const { customer, invoice } = await owing(h);
    const link = await linkFor(h, customer.id);
    const declined = await page(link.url, { card_number: '4000000000000002', expiry: '12/30' });
    expect(declined.status).toBe(402);
    expect(declined.html).toContain('The card was declined: Your card was declined.');
    expect(declined.html).toContain('<form method="post">');
    expect(declined.html).not.toContain('4000000000000002');
    expect((await ok(h, 'GET', `/v1/payment_links/${link.id}`)).status).toBe('active');
    const bad = await page(link.url, { card_number: '4242424242424242', expiry: '13/30' });
    expect([bad.status, bad.html.includes('Enter the expiry as MM/YY.')]).toEqual([400, true]);
    expect((await page(link.url, { card_number: '4242424242424242', expiry: '12/26' })).html).toContain('This card has expired');
    expect((await page(link.url, { card_number: '4242424242424242', expiry: '01/27' })).status).toBe(200);
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
  });

  it('a link expires by its customer\'s test clock', async () => {
    const { clock, customer } = await owing(h);
    const link = await linkFor(h, customer.id, { expires_at: '2027-01-09T00:00:00Z' });
    await advance(h, clock.id, '2027-01-09T00:00:00Z');
    expect((await ok(h, 'GET', `/v1/payment_links/${link.id}`)).status).toBe('expired');
    const before = await tableCounts(h);
    const p = await page(link.url, { card_number: '4242424242424242', expiry: '12/30' });
    expect([p.status, p.html.includes('This link has expired.')]).toEqual([410, true]);
    expect(await tableCounts(h)).toEqual(before);
  });

  it('forged, edited or cut tokens get a plain 404 page and write nothing', async () => {
    const { customer } = await owing(h);
    const link = await linkFor(h, customer.id);
    const [acct, id, sig] = link.url.split('/').at(-1).split('.');
    const other = await linkFor(h, customer.id);
    const otherId = other.id;
    const before = await tableCounts(h);
    for (const token of [`${acct}.${id}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, `${acct}.${otherId}.${sig}`, `acct_other.${id}.${sig}`, `${acct}.${id}`, 'nothing', `${acct}.${id}.${sig}.x`]) {
      for (const form of [undefined, { card_number: '4242424242424242', expiry: '12/30' }]) {
        const p = await page(`${base}/pay/update/${token}`, form);
        expect([token, p.status, p.html.includes('This link is not valid')]).toEqual([token, 404, true]);
      }
    }
    expect(await tableCounts(h)).toEqual(before);
  });

  it('bad requests to make a link: another account\'s customer, expiry out of range, a return URL that is not http(s)', async () => {
    const { customer } = await owing(h);
    const b = await createAccount(h.database.db, 'Other merchant');
    const theirs = await ok({ ...h, call: (m, u, body) => h.call(m, u, body, { key: b.key.secret }) }, 'POST', '/v1/customers', { email: 'b@example.com' });
    const before = await tableCounts(h);
    for (const [body, code, param, status] of [
      [{ customer: theirs.id }, 'resource_missing', 'customer', 404],
      [{ customer: customer.id, expires_at: '2027-02-08T00:00:02Z' }, 'parameter_invalid', 'expires_at', 400],
      [{ customer: customer.id, expires_at: '2027-01-01T00:00:00Z' }, 'parameter_invalid', 'expires_at', 400],
      [{ customer: customer.id, return_url: 'javascript:alert(1)' }, 'parameter_invalid', 'return_url', 400],
    ] as const) {
      const r = await h.call('POST', '/v1/payment_links/update_payment_method', body);
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([status, code, param]);
    }
    expect(await tableCounts(h)).toEqual(before);
  });

  it('a payment_failed email carries a link made once with the message; a resend carries the same link', async () => {
    const mail = await mailSink();
    afterAll(async () => { await mail.close(); });
    const saved = h.deps.notifications!;
    h.deps.notifications = { ...saved, mailer: smtpMailer(mail.url, { timeoutMs: 5000 }) };
    try {
      const { customer } = await owing(h);
      await sequenceEvents(h.deps.db, h.clock.now());
      await drain(h.deps);
      const urlIn = (text: string | undefined) => /http:\/\/\S+\/pay\/update\/\S+/.exec(text ?? '')?.[0];
      const [n] = (await ok(h, 'GET', `/v1/notifications?customer=${customer.id}&kind=payment_failed`)).data;
      // Earlier tests' customers got theirs too: this customer's is found by its Message-ID.
      const first = mail.accepted.find((m) => m.messageId === n.message_id);
      expect(first?.subject).toBe('Payment of $29.00 failed');
      const url = urlIn(first?.text);
      expect(url).toMatch(/\/pay\/update\/acct_/);
      const links = await h.database.pool.query('SELECT id, made_for, expires_at FROM payment_links WHERE customer_id = $1', [customer.id]);
      expect(links.rows).toHaveLength(1);
      expect(links.rows[0].made_for).toMatch(/^payment_failed:pay_/);
      expect(links.rows[0].expires_at.toISOString()).toBe('2027-01-15T00:00:01.000Z');
      await h.database.pool.query("UPDATE notifications SET status = 'unknown' WHERE id = $1", [n.id]);
      await ok(h, 'POST', `/v1/notifications/${n.id}/resend`, {});
      await drain(h.deps);
      const resent = mail.accepted.filter((m) => m.messageId === first!.messageId);
      expect(resent).toHaveLength(2);
      expect(urlIn(resent[1]!.text)).toBe(url);
      expect((await page(url!)).status).toBe(200);
    } finally {
      h.deps.notifications = saved;
    }
  });

  it('no raw card number reaches any table or any log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const saved = h.deps.log;
    h.deps.log = pino({ level: 'trace' }, sink);
    const app = await buildServer(h.deps, { logLevel: 'trace', logStream: sink });
    const logged = await app.listen({ port: 0, host: '127.0.0.1' });
    afterAll(async () => { await app.close(); h.deps.log = saved; });
    const { customer } = await owing(h);
    const link = await linkFor(h, customer.id);
    const url = link.url.replace(base, logged);
    expect((await page(url, { card_number: '4000 0000 0000 9979', expiry: '12/30' })).status).toBe(402);
    expect((await page(url, { card_number: '4242-4242-4242-4242', expiry: '12/30' })).status).toBe(200);
    expect(lines.length).toBeGreaterThan(0);
    const cards = ['4000000000009979', '4242424242424242', '4000 0000 0000 9979', '4242-4242-4242-4242', '4000+0000', '4242-4242'];
    for (const c of cards) expect(lines.join('\n')).not.toContain(c);
    const tables = await h.database.pool.query<{ name: string }>(`SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
      FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`);
    expect(tables.rows.map((t) => t.name)).toEqual(expect.arrayContaining(['public.payment_links', 'public.audit_log', 'sandbox.charges']));
    for (const { name } of tables.rows) {
      const all = (await h.database.pool.query(`SELECT t::text AS row FROM ${name} t`)).rows.map((r) => r.row).join('\n');
      for (const c of cards) expect(all, name).not.toContain(c);
    }
  });
});
