import { createAccount } from '../../src/app/accounts/accounts.ts';
import { describe, expect, it } from 'vitest';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { expectErrorShape, failedJob, ok, parkSubscription, webhookDelivery } from '../builders.ts';
import { harness, registeredRoutes, tableCounts, type Harness } from '../support.ts';

/**
 * Principle 8 against hostile input (issue 12): every write endpoint the server registers gets
 * the whole corpus below. Each answer must be a 4xx whose body is exactly the API's error shape,
 * and no table may change. The endpoints come from the running server and the per-field cases
 * from the OpenAPI document, so a new route or field is attacked without anyone listing it; a
 * new route whose path parameter has no fixture here fails the run rather than going untested.
 */

type Attack = {
  name: string; path?: string; query?: string; body?: unknown; json?: string; contentType?: string;
  headers?: Record<string, string>; status?: number; code?: string; param?: string | null;
};
type Schema = {
  type?: string; format?: string; minimum?: number; maximum?: number; maxLength?: number;
  properties?: Record<string, Schema>; anyOf?: Schema[];
};

/** Luhn-valid 4242… written the ways that used to slip through. */
const CARDS: Record<string, string> = {
  'no-break spaces': '4242\u00a04242\u00a04242\u00a04242', 'four spaces': '4242    4242    4242    4242',
  slashes: '4242/4242/4242/4242', dots: '4242.4242.4242.4242', newlines: '4242\n4242\n4242\n4242',
  underscores: '4242_4242_4242_4242', 'en dashes': '4242\u20134242\u20134242\u20134242',
  'full-width digits': '\uff14\uff12\uff14\uff12 \uff14\uff12\uff14\uff12 \uff14\uff12\uff14\uff12 \uff14\uff12\uff14\uff12',
};

/** Objects `levels` deep, built as text so no recursion is needed on this side either. */
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** `valid` as JSON text with `field` set to a literal JSON.stringify cannot write (1e400, 2^64). */
const withLiteral = (valid: Record<string, unknown>, field: string, literal: string) =>
  JSON.stringify({ ...valid, [field]: 0 }).replace(`"${field}":0`, `"${field}":${literal}`);

/** Attacks on the request as a whole; `valid` is a body the endpoint would accept. */
function requestAttacks(valid: Record<string, unknown>): Attack[] {
  const bad = (name: string, json: string, code: string, param: string | null = 'zzz', status = 400): Attack =>
    ({ name, json, code, param, status });
  return [
    bad('8,000 nested arrays', `${'['.repeat(8_000)}${']'.repeat(8_000)}`, 'parameter_invalid', 'body'),
    bad('objects nested 40 deep', `{"zzz":${deepObject(40)}}`, 'parameter_invalid'),
    bad('a lone high surrogate', '{"zzz":"\\ud800"}', 'parameter_invalid'),
    bad('a lone low surrogate inside text', '{"zzz":"ab\\udc00cd"}', 'parameter_invalid'),
    bad('a lone surrogate in a key', '{"\\udc00":"x"}', 'parameter_invalid', 'body'),
    bad('a lone surrogate in a metadata value', '{"metadata":{"note":"\\ud83d"}}', 'parameter_invalid', 'metadata[note]'),
    bad('the NUL character', '{"zzz":"a\\u0000b"}', 'parameter_invalid'),
    ...Object.entries(CARDS).map(([how, card]) =>
      bad(`a card number with ${how}`, JSON.stringify({ zzz: `paid ${card} ok` }), 'card_number_refused')),
    bad('a __proto__ key', '{"__proto__":{"admin":true}}', 'body_invalid', 'body'),
    bad('a constructor.prototype key', '{"constructor":{"prototype":{"admin":true}}}', 'body_invalid', 'body'),
    bad('a nested __proto__ key', '{"metadata":{"__proto__":{"admin":true}}}', 'body_invalid', 'body'),
    bad('a 900 KB string', JSON.stringify({ ...valid, zzz: 'x'.repeat(900_000) }), 'parameter_unknown'),
    bad('a 2 MB body', JSON.stringify({ zzz: 'x'.repeat(2_000_000) }), 'body_too_large', 'body', 413),
    bad('an empty body', '', 'body_invalid', 'body'),
    bad('malformed JSON', '{"zzz": ', 'body_invalid', 'body'),
    bad('JSON followed by more text', '{} {}', 'body_invalid', 'body'),
    bad('a number beyond any float', withLiteral(valid, 'zzz', '1e400'), 'parameter_unknown'),
    bad('emoji and combining marks as a field name', withLiteral(valid, '😀e\u0301', '1'), 'parameter_unknown', '😀e\u0301'),
    // Fastify reads text/plain as a string, which no body schema accepts.
    { name: 'plain text', json: 'name=x', contentType: 'text/plain', code: 'parameter_invalid', param: 'body' },
    { name: 'a form', json: 'name=x', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'content_type_invalid', param: 'body' },
    { name: 'XML', json: '<name>x</name>', contentType: 'application/xml', status: 415, code: 'content_type_invalid', param: 'body' },
    { name: 'a card number in the query string', body: valid, query: '?note=4242%C2%A04242%C2%A04242%C2%A04242', code: 'card_number_refused', param: 'note' },
    { name: 'NUL in the query string', body: valid, query: '?note=%00', code: 'parameter_invalid', param: 'note' },
    { name: 'a 64 KB header', body: valid, headers: { 'x-padding': 'x'.repeat(65_536) }, status: 431, code: 'headers_too_large', param: null },
    { name: 'an Idempotency-Key of 300 characters', body: valid, headers: { 'idempotency-key': 'k'.repeat(300) },
      code: 'idempotency_key_invalid', param: 'Idempotency-Key' },
    { name: 'an Idempotency-Key used for another request', body: valid, headers: { 'idempotency-key': 'used-before' },
      status: 409, code: 'idempotency_key_reused', param: 'Idempotency-Key' },
  ];
}

/** Attacks on each documented body field, from its schema. */
function fieldAttacks(valid: Record<string, unknown>, schema: Schema | undefined): Attack[] {
  const out: Attack[] = [];
  for (const [field, s] of Object.entries(schema?.properties ?? {})) {
    const types = (s.anyOf ?? [s]).map((x) => x.type);
    const at = (name: string, value: unknown, code = 'parameter_invalid'): Attack =>
      ({ name: `${field}: ${name}`, body: { ...valid, [field]: value }, code, param: field });
    out.push(at('a value of the wrong type', types.includes('array') ? { not: 'a list' } : [[{}]]));
    if (types.includes('string') && !s.format) out.push(at('a lone surrogate', '\ud800'));
    const str = (s.anyOf ?? [s]).find((x) => x.type === 'string');
    if (str?.maxLength !== undefined) out.push(at('one character too long', 'x'.repeat(str.maxLength + 1)));
    if (str?.format === 'date-time') {
      for (const t of ['2027-06-30T23:59:60Z', '2027-02-30T00:00:00Z', '2027-03-01T24:00:00Z', '2027-03-01T00:00:00+02', '2027-03-01']) {
        out.push(at(`the timestamp ${t}`, t));
      }
    }
    if (s.type === 'integer') {
      if (s.minimum !== undefined) out.push(at('below its minimum', s.minimum - 1));
      // amount_too_large for amounts, parameter_invalid for the rest: any 4xx will do.
      if (s.maximum !== undefined) out.push({ name: `${field}: 2^64`, json: withLiteral(valid, field, '18446744073709551616') });
    }
    if (field === 'currency') out.push(at('an unknown currency', 'xyz', 'currency_invalid'), at('a currency in another script', 'ＵＳＤ', 'currency_invalid'));
  }
  return out;
}

/** Attacks on the path parameter, for routes that have one. */
function pathAttacks(route: string, other: string, valid: Record<string, unknown>): Attack[] {
  const withId = (id: string) => route.replace(/:id\b/, id);
  return ([
    { name: 'a bad percent-encoding in the path', path: withId('%E0%A4%A'), code: 'url_invalid', param: null },
    { name: 'an encoded lone surrogate in the path', path: withId('%ED%A0%80'), code: 'url_invalid', param: null },
    { name: "another account's object", path: withId(other), status: 404, code: 'resource_missing', param: 'id' },
    { name: 'emoji in the id', path: withId(encodeURIComponent('cus_😀')), status: 404, code: 'resource_missing', param: 'id' },
    { name: 'combining marks in the id', path: withId(encodeURIComponent('cus_e\u0301\u0301')), status: 404, code: 'resource_missing', param: 'id' },
    { name: 'an id of 65 characters', path: withId('x'.repeat(65)), code: 'parameter_invalid', param: 'id' },
    { name: 'an id of 2,000 characters', path: withId('x'.repeat(2_000)), status: 414, code: 'url_too_long', param: null },
  ] as Attack[]).map((a) => ({ ...a, body: valid }));
}

/**
 * The one-click unsubscribe takes the form mail clients send (RFC 8058) and no API key, so an
 * Idempotency-Key means nothing to it: those attacks reach its check of the link instead.
 */
function asUnsubscribe(a: Attack): Attack {
  if (a.contentType === 'application/x-www-form-urlencoded') return { ...a, status: 400, code: 'parameter_unknown', param: 'name' };
  if (a.headers?.['idempotency-key']) return { ...a, status: 404, code: 'unsubscribe_link_invalid', param: 'token' };
  return a;
}

/** `session`: sent as the dashboard sends it, with a user's cookie and CSRF token instead of the API key. */
async function send(h: Harness, url: string, a: Attack, session?: Record<string, string>) {
  const headers = { ...(session ?? {}), ...(a.headers ?? {}), ...(a.json !== undefined ? { 'content-type': a.contentType ?? 'application/json' } : {}) };
  return await h.call('POST', url + (a.query ?? ''), a.json ?? a.body, { headers, ...(session ? { key: null } : {}) });
}

describe('every write endpoint refuses hostile input with a 4xx and changes nothing', async () => {
  const h = await harness();
  const product = await ok(h, 'POST', '/v1/products', { name: 'Box' });
  const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const clock = await ok(h, 'POST', '/v1/test_clocks', { frozen_time: '2027-01-10T00:00:00Z' });
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'c@example.com' });
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });

  const b = await createAccount(h.database.db, 'Other');
  const asB = async (url: string, body: unknown) => {
    const r = await h.call('POST', url, body, { key: b.key.secret });
    if (r.status !== 200) throw new Error(`${url} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const bClock = await asB('/v1/test_clocks', { frozen_time: '2027-01-10T00:00:00Z' });
  const bCustomer = await asB('/v1/customers', { email: 'b@example.com' });
  const bProduct = await asB('/v1/products', { name: 'B' });
  const bPrice = await asB('/v1/prices', { product: bProduct.id, currency: 'usd', unit_amount: 1, recurring: { interval: 'month' } });
  const bSub = await asB('/v1/subscriptions', { customer: bCustomer.id, items: [{ price: bPrice.id }] });
  // A subscription of each account parked after its billing kept failing.
  const parked = (accountId: string, subscription: string) => parkSubscription(h.deps, accountId, subscription);

  const failure = await parked(h.accountId, (await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 3 })).id);
  const bFailure = await parked(b.account.id, (await asB('/v1/subscriptions', { customer: bCustomer.id, items: [{ price: bPrice.id }], trial_period_days: 3 })).id);
  const job = await failedJob(h.deps, h.accountId);
  const bJob = await failedJob(h.deps, b.account.id);

  const schedulePhases = [{ items: [{ price: price.id }], iterations: 3 }];
  const schedule = await ok(h, 'POST', '/v1/subscription_schedules', { customer: customer.id, start_date: '2027-06-01T00:00:00Z', phases: schedulePhases });
  const bSchedule = await asB('/v1/subscription_schedules', { customer: bCustomer.id, start_date: 'now', phases: [{ items: [{ price: bPrice.id }] }] });
  const taxRate = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'VAT', percentage: '20', inclusive: true });
  const bTaxRate = await asB('/v1/tax_rates', { display_name: 'B VAT', percentage: '19', inclusive: true });
  const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'once' });
  const bCoupon = await asB('/v1/coupons', { percent_off: 10, duration: 'once' });
  const creditNote = await ok(h, 'POST', '/v1/credit_notes', { invoice: sub.latest_invoice, amount: 100 });
  const bCreditNote = await asB('/v1/credit_notes', { invoice: bSub.latest_invoice, amount: 1 });
  const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id });
  const bPromo = await asB('/v1/promotion_codes', { coupon: bCoupon.id });
  const endpoint = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/hostile', enabled_events: ['*'] });
  const bEndpoint = await asB('/v1/webhook_endpoints', { url: 'https://hooks.example.com/b', enabled_events: ['*'] });
  const delivery = await webhookDelivery(h, endpoint.id);
  const gateway = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'Hostile' });
  const bGateway = await asB('/v1/gateways', { type: 'sandbox', name: 'B' });
  const rule = await ok(h, 'POST', '/v1/routing_rules', { gateway: gateway.id });
  const bRule = await asB('/v1/routing_rules', { gateway: bGateway.id });
  const policy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Hostile' });
  const bPolicy = await asB('/v1/dunning_policies', { name: 'B' });
  const bDelivery = await webhookDelivery(h, bEndpoint.id, b.key.secret);
  const feature = await ok(h, 'POST', '/v1/features', { lookup_key: 'hostile', name: 'Hostile' });
  const bFeature = await asB('/v1/features', { lookup_key: 'hostile', name: 'B' });
  const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'hostile', display_name: 'Hostile', default_aggregation: { formula: 'sum' } });
  await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'hostile', identifier: 'hostile-sent', payload: { customer: customer.id, value: 1 } });
  const bMeter = await asB('/v1/billing/meters', { event_name: 'hostile', display_name: 'B', default_aggregation: { formula: 'sum' } });
  const grantFor = (c: string) => ({ customer: c, amount: { type: 'monetary', monetary: { value: 1000, currency: 'usd' } }, applicability_config: { scope: { price_type: 'metered' } }, category: 'paid' });
  const grant = await ok(h, 'POST', '/v1/billing/credit_grants', grantFor(customer.id));
  const bGrant = await asB('/v1/billing/credit_grants', grantFor(bCustomer.id));
  const alertOf = (meterId: string, customerId: string) =>
    ({ alert_type: 'usage_threshold', title: 'Hostile', usage_threshold: { gte: '100.5', meter: meterId, filters: [{ type: 'customer', customer: customerId }], recurrence: 'one_time' } });
  const alert = await ok(h, 'POST', '/v1/billing/alerts', alertOf(meter.id, customer.id));
  const bAlert = await asB('/v1/billing/alerts', alertOf(bMeter.id, bCustomer.id));
  // Messages: the receipts of both accounts' paid first invoices, made when the events are sequenced.
  await sequenceEvents(h.deps.db, h.clock.now());
  const notificationOf = async (accountId: string) => (await h.deps.db.selectFrom('notifications').select('id').where('account_id', '=', accountId).executeTakeFirstOrThrow()).id;
  const notification = await notificationOf(h.accountId);
  const bNotification = await notificationOf(b.account.id);

  const portalConfig = await ok(h, 'POST', '/v1/billing_portal/configurations', { features: { invoice_history: { enabled: true } } });
  const bPortalConfig = await asB('/v1/billing_portal/configurations', { features: { invoice_history: { enabled: true } } });
  // Portal sessions are signed with the notifications key, which this installation otherwise lacks:
  // it is there only while a portal session is made or a portal route is attacked.
  const portalSigning = { from: 'billing@hostile.example', publicUrl: 'http://127.0.0.1:9', signingKey: Buffer.alloc(32, 11) };
  h.deps.notifications = portalSigning;
  const portalSession = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: customer.id });
  const bPortalSession = await asB('/v1/billing_portal/sessions', { customer: bCustomer.id });
  // The portal's routes are attacked under a configuration that offers every action, so that only the attack can refuse them.
  const everything = await ok(h, 'POST', '/v1/billing_portal/configurations', { features: {
    invoice_history: { enabled: true }, payment_method_update: { enabled: true }, subscription_pause: { enabled: true },
    subscription_cancel: { enabled: true, mode: 'at_period_end', cancellation_reason: { enabled: true, options: ['too_expensive', 'other'] }, retention: { coupon: coupon.id } },
    subscription_update: { enabled: true, products: [{ product: product.id, prices: [price.id] }], proration_behavior: 'create_prorations' },
  } });
  const attackedSession = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: customer.id, configuration: everything.id });
  delete h.deps.notifications;
  const portalBearer = { authorization: `Bearer ${String(attackedSession.url).split('#')[1]}` };
  const user = await ok(h, 'POST', '/v1/users', { email: 'hostile@example.com', password: 'hostile passphrase', role: 'support' });
  const bUser = await asB('/v1/users', { email: 'b-hostile@example.com', password: 'hostile passphrase', role: 'support' });
  // A password change is the signed-in user's own: attacked with the user's session, which reaches the route as the dashboard does.
  const signedIn = await h.call('POST', '/v1/sessions', { email: 'hostile@example.com', password: 'hostile passphrase' }, { key: null });
  const sessions: Record<string, Record<string, string>> = {
    '/v1/sessions/current/password': { cookie: String(signedIn.headers['set-cookie']).split(';')[0]!, 'x-csrf-token': signedIn.body.csrf_token },
  };

  // For each collection with a `:id` route: one of this account's objects and one of another's.
  const ids: Record<string, { own: string; other: string }> = {
    customers: { own: customer.id, other: bCustomer.id }, subscriptions: { own: sub.id, other: bSub.id },
    invoices: { own: sub.latest_invoice, other: bSub.latest_invoice }, test_clocks: { own: clock.id, other: bClock.id },
    billing_failures: { own: failure, other: bFailure }, subscription_schedules: { own: schedule.id, other: bSchedule.id },
    tax_rates: { own: taxRate.id, other: bTaxRate.id }, coupons: { own: coupon.id, other: bCoupon.id },
    credit_notes: { own: creditNote.id, other: bCreditNote.id },
    promotion_codes: { own: promo.id, other: bPromo.id },
    webhook_endpoints: { own: endpoint.id, other: bEndpoint.id },
    webhook_deliveries: { own: delivery, other: bDelivery },
    gateways: { own: gateway.id, other: bGateway.id },
    routing_rules: { own: rule.id, other: bRule.id },
    dunning_policies: { own: policy.id, other: bPolicy.id },
    features: { own: feature.id, other: bFeature.id }, 'billing/meters': { own: meter.id, other: bMeter.id },
    'billing/credit_grants': { own: grant.id, other: bGrant.id }, 'billing/alerts': { own: alert.id, other: bAlert.id }, products: { own: product.id, other: bProduct.id },
    jobs: { own: job, other: bJob },
    notifications: { own: notification, other: bNotification },
    users: { own: user.id, other: bUser.id },
    'billing_portal/configurations': { own: portalConfig.id, other: bPortalConfig.id },
    'billing_portal/sessions': { own: portalSession.id, other: bPortalSession.id },
    // The portal's own customer's subscription, and another account's.
    'portal/subscriptions': { own: sub.id, other: bSub.id },
  };
  // Path parameters that are not ids: a message kind, and the signed token of an unsubscribe link.
  const named: Record<string, string> = { kind: 'receipt', token: 'not-a-signed-token' };
  const fillNamed = (path: string) => path.replace(/:(kind|token)\b/g, (_m, k: string) => named[k]!);
  // Bodies the endpoints would accept, so that only the attacked part is wrong; others get {}.
  const valid: Record<string, Record<string, unknown>> = {
    'POST /v1/users': { email: 'new-hostile@example.com', password: 'a new passphrase', role: 'read_only' },
    'POST /v1/users/:id': { role: 'finance', disabled: false },
    'POST /v1/sessions': { email: 'hostile@example.com', password: 'hostile passphrase' },
    'POST /v1/sessions/current/password': { current_password: 'hostile passphrase', password: 'a new hostile passphrase' },
    'POST /v1/products': { name: 'x' }, 'POST /v1/prices': { product: product.id, currency: 'usd', unit_amount: 1 },
    'POST /v1/payment_methods': { customer: customer.id, token: 'tok_visa' },
    'POST /v1/subscriptions': { customer: customer.id, items: [{ price: price.id }] },
    'POST /v1/test_clocks': { frozen_time: '2027-02-01T00:00:00Z' }, 'POST /v1/test_clocks/:id/advance': { frozen_time: '2027-02-01T00:00:00Z' },
    'POST /v1/invoiceitems': { customer: customer.id, amount: 100, currency: 'usd' }, 'POST /v1/invoices': { customer: customer.id },
    'POST /v1/subscription_schedules': { customer: customer.id, start_date: 'now', phases: schedulePhases },
    'POST /v1/subscription_schedules/:id': { phases: schedulePhases },
    'POST /v1/coupons': { percent_off: '12.5', duration: 'repeating', duration_in_months: 3 },
    'POST /v1/promotion_codes': { coupon: coupon.id, code: 'HOSTILE-1', max_redemptions: 5, restrictions: { minimum_amount: 100, minimum_amount_currency: 'usd' } },
    'POST /v1/promotion_codes/:id': { active: true, metadata: { a: 'b' } },
    'POST /v1/tax_rates': { display_name: 'Sales tax', percentage: '8.875', inclusive: false }, 'POST /v1/tax_rates/:id': { display_name: 'Renamed' },
    'POST /v1/exchange_rates': { base_currency: 'eur', quote_currency: 'usd', rate: '1.0850', effective_date: '2027-01-01' },
    'POST /v1/customers/:id/balance_transactions': { amount: -100, currency: 'usd' },
    'POST /v1/account': { name: 'Acme', address: { line1: '1 Main St', country: 'US' } },
    'POST /v1/credit_notes': { invoice: sub.latest_invoice, amount: 100, reason: 'order_change', memo: 'Goodwill' },
    'POST /v1/webhook_endpoints': { url: 'https://hooks.example.com/in', enabled_events: ['invoice.paid'], description: 'Orders' },
    'POST /v1/webhook_endpoints/:id': { description: 'Renamed' },
    'POST /v1/gateways': { type: 'sandbox', name: 'Backup', metadata: { region: 'eu' } }, 'POST /v1/gateways/:id': { name: 'Renamed', active: true },
    'POST /v1/routing_rules': { gateway: 'sandbox', currency: 'usd', amount_gte: 100, amount_lte: 5000, brand: 'visa', customer_country: 'US', customer_metadata: { tier: 'vip' } },
    'POST /v1/routing_rules/:id': { position: 3, description: 'Large US charges' },
    'POST /v1/dunning_policies': { name: 'Patient', retry_schedule_days: [2, 5, 9], preferred_hour: 9, max_retries: 3, category_actions: { config: 'alert_merchant' }, grace_period_days: 10, end_action: 'mark_unpaid', mark_uncollectible: true, metadata: { team: 'finance' } },
    'POST /v1/dunning_policies/:id': { name: 'Renamed', is_default: true, retry_schedule_days: [1, 2] },
    'POST /v1/features': { lookup_key: 'seats.max', name: 'Seats', metadata: { tier: 'pro' } }, 'POST /v1/features/:id': { name: 'Renamed', active: true },
    'POST /v1/products/:id/features': { feature: feature.id },
    'POST /v1/billing/meters': { event_name: 'hostile.calls', display_name: 'Calls', default_aggregation: { formula: 'count' }, dimensions: ['region'] },
    'POST /v1/billing/meters/:id': { display_name: 'Renamed', status: 'active' },
    'POST /v1/billing/meter_events': { event_name: 'hostile', identifier: 'hostile-1', timestamp: '2027-01-01T00:00:00Z', payload: { customer: customer.id, value: '1.5' } },
    'POST /v1/billing/meter_event_batches': { events: [{ event_name: 'hostile', identifier: 'hostile-2', payload: { customer: customer.id, value: 2 } }] },
    'POST /v1/billing/meter_event_adjustments': { event_name: 'hostile', type: 'cancel', cancel: { identifier: 'hostile-sent' } },
    'POST /v1/billing/credit_grants': { ...grantFor(customer.id), name: 'Launch credit', priority: 10, effective_at: '2027-01-01T00:00:00Z', expires_at: '2027-06-01T00:00:00Z', metadata: { deal: 'q1' } },
    'POST /v1/billing/credit_grants/:id': { expires_at: '2027-06-01T00:00:00Z', metadata: { deal: 'q2' } },
    'POST /v1/billing/alerts': alertOf(meter.id, customer.id),
    'POST /v1/customers/:id/entitlement_overrides': { feature: feature.id, grant: true, expires_at: '2027-06-01T00:00:00Z', reason: 'Pilot' },
    'POST /v1/notification_templates/:kind': { subject: 'Paid {{amount_paid}}', sms: 'Paid {{amount_paid}}' },
    'POST /v1/notification_templates/:kind/preview': { html: '<p>{{customer_name}}</p>' },
    'POST /v1/payment_links/update_payment_method': { customer: customer.id, expires_at: '2027-01-05T00:00:00Z', return_url: 'https://shop.example/account' },
    'POST /v1/billing_portal/sessions': { customer: customer.id, return_url: 'https://shop.example/account' },
    'POST /v1/portal/payment_method': { token: 'tok_visa' },
    'POST /v1/portal/subscriptions/:id/preview': { price: price.id, quantity: 2 },
    'POST /v1/portal/subscriptions/:id/update': { price: price.id, quantity: 2 },
    'POST /v1/portal/subscriptions/:id/cancel': { feedback: 'too_expensive', comment: 'hostile' },
    'POST /v1/billing_portal/configurations': { features: { invoice_history: { enabled: true } }, is_default: false, metadata: { team: 'support' } },
    'POST /v1/billing_portal/configurations/:id': { features: { payment_method_update: { enabled: true } }, metadata: { team: 'support' } },
    'POST /v1/webhook_endpoints/:id/replay': { types: ['customer.created'], created: { gte: '2027-01-01T00:00:00Z', lte: '2027-12-31T00:00:00Z' }, status: 'failed' },
  };
  // An Idempotency-Key already spent on another request.
  await h.database.pool.query(`INSERT INTO idempotency_keys (account_id, key, request_hash, method, path, status_code, response)
    VALUES ($1, 'used-before', 'another request', 'POST', '/v1/customers', 200, '{}')`, [h.accountId]);

  const doc = (await h.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
  const bodySchema = (path: string): Schema | undefined =>
    doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.post?.requestBody?.content?.['application/json']?.schema;

  // The gateway webhook takes a processor's signed bytes, not Rebill's JSON: it has its own corpus below.
  const WEBHOOK = '/v1/gateway_webhooks/:gateway_id';
  // The hosted card-update page answers people with HTML, not the API's JSON: its own corpus below too.
  const PAGE = '/pay/update/:token';
  // The customer portal's API takes only a portal session: attacked with the customer's bearer token.
  const PORTAL = '/v1/portal/';
  const writes = registeredRoutes(h.app).filter((r) => r.startsWith('POST ')).map((r) => r.slice('POST '.length)).filter((p) => p !== WEBHOOK && p !== PAGE);
  for (const p of writes.filter((w) => w.startsWith(PORTAL))) sessions[p] = portalBearer;
  const collection = (path: string) => /^\/v1\/((?:billing\/|billing_portal\/|portal\/)?[a-z_]+)\/:id\b/.exec(path)?.[1];
  // Meter events carry their own idempotency keys (identifier): the header is ignored there, not
  // refused (docs/api.md), and a batch may be 16 MiB, so 2 MB is refused by its schema instead.
  const OWN_IDEMPOTENCY = ['/v1/billing/meter_events', '/v1/billing/meter_event_batches'];
  const meterEventAttack = (path: string, a: Attack): Attack | null =>
    a.name.startsWith('an Idempotency-Key') ? null
      : a.name === 'a 2 MB body' && path.endsWith('batches') ? { ...a, status: 400, code: undefined } : a;
  // Sign-in takes no key, so an Idempotency-Key means nothing to it (no principal to keep it
  // under): those attacks would reach the password check, which is tested in users-sessions.test.ts.
  const signInAttack = (a: Attack): Attack | null => (a.name.startsWith('an Idempotency-Key') ? null : a);
  // The portal's writes take no Idempotency-Key (src/http/routes/portal.ts): with one, the valid
  // body underneath is simply done, which is no attack.
  const portalAttack = signInAttack;
  const unfillable = writes.filter((p) => fillNamed(p).includes(':') && !ids[collection(p) ?? '']);

  it('knows the write endpoints, and how to fill every path parameter of them', () => {
    expect(writes.length).toBeGreaterThan(5);
    expect(unfillable, 'add a fixture to `ids` for these routes').toEqual([]);
  });

  for (const path of writes.filter((p) => !unfillable.includes(p))) {
    const fixture = ids[collection(path) ?? ''];
    const base = fixture ? path.replace(':id', fixture.own) : fillNamed(path);
    const body = valid[`POST ${path}`] ?? {};
    const attacks = [
      ...requestAttacks(body), ...fieldAttacks(body, bodySchema(path)), ...(fixture ? pathAttacks(path, fixture.other, body) : []),
    ].map((a) => (path === '/v1/unsubscribe/:token' ? asUnsubscribe(a) : a))
      .map((a) => (OWN_IDEMPOTENCY.includes(path) ? meterEventAttack(path, a) : a))
      .map((a) => (a && path === '/v1/sessions' ? signInAttack(a) : a))
      .map((a) => (a && path.startsWith(PORTAL) ? portalAttack(a) : a)).filter((a): a is Attack => a !== null);

    describe(`POST ${path}`, () => {
      it.each(attacks.map((a) => [a.name, a] as const))('%s', async (_name, a) => {
        const before = await tableCounts(h);
        if (path.startsWith(PORTAL)) h.deps.notifications = portalSigning;
        const r = await send(h, a.path ?? base, a, sessions[path]).finally(() => { delete h.deps.notifications; });
        expect(r.status, JSON.stringify(r.body)?.slice(0, 300)).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        if (a.status) expect(r.status).toBe(a.status);
        expectErrorShape(r.body);
        expect(r.body.error.type).toMatch(/^(invalid_request|idempotency)_error$/);
        if (a.code) expect({ code: r.body.error.code, param: r.body.error.param }).toEqual({ code: a.code, param: a.param });
        expect(await tableCounts(h)).toEqual(before);
      });
    });
  }

  describe(`POST ${WEBHOOK}`, async () => {
    const stripe = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Hostile Stripe',
      credentials: { secret_key: 'sk_test_abcdefghijklmnopqrstuvwx', webhook_secret: 'whsec_abcdefghijklmnopqrstuvwxyz012345' } });
    const url = `/v1/gateway_webhooks/${stripe.id}`;
    const signature = { 'stripe-signature': `t=${Math.floor(h.clock.now().getTime() / 1000)},v1=${'0'.repeat(64)}` };
    const attacks: Attack[] = [
      { name: 'malformed JSON', json: '{"id": ' },
      { name: 'an empty body', json: '' },
      { name: '8,000 nested arrays', json: `${'['.repeat(8_000)}${']'.repeat(8_000)}` },
      { name: 'a 900 KB string', json: JSON.stringify({ id: 'evt_1', zzz: 'x'.repeat(900_000) }) },
      { name: 'a body over the size limit', json: 'x'.repeat(1_100_000), status: 413 },
      { name: 'the NUL character', json: '{"id":"a\u0000b"}' },
      { name: 'a lone surrogate', json: '{"id":"\ud800"}' },
      { name: 'a card number', json: '{"id":"evt_1","card":"4242424242424242"}' },
      { name: 'XML', json: '<event/>', contentType: 'application/xml' },
      { name: 'a signature header of 64 KB', json: '{}', headers: { 'stripe-signature': 'x'.repeat(65_536) }, status: 431 },
      { name: 'another account\'s id in the path', json: '{}', path: `/v1/gateway_webhooks/${bGateway.id}`, status: 404 },
      { name: 'an id of 2,000 characters', json: '{}', path: `/v1/gateway_webhooks/${'x'.repeat(2_000)}`, status: 414 },
      { name: 'a bad percent-encoding in the path', json: '{}', path: '/v1/gateway_webhooks/%E0%A4%A' },
    ];
    it.each(attacks.map((a) => [a.name, a] as const))('%s', async (_name, a) => {
      const before = await tableCounts(h);
      const r = await send(h, a.path ?? url, { ...a, headers: { ...signature, ...(a.headers ?? {}) } });
      expect(r.status, JSON.stringify(r.body)?.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      if (a.status) expect(r.status).toBe(a.status);
      expectErrorShape(r.body);
      expect(await tableCounts(h)).toEqual(before);
    });
  });

  describe(`POST ${PAGE}`, () => {
    const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    // Whatever reaches the page's handler without a signed token is the plain "not valid" page (404);
    // what the framework refuses first (size, encoding, content type) is the API's JSON error.
    const attacks = requestAttacks({}).filter((a) => a.json !== undefined);
    it.each(attacks.map((a) => [a.name, a] as const))('%s', async (_name, a) => {
      const before = await tableCounts(h);
      const res = await fetch(`${base}/pay/update/not-a-signed-token${a.query ?? ''}`, {
        method: 'POST', headers: { 'content-type': a.contentType ?? 'application/json', ...(a.headers ?? {}) }, body: a.json,
      });
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      if (res.headers.get('content-type')?.startsWith('text/html')) expect(text).toContain('This link is not valid');
      else expectErrorShape(JSON.parse(text));
      expect(await tableCounts(h)).toEqual(before);
    });
  });

  it('is still serving, and nothing hostile was stored anywhere', async () => {
    expect((await h.call('GET', '/health', undefined, { key: null })).status).toBe(200);
    // A leap second once left the clock in internal_failure with a null frozen_time audited.
    expect(await ok(h, 'GET', `/v1/test_clocks/${clock.id}`)).toMatchObject({ status: 'ready', frozen_time: '2027-01-10T00:00:00.000Z' });
    const stored = await h.database.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE after::text LIKE '%4242%' OR after::text LIKE '%\uFFFD%'");
    expect(stored.rows[0].n).toBe(0);
  });
});
