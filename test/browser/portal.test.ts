import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { advance, clockAt, ok } from '../builders.ts';
import { harness } from '../support.ts';

/** The customer billing portal in a real browser (issue 19, points 3 and 5). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser tests skipped: no chromium at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)('the billing portal in a real browser', async () => {
  const h = await harness();
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  afterAll(async () => { await browser.close(); });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  h.deps.notifications = { from: 'billing@coffee.example', publicUrl: base, signingKey: randomBytes(32) };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(tmpdir(), `portal-${name}.png`), fullPage: true });

  // The merchant: a coffee club with two boxes, a retention coupon, and a portal that offers everything.
  const coffee = await ok(h, 'POST', '/v1/products', { name: 'Coffee club' });
  const small = await ok(h, 'POST', '/v1/prices', { product: coffee.id, currency: 'usd', unit_amount: 1500, nickname: 'Small box', recurring: { interval: 'month' } });
  const large = await ok(h, 'POST', '/v1/prices', { product: coffee.id, currency: 'usd', unit_amount: 4000, nickname: 'Large box', recurring: { interval: 'month' } });
  const keep = await ok(h, 'POST', '/v1/coupons', { percent_off: 25, duration: 'repeating', duration_in_months: 3, name: 'Stay with us' });
  await ok(h, 'POST', '/v1/billing_portal/configurations', {
    is_default: true,
    features: {
      invoice_history: { enabled: true }, payment_method_update: { enabled: true }, subscription_pause: { enabled: true },
      subscription_cancel: { enabled: true, mode: 'at_period_end', cancellation_reason: { enabled: true, options: ['too_expensive', 'unused', 'switched_service', 'other'] }, retention: { coupon: keep.id } },
      subscription_update: { enabled: true, products: [{ product: coffee.id, prices: [small.id, large.id] }] },
    },
  });
  const clock = await clockAt(h, '2026-12-10T00:00:00Z');
  const customer = async (name: string, email: string) => {
    const c = await ok(h, 'POST', '/v1/customers', { name, email, test_clock: clock.id });
    await ok(h, 'POST', '/v1/payment_methods', { customer: c.id, token: 'tok_visa' });
    return c;
  };
  const alice = await customer('Alice Martin', 'alice@example.com');
  const bob = await customer('Bob Stone', 'bob@example.com');
  const aliceSub = await ok(h, 'POST', '/v1/subscriptions', { customer: alice.id, items: [{ price: small.id }] });
  const bobSub = await ok(h, 'POST', '/v1/subscriptions', { customer: bob.id, items: [{ price: small.id }] });
  await advance(h, clock.id, '2026-12-20T00:00:00Z');

  const session = async (c: { id: string }) => await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: c.id, return_url: 'https://coffee.example/account' });
  async function portal(url: string, width = 900): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
    await page.goto(url);
    return page;
  }
  const cardOf = (page: Page, sub: string) => page.locator(`[data-subscription="${sub}"]`);

  it('opens on the customer\'s own subscriptions and invoices, keeps the token out of the address bar, and downloads a PDF', async () => {
    const page = await portal((await session(alice)).url);
    await page.waitForSelector('h1:has-text("Your billing")');
    expect(await page.textContent('[data-testid="customer"]')).toBe('Alice Martin');
    expect(await cardOf(page, aliceSub.id).textContent()).toContain('Coffee club – Small box');
    expect(await page.locator('[data-subscription]').count()).toBe(1);
    expect(await page.locator('[data-invoice]').count()).toBe(1);
    expect(await page.textContent('[data-testid="card"]')).toContain('Visa ending 4242');
    // The fragment is read once and cleared: a copied address bar or screenshot carries no credential.
    expect(page.url()).toBe(`${base}/portal/`);
    const html = await page.content();
    for (const other of [bob.id, bobSub.id, 'Bob Stone', 'bob@example.com']) expect(html).not.toContain(other);
    await shot(page, 'overview');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-invoice="${aliceSub.latest_invoice}"] button:has-text("PDF")`)]);
    const file = path.join(tmpdir(), 'portal-invoice.pdf');
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    // On a phone the same page stacks, nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot(page, 'mobile');
    await page.close();
  });

  it('changes the plan after showing the same proration preview as the API', async () => {
    const page = await portal((await session(alice)).url);
    const card = cardOf(page, aliceSub.id);
    await card.locator('button:has-text("Change plan")').click();
    await card.locator('select[aria-label="New plan"]').selectOption(large.id);
    await card.locator('button:has-text("See the price")').click();
    await page.waitForSelector('[data-testid="proration-preview"]');
    const api = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: aliceSub.id, subscription_details: { items: [{ id: aliceSub.items.data[0].id, price: large.id, quantity: 1 }], proration_behavior: 'create_prorations' } });
    expect(api.amount_due).toBeGreaterThan(4000);
    expect(await page.textContent('[data-testid="preview-total"]')).toBe(`USD ${(api.amount_due / 100).toFixed(2)}`);
    await shot(page, 'plan-preview');
    await card.locator('button:has-text("Confirm change")').click();
    await page.waitForSelector('[data-testid="proration-preview"]', { state: 'detached' });
    await card.locator('h3:has-text("Large box")').waitFor();
    expect((await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`)).items.data[0].price.id).toBe(large.id);
    await page.close();
  });

  it('cancel asks the reason, then offers the retention coupon; accepting keeps the subscription with the discount', async () => {
    const page = await portal((await session(alice)).url);
    const card = cardOf(page, aliceSub.id);
    await card.locator('button:has-text("Cancel subscription")').click();
    await card.locator('text=It is too expensive').click();
    await card.locator('textarea[aria-label="Comment"]').fill('Lovely coffee, but pricey.');
    await shot(page, 'cancel-reason');
    await card.locator('button:has-text("Continue")').click();
    const offer = card.locator('[data-testid="retention-offer"]');
    expect(await offer.textContent()).toContain('25% off for 3 months');
    await shot(page, 'retention-offer');
    await offer.locator('button:has-text("Accept the offer")').click();
    await card.locator('text=Stay with us: 25% off for 3 months').waitFor();
    const sub = await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`);
    expect(sub).toMatchObject({ status: 'active', cancel_at_period_end: false, cancellation_details: null });
    expect(sub.discounts).toHaveLength(1);
    const audit = await h.database.pool.query("SELECT actor FROM audit_log WHERE object_id = $1 AND action = 'subscription.updated' ORDER BY at DESC LIMIT 1", [aliceSub.id]);
    expect(audit.rows[0].actor).toMatch(new RegExp(`^customer:${alice.id}/billing_portal_session:bps_`));
    await shot(page, 'retention-accepted');
    await page.close();
  });

  it('declining the offer cancels at the end of the period, with the reason recorded', async () => {
    const page = await portal((await session(bob)).url);
    const card = cardOf(page, bobSub.id);
    await card.locator('button:has-text("Cancel subscription")').click();
    await card.locator('text=I do not use it enough').click();
    await card.locator('button:has-text("Continue")').click();
    await card.locator('button:has-text("No thanks, cancel")').click();
    await card.locator('.badge:has-text("Ending")').waitFor();
    expect(await card.textContent()).toContain('Ends on 10 January 2027');
    expect(await ok(h, 'GET', `/v1/subscriptions/${bobSub.id}`)).toMatchObject({
      status: 'active', cancel_at_period_end: true, cancellation_details: { reason: 'cancellation_requested', feedback: 'unused', comment: null },
    });
    await shot(page, 'canceled');
    await page.close();
    // The merchant's staff see the customer's reason in the dashboard's subscription list.
    const staff = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await staff.goto(`${base}/dashboard/`);
    await staff.fill('input[aria-label="API key"]', h.key);
    await staff.click('text=Use key');
    await staff.click('a:has-text("Subscriptions")');
    expect(await staff.locator(`tr:has-text("${bob.id}") [data-testid="cancellation-details"]`).textContent()).toBe("Customer's reason: unused");
    await staff.screenshot({ path: path.join(tmpdir(), 'portal-dashboard-reason.png'), fullPage: true });
    await staff.close();
  });

  it('an edited address opens nothing: another customer\'s session id under this signature, or a tampered signature', async () => {
    const aliceUrl = (await session(alice)).url;
    const bobSession = await session(bob);
    const [acct, , sig] = aliceUrl.split('#')[1]!.split('.');
    for (const token of [`${acct}.${bobSession.id}.${sig}`, `${acct}.${aliceUrl.split('#')[1]!.split('.')[1]}.${sig!.slice(0, -3)}abc`]) {
      const page = await portal(`${base}/portal/#${token}`);
      await page.waitForSelector('[data-testid="invalid"]');
      const html = await page.content();
      for (const secret of [bob.id, bobSub.id, 'Bob Stone', alice.id, 'Alice Martin', 'Coffee club']) expect(html).not.toContain(secret);
      await shot(page, 'invalid');
      await page.close();
    }
  });

  it('shows the closed page once the merchant revokes the session, also on reload', async () => {
    const made = await session(alice);
    const page = await portal(made.url);
    await page.waitForSelector('h1:has-text("Your billing")');
    await ok(h, 'POST', `/v1/billing_portal/sessions/${made.id}/revoke`, {});
    await page.reload();
    await page.waitForSelector('[data-testid="revoked"]');
    expect(await page.textContent('h1')).toBe('This link was closed');
    expect(await page.content()).not.toContain('Alice Martin');
    await shot(page, 'revoked');
    await page.close();
  });

  it('shows the expired page once the customer\'s business time passes the hour, also on reload', async () => {
    const page = await portal((await session(alice)).url);
    await page.waitForSelector('h1:has-text("Your billing")');
    await advance(h, clock.id, '2026-12-20T01:00:01Z');
    await page.reload();
    await page.waitForSelector('[data-testid="expired"]');
    expect(await page.textContent('h1')).toBe('This page has expired');
    expect(await page.content()).not.toContain('Alice Martin');
    await shot(page, 'expired');
    await page.close();
  });
});
