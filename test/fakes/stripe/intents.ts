import type { Behaviour, DeclineSpec } from './catalog.ts';
import { bool, record, str, type Params } from './form.ts';
import * as o from './objects.ts';
import type { Obj } from './objects.ts';
import { parseQuery, QueryError } from './search.ts';
import { ApiError, invalid, noSuch, type Ctx, type IntentEntry, type State } from './state.ts';
import { openDispute } from './refunds.ts';

/**
 * PaymentIntents (docs.stripe.com/api/payment_intents; spec paths /v1/payment_intents…):
 * create (optionally confirming), confirm, capture, search, and the settlement of what Stripe
 * finishes later (bank debits, 3-D Secure), which the control API drives.
 */
type Decline = DeclineSpec;
const ADVICE = ['advice_code', 'network_advice_code', 'network_decline_code'] as const;
const advice = (d: Decline) => Object.fromEntries(ADVICE.filter((k) => d[k]).map((k) => [k, d[k]]));

export function intent(s: State, id: string): IntentEntry {
  const e = s.intents.get(id);
  if (!e) throw noSuch('payment_intent', id, 'intent', 404);
  return e;
}

function amountParam(v: string | undefined, name: string, required: boolean): number | undefined {
  if (v === undefined || v === '') {
    if (required) throw invalid(`Missing required param: ${name}.`, { code: 'parameter_missing', param: name });
    return undefined;
  }
  if (!/^\d+$/.test(v)) throw invalid(`Invalid integer: ${v}`, { code: 'parameter_invalid_integer', param: name });
  return Number(v);
}

export function createIntent(s: State, p: Params, ctx: Ctx): Obj {
  const amount = amountParam(str(p.amount), 'amount', true)!;
  if (amount < 1) throw invalid('This value must be greater than or equal to 1.', { code: 'parameter_invalid_integer', param: 'amount' });
  const currency = str(p.currency)?.toLowerCase();
  if (!currency) throw invalid('Missing required param: currency.', { code: 'parameter_missing', param: 'currency' });
  if (!/^[a-z]{3}$/.test(currency)) throw invalid(`Invalid currency: ${currency}.`, { code: 'parameter_invalid_string', param: 'currency' });
  const customer = str(p.customer) ?? null;
  if (customer && !s.customers.has(customer)) throw noSuch('customer', customer, 'customer');
  const capture = str(p.capture_method) ?? 'automatic_async';
  if (!['automatic', 'automatic_async', 'manual'].includes(capture)) throw invalid(`Invalid capture_method: must be one of automatic, automatic_async, or manual`, { param: 'capture_method' });
  const confirm = bool(p.confirm);
  const offSession = str(p.off_session);
  if (offSession !== undefined && !confirm) throw invalid('You may only specify `off_session` when `confirm` is true.', { param: 'off_session' });
  const pmId = str(p.payment_method);
  const pm = pmId ? s.resolvePaymentMethod(pmId) : null;
  if (pm && customer && pm.obj.customer && pm.obj.customer !== customer) {
    throw invalid(`The provided PaymentMethod ${pm.obj.id} belongs to a different Customer.`, { param: 'payment_method' });
  }
  // API versions from 2026 name the parameter allowed_payment_method_types (stripe-node 23); older ones payment_method_types.
  const allowed = p.allowed_payment_method_types ?? p.payment_method_types;
  const types = Array.isArray(allowed) ? allowed.filter((x): x is string => typeof x === 'string') : [pm?.obj.type ?? 'card'];
  if (pm && !types.includes(pm.obj.type)) {
    throw invalid(`The PaymentMethod provided (${pm.obj.type}) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: ${types.join(', ')}.`, { param: 'payment_method' });
  }
  const obj = o.paymentIntent(o.newId('pi', 24), s.created(), {
    amount, currency, customer, description: str(p.description) ?? null, metadata: record(p.metadata),
    capture_method: capture, payment_method: pm?.obj.id ?? null, payment_method_types: types,
    setup_future_usage: str(p.setup_future_usage) ?? null, allowed: Array.isArray(allowed) ? types : null,
  });
  const entry: IntentEntry = { obj, template: pm?.template ?? null, index: [] };
  s.intents.set(obj.id, entry);
  s.emit('payment_intent.created', obj, ctx);
  if (confirm) return confirmIntent(s, entry, { offSession: offSession !== undefined && offSession !== 'false', returnUrl: str(p.return_url) }, ctx);
  return obj;
}

export function confirmIntent(s: State, e: IntentEntry, opts: { offSession: boolean; returnUrl: string | undefined }, ctx: Ctx): Obj {
  const pi = e.obj;
  if (!['requires_confirmation', 'requires_payment_method'].includes(pi.status)) throw unexpectedState(pi, 'confirm', ['requires_confirmation', 'requires_payment_method']);
  if (!pi.payment_method) throw invalid('You cannot confirm this PaymentIntent because it\'s missing a payment method.', { code: 'payment_intent_unexpected_state', param: 'payment_method' });
  const pm = s.paymentMethods.get(pi.payment_method)!;
  e.template = pm.template;
  const b: Behaviour = pm.template.behaviour;
  switch (b.kind) {
    case 'succeed': return succeed(s, e, ctx);
    case 'decline': return decline(s, e, b, ctx);
    case 'async': {
      const ch = newCharge(s, pi, pm.obj);
      pi.status = 'processing';
      s.emit('charge.pending', ch, ctx);
      s.emit('payment_intent.processing', pi, ctx);
      return pi;
    }
    case 'authenticate': {
      if (opts.offSession) {
        if (b.offSession === 'succeed') return succeed(s, e, ctx);
        return decline(s, e, b.offSession === 'decline'
          ? { code: 'authentication_required', decline_code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' }
          : b.offSession, ctx);
      }
      pi.status = 'requires_action';
      pi.next_action = opts.returnUrl
        ? { type: 'redirect_to_url', redirect_to_url: { return_url: opts.returnUrl, url: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${pi.id}` } }
        : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', source: o.newId('src'), stripe_js: `https://hooks.stripe.com/redirect/authenticate/${pi.id}` } };
      s.emit('payment_intent.requires_action', pi, ctx);
      return pi;
    }
  }
}

function newCharge(s: State, pi: Obj, pm: Obj): Obj {
  const ch = o.charge(o.newId('ch', 24), s.created(), pi, pm);
  s.charges.set(ch.id, { obj: ch, template: s.paymentMethods.get(pm.id)!.template });
  pi.latest_charge = ch.id;
  return ch;
}

function succeed(s: State, e: IntentEntry, ctx: Ctx, existing?: Obj): Obj {
  const pi = e.obj;
  const pm = s.paymentMethods.get(pi.payment_method)!;
  const ch = existing ?? newCharge(s, pi, pm.obj);
  Object.assign(ch, { status: 'succeeded', paid: true, balance_transaction: o.newId('txn'), receipt_url: `https://pay.stripe.com/receipts/payment/${ch.id}`, outcome: { advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 20, seller_message: 'Payment complete.', type: 'authorized' } });
  pi.next_action = null;
  pi.last_payment_error = null;
  if (pi.capture_method === 'manual') {
    Object.assign(pi, { status: 'requires_capture', amount_capturable: pi.amount });
    s.emit('charge.succeeded', ch, ctx);
    s.emit('payment_intent.amount_capturable_updated', pi, ctx);
  } else {
    Object.assign(ch, { captured: true, amount_captured: pi.amount });
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount });
    s.emit('charge.succeeded', ch, ctx);
    s.emit('payment_intent.succeeded', pi, ctx);
  }
  const b = pm.template.behaviour;
  if (b.kind === 'succeed' && b.dispute) openDispute(s, ch.id, { reason: b.dispute }, ctx);
  return pi;
}

function fail(s: State, e: IntentEntry, d: Decline & { type: o.StripeErrorBody['type'] }, ctx: Ctx, existing?: Obj): Obj {
  const pi = e.obj;
  const pm = s.paymentMethods.get(pi.payment_method)!;
  const ch = existing ?? newCharge(s, pi, pm.obj);
  const blocked = d.decline_code === 'fraudulent';
  Object.assign(ch, {
    status: 'failed', paid: false, failure_code: d.code, failure_message: d.message,
    outcome: { advice_code: d.advice_code ?? null, network_advice_code: d.network_advice_code ?? null, network_decline_code: d.network_decline_code ?? null, network_status: blocked ? 'not_sent_to_network' : 'declined_by_network', reason: d.decline_code ?? d.code, risk_level: blocked ? 'highest' : 'normal', seller_message: blocked ? 'Stripe blocked this payment.' : 'The bank did not return any further details with this decline.', type: blocked ? 'blocked' : 'issuer_declined' },
  });
  const lastError = { ...advice(d), charge: ch.id, code: d.code, ...(d.decline_code ? { decline_code: d.decline_code } : {}), doc_url: `https://stripe.com/docs/error-codes/${d.code.replace(/_/g, '-')}`, message: d.message, payment_method: structuredClone(pm.obj), type: d.type };
  Object.assign(pi, { status: 'requires_payment_method', payment_method: null, next_action: null, last_payment_error: lastError });
  s.emit('charge.failed', ch, ctx);
  s.emit('payment_intent.payment_failed', pi, ctx);
  return ch;
}

/** A card decline: the PaymentIntent is stored failed and the request answers 402 (saved under the idempotency key). */
function decline(s: State, e: IntentEntry, d: Decline, ctx: Ctx): never {
  const ch = fail(s, e, { ...d, type: 'card_error' }, ctx);
  throw new ApiError(402, {
    type: 'card_error', code: d.code, ...(d.decline_code ? { decline_code: d.decline_code } : {}), message: d.message,
    ...advice(d), charge: ch.id, payment_intent: structuredClone(e.obj), payment_method: structuredClone(e.obj.last_payment_error.payment_method),
  }, true);
}

function unexpectedState(pi: Obj, action: string, allowed: string[]): ApiError {
  return invalid(`This PaymentIntent's ${action === 'capture' ? 'amount could not be captured' : 'could not be confirmed'} because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be ${action === 'capture' ? 'captured' : 'confirmed'}: ${allowed.join(', ')}.`, { code: 'payment_intent_unexpected_state', payment_intent: structuredClone(pi) });
}

export function capture(s: State, id: string, p: Params, ctx: Ctx): Obj {
  const e = intent(s, id);
  const pi = e.obj;
  if (pi.status !== 'requires_capture') throw unexpectedState(pi, 'capture', ['requires_capture']);
  const amount = amountParam(str(p.amount_to_capture), 'amount_to_capture', false) ?? pi.amount_capturable;
  if (amount > pi.amount_capturable) throw invalid(`The amount to capture (${amount}) must be less than or equal to the amount capturable (${pi.amount_capturable}).`, { code: 'amount_too_large', param: 'amount_to_capture' });
  const ch = s.charges.get(pi.latest_charge)!.obj;
  Object.assign(ch, { captured: true, amount_captured: amount });
  Object.assign(pi, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
  s.emit('charge.captured', ch, ctx);
  s.emit('payment_intent.succeeded', pi, ctx);
  return pi;
}

const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

/** POST /v1/payment_intents/:id/cancel: only before money moved; emits payment_intent.canceled. */
export function cancel(s: State, id: string, p: Params, ctx: Ctx): Obj {
  const e = intent(s, id);
  const pi = e.obj;
  if (!CANCELABLE.includes(pi.status)) {
    throw invalid(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`, { code: 'payment_intent_unexpected_state', payment_intent: structuredClone(pi) });
  }
  const reason = str(p.cancellation_reason);
  if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
    throw invalid(`Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`, { param: 'cancellation_reason' });
  }
  Object.assign(pi, { status: 'canceled', canceled_at: s.created(), cancellation_reason: reason ?? null, next_action: null, amount_capturable: 0 });
  s.emit('payment_intent.canceled', pi, ctx);
  return pi;
}

/** Finishes a `processing` PaymentIntent (a bank debit clearing or bouncing); answers the payment_intent.* event it emitted. */
export function settle(s: State, id: string, outcome: 'succeeded' | 'failed' | undefined, ctx: Ctx): Obj {
  const e = intent(s, id);
  if (e.obj.status !== 'processing') throw new Error(`settle: ${id} is ${e.obj.status}, not processing`);
  const b = e.template!.behaviour;
  const planned = b.kind === 'async' ? b.outcome : 'succeeded';
  const ch = s.charges.get(e.obj.latest_charge)!.obj;
  const before = s.events.length;
  if ((outcome ?? (planned === 'succeeded' ? 'succeeded' : 'failed')) === 'succeeded') succeed(s, e, ctx, ch);
  else {
    const d = typeof planned === 'object' ? planned : { code: 'payment_method_provider_decline', message: 'The payment was declined by the bank.' };
    fail(s, e, { ...d, type: 'card_error' }, ctx, ch);
  }
  return s.events.slice(before).reverse().find((x) => x.type.startsWith('payment_intent.'))!;
}

/** The customer completes (or fails) 3-D Secure on a `requires_action` PaymentIntent. */
export function authenticate(s: State, id: string, ok: boolean, ctx: Ctx): Obj {
  const e = intent(s, id);
  if (e.obj.status !== 'requires_action') throw new Error(`authenticate: ${id} is ${e.obj.status}, not requires_action`);
  if (ok) {
    const b = e.template!.behaviour;
    if (b.kind === 'authenticate' && typeof b.offSession === 'object') fail(s, e, { ...b.offSession, type: 'card_error' }, ctx);
    else succeed(s, e, ctx);
  } else {
    const pm = s.paymentMethods.get(e.obj.payment_method)!;
    Object.assign(e.obj, {
      status: 'requires_payment_method', payment_method: null, next_action: null,
      last_payment_error: { code: 'payment_intent_authentication_failure', doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure', message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.', payment_method: structuredClone(pm.obj), type: 'invalid_request_error' },
    });
    s.emit('payment_intent.payment_failed', e.obj, ctx);
  }
  return e.obj;
}

export function search(s: State, p: Params): Obj {
  const query = str(p.query);
  if (!query) throw invalid('Missing required param: query.', { code: 'parameter_missing', param: 'query' });
  let match: (x: Obj) => boolean;
  try { match = parseQuery(query); } catch (err) {
    if (err instanceof QueryError) throw invalid(err.message, { param: 'query' });
    throw err;
  }
  const limit = Math.min(100, Math.max(1, Number(str(p.limit) ?? 10) || 10));
  const offset = str(p.page) ? Number(Buffer.from(str(p.page)!, 'base64url').toString()) || 0 : 0;
  const now = s.now();
  // Search answers from its index: the newest version of each PaymentIntent indexed by now, maybe stale.
  const hits = [...s.intents.values()].map((e) => e.index.filter((v) => v.at <= now).at(-1)?.obj)
    .filter((x): x is Obj => x !== undefined && match(x)).reverse().sort((a, b) => b.created - a.created);
  const page = hits.slice(offset, offset + limit);
  const more = offset + limit < hits.length;
  return {
    object: 'search_result', data: page, has_more: more, next_page: more ? Buffer.from(String(offset + limit)).toString('base64url') : null,
    total_count: hits.length, url: '/v1/payment_intents/search',
  };
}

/**
 * `GET /v1/payment_intents` (`customer`, `limit`, `starting_after`), newest first. Unlike search it
 * reads the current objects: Stripe's list APIs "aren't subject to the availability delay"
 * (docs.stripe.com/search, data freshness).
 */
export function listIntents(s: State, p: Params): Obj {
  const customer = str(p.customer);
  const limit = Math.min(100, Math.max(1, Number(str(p.limit) ?? 10) || 10));
  let all = [...s.intents.values()].map((e) => e.obj).filter((pi) => !customer || pi.customer === customer).reverse();
  const after = str(p.starting_after);
  if (after) all = all.slice(all.findIndex((pi) => pi.id === after) + 1);
  return { object: 'list', data: all.slice(0, limit), has_more: all.length > limit, url: '/v1/payment_intents' };
}
