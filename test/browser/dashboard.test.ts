import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { advance, clockAt, customerWithCard, ok } from '../builders.ts';
import { harness } from '../support.ts';

/** The staff dashboard in a real browser (issue 19, points 2 and 5). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser tests skipped: no chromium at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)('the dashboard in a real browser', async () => {
  const h = await harness();
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  afterAll(async () => { await browser.close(); });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(tmpdir(), `rebill-dashboard-${name}.png`), fullPage: true });

  // A small book: two monthly plans, one customer on each, in dollars.
  const product = await ok(h, 'POST', '/v1/products', { name: 'Coffee club' });
  const small = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1500, nickname: 'Small box', recurring: { interval: 'month' } });
  const large = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 4000, nickname: 'Large box', recurring: { interval: 'month' } });
  const clock = await clockAt(h, '2026-12-10T00:00:00Z');
  const alice = await customerWithCard(h, 'tok_visa', clock.id);
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: alice.id, items: [{ price: small.id }] });
  const bob = await ok(h, 'POST', '/v1/customers', { email: 'bob@example.com' });
  const open = await ok(h, 'POST', '/v1/subscriptions', { customer: bob.id, items: [{ price: large.id }] });
  await advance(h, clock.id, '2026-12-20T00:00:00Z');

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/dashboard/`);
    await page.fill('input[aria-label="API key"]', h.key);
    await page.click('text=Use key');
    await page.waitForSelector('h1:has-text("Overview")');
    return page;
  }

  it('signs in with an API key and shows the same MRR, ARR and paying customers as the API', async () => {
    const page = await signedIn();
    const api = await ok(h, 'GET', '/v1/analytics/mrr');
    const usd = api.data.find((s: { currency: string }) => s.currency === 'usd');
    const last = usd.periods[usd.periods.length - 1];
    await page.waitForSelector('[data-testid="mrr-usd"]');
    // Alice's 15.00 a month; Bob's subscription is incomplete (no card, its first invoice open): not revenue yet.
    expect(last.mrr).toBe(1500);
    expect(await page.textContent('[data-testid="mrr-usd"]')).toBe('USD 15.00');
    expect(await page.textContent('[data-testid="arr-usd"]')).toBe('USD 180.00');
    expect(await page.textContent('[data-testid="customers-usd"]')).toBe(String(last.paying_customers));
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    // Subscribers by status, as the subscribers report has them at the end of this month.
    const subs = await ok(h, 'GET', '/v1/analytics/subscribers');
    const now = subs.data[subs.data.length - 1].subscriptions;
    for (const status of ['active', 'trialing', 'past_due']) expect(await page.textContent(`[data-testid="subscribers-${status}"]`)).toBe(String(now[status]));
    await shot(page, 'overview');
    await page.close();
  });

  it('changes a plan after showing the proration preview, and the change is the API\'s', async () => {
    const page = await signedIn();
    await page.click('a:has-text("Subscriptions")');
    await page.click(`tr:has-text("${alice.id}")`);
    await page.selectOption('select[aria-label="New plan"]', large.id);
    await page.click('button:has-text("Preview")');
    await page.waitForSelector('[data-testid="proration-preview"]');
    const preview = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: sub.id, subscription_details: { items: [{ id: sub.items.data[0].id, price: large.id }] } });
    expect(await page.textContent('[data-testid="preview-total"]')).toBe(`USD ${(preview.total / 100).toFixed(2)}`);
    await shot(page, 'plan-preview');
    await page.click('button:has-text("Confirm change")');
    await page.waitForSelector('[data-testid="proration-preview"]', { state: 'detached' });
    const after = await ok(h, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(after.items.data[0].price.id).toBe(large.id);
    await page.close();
  });

  it('pays an open invoice from the invoices page', async () => {
    const invoice = await ok(h, 'GET', `/v1/invoices/${open.latest_invoice}`);
    expect(invoice.status).toBe('open');
    // Bob pays by card after all: a card on file, then Pay on screen.
    const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: bob.id, token: 'tok_visa' });
    await ok(h, 'POST', `/v1/customers/${bob.id}`, { invoice_settings: { default_payment_method: pm.id } });
    const page = await signedIn();
    await page.click('a:has-text("Invoices")');
    await page.click(`[data-invoice="${invoice.id}"] button:has-text("Pay")`);
    await page.waitForSelector(`[data-invoice="${invoice.id}"] button:has-text("Pay")`, { state: 'detached' });
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).status).toBe('paid');
    await shot(page, 'invoices');
    await page.close();
  });

  it('a read_only user signs in with email and password, sees no write button, and a crafted write is refused', async () => {
    await ok(h, 'POST', '/v1/users', { email: 'auditor@example.com', password: 'correct horse battery', role: 'read_only' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/dashboard/`);
    await page.fill('input[type=email]', 'auditor@example.com');
    await page.fill('input[autocomplete=current-password]', 'correct horse battery');
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('h1:has-text("Overview")');
    expect(await page.textContent('nav .who')).toBe('auditor@example.com (read_only)');
    // The session is an HTTP-only cookie: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.click('a:has-text("Subscriptions")');
    await page.click(`tr:has-text("${alice.id}")`);
    await page.click('a:has-text("Invoices")');
    await page.waitForSelector('table.grid');
    expect(await page.locator('button:has-text("Pay"), button:has-text("Void"), button:has-text("Credit note")').count()).toBe(0);
    await page.click('a:has-text("Subscriptions")');
    await page.click(`tr:has-text("${alice.id}")`);
    expect(await page.locator('button:has-text("Cancel now"), button:has-text("Preview"), select[aria-label="New plan"]').count()).toBe(0);
    await shot(page, 'read-only');
    // Crafted by hand from the signed-in page: with the CSRF token the role still refuses; without it, CSRF does.
    const crafted = await page.evaluate(async (id) => {
      const csrf = (JSON.parse(sessionStorage.getItem('rebill.dashboard.auth') ?? '{}') as { csrf: string }).csrf;
      const send = async (headers: Record<string, string>) => {
        const r = await fetch(`/v1/subscriptions/${id}/cancel`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
        return [r.status, ((await r.json()) as { error: { code: string } }).error.code];
      };
      return [await send({ 'x-csrf-token': csrf }), await send({})];
    }, sub.id);
    expect(crafted).toEqual([[403, 'insufficient_role'], [403, 'csrf_token_invalid']]);
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    await page.close();
  });

  it('a user changes their own password from the sidebar: signed in still, other sessions ended, the new password signs in', async () => {
    const email = 'keeper@example.com';
    await ok(h, 'POST', '/v1/users', { email, password: 'first passphrase 123', role: 'support' });
    const signInStatus = async (password: string) => (await h.call('POST', '/v1/sessions', { email, password }, { key: null })).status;
    const elsewhere = await h.call('POST', '/v1/sessions', { email, password: 'first passphrase 123' }, { key: null });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/dashboard/`);
    await page.fill('input[type=email]', email);
    await page.fill('input[autocomplete=current-password]', 'first passphrase 123');
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('h1:has-text("Overview")');
    const changeOnScreen = async (current: string, next: string) => {
      await page.click('nav a:has-text("Change password")');
      await page.fill('input[autocomplete=current-password]', current);
      await page.fill('label:has-text("New password") >> nth=0 >> input', next);
      await page.fill('label:has-text("New password again") input', next);
      await page.click('form button[type=submit]');
    };
    /** A write made from the page by hand, with the CSRF token the page holds. */
    const postFromPage = (url: string, body: unknown) => page.evaluate(async ([u, b]) => {
      const csrf = (JSON.parse(sessionStorage.getItem('rebill.dashboard.auth') ?? '{}') as { csrf: string }).csrf;
      const r = await fetch(u as string, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(b) });
      return r.status;
    }, [url, body]);

    // A wrong current password is said so beside the form; the user stays signed in.
    await changeOnScreen('not my passphrase', 'second passphrase 456');
    await page.waitForSelector('[role=alert]:has-text("The current password is not right. (current_password)")');
    expect(await page.textContent('nav .who')).toBe('keeper@example.com (support)');
    await changeOnScreen('first passphrase 123', 'second passphrase 456');
    await page.waitForSelector('[role=status]:has-text("Password changed")');
    await shot(page, 'password-changed');
    // Still signed in, on a new session whose CSRF token the page read back: its writes go through.
    expect(await postFromPage('/v1/customers', { name: 'Made after the change' })).toBe(200);
    const cookie = String(elsewhere.headers['set-cookie']).split(';')[0]!;
    expect((await h.call('GET', '/v1/customers', undefined, { key: null, headers: { cookie } })).body.error.code).toBe('session_invalid');
    expect([await signInStatus('first passphrase 123'), await signInStatus('second passphrase 456')]).toEqual([401, 200]);
    // Changed again from another tab: the browser now holds that tab's new cookie, this page an old
    // CSRF token. Its next write is refused for it once, reads the new token, and goes through.
    expect(await postFromPage('/v1/sessions/current/password', { current_password: 'second passphrase 456', password: 'third passphrase 789' })).toBe(200);
    await changeOnScreen('third passphrase 789', 'fourth passphrase 012');
    await page.waitForSelector('[role=status]:has-text("Password changed")');
    expect(await signInStatus('fourth passphrase 012')).toBe(200);
    await page.close();
    // Signed in with an API key there is no password: no link.
    const keyed = await signedIn();
    expect(await keyed.locator('nav a:has-text("Change password")').count()).toBe(0);
    await keyed.close();
  });
});
