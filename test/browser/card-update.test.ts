import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { smtpMailer } from '../../src/adapters/mailer/smtp.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { drain } from '../../src/worker/worker.ts';
import { advance, declinedRenewal, ok } from '../builders.ts';
import { mailSink } from '../mail-sink.ts';
import { harness } from '../support.ts';

/**
 * Issue 17's "done means" for card-update links, in a real browser: Debian's chromium, driven
 * headless by playwright-core. `.ci/run` installs it; where it cannot be, the file is skipped
 * with a warning rather than failing for a reason that is not Rebill's.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser tests skipped: no chromium at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)('the card-update link in a real browser', async () => {
  const h = await harness();
  const mail = await mailSink();
  // One browser for the file: launching is the slow part.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  afterAll(async () => { await browser.close(); await mail.close(); });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  h.deps.notifications = { mailer: smtpMailer(mail.url, { timeoutMs: 5000 }), from: 'billing@coffee.example', publicUrl: base, signingKey: randomBytes(32) };

  it('a hard decline on renewal: no retry, the email comes at once with the link, and the customer pays with a new card in the browser', async () => {
    const { clock, customer, sub, invoice } = await declinedRenewal(h, 'tok_chargeDeclinedStolenCard');

    // A hard decline asks for a new card: nothing is retried.
    const [waiting] = (await ok(h, 'GET', `/v1/dunning_cases?invoice=${invoice.id}`)).data;
    expect(waiting).toMatchObject({ status: 'active', awaiting: 'new_payment_method', retries: 0 });
    expect(waiting.declines.map((d: { decline_code: string; decline_category: string }) => [d.decline_code, d.decline_category])).toEqual([['stolen_card', 'hard']]);

    // The email goes out at once: the worker's next pass, with the clock still at the failure.
    await sequenceEvents(h.deps.db, h.clock.now());
    await drain(h.deps);
    const [email] = mail.accepted.filter((m) => m.subject === 'Payment of $29.00 failed');
    expect(email).toBeDefined();
    expect((await ok(h, 'GET', `/v1/test_clocks/${clock.id}`)).frozen_time).toBe('2027-01-08T00:00:01.000Z');
    const url = /https?:\/\/\S+\/pay\/update\/\S+/.exec(email!.text ?? '')?.[0];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pay\/update\/acct_/);

    const page = await browser.newPage();
    await page.goto(url!);
    expect(await page.title()).toBe('Update your card – Test merchant');
    expect(await page.textContent('table')).toContain('$29.00');
    await page.fill('#card_number', '4242 4242 4242 4242');
    await page.fill('#expiry', '12/30');
    await page.screenshot({ path: path.join(tmpdir(), 'rebill-card-update-form.png'), fullPage: true });
    await Promise.all([page.waitForURL(url!), page.click('button[type=submit]')]);
    expect(await page.textContent('[role=status]')).toBe('Thank you: your card is saved and your payment went through.');
    expect(await page.textContent('table')).toContain('$29.00 paid');
    await page.screenshot({ path: path.join(tmpdir(), 'rebill-card-update-done.png'), fullPage: true });
    await page.close();

    // The settlement's dunning job runs on the clock like everything else.
    await advance(h, clock.id, '2027-01-08T00:01:00Z');
    expect(await ok(h, 'GET', `/v1/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amount_paid: 2900 });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    expect(await ok(h, 'GET', `/v1/dunning_cases/${waiting.id}`)).toMatchObject({ status: 'recovered', end_reason: 'paid' });
    const charges = await h.database.pool.query(`SELECT status FROM sandbox.charges WHERE reference = $1 ORDER BY status`, [invoice.id]);
    expect(charges.rows.map((r) => r.status)).toEqual(['failed', 'succeeded']);
  });
});
