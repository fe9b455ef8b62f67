import type { Template } from './catalog.ts';
import type { Faults, FaultSpec } from './faults.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { authenticate, settle } from './intents.ts';
import * as o from './objects.ts';
import type { Obj } from './objects.ts';
import { createRefund, openDispute, settleRefund, updateDispute } from './refunds.ts';
import type { RequestRecord } from './server.ts';
import { ApiError, DASHBOARD, type State } from './state.ts';
import { deliver, signEvent, type Signed } from './webhooks.ts';

type Parts = {
  state: State; faults: Faults; keys: IdempotencyStore; requests: RequestRecord[];
  clock: { now: () => number; advance: (ms: number) => void }; webhookSecret: string;
};
type SignOptions = { timestamp?: number; secret?: string | string[] };

/**
 * The test's side door: what Stripe's Dashboard, its banks and its clock would do, plus fault
 * injection and a record of every request. Nothing here goes through the HTTP API.
 */
export function makeControl({ state, faults, keys, requests, clock, webhookSecret }: Parts) {
  const read = <T extends Obj | undefined>(x: T): T => (x === undefined ? x : structuredClone(x));
  const signed = (event: Obj, opt: SignOptions = {}): Signed =>
    signEvent(event, opt.secret ?? webhookSecret, opt.timestamp ?? Math.floor(clock.now() / 1000));

  return {
    /** Every request received, in order (method, path, parsed params, idempotency key, outcome). */
    requests,
    /** Requests that reached `POST /v1/payment_intents` (replays included; see `intents()` for what exists). */
    intentCreations: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents'),
    /** Every event emitted so far, oldest first (Stripe's envelope; not delivered anywhere by itself). */
    events: (type?: string) => state.events.filter((e) => !type || e.type === type).map((e) => read(e)),
    /** All PaymentIntents that exist, oldest first. */
    intents: () => [...state.intents.values()].map((e) => read(e.obj)),
    /** Any object by id (pi_, ch_, re_, dp_, cus_, pm_, evt_). */
    get: (id: string) => read(state.lookup(id)),
    idempotencyKeys: () => keys.size,

    clock: {
      now: () => clock.now(),
      /** Moves the fake's time on: idempotency keys expire after 24 h, search indexing waits on it. */
      advance: (ms: number) => clock.advance(ms),
    },
    /** New PaymentIntents show in search only `ms` (fake clock) after creation; 0 by default. */
    setSearchDelay: (ms: number) => { state.indexDelayMs = ms; },

    fault: (spec: FaultSpec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending,

    createCustomer: (p: { email?: string; name?: string; metadata?: Record<string, string> } = {}) =>
      read(state.createCustomer({ ...p, metadata: p.metadata ?? {} }, DASHBOARD)),
    /** Saves a test card (a magic id such as `pm_card_visa`) on a customer: a new `pm_…` that charges like it. */
    attachPaymentMethod: (magicOrId: string, customer: string) => read(state.attach(magicOrId, customer, DASHBOARD)),
    /** Adds a magic PaymentMethod id with its own behaviour (see catalog.ts). */
    definePaymentMethod: (id: string, template: Template) => state.define(id, template),

    /** Settles a `processing` PaymentIntent (bank debit): to its planned outcome unless told. Answers the payment_intent.* event. */
    settle: (paymentIntent: string, outcome?: 'succeeded' | 'failed') => read(settle(state, paymentIntent, outcome, DASHBOARD)),
    /** The customer completes (ok) or fails 3-D Secure on a `requires_action` PaymentIntent. */
    authenticate: (paymentIntent: string, ok = true) => read(authenticate(state, paymentIntent, ok, DASHBOARD)),

    /** A refund made in the Dashboard: answers the refund and the charge.refunded event. */
    dashboardRefund: (chargeOrIntent: string, p: { amount?: number; reason?: string } = {}) => {
      try {
        const refund = createRefund(state, {
          [chargeOrIntent.startsWith('pi_') ? 'payment_intent' : 'charge']: chargeOrIntent,
          ...(p.amount !== undefined ? { amount: String(p.amount) } : {}), ...(p.reason ? { reason: p.reason } : {}),
        }, DASHBOARD);
        return { refund: read(refund), event: read(state.events.at(-1)!) };
      } catch (err) {
        if (err instanceof ApiError) throw new Error(`dashboardRefund: ${err.body.message}`);
        throw err;
      }
    },
    settleRefund: (refund: string, outcome: 'succeeded' | 'failed') => read(settleRefund(state, refund, outcome, DASHBOARD)),
    /** The cardholder disputes a charge: answers the charge.dispute.created event. */
    dispute: (chargeOrIntent: string, p: { reason?: string; amount?: number } = {}) => read(openDispute(state, chargeOrIntent, p, DASHBOARD)),
    /** Moves a dispute on (under_review… → charge.dispute.updated; won/lost/warning_closed → charge.dispute.closed). */
    updateDispute: (dispute: string, status: string) => read(updateDispute(state, dispute, status, DASHBOARD)),

    /** An event in Stripe's envelope for any object (for a test that needs one the fake did not emit). */
    eventFor: (type: string, object: Obj) => o.event(o.newId('evt'), Math.floor(clock.now() / 1000), type, structuredClone(object), state.apiVersion),
    /** The raw body and `Stripe-Signature` header Stripe would send; `timestamp` (unix s) for stale ones, `secret` to forge. */
    webhookFor: (event: Obj, opt?: SignOptions) => signed(event, opt),
    /** POSTs the event, signed, to `url` the way Stripe delivers webhooks. */
    sendWebhook: (url: string, event: Obj, opt?: SignOptions) => deliver(url, signed(event, opt)),
  };
}

export type Control = ReturnType<typeof makeControl>;
