import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { smtpMailer } from '../../src/adapters/mailer/smtp.ts';
import { twilioSender } from '../../src/adapters/sms/twilio.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { claimNext, reclaimExpired } from '../../src/app/jobs/queue.ts';
import { runJob } from '../../src/app/jobs/run.ts';
import { newId } from '../../src/domain/ids.ts';
import { drain } from '../../src/worker/worker.ts';
import { advance, clockAt, customerWithCard, firstInvoiceOf, monthlyPrice, ok } from '../builders.ts';
import { twilioFake } from '../fakes/twilio/server.ts';
import { mailSink } from '../mail-sink.ts';
import { harness, type Harness } from '../support.ts';

/**
 * Customer messages end to end: events from real billing are turned into messages, sent by the
 * work engine to an in-process SMTP server (received and parsed with mailparser) and a local
 * Twilio-compatible fake, and checked as the customer would see them.
 */
const TWILIO = { accountSid: 'AC00000000000000000000000000000001', authToken: 'secret-token', from: '+15005550006' };

async function setup() {
  const h = await harness();
  const mail = await mailSink();
  const sms = await twilioFake(TWILIO);
  afterAll(async () => { await mail.close(); await sms.close(); });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  h.deps.notifications = {
    mailer: smtpMailer(mail.url, { timeoutMs: 5000 }), sms: twilioSender({ ...TWILIO, apiBase: sms.url }),
    from: 'billing@coffee.example', publicUrl: base, signingKey: randomBytes(32),
  };
  return { h, mail, sms, base };
}

/** What the worker does in production: sequence committed events (which makes the messages), then run due jobs. */
async function work(h: Harness) {
  await sequenceEvents(h.deps.db, h.clock.now());
  await drain(h.deps);
}

/** A header as sent, unfolded (mailparser files List-* headers under `list`; the raw line is what a client reads). */
const header = (m: ParsedMail, name: string) => m.headerLines.find((l) => l.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ');
const unsubscribeLink = (m: ParsedMail) => (/^<(https?:[^>]+)>$/.exec(header(m, 'List-Unsubscribe') ?? '') ?? [])[1] ?? '';

async function notifications(h: Harness, query = '') {
  return (await ok(h, 'GET', `/v1/notifications?limit=100${query}`)).data as any[];
}

async function subscribed(h: Harness, token: string, currency = 'usd', amount = 2000, extra: Record<string, unknown> = {}) {
  const price = await monthlyPrice(h, amount, currency);
  const customer = await customerWithCard(h, token);
  if (Object.keys(extra).length) await ok(h, 'POST', `/v1/customers/${customer.id}`, extra);
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
  return { customer, sub, invoice: await firstInvoiceOf(h, sub.id) };
}

describe('customer notifications', async () => {
  const { h, mail, sms } = await setup();

  it('a paid invoice sends one receipt, in its currency\'s format, with the PDF, a stable Message-ID and one-click unsubscribe', async () => {
    const before = mail.accepted.length;
    const { customer, invoice } = await subscribed(h, 'tok_visa', 'jpy', 4200, { name: 'Ada' });
    await work(h);
    const got = mail.accepted.slice(before);
    expect(got).toHaveLength(1);
    const m = got[0]!;
    expect(m.to && !Array.isArray(m.to) ? m.to.text : '').toBe('buyer@example.com');
    expect(m.subject).toBe(`Receipt for invoice ${invoice.number}`);
    expect(m.text).toContain('We received ¥4,200 for invoice');
    expect(m.html).toContain('Hello Ada');
    expect(m.attachments.map((a) => [a.contentType, a.filename])).toEqual([['application/pdf', `${invoice.number}.pdf`]]);
    expect(m.attachments[0]!.content.subarray(0, 5).toString()).toBe('%PDF-');
    const [row] = await notifications(h, `&customer=${customer.id}`);
    expect(row).toMatchObject({ kind: 'receipt', channel: 'email', status: 'sent', recipient: 'buyer@example.com', invoice: invoice.id, attempts: 1 });
    expect(m.messageId).toBe(row.message_id);
    expect(m.messageId).toMatch(/^<ntf_[0-9a-z]+@rebill\.local>$/);
    expect(header(m, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(unsubscribeLink(m)).toMatch(/\/v1\/unsubscribe\/[\w-]+\.[\w-]+$/);
  });

  it('a duplicated event, or the sequencer running again, makes no second message', async () => {
    const { customer, invoice } = await subscribed(h, 'tok_visa');
    await work(h);
    const paid = await h.deps.db.selectFrom('events').selectAll().where('type', '=', 'invoice.paid').where('object_id', '=', invoice.id).executeTakeFirstOrThrow();
    // The same event again under another id, as a duplicated gateway webhook would emit it.
    await h.deps.db.insertInto('events').values({ ...paid, id: newId('event'), sequence: undefined, sequenced_at: undefined, data: JSON.stringify(paid.data) }).execute();
    const before = mail.accepted.length;
    await work(h);
    await work(h);
    expect(mail.accepted.length).toBe(before);
    expect(await notifications(h, `&customer=${customer.id}`)).toHaveLength(1);
  });

  it('a failed payment, then the payment that recovers it, each send their message once with the amounts', async () => {
    const before = mail.accepted.length;
    const { customer, invoice } = await subscribed(h, 'tok_chargeDeclinedInsufficientFunds', 'eur', 1999);
    await work(h);
    const card = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
    await ok(h, 'POST', `/v1/invoices/${invoice.id}/pay`, { payment_method: card.id });
    await work(h);
    const got = mail.accepted.slice(before);
    expect(got.map((m) => m.subject)).toEqual(['Payment of €19.99 failed', 'Payment of €19.99 received']);
    expect(got[0]!.text).toContain(`We could not collect €19.99 for invoice ${invoice.number}`);
    expect((await notifications(h, `&customer=${customer.id}`)).map((n) => [n.kind, n.status])).toEqual([['payment_recovered', 'sent'], ['payment_failed', 'sent']]);
  });

  it('payment action required sends the authentication link', async () => {
    const before = mail.accepted.length;
    const { customer } = await subscribed(h, 'tok_threeDSecureRequired');
    await work(h);
    const [payment] = (await ok(h, 'GET', `/v1/payments?customer=${customer.id}`)).data;
    const got = mail.accepted.slice(before);
    expect(got.map((m) => m.subject)).toEqual(['Confirm your payment of $20.00']);
    expect(got[0]!.text).toContain(payment.next_action.url);
  });

  it('a server that says "try later" gets the same message again after the backoff, with the same Message-ID', async () => {
    const before = mail.accepted.length;
    const seenBefore = mail.seen.length;
    mail.refuseNext(451);
    const { customer } = await subscribed(h, 'tok_visa');
    await work(h);
    expect(mail.accepted.length).toBe(before);
    const [waiting] = await notifications(h, `&customer=${customer.id}`);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('451') });
    h.clock.advanceMs(30_000);
    await work(h);
    expect(mail.accepted.length).toBe(before + 1);
    expect(mail.seen.slice(seenBefore)).toEqual([waiting.message_id, waiting.message_id]);
    expect((await ok(h, 'GET', `/v1/notifications/${waiting.id}`))).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a server that refuses for good leaves the message failed, not retried', async () => {
    const before = mail.seen.length;
    mail.refuseNext(550);
    const { customer } = await subscribed(h, 'tok_visa');
    await work(h);
    h.clock.advanceMs(3600_000);
    await work(h);
    expect(mail.seen.length).toBe(before + 1);
    expect((await notifications(h, `&customer=${customer.id}`))[0]).toMatchObject({ status: 'failed', last_error: expect.stringContaining('550') });
  });

  it('a worker that dies between claiming the job and the server\'s answer leaves the message unknown; never sent again until an operator says so', async () => {
    const seenBefore = mail.seen.length;
    mail.hangNext();
    const { customer } = await subscribed(h, 'tok_visa');
    await sequenceEvents(h.deps.db, h.clock.now());
    const job = await claimNext(h.deps, 'doomed-worker');
    expect(job?.kind).toBe('notification.send');
    // The doomed worker hands the message over and never hears back; then it is gone.
    void runJob(h.deps, job!, 'doomed-worker', new AbortController().signal).catch(() => undefined);
    for (let i = 0; i < 500 && mail.seen.length === seenBefore; i++) await new Promise((r) => setTimeout(r, 10));
    const [n] = await notifications(h, `&customer=${customer.id}`);
    expect(n.status).toBe('sending');
    // Its lease runs out; another worker takes the job over.
    h.clock.advanceMs(10 * 60_000);
    expect(await reclaimExpired(h.deps)).toBe(1);
    await drain(h.deps);
    expect(mail.seen.length).toBe(seenBefore + 1);
    expect(await ok(h, 'GET', `/v1/notifications/${n.id}`)).toMatchObject({ status: 'unknown', last_error: expect.stringContaining('stopped before the server answered') });
    expect((await notifications(h, '&status=unknown')).map((x) => x.id)).toContain(n.id);

    // The operator resends it: it arrives once, recognizably the same message.
    const acceptedBefore = mail.accepted.length;
    expect(await ok(h, 'POST', `/v1/notifications/${n.id}/resend`, {})).toMatchObject({ status: 'pending' });
    await drain(h.deps);
    expect(mail.accepted.slice(acceptedBefore).map((m) => m.messageId)).toEqual([n.message_id]);
    const again = await h.call('POST', `/v1/notifications/${n.id}/drop`, {});
    expect([again.status, again.body.error.code]).toEqual([400, 'notification_not_unknown']);
  });

  it('texts go to the customer\'s phone through the Twilio API when they turned SMS on', async () => {
    const { customer } = await subscribed(h, 'tok_visa', 'usd', 2000, { phone: '+14155550100', notification_preferences: { sms: true } });
    await work(h);
    expect(sms.sent.filter((s) => s.to === '+14155550100')).toEqual([
      { accountSid: TWILIO.accountSid, to: '+14155550100', from: TWILIO.from, body: 'Test merchant: we received $20.00, thank you.' },
    ]);
    expect((await notifications(h, `&customer=${customer.id}`)).map((n) => [n.channel, n.status]).sort()).toEqual([['email', 'sent'], ['sms', 'sent']]);
  });

  it('the unsubscribe link works without an API key and stops later emails; a forged one is refused', async () => {
    const before = mail.accepted.length;
    const { customer, sub } = await subscribed(h, 'tok_visa', 'usd', 2000, { phone: '+14155550101' });
    await work(h);
    const link = unsubscribeLink(mail.accepted[before]!);
    const res = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect([res.status, await res.json()]).toEqual([200, { object: 'unsubscribe', channel: 'email', unsubscribed: true }]);
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).notification_preferences).toEqual({ email: false, sms: false });
    const forged = await h.call('POST', `/v1/unsubscribe/${link.split('/').pop()!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}`, undefined, { key: null });
    expect([forged.status, forged.body.error.code]).toEqual([404, 'unsubscribe_link_invalid']);

    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    await work(h);
    expect(mail.accepted.length).toBe(before + 1);
    const canceled = await notifications(h, `&customer=${customer.id}&kind=subscription_canceled`);
    expect(canceled.map((n) => [n.channel, n.status]).sort()).toEqual([['email', 'skipped'], ['sms', 'skipped']]);
  });

  it('a canceled subscription sends its message', async () => {
    const before = mail.accepted.length;
    const { sub } = await subscribed(h, 'tok_visa');
    await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    await work(h);
    expect(mail.accepted.slice(before).map((m) => m.subject)).toEqual(['Receipt for invoice ' + (await firstInvoiceOf(h, sub.id)).number, 'Your subscription was canceled']);
  });

  it('an account\'s own template is used, checked for unknown variables, and previewed with sample data', async () => {
    const bad = await h.call('POST', '/v1/notification_templates/receipt', { subject: 'Thanks {{first_name}}' });
    expect([bad.status, bad.body.error.code, bad.body.error.param]).toEqual([400, 'template_invalid', 'subject']);
    const unclosed = await h.call('POST', '/v1/notification_templates/receipt', { html: '{{#customer_name}}' });
    expect([unclosed.status, unclosed.body.error.param]).toEqual([400, 'html']);
    const t = await ok(h, 'POST', '/v1/notification_templates/receipt', { subject: 'Paid: {{amount_paid}} — {{invoice_number}}', html: '<b>{{customer_name}}</b>' });
    expect(t).toMatchObject({ kind: 'receipt', default: false, subject: 'Paid: {{amount_paid}} — {{invoice_number}}' });
    const preview = await ok(h, 'POST', '/v1/notification_templates/receipt/preview', { html: '<i>{{customer_name}}</i> {{merchant_name}}' });
    expect(preview).toMatchObject({ subject: 'Paid: $20.00 — ADA-0001', html: '<i>Ada Lovelace</i> Coffee Club' });
    expect((await ok(h, 'GET', '/v1/notification_templates')).data.map((x: any) => [x.kind, x.default])).toContainEqual(['receipt', false]);

    const before = mail.accepted.length;
    const { invoice } = await subscribed(h, 'tok_visa', 'usd', 2000, { name: '<Bob & Co>' });
    await work(h);
    const m = mail.accepted[before]!;
    expect(m.subject).toBe(`Paid: $20.00 — ${invoice.number}`);
    expect(m.html).toBe('<b>&lt;Bob &amp; Co&gt;</b>');
  });

  describe('reminders due by business time, on a test clock', () => {
    const subjectsSince = (n: number) => mail.accepted.slice(n).map((m) => m.subject);
    // Receipts of renewals arrive in between (worded by the account's template from the test above).
    const remindersSince = (n: number) => subjectsSince(n).filter((x) => x?.startsWith('Your'));
    const on = async (clockId: string, iso: string) => { await advance(h, clockId, iso); await work(h); };

    it('a monthly renewal is announced 7 days ahead, once, with its amount; the next period gets its own', async () => {
      const clock = await clockAt(h, '2027-01-01T00:00:00Z');
      const price = await monthlyPrice(h, 2500, 'gbp');
      const customer = await customerWithCard(h, 'tok_visa', clock.id);
      await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
      await work(h);
      const before = mail.accepted.length;
      await on(clock.id, '2027-01-24T23:00:00Z');
      expect(subjectsSince(before)).toEqual([]);
      await on(clock.id, '2027-01-25T00:00:00Z');
      expect(subjectsSince(before)).toEqual(['Your subscription renews on 2027-02-01']);
      expect(mail.accepted[before]!.text).toContain('for £25.00');
      await on(clock.id, '2027-01-31T00:00:00Z');
      expect(subjectsSince(before)).toHaveLength(1);
      // The renewal's events schedule the next reminder as the worker sequences them (continuously in production).
      await on(clock.id, '2027-02-01T01:00:00Z');
      await on(clock.id, '2027-02-21T23:00:00Z');
      await on(clock.id, '2027-02-22T00:00:00Z');
      expect(remindersSince(before)).toEqual(['Your subscription renews on 2027-02-01', 'Your subscription renews on 2027-03-01']);
      expect(subjectsSince(before)).toHaveLength(3); // and the renewal's receipt
    });

    it('a yearly renewal is announced 30 days ahead; a trial\'s end 3 days ahead', async () => {
      const clock = await clockAt(h, '2027-01-01T00:00:00Z');
      const product = await ok(h, 'POST', '/v1/products', { name: 'Annual box' });
      const yearly = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 24000, recurring: { interval: 'year' } });
      const customer = await customerWithCard(h, 'tok_visa', clock.id);
      await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: yearly.id }] });
      const trialer = await customerWithCard(h, 'tok_visa', clock.id);
      await ok(h, 'POST', '/v1/subscriptions', { customer: trialer.id, items: [{ price: yearly.id }], trial_period_days: 14 });
      await work(h);
      const before = mail.accepted.length;
      await on(clock.id, '2027-01-11T23:00:00Z');
      expect(remindersSince(before)).toEqual([]);
      await on(clock.id, '2027-01-12T00:00:00Z');
      expect(remindersSince(before)).toEqual(['Your trial ends on 2027-01-15']);
      await on(clock.id, '2027-12-01T23:00:00Z');
      expect(remindersSince(before)).toHaveLength(1);
      await on(clock.id, '2027-12-02T00:00:00Z');
      expect(remindersSince(before)).toEqual(['Your trial ends on 2027-01-15', 'Your subscription renews on 2028-01-01']);
      expect(mail.accepted.slice(before).find((m) => m.subject === 'Your subscription renews on 2028-01-01')!.text).toContain('for $240.00');
    });

    it('a card is announced as expiring on the first day of the month before its last, and a canceled subscription is not reminded', async () => {
      const clock = await clockAt(h, '2034-09-15T00:00:00Z');
      const customer = await customerWithCard(h, 'tok_visa', clock.id);
      const price = await monthlyPrice(h, 1000);
      const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
      await ok(h, 'POST', `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
      await work(h);
      const before = mail.accepted.length;
      // No renewal reminder for a subscription ending at its period's end: only the cancellation itself.
      await on(clock.id, '2034-10-31T00:00:00Z');
      expect(subjectsSince(before)).toEqual(['Your subscription was canceled']);
      await on(clock.id, '2034-11-01T00:00:00Z');
      expect(subjectsSince(before + 1)).toEqual(['Your card ending 4242 expires soon']);
      expect(mail.accepted[before + 1]!.text).toContain('expires at the end of 12/2034');
      expect((await notifications(h, `&customer=${customer.id}&kind=card_expiring`))[0]).toMatchObject({ event: null, status: 'sent' });
    });

    it('an account that chose its own lead gets renewal reminders that many days ahead, yearly plans too', async () => {
      expect(await ok(h, 'POST', '/v1/account', { renewal_reminder_days: 3 })).toMatchObject({ renewal_reminder_days: 3 });
      const clock = await clockAt(h, '2027-01-01T00:00:00Z');
      const customer = await customerWithCard(h, 'tok_visa', clock.id);
      await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: (await monthlyPrice(h, 900)).id }] });
      await work(h);
      const before = mail.accepted.length;
      await on(clock.id, '2027-01-28T23:00:00Z');
      expect(remindersSince(before)).toEqual([]);
      await on(clock.id, '2027-01-29T00:00:00Z');
      expect(remindersSince(before)).toEqual(['Your subscription renews on 2027-02-01']);
      const bad = await h.call('POST', '/v1/account', { renewal_reminder_days: 0 });
      expect([bad.status, bad.body.error.param]).toEqual([400, 'renewal_reminder_days']);
      expect(await ok(h, 'POST', '/v1/account', { renewal_reminder_days: null })).toMatchObject({ renewal_reminder_days: null });
    });
  });
});
