import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { smtpMailer } from '../../src/adapters/mailer/smtp.ts';
import { twilioSender } from '../../src/adapters/sms/twilio.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { drain } from '../../src/worker/worker.ts';
import { advance, clockAt, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { twilioFake } from '../fakes/twilio/server.ts';
import { mailSink } from '../mail-sink.ts';
import { harness, type Harness } from '../support.ts';

/**
 * Recovery analytics over a small book of failed renewals on test clocks, every figure computed
 * by hand below: two currencies, soft and hard declines, recovered by a retry, by a new card and
 * by a payment made by hand, one lost, one still in recovery, with messages by email and SMS.
 */
const TWILIO = { accountSid: 'AC00000000000000000000000000000002', authToken: 'secret-token', from: '+15005550006' };

async function setup() {
  const h = await harness();
  const mail = await mailSink();
  const sms = await twilioFake(TWILIO);
  afterAll(async () => { await mail.close(); await sms.close(); });
  h.deps.notifications = {
    mailer: smtpMailer(mail.url, { timeoutMs: 5000 }), sms: twilioSender({ ...TWILIO, apiBase: sms.url }), from: 'billing@coffee.example',
    publicUrl: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`, signingKey: randomBytes(32),
  };
  return h;
}

/** What the worker does: sequence events (which makes the messages), then send them. */
async function work(h: Harness) {
  await sequenceEvents(h.deps.db, h.clock.now());
  await drain(h.deps);
}

/** A customer on their own clock from 2027-01-01, on a 7-day trial: the renewal on 2027-01-08 is the first charge, and fails. */
async function failedRenewal(h: Harness, token: string, amount: number, currency: string, customer: Record<string, unknown> = {}) {
  const clock = await clockAt(h, '2027-01-01T00:00:00Z');
  const cus = await ok(h, 'POST', '/v1/customers', { email: 'buyer@example.com', test_clock: clock.id, ...customer });
  await ok(h, 'POST', '/v1/payment_methods', { customer: cus.id, token });
  const price = await monthlyPrice(h, amount, currency);
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: cus.id, items: [{ price: price.id }], trial_period_days: 7 });
  await advance(h, clock.id, '2027-01-08T00:00:01Z');
  await work(h);
  const renewal = (await invoicesOf(h, sub.id)).at(-1)!;
  expect(renewal).toMatchObject({ status: 'open', amount_due: amount, currency });
  return { clock, customer: cus, renewal };
}

const caseOf = async (h: Harness, invoice: string) => (await ok(h, 'GET', `/v1/dunning_cases?invoice=${invoice}`)).data[0];
const JANUARY = 'from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z';

describe('recovery analytics', async () => {
  const h = await setup();

  // USD 29.00: insufficient funds twice, the second retry succeeds. Email off, SMS on.
  const soft = await failedRenewal(h, 'tok_chargeDeclinedInsufficientFundsRecoversAfter2', 2900, 'usd',
    { phone: '+14155550100', notification_preferences: { email: false, sms: true } });
  await advance(h, soft.clock.id, '2027-01-20T00:00:00Z');
  await work(h);

  // USD 45.00: a stolen card (hard), the payment-failed email goes out, then a new card on the 10th pays at once.
  const hard = await failedRenewal(h, 'tok_chargeDeclinedStolenCard', 4500, 'usd');
  await advance(h, hard.clock.id, '2027-01-10T08:00:00Z');
  await ok(h, 'POST', '/v1/payment_methods', { customer: hard.customer.id, token: 'tok_visa', set_default: true });
  await advance(h, hard.clock.id, '2027-01-10T08:01:00Z');
  await work(h);

  // USD 10.00: insufficient funds every time; the built-in policy's four retries run out on the 15th.
  const lost = await failedRenewal(h, 'tok_chargeDeclinedInsufficientFunds', 1000, 'usd');
  await advance(h, lost.clock.id, '2027-01-25T00:00:00Z');
  await work(h);

  // EUR 50.00: the merchant charges the card by hand; the first try is declined, the second pays. No messages on.
  const manual = await failedRenewal(h, 'tok_chargeDeclinedInsufficientFundsRecoversAfter2', 5000, 'eur', { notification_preferences: { email: false, sms: false } });
  expect((await h.call('POST', `/v1/invoices/${manual.renewal.id}/pay`, {})).status).toBe(402);
  await ok(h, 'POST', `/v1/invoices/${manual.renewal.id}/pay`, {});
  await advance(h, manual.clock.id, '2027-01-08T01:00:00Z');
  await work(h);

  // EUR 30.00: a stolen card, still waiting for a new one.
  const waiting = await failedRenewal(h, 'tok_chargeDeclinedStolenCard', 3000, 'eur');

  it('each case ends as its story says', async () => {
    expect(await caseOf(h, soft.renewal.id)).toMatchObject({ status: 'recovered', retries: 2 });
    expect(await caseOf(h, hard.renewal.id)).toMatchObject({ status: 'recovered', retries: 1 });
    expect(await caseOf(h, lost.renewal.id)).toMatchObject({ status: 'exhausted', retries: 4 });
    expect(await caseOf(h, manual.renewal.id)).toMatchObject({ status: 'recovered', retries: 0 });
    expect(await caseOf(h, waiting.renewal.id)).toMatchObject({ status: 'active', awaiting: 'new_payment_method' });
  });

  it('a case lists the messages about its invoice since it opened, at the business time of their cause', async () => {
    const c = await caseOf(h, hard.renewal.id);
    expect(c.messages.map((m: any) => [m.kind, m.channel, m.status, m.at])).toEqual([
      ['payment_failed', 'email', 'sent', '2027-01-08T00:00:00.000Z'],
      ['payment_recovered', 'email', 'sent', '2027-01-10T08:00:00.000Z'],
    ]);
    expect(c.messages.every((m: any) => m.id.startsWith('ntf_') && typeof m.sent === 'string')).toBe(true);
    // The same list on the case retrieved alone.
    expect((await ok(h, 'GET', `/v1/dunning_cases/${c.id}`)).messages).toEqual(c.messages);
    // Two declines and the recovery, by SMS (email off: the emails are logged as skipped).
    const s = await caseOf(h, soft.renewal.id);
    expect(s.messages.filter((m: any) => m.channel === 'sms').map((m: any) => [m.kind, m.status, m.at])).toEqual([
      ['payment_failed', 'sent', '2027-01-08T00:00:00.000Z'], ['payment_failed', 'sent', '2027-01-09T10:00:00.000Z'],
      ['payment_recovered', 'sent', '2027-01-11T10:00:00.000Z'],
    ]);
    expect(new Set(s.messages.filter((m: any) => m.channel === 'email').map((m: any) => m.status))).toEqual(new Set(['skipped']));
  });

  it('reports every figure per currency, never adding currencies', async () => {
    const report = await ok(h, 'GET', `/v1/analytics/recovery?${JANUARY}`);
    expect(report).toMatchObject({ object: 'recovery_report', from: '2027-01-01T00:00:00.000Z', to: '2027-02-01T00:00:00.000Z', currency: null });
    expect(report.data).toEqual([
      {
        currency: 'eur', cases: 2, failed_amount: 8000, recovered_amount: 5000, lost_amount: 0, in_recovery_amount: 3000, canceled_amount: 0,
        recovery_rate: '0.6250', // 5000 / 8000
        by_decline_category: [
          { decline_category: 'soft', cases: 1, failed_amount: 5000, recovered_amount: 5000, lost_amount: 0, in_recovery_amount: 0, canceled_amount: 0, recovery_rate: '1.0000' },
          { decline_category: 'hard', cases: 1, failed_amount: 3000, recovered_amount: 0, lost_amount: 0, in_recovery_amount: 3000, canceled_amount: 0, recovery_rate: '0.0000' },
        ],
        by_attempt: [{ attempt: 'manual_payment', cases: 1, recovered_amount: 5000 }],
        by_channel: [{ channel: 'none', cases: 1, recovered_amount: 5000 }],
      },
      {
        currency: 'usd', cases: 3, failed_amount: 8400, recovered_amount: 7400, lost_amount: 1000, in_recovery_amount: 0, canceled_amount: 0,
        recovery_rate: '0.8810', // 7400 / 8400 = 0.880952…
        by_decline_category: [
          // 2900 / 3900 = 0.743589…
          { decline_category: 'soft', cases: 2, failed_amount: 3900, recovered_amount: 2900, lost_amount: 1000, in_recovery_amount: 0, canceled_amount: 0, recovery_rate: '0.7436' },
          { decline_category: 'hard', cases: 1, failed_amount: 4500, recovered_amount: 4500, lost_amount: 0, in_recovery_amount: 0, canceled_amount: 0, recovery_rate: '1.0000' },
        ],
        by_attempt: [{ attempt: 'retry_2', cases: 1, recovered_amount: 2900 }, { attempt: 'new_payment_method', cases: 1, recovered_amount: 4500 }],
        by_channel: [{ channel: 'email', cases: 1, recovered_amount: 4500 }, { channel: 'sms', cases: 1, recovered_amount: 2900 }],
      },
    ]);
  });

  it('takes the range as [from, to) in business time, in RFC 3339 or unix seconds, and one currency on request', async () => {
    const opened = Date.parse('2027-01-08T00:00:00Z') / 1000;
    expect((await ok(h, 'GET', `/v1/analytics/recovery?from=2027-01-01T00:00:00Z&to=${opened}`)).data).toEqual([]);
    const fromOpening = await ok(h, 'GET', `/v1/analytics/recovery?from=${opened}&to=${opened + 1}`);
    expect(fromOpening.data.map((r: any) => [r.currency, r.cases])).toEqual([['eur', 2], ['usd', 3]]);
    const eur = await ok(h, 'GET', `/v1/analytics/recovery?${JANUARY}&currency=EUR`);
    expect(eur).toMatchObject({ currency: 'eur', data: [{ currency: 'eur', failed_amount: 8000 }] });
    expect(eur.data).toHaveLength(1);
  });
});
