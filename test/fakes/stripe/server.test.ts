import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from './server.ts';

// The official SDK against the local fake, exactly as an adapter would configure it.
let fake: FakeStripe;
let stripe: Stripe;
const sdk = (extra: Partial<Stripe.StripeConfig> = {}) =>
  new Stripe(fake.secretKey, { ...fake.sdkOptions, maxNetworkRetries: 0, timeout: 2000, ...extra });

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = sdk();
});
afterAll(async () => { await fake.close(); });

async function caught<T>(p: Promise<T>): Promise<any> {
  try { await p; } catch (err) { return err; }
  throw new Error('expected the call to fail');
}

let seq = 0;
const attemptRef = () => `att_${process.pid}_${++seq}`;
const charge = (pm: string, ref = attemptRef(), extra: Partial<Stripe.PaymentIntentCreateParams> = {}, key = `key-${ref}`) =>
  stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: pm, off_session: true, confirm: true, metadata: { rebill_attempt: ref }, ...extra }, { idempotencyKey: key });

describe('PaymentIntents', () => {
  it('charges a saved card off-session and reads its card details', async () => {
    const customer = await stripe.customers.create({ email: 'ada@example.com' });
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    expect(pm.id).toMatch(/^pm_/);
    expect(pm.id).not.toBe('pm_card_visa');
    const pi = await charge(pm.id, 'att_ok', { customer: customer.id, description: 'Invoice 7' });
    expect(pi).toMatchObject({
      object: 'payment_intent', status: 'succeeded', amount: 2000, amount_received: 2000, currency: 'usd',
      customer: customer.id, payment_method: pm.id, metadata: { rebill_attempt: 'att_ok' }, livemode: false, last_payment_error: null, next_action: null,
    });
    expect(pi.latest_charge).toMatch(/^ch_/);
    const again = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge', 'payment_method'] });
    const ch = again.latest_charge as Stripe.Charge;
    expect(ch).toMatchObject({ object: 'charge', paid: true, captured: true, amount_captured: 2000, payment_intent: pi.id, status: 'succeeded' });
    expect((again.payment_method as Stripe.PaymentMethod).card).toMatchObject({ brand: 'visa', last4: '4242' });

    const saved = await stripe.customers.retrievePaymentMethod(customer.id, pm.id);
    expect(saved.card).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, country: 'US' });
    const mc = await stripe.paymentMethods.retrieve('pm_card_mastercard');
    expect(mc.card?.brand).toBe('mastercard');
    expect(fake.control.events('payment_intent.succeeded').map((e) => e.data.object.id)).toContain(pi.id);
  });

  it.each([
    ['pm_card_visa_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_visa_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'card_declined', 'stolen_card'],
    ['pm_card_chargeDeclinedFraudulent', 'card_declined', 'fraudulent'],
    ['pm_card_visa_chargeDeclinedVelocityLimitExceeded', 'card_declined', 'card_velocity_exceeded'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', undefined],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', undefined],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error', undefined],
    ['pm_card_authenticationRequired', 'authentication_required', 'authentication_required'],
  ])('%s declines with %s / %s as a StripeCardError', async (pm, code, declineCode) => {
    const ref = attemptRef();
    const err = await caught(charge(pm, ref));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.statusCode).toBe(402);
    expect(err.code).toBe(code);
    expect(err.raw.decline_code).toBe(declineCode);
    expect(err.raw.charge).toMatch(/^ch_/);
    expect(err.raw.payment_intent).toMatchObject({ status: 'requires_payment_method', payment_method: null, metadata: { rebill_attempt: ref } });
    expect(err.raw.payment_intent.last_payment_error).toMatchObject({ type: 'card_error', code, charge: err.raw.charge });
    expect(err.raw.payment_intent.last_payment_error.decline_code).toBe(declineCode);
    const stored = await stripe.paymentIntents.retrieve(err.raw.payment_intent.id);
    expect(stored.status).toBe('requires_payment_method');
    expect(stored.last_payment_error?.payment_method?.type).toBe('card');
  });

  it('lets a test define its own decline, with the network advice Stripe passes on', async () => {
    fake.control.definePaymentMethod('pm_card_doNotHonorAdvice', {
      type: 'card', card: { brand: 'visa', last4: '0005', exp_month: 1, exp_year: 2031, country: 'GB', funding: 'debit' },
      behaviour: { kind: 'decline', code: 'card_declined', decline_code: 'do_not_honor', message: 'Your card was declined.', advice_code: 'do_not_try_again', network_decline_code: '05' },
    });
    const err = await caught(charge('pm_card_doNotHonorAdvice'));
    expect(err.raw).toMatchObject({ code: 'card_declined', decline_code: 'do_not_honor', advice_code: 'do_not_try_again', network_decline_code: '05' });
    expect(err.raw.payment_intent.last_payment_error).toMatchObject({ advice_code: 'do_not_try_again', payment_method: { card: { country: 'GB', funding: 'debit' } } });
  });

  it('asks for 3-D Secure on-session and succeeds once the customer authenticates', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 500, currency: 'eur', payment_method: 'pm_card_authenticationRequired', confirm: true, return_url: 'https://shop.example/back' });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action).toMatchObject({ type: 'redirect_to_url', redirect_to_url: { return_url: 'https://shop.example/back' } });
    fake.control.authenticate(pi.id, true);
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it('leaves a bank debit processing until the control API settles it, either way', async () => {
    const ok = await charge('pm_usBankAccount_success', attemptRef(), { allowed_payment_method_types: ['us_bank_account'] });
    expect(ok.status).toBe('processing');
    expect(fake.control.settle(ok.id).type).toBe('payment_intent.succeeded');
    expect((await stripe.paymentIntents.retrieve(ok.id)).status).toBe('succeeded');

    const bad = await charge('pm_usBankAccount_accountClosed', attemptRef(), { allowed_payment_method_types: ['us_bank_account'] });
    const event = fake.control.settle(bad.id);
    expect(event).toMatchObject({ type: 'payment_intent.payment_failed', data: { object: { status: 'requires_payment_method', last_payment_error: { code: 'account_closed' } } } });
  });

  it('creates without confirming, then confirms; an unknown method is resource_missing', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'gbp', payment_method: 'pm_card_mastercard' });
    expect(pi.status).toBe('requires_confirmation');
    const confirmed = await stripe.paymentIntents.confirm(pi.id, { off_session: true });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 900 });
    const again = await caught(stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }));
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    expect((await stripe.paymentIntents.retrieve(pi.id)).payment_method).toBe(confirmed.payment_method);
    const unknown = await caught(stripe.paymentIntents.create({ amount: 900, currency: 'gbp', payment_method: 'pm_nope' }));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'payment_method' });
  });

  it('captures a manual-capture PaymentIntent, partly', async () => {
    const pi = await charge('pm_card_visa', attemptRef(), { capture_method: 'manual' });
    expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1500 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 1500 });
    const err = await caught(stripe.paymentIntents.capture(pi.id));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe('payment_intent_unexpected_state');
  });

  it('refuses a wrong API key and a missing PaymentIntent the way Stripe does', async () => {
    const err = await caught(new Stripe('sk_test_wrong000000000000000000', { ...fake.sdkOptions, maxNetworkRetries: 0 }).paymentIntents.retrieve('pi_x'));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    const missing = await caught(stripe.paymentIntents.retrieve('pi_doesnotexist'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', type: 'StripeInvalidRequestError' });
    const noAmount = await caught(stripe.paymentIntents.create({ currency: 'usd' } as any));
    expect(noAmount).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'amount' });
    const typo = await caught(stripe.paymentIntents.create({ amount: 100, currency: 'usd', metdata: { a: 'b' } } as any));
    expect(typo).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'metdata' });
  });
});

describe('idempotency', () => {
  it('replays the first answer for the same key and parameters, and refuses other parameters', async () => {
    const ref = attemptRef();
    const first = await charge('pm_card_visa', ref);
    const again = await charge('pm_card_visa', ref);
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(fake.control.intents().filter((p) => p.metadata.rebill_attempt === ref)).toHaveLength(1);

    const other = await caught(charge('pm_card_visa', ref, { amount: 2001 }));
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(other.statusCode).toBe(400);
    expect(other.type).toBe('StripeIdempotencyError');
    const elsewhere = await caught(stripe.refunds.create({ payment_intent: first.id }, { idempotencyKey: `key-${ref}` }));
    expect(elsewhere).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(elsewhere.message).toMatch(/same endpoint/);
  });

  it('replays a decline as the same 402', async () => {
    const ref = attemptRef();
    const a = await caught(charge('pm_card_visa_chargeDeclinedInsufficientFunds', ref));
    const b = await caught(charge('pm_card_visa_chargeDeclinedInsufficientFunds', ref));
    expect(b.raw.payment_intent.id).toBe(a.raw.payment_intent.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
  });

  it('answers 409 idempotency_key_in_use to a retry while the first request is still executing', async () => {
    const ref = attemptRef();
    let release!: () => void;
    fake.control.fault({ kind: 'delay', until: new Promise<void>((r) => { release = r; }), path: '/v1/payment_intents', method: 'POST' });
    const first = charge('pm_card_visa', ref);
    while (!fake.control.requests.some((r) => r.idempotencyKey === `key-${ref}` && r.outcome === 'pending')) await new Promise((r) => setTimeout(r, 5));
    const second = await caught(charge('pm_card_visa', ref));
    expect(second).toMatchObject({ statusCode: 409, code: 'idempotency_key_in_use' });
    release();
    expect((await first).status).toBe('succeeded');
    expect(fake.control.intents().filter((p) => p.metadata.rebill_attempt === ref)).toHaveLength(1);
  });

  it('forgets a key after 24 hours: the same key then charges again', async () => {
    const ref = attemptRef();
    const first = await charge('pm_card_visa', ref);
    fake.control.clock.advance(24 * 60 * 60 * 1000);
    const later = await charge('pm_card_visa', ref);
    expect(later.id).not.toBe(first.id);
    expect(later.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('faults', () => {
  it('a lost response leaves the charge made; search by metadata finds exactly one', async () => {
    const ref = attemptRef();
    // Two losses: stripe-node retries a reset connection once by itself, with the same key.
    fake.control.fault({ kind: 'lose', path: '/v1/payment_intents', method: 'POST', times: 2 });
    const err = await caught(charge('pm_card_visa', ref));
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const posts = fake.control.requests.filter((r) => r.params.metadata && (r.params.metadata as any).rebill_attempt === ref);
    expect(posts.map((r) => [r.outcome, r.replayed])).toEqual([['lost', false], ['lost', true]]);

    const found = await stripe.paymentIntents.search({ query: `metadata['rebill_attempt']:'${ref}'` });
    expect(found.object).toBe('search_result');
    expect(found.data).toHaveLength(1);
    expect(found.data[0]).toMatchObject({ status: 'succeeded', metadata: { rebill_attempt: ref } });
  });

  it('a single lost response is healed by the SDK\'s own retry, replayed from the key', async () => {
    const ref = attemptRef();
    fake.control.fault({ kind: 'lose', path: '/v1/payment_intents', method: 'POST' });
    const pi = await charge('pm_card_visa', ref);
    expect(pi.status).toBe('succeeded');
    expect(fake.control.intents().filter((p) => p.metadata.rebill_attempt === ref)).toHaveLength(1);
  });

  it('search is eventually consistent when told to be', async () => {
    const ref = attemptRef();
    fake.control.setSearchDelay(30_000);
    await charge('pm_card_visa', ref);
    const q = { query: `metadata['rebill_attempt']:'${ref}' AND status:'succeeded'` };
    expect((await stripe.paymentIntents.search(q)).data).toHaveLength(0);
    fake.control.clock.advance(30_000);
    expect((await stripe.paymentIntents.search(q)).data).toHaveLength(1);

    // Updates lag too: a settled bank debit still shows as processing until indexed again.
    const debit = await charge('pm_usBankAccount_success', attemptRef(), { allowed_payment_method_types: ['us_bank_account'] });
    fake.control.clock.advance(30_000);
    fake.control.settle(debit.id);
    const byId = { query: `metadata['rebill_attempt']:'${debit.metadata.rebill_attempt}'` };
    expect((await stripe.paymentIntents.search(byId)).data.map((p) => p.status)).toEqual(['processing']);
    fake.control.clock.advance(30_000);
    expect((await stripe.paymentIntents.search(byId)).data.map((p) => p.status)).toEqual(['succeeded']);
    fake.control.setSearchDelay(0);
    const bad = await caught(stripe.paymentIntents.search({ query: "nonsense:'x'" }));
    expect(bad).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('a 500 before any work: StripeAPIError, nothing charged, the key still free', async () => {
    const ref = attemptRef();
    fake.control.fault({ kind: 'error', path: '/v1/payment_intents', method: 'POST' });
    const err = await caught(charge('pm_card_visa', ref));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(500);
    expect(err.raw.type).toBe('api_error');
    expect(fake.control.intents().filter((p) => p.metadata.rebill_attempt === ref)).toHaveLength(0);
    expect((await charge('pm_card_visa', ref)).status).toBe('succeeded');
  });

  it('a 500 after the work is saved under the key: the retry replays it, search finds the charge', async () => {
    const ref = attemptRef();
    fake.control.fault({ kind: 'errorAfter', path: '/v1/payment_intents', method: 'POST' });
    expect(await caught(charge('pm_card_visa', ref))).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });
    const retry = await caught(charge('pm_card_visa', ref));
    expect(retry).toMatchObject({ statusCode: 500, headers: { 'idempotent-replayed': 'true' } });
    const found = await stripe.paymentIntents.search({ query: `metadata['rebill_attempt']:'${ref}'` });
    expect(found.data.map((p) => p.status)).toEqual(['succeeded']);
  });

  it('a hung request ends in the SDK\'s timeout error; after work, the charge exists', async () => {
    const short = sdk({ timeout: 200 });
    const ref = attemptRef();
    fake.control.fault({ kind: 'hang', path: '/v1/payment_intents', method: 'POST' });
    const before = await caught(short.paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { rebill_attempt: ref } }));
    expect(before).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(before.message).toMatch(/timeout/);
    expect(fake.control.intents().filter((p) => p.metadata.rebill_attempt === ref)).toHaveLength(0);

    fake.control.fault({ kind: 'hangAfter', path: '/v1/payment_intents', method: 'POST' });
    const after = await caught(short.paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { rebill_attempt: ref } }));
    expect(after).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(fake.control.intents().filter((p) => p.metadata.rebill_attempt === ref)).toHaveLength(1);
  });

  it('a slow answer is still an answer', async () => {
    fake.control.fault({ kind: 'delay', ms: 50, path: '/v1/payment_intents', method: 'POST' });
    expect((await charge('pm_card_visa')).status).toBe('succeeded');
    expect(fake.control.pendingFaults()).toBe(0);
  });
});

describe('refunds', () => {
  it('refunds partly then fully, idempotently, and lists them by PaymentIntent', async () => {
    const pi = await charge('pm_card_visa');
    const part = await stripe.refunds.create({ payment_intent: pi.id, amount: 500, metadata: { rebill_refund: 'r1' }, reason: 'requested_by_customer' }, { idempotencyKey: `refund-${pi.id}-1` });
    expect(part).toMatchObject({ object: 'refund', amount: 500, status: 'succeeded', payment_intent: pi.id, charge: pi.latest_charge, metadata: { rebill_refund: 'r1' } });
    const replay = await stripe.refunds.create({ payment_intent: pi.id, amount: 500, metadata: { rebill_refund: 'r1' }, reason: 'requested_by_customer' }, { idempotencyKey: `refund-${pi.id}-1` });
    expect(replay.id).toBe(part.id);
    const rest = await stripe.refunds.create({ payment_intent: pi.id }, { idempotencyKey: `refund-${pi.id}-2` });
    expect(rest.amount).toBe(1500);
    const over = await caught(stripe.refunds.create({ payment_intent: pi.id, amount: 1 }));
    expect(over).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });

    const listed = await stripe.refunds.list({ payment_intent: pi.id });
    expect(listed.data.map((r) => r.id).sort()).toEqual([part.id, rest.id].sort());
    expect((await stripe.refunds.retrieve(part.id)).amount).toBe(500);
    const ch = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(ch).toMatchObject({ amount_refunded: 2000, refunded: true });
  });

  it('starts a pm_card_pendingRefund refund pending; the control API ends it with refund.updated', async () => {
    const pi = await charge('pm_card_pendingRefund');
    const r = await stripe.refunds.create({ payment_intent: pi.id });
    expect(r.status).toBe('pending');
    expect(fake.control.settleRefund(r.id, 'succeeded')).toMatchObject({ type: 'refund.updated', data: { object: { status: 'succeeded' }, previous_attributes: { status: 'pending' } } });
    const unpaid = await charge('pm_card_visa_chargeDeclined').catch((e) => e.raw.payment_intent);
    expect(await caught(stripe.refunds.create({ payment_intent: unpaid.id }))).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });
});

describe('webhooks', () => {
  it('signs events so that stripe.webhooks.constructEvent accepts them, and only them', async () => {
    const pi = await charge('pm_card_visa');
    const event = fake.control.events('payment_intent.succeeded').find((e) => e.data.object.id === pi.id)!;
    expect(event).toMatchObject({ object: 'event', id: expect.stringMatching(/^evt_/), livemode: false, api_version: expect.any(String), request: { idempotency_key: expect.any(String) } });
    const { payload, header } = fake.control.webhookFor(event);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const verified = stripe.webhooks.constructEvent(payload, header, fake.webhookSecret);
    expect(verified.id).toBe(event.id);

    const tampered = payload.replace('"amount": 2000', '"amount": 1');
    expect(tampered).not.toBe(payload);
    expect(() => stripe.webhooks.constructEvent(tampered, header, fake.webhookSecret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const forged = fake.control.webhookFor(event, { secret: 'whsec_not_the_one' });
    expect(() => stripe.webhooks.constructEvent(forged.payload, forged.header, fake.webhookSecret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const rolled = fake.control.webhookFor(event, { secret: ['whsec_new_one', fake.webhookSecret] });
    expect(rolled.header.split(',')).toHaveLength(3);
    expect(stripe.webhooks.constructEvent(rolled.payload, rolled.header, fake.webhookSecret).id).toBe(event.id);
    const stale = fake.control.webhookFor(event, { timestamp: Math.floor(fake.control.clock.now() / 1000) - 3600 });
    expect(() => stripe.webhooks.constructEvent(stale.payload, stale.header, fake.webhookSecret, 300, undefined, fake.control.clock.now())).toThrow(/tolerance/);
  });

  it('delivers Dashboard refunds, disputes and their updates as signed events', async () => {
    const received: Stripe.Event[] = [];
    const receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => { raw += c; });
      req.on('end', () => {
        try {
          received.push(stripe.webhooks.constructEvent(raw, req.headers['stripe-signature'] as string, fake.webhookSecret, 0));
          res.writeHead(200).end();
        } catch { res.writeHead(400).end(); }
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const pi = await charge('pm_card_visa');
      const { refund, event } = fake.control.dashboardRefund(pi.id, { amount: 700 });
      expect(event).toMatchObject({ type: 'charge.refunded', request: { id: null }, data: { object: { amount_refunded: 700 }, previous_attributes: { amount_refunded: 0 } } });
      expect(refund.amount).toBe(700);
      const opened = fake.control.dispute(pi.id, { reason: 'fraudulent' });
      const closed = fake.control.updateDispute(opened.data.object.id, 'lost');
      for (const e of [event, opened, closed]) expect((await fake.control.sendWebhook(hook, e)).status).toBe(200);
      expect((await fake.control.sendWebhook(hook, event, { secret: 'whsec_forged' })).status).toBe(400);
      expect(received.map((e) => e.type)).toEqual(['charge.refunded', 'charge.dispute.created', 'charge.dispute.closed']);
      expect(received[1]!.data.object).toMatchObject({ object: 'dispute', charge: pi.latest_charge, payment_intent: pi.id, status: 'needs_response', reason: 'fraudulent' });
      expect((await stripe.disputes.retrieve(opened.data.object.id)).status).toBe('lost');
    } finally {
      await new Promise<void>((r) => { receiver.closeAllConnections(); receiver.close(() => r()); });
    }
  });
});
