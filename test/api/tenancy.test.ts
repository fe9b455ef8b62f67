import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { applyDispute } from '../../src/app/gateway-events/disputes.ts';
import { command } from '../../src/app/unit-of-work.ts';
import { applyCredits } from '../../src/app/usage/credits.ts';
import { runDueUsageChecks } from '../../src/app/usage/checks.ts';
import { failedJob, ok, parkSubscription, webhookDelivery } from '../builders.ts';
import { harness, registeredRoutes, type Harness } from '../support.ts';

/**
 * Multi-tenancy: account B, holding a valid admin key, walks every endpoint naming account A's
 * objects. Every lookup is a 404 indistinguishable from an unknown id, every list is empty, every
 * write is refused, and A's data is byte-for-byte unchanged afterwards.
 */

const TENANT_TABLES = ['customers', 'products', 'prices', 'payment_methods', 'subscriptions', 'subscription_items', 'invoices',
  'invoice_lines', 'invoice_items', 'customer_balance_transactions', 'tax_rates', 'coupons', 'promotion_codes', 'webhook_endpoints', 'discounts', 'payment_attempts', 'events', 'audit_log', 'test_clocks', 'idempotency_keys', 'billing_failures', 'subscription_schedules', 'credit_notes', 'refunds', 'jobs', 'webhook_deliveries', 'gateways', 'routing_rules', 'gateway_events', 'disputes', 'dunning_policies', 'dunning_cases', 'notifications', 'notification_templates', 'payment_links',
  'features', 'product_features', 'entitlement_overrides', 'customer_entitlements', 'entitlement_changes', 'meters', 'meter_events',
  'meter_event_adjustments', 'usage_billings', 'credit_grants', 'credit_grant_transactions', 'usage_checks', 'billing_alerts', 'alert_triggers',
  'exchange_rates', 'users', 'sessions', 'billing_portal_configurations', 'billing_portal_sessions'];
/** Routes that need no key and hold no tenant data. */
const PUBLIC_ROUTES = ['GET /health', 'GET /health/ready', 'GET /v1/openapi.json'];
/** The hosted card-update page: no key, its signed token is the credential (checked below), and not part of the API document. */
const PAGE_ROUTES = ['GET /pay/update/:token', 'POST /pay/update/:token'];
/** The dashboard's built files: public, the same for everyone, holding no data (its pages read the API with the user's own credentials). */
const WEB_ROUTES = ['GET /dashboard', 'GET /dashboard*', 'GET /portal', 'GET /portal*'];
/**
 * The customer portal's API: no API key opens it (B's admin key is a 401 below), only a portal
 * session's signed token, scoped to one customer; not in the merchant's OpenAPI document.
 * Customer-against-customer scoping is tested in test/scenarios/billing-portal.test.ts.
 */
const PORTAL_ROUTES = ['GET /v1/portal/session', 'GET /v1/portal/subscriptions', 'GET /v1/portal/invoices', 'GET /v1/portal/invoices/:id/pdf',
  'POST /v1/portal/payment_method', ...['preview', 'update', 'pause', 'resume', 'cancel', 'accept_retention'].map((a) => `POST /v1/portal/subscriptions/:id/${a}`)];

/** Every row an account owns, as text, table by table. */
async function accountData(h: Harness, accountId: string) {
  const out: Record<string, string[]> = {};
  for (const t of TENANT_TABLES) {
    const order = { idempotency_keys: 'key', notification_templates: 'kind', product_features: 'product_id, feature_id', customer_entitlements: 'customer_id', meter_events: 'identifier', usage_checks: 'customer_id', alert_triggers: 'alert_id, period_start' }[t] ?? 'id';
    const r = await h.database.pool.query(`SELECT x::text AS row FROM ${t} AS x WHERE account_id = $1 ORDER BY ${order}`, [accountId]);
    out[t] = r.rows.map((x) => x.row as string);
  }
  // The account's own settings row is keyed by its id, not by an account_id.
  out.accounts = (await h.database.pool.query('SELECT x::text AS row FROM accounts AS x WHERE id = $1', [accountId])).rows.map((x) => x.row as string);
  return out;
}

/** `defaults`: B gets its own (built-in) templates, never A's wording; `unsigned`: a link Rebill did not sign is refused. */
type TenancyCase = { route: string; url: string; body?: unknown; expect: 'missing' | 'empty' | 'own' | 'self' | 'defaults' | 'unsigned' | 'no_figures' | 'zero_figures' | 'refused' | 'events_rejected' | 'no_session' | 'bad_credentials'; param?: string; code?: string; method?: 'POST' | 'DELETE' };

describe('one account cannot see or touch another account\'s objects', async () => {
  const h = await harness();
  const a = { accountId: h.accountId };

  // Account A: one of everything.
  const product = await ok(h, 'POST', '/v1/products', { name: 'A box' });
  const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } });
  const clock = await ok(h, 'POST', '/v1/test_clocks', { frozen_time: '2027-01-10T00:00:00Z', name: 'A clock' });
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'a@example.com', name: 'A customer', test_clock: clock.id });
  const pm = await ok(h, 'POST', '/v1/payment_methods', { customer: customer.id, token: 'tok_visa' });
  const subCall = await h.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
  const sub = subCall.body;
  const subRequestId = subCall.headers['request-id'] as string;
  const invoice = await ok(h, 'GET', `/v1/invoices/${sub.latest_invoice}`);
  const unpaidCustomer = await ok(h, 'POST', '/v1/customers', { email: 'a2@example.com' });
  const unpaidSub = await ok(h, 'POST', '/v1/subscriptions', { customer: unpaidCustomer.id, items: [{ price: price.id }] });
  const openInvoice = await ok(h, 'GET', `/v1/invoices/${unpaidSub.latest_invoice}`);
  const payments = await h.database.pool.query('SELECT count(*)::int AS n FROM payment_attempts WHERE account_id = $1', [a.accountId]);
  const payment = (await ok(h, 'GET', `/v1/payments?invoice=${invoice.id}`)).data[0];
  // A subscription whose billing kept failing, parked as a billing failure.
  const parkedSub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 3 });
  await parkSubscription(h.deps, a.accountId, parkedSub.id);
  const failure = (await ok(h, 'GET', `/v1/billing_failures?subscription=${parkedSub.id}`)).data[0];
  const job = await failedJob(h.deps, a.accountId);
  // A subscription schedule, started now, with the subscription it created (before the
  // pending item below, which a new subscription's first invoice would take).
  const schedule = await ok(h, 'POST', '/v1/subscription_schedules', { customer: customer.id, start_date: 'now', phases: [{ items: [{ price: price.id }], iterations: 2 }] });
  // One-off items: one still pending, one on a draft made by hand, and a credit on the customer's balance.
  const pendingItem = await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 700, currency: 'usd' });
  const draftItem = await ok(h, 'POST', '/v1/invoiceitems', { customer: unpaidCustomer.id, amount: 300, currency: 'usd' });
  const draft = await ok(h, 'POST', '/v1/invoices', { customer: unpaidCustomer.id });
  await ok(h, 'POST', '/v1/invoiceitems', { customer: unpaidCustomer.id, amount: -200, currency: 'usd' });
  const creditNote = await ok(h, 'POST', '/v1/invoices', { customer: unpaidCustomer.id });
  const credited = await ok(h, 'POST', `/v1/invoices/${creditNote.id}/finalize`, {});
  const adjustment = await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: -100, currency: 'usd' });

  const taxRate = await ok(h, 'POST', '/v1/tax_rates', { display_name: 'A VAT', percentage: '20', inclusive: true });
  const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 10, duration: 'forever' });
  // A credit note on the paid invoice that refunded part of it through the gateway.
  const cn = await ok(h, 'POST', '/v1/credit_notes', { invoice: invoice.id, amount: 300, refund_amount: 300 });
  const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id, code: 'A-SPRING', customer: customer.id });
  const endpoint = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/a', enabled_events: ['*'] });
  // A's events in the commit-ordered stream, so following it shows B nothing of them.
  await sequenceEvents(h.deps.db, h.clock.now());
  const event = (await ok(h, 'GET', `/v1/events?object_id=${customer.id}`)).data[0];
  const delivery = await webhookDelivery(h, endpoint.id);
  const gateway = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'A sandbox' });
  const rule = await ok(h, 'POST', '/v1/routing_rules', { gateway: gateway.id, currency: 'usd' });
  const policy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'A policy', is_default: true, retry_schedule_days: [2, 4] });
  // A renewal that failed, in recovery under A's policy.
  const dunClock = await ok(h, 'POST', '/v1/test_clocks', { frozen_time: '2027-01-10T00:00:00Z', name: 'A dunning clock' });
  const dunCustomer = await ok(h, 'POST', '/v1/customers', { email: 'a3@example.com', test_clock: dunClock.id });
  await ok(h, 'POST', '/v1/payment_methods', { customer: dunCustomer.id, token: 'tok_chargeDeclined' });
  await ok(h, 'POST', '/v1/subscriptions', { customer: dunCustomer.id, items: [{ price: price.id }], trial_period_days: 1 });
  await ok(h, 'POST', `/v1/test_clocks/${dunClock.id}/advance`, { frozen_time: '2027-01-11T00:00:01Z' });
  const dunningCase = (await ok(h, 'GET', `/v1/dunning_cases?customer=${dunCustomer.id}`)).data[0];
  // A dispute of A's paid invoice, applied as a processor's dispute event is (the sandbox has no webhooks to send one).
  await applyDispute(h.deps, { accountId: a.accountId, actor: 'gateway:sandbox', requestId: null },
    { account_id: a.accountId, gateway: 'sandbox', occurred_at: new Date('2027-01-02T00:00:00Z') } as never,
    { kind: 'dispute', gatewayDisputeId: 'dp_sandbox_1', chargeId: payment.gateway_charge_id, amount: 1500n, currency: 'usd', status: 'needs_response', gatewayStatus: 'needs_response', reason: 'fraudulent' });
  const dispute = (await ok(h, 'GET', `/v1/disputes?invoice=${invoice.id}`)).data[0];
  // A's own receipt wording, and the receipt message its paid invoice made when its events were sequenced.
  await ok(h, 'POST', '/v1/notification_templates/receipt', { subject: 'A receipt {{invoice_number}}' });
  const notification = (await ok(h, 'GET', `/v1/notifications?customer=${customer.id}&kind=receipt&limit=100`)).data.find((n: { invoice: string }) => n.invoice === invoice.id);

  // A card-update link (signing needs the key notifications are configured with).
  h.deps.notifications = { from: 'billing@a.example', publicUrl: 'http://127.0.0.1:9', signingKey: Buffer.alloc(32, 7) };
  const link = await ok(h, 'POST', '/v1/payment_links/update_payment_method', { customer: unpaidCustomer.id });
  // A billing portal configuration naming A's product, price and coupon, and a portal session of A's customer.
  const portalConfig = await ok(h, 'POST', '/v1/billing_portal/configurations', { is_default: true, features: {
    subscription_update: { enabled: true, products: [{ product: product.id, prices: [price.id] }] }, subscription_cancel: { enabled: true, retention: { coupon: coupon.id } } } });
  const portalSession = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: customer.id });
  // A feature of A's product, and an override of it for A's customer.
  const feature = await ok(h, 'POST', '/v1/features', { lookup_key: 'api_access', name: 'A API' });
  await ok(h, 'POST', `/v1/products/${product.id}/features`, { feature: feature.id });
  const override = await ok(h, 'POST', `/v1/customers/${customer.id}/entitlement_overrides`, { feature: feature.id, grant: false, expires_at: '2027-06-01T00:00:00Z' });
  // A meter with one event of A's customer.
  const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'tenancy_calls', display_name: 'A calls', default_aggregation: { formula: 'sum' } });
  await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'tenancy_calls', identifier: 'a-usage-1', payload: { customer: customer.id, value: '3' } });
  // A credit grant of A's customer, part of it consumed by A's invoice.
  const grant = await ok(h, 'POST', '/v1/billing/credit_grants', { customer: customer.id, amount: { type: 'monetary', monetary: { value: 1000, currency: 'usd' } }, applicability_config: { scope: { price_type: 'metered' } }, category: 'paid' });
  const consumed = await command(h.deps, { accountId: a.accountId, actor: 'test', requestId: 'req_tenancy' }, (u) => applyCredits(u, { customerId: customer.id, currency: 'usd', amount: 400n, invoiceId: invoice.id, at: new Date('2027-01-10T00:00:00Z') }));
  // A usage alert that fired (a real-time customer, checked by the worker), and one whose check is queued (on the clock).
  const alert = await ok(h, 'POST', '/v1/billing/alerts', { alert_type: 'usage_threshold', title: 'A alert', usage_threshold: { gte: 1, meter: meter.id, filters: [{ type: 'customer', customer: unpaidCustomer.id }] } });
  await ok(h, 'POST', '/v1/billing/meter_events', { event_name: 'tenancy_calls', identifier: 'a-usage-2', payload: { customer: unpaidCustomer.id, value: '2' } });
  await runDueUsageChecks(h.deps, 'tenancy');
  // An exchange rate for A's reports.
  const fxRate = await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: '1.085', effective_date: '2027-01-01' });
  const clockAlert = await ok(h, 'POST', '/v1/billing/alerts', { alert_type: 'usage_threshold', title: 'A clock alert', usage_threshold: { gte: 100, meter: meter.id, filters: [{ type: 'customer', customer: customer.id }] } });

  // A dashboard user of A's, signed in (a session row of A's).
  const user = await ok(h, 'POST', '/v1/users', { email: 'a-admin@example.com', password: 'A long passphrase', role: 'admin' });
  const signIn = await h.call('POST', '/v1/sessions', { email: 'a-admin@example.com', password: 'A long passphrase' }, { key: null });

  const b = await createAccount(h.database.db, 'Other merchant');
  const asB = (method: string, url: string, body?: unknown) => h.call(method, url, body, { key: b.key.secret });

  it('account A has one of everything, with an invoice and a payment', async () => {
    expect(sub.status).toBe('active');
    expect(invoice.status).toBe('paid');
    expect(openInvoice.status).toBe('open');
    expect(payments.rows[0].n).toBeGreaterThan(0);
    expect(pm.customer).toBe(customer.id);
    expect(failure.status).toBe('failed');
    expect(pendingItem.invoice).toBeNull();
    expect(draft.status).toBe('draft');
    expect(draft.lines.data[0].invoice_item).toBe(draftItem.id);
    expect(credited).toMatchObject({ status: 'paid', ending_balance: -200 });
    expect(schedule.status).toBe('active');
    expect(dunningCase).toMatchObject({ status: 'active', policy: policy.id });
    expect(notification).toMatchObject({ kind: 'receipt', invoice: invoice.id });
    expect(consumed.applied).toBe(400n);
    const rows = async (table: string) => (await h.database.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [a.accountId])).rows[0].n;
    expect([await rows('alert_triggers'), await rows('usage_checks')]).toEqual([1, 1]);
    expect([signIn.status, await rows('users'), await rows('sessions')]).toEqual([200, 1, 1]);
  });

  const aIds = [product.id, price.id, clock.id, customer.id, pm.id, sub.id, invoice.id, unpaidCustomer.id, unpaidSub.id, openInvoice.id, payment.id, failure.id,
    pendingItem.id, draftItem.id, draft.id, credited.id, taxRate.id, coupon.id, promo.id, endpoint.id, schedule.id, schedule.subscription, adjustment.id, cn.id, cn.refund, job, delivery, gateway.id, rule.id, dispute.id, policy.id, dunningCase.id, dunCustomer.id, notification.id, link.id, portalConfig.id, portalSession.id, feature.id, override.id, meter.id, grant.id, alert.id, clockAlert.id, user.id, signIn.body.id];

  const reads: TenancyCase[] = [
    { route: 'GET /v1/users/:id', url: `/v1/users/${user.id}`, expect: 'missing' },
    { route: 'GET /v1/users', url: '/v1/users?limit=100', expect: 'empty' },
    // B's key has no session; A's session is never B's.
    { route: 'GET /v1/sessions/current', url: '/v1/sessions/current', expect: 'no_session' },
    { route: 'GET /v1/webhook_endpoints/:id', url: `/v1/webhook_endpoints/${endpoint.id}`, expect: 'missing' },
    { route: 'GET /v1/webhook_endpoints', url: '/v1/webhook_endpoints?limit=100', expect: 'empty' },
    { route: 'GET /v1/webhook_endpoints/:id/deliveries', url: `/v1/webhook_endpoints/${endpoint.id}/deliveries`, expect: 'missing' },
    { route: 'GET /v1/gateways/:id', url: `/v1/gateways/${gateway.id}`, expect: 'missing' },
    { route: 'GET /v1/gateways/:id/health', url: `/v1/gateways/${gateway.id}/health`, expect: 'missing' },
    { route: 'GET /v1/gateways', url: '/v1/gateways?limit=100', expect: 'empty' },
    { route: 'GET /v1/routing_rules/:id', url: `/v1/routing_rules/${rule.id}`, expect: 'missing' },
    { route: 'GET /v1/routing_rules', url: '/v1/routing_rules?limit=100', expect: 'empty' },
    { route: 'GET /v1/webhook_deliveries/:id', url: `/v1/webhook_deliveries/${delivery}`, expect: 'missing' },
    { route: 'GET /v1/dunning_policies/:id', url: `/v1/dunning_policies/${policy.id}`, expect: 'missing' },
    { route: 'GET /v1/dunning_policies', url: '/v1/dunning_policies?limit=100', expect: 'empty' },
    { route: 'GET /v1/dunning_cases/:id', url: `/v1/dunning_cases/${dunningCase.id}`, expect: 'missing' },
    { route: 'GET /v1/dunning_cases', url: '/v1/dunning_cases?limit=100', expect: 'empty' },
    { route: 'GET /v1/payment_links/:id', url: `/v1/payment_links/${link.id}`, expect: 'missing' },
    { route: 'GET /v1/billing_portal/configurations/:id', url: `/v1/billing_portal/configurations/${portalConfig.id}`, expect: 'missing' },
    { route: 'GET /v1/billing_portal/configurations', url: '/v1/billing_portal/configurations?limit=100', expect: 'empty' },
    { route: 'GET /v1/billing_portal/configurations', url: '/v1/billing_portal/configurations?is_default=true', expect: 'empty' },
    { route: 'GET /v1/billing_portal/sessions/:id', url: `/v1/billing_portal/sessions/${portalSession.id}`, expect: 'missing' },
    { route: 'GET /v1/billing_portal/sessions', url: '/v1/billing_portal/sessions?limit=100', expect: 'empty' },
    { route: 'GET /v1/billing_portal/sessions', url: `/v1/billing_portal/sessions?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/dunning_cases', url: `/v1/dunning_cases?customer=${dunCustomer.id}`, expect: 'empty' },
    { route: 'GET /v1/dunning_cases', url: `/v1/dunning_cases?invoice=${dunningCase.invoice}`, expect: 'empty' },
    // A's case opened in this range; B's report has no currency at all.
    { route: 'GET /v1/analytics/recovery', url: '/v1/analytics/recovery?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z', expect: 'no_figures' },
    // A's subscriptions bring MRR in this range; B has no series at all.
    { route: 'GET /v1/analytics/mrr', url: '/v1/analytics/mrr?from=2026-06-01T00:00:00Z&to=2027-06-01T00:00:00Z', expect: 'no_figures' },
    // A's book has subscriptions and customers; B's periods count nothing, its cohorts and plans are none.
    { route: 'GET /v1/analytics/subscribers', url: '/v1/analytics/subscribers?from=2026-06-01T00:00:00Z&to=2027-06-01T00:00:00Z', expect: 'zero_figures' },
    { route: 'GET /v1/analytics/cohorts', url: '/v1/analytics/cohorts?from=2026-06-01T00:00:00Z&to=2027-06-01T00:00:00Z&currency=usd', expect: 'no_figures' },
    { route: 'GET /v1/analytics/ltv', url: '/v1/analytics/ltv?currency=usd', expect: 'no_figures' },
    { route: 'GET /v1/disputes/:id', url: `/v1/disputes/${dispute.id}`, expect: 'missing' },
    { route: 'GET /v1/disputes', url: '/v1/disputes?limit=100', expect: 'empty' },
    { route: 'GET /v1/disputes', url: `/v1/disputes?invoice=${invoice.id}`, expect: 'empty' },
    { route: 'GET /v1/disputes', url: `/v1/disputes?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/customers/:id', url: `/v1/customers/${customer.id}`, expect: 'missing' },
    { route: 'GET /v1/features/:id', url: `/v1/features/${feature.id}`, expect: 'missing' },
    { route: 'GET /v1/billing/meters/:id', url: `/v1/billing/meters/${meter.id}`, expect: 'missing' },
    { route: 'GET /v1/billing/meters', url: '/v1/billing/meters?limit=100', expect: 'empty' },
    { route: 'GET /v1/billing/alerts/:id', url: `/v1/billing/alerts/${alert.id}`, expect: 'missing' },
    { route: 'GET /v1/exchange_rates/:id', url: `/v1/exchange_rates/${fxRate.id}`, expect: 'missing' },
    { route: 'GET /v1/exchange_rates', url: '/v1/exchange_rates?limit=100', expect: 'empty' },
    { route: 'GET /v1/exchange_rates', url: '/v1/exchange_rates?base_currency=eur&quote_currency=usd', expect: 'empty' },
    { route: 'GET /v1/billing/alerts', url: '/v1/billing/alerts?limit=100', expect: 'empty' },
    { route: 'GET /v1/billing/alerts', url: `/v1/billing/alerts?customer=${customer.id}&meter=${meter.id}`, expect: 'empty' },
    { route: 'GET /v1/billing/meters/:id/event_summaries', url: `/v1/billing/meters/${meter.id}/event_summaries?customer=${customer.id}&start_time=2026-01-01T00:00:00Z&end_time=2028-01-01T00:00:00Z`, expect: 'missing' },
    { route: 'GET /v1/billing/credit_grants/:id', url: `/v1/billing/credit_grants/${grant.id}`, expect: 'missing' },
    { route: 'GET /v1/billing/credit_grants', url: '/v1/billing/credit_grants?limit=100', expect: 'empty' },
    { route: 'GET /v1/billing/credit_grants', url: `/v1/billing/credit_grants?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/billing/credit_balance_summary', url: `/v1/billing/credit_balance_summary?customer=${customer.id}`, expect: 'missing', param: 'customer' },
    { route: 'GET /v1/features', url: '/v1/features?limit=100', expect: 'empty' },
    { route: 'GET /v1/features', url: '/v1/features?lookup_key=api_access', expect: 'empty' },
    { route: 'GET /v1/products/:id/features', url: `/v1/products/${product.id}/features`, expect: 'missing' },
    { route: 'GET /v1/customers/:id/entitlements', url: `/v1/customers/${customer.id}/entitlements`, expect: 'missing' },
    { route: 'GET /v1/customers/:id/entitlement_overrides', url: `/v1/customers/${customer.id}/entitlement_overrides?limit=100`, expect: 'missing' },
    { route: 'GET /v1/customers/:id/balance_transactions', url: `/v1/customers/${customer.id}/balance_transactions?limit=100`, expect: 'missing' },
    { route: 'GET /v1/customers/:id/balance_transactions/:txn', url: `/v1/customers/${customer.id}/balance_transactions/${adjustment.id}`, expect: 'missing' },
    { route: 'GET /v1/products/:id', url: `/v1/products/${product.id}`, expect: 'missing' },
    { route: 'GET /v1/prices/:id', url: `/v1/prices/${price.id}`, expect: 'missing' },
    { route: 'GET /v1/subscriptions/:id', url: `/v1/subscriptions/${sub.id}`, expect: 'missing' },
    { route: 'GET /v1/invoices/:id', url: `/v1/invoices/${invoice.id}`, expect: 'missing' },
    { route: 'GET /v1/test_clocks/:id', url: `/v1/test_clocks/${clock.id}`, expect: 'missing' },
    { route: 'GET /v1/payments/:id', url: `/v1/payments/${payment.id}`, expect: 'missing' },
    { route: 'GET /v1/billing_failures/:id', url: `/v1/billing_failures/${failure.id}`, expect: 'missing' },
    { route: 'GET /v1/jobs/:id', url: `/v1/jobs/${job}`, expect: 'missing' },
    { route: 'GET /v1/jobs', url: '/v1/jobs?limit=100', expect: 'empty' },
    { route: 'GET /v1/jobs', url: '/v1/jobs?status=failed', expect: 'empty' },
    { route: 'GET /v1/jobs', url: '/v1/jobs?kind=test.deliver', expect: 'empty' },
    { route: 'GET /v1/tax_rates/:id', url: `/v1/tax_rates/${taxRate.id}`, expect: 'missing' },
    { route: 'GET /v1/tax_rates', url: '/v1/tax_rates?limit=100', expect: 'empty' },
    { route: 'GET /v1/coupons/:id', url: `/v1/coupons/${coupon.id}`, expect: 'missing' },
    { route: 'GET /v1/coupons', url: '/v1/coupons?limit=100', expect: 'empty' },
    { route: 'GET /v1/promotion_codes/:id', url: `/v1/promotion_codes/${promo.id}`, expect: 'missing' },
    { route: 'GET /v1/promotion_codes', url: '/v1/promotion_codes?limit=100', expect: 'empty' },
    { route: 'GET /v1/promotion_codes', url: '/v1/promotion_codes?code=a-spring', expect: 'empty' },
    { route: 'GET /v1/promotion_codes', url: `/v1/promotion_codes?coupon=${coupon.id}`, expect: 'empty' },
    { route: 'GET /v1/promotion_codes', url: `/v1/promotion_codes?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/invoiceitems/:id', url: `/v1/invoiceitems/${pendingItem.id}`, expect: 'missing' },
    { route: 'GET /v1/invoiceitems/:id', url: `/v1/invoiceitems/${draftItem.id}`, expect: 'missing' },
    { route: 'GET /v1/invoices/:id', url: `/v1/invoices/${draft.id}`, expect: 'missing' },
    { route: 'GET /v1/invoices/:id/pdf', url: `/v1/invoices/${invoice.id}/pdf`, expect: 'missing' },
    { route: 'GET /v1/invoices/:id/pdf', url: `/v1/invoices/${draft.id}/pdf`, expect: 'missing' },
    // The account is the key's own: B reads its settings, never A's.
    { route: 'GET /v1/account', url: '/v1/account', expect: 'self' },
    { route: 'GET /v1/notifications/:id', url: `/v1/notifications/${notification.id}`, expect: 'missing' },
    { route: 'GET /v1/notifications', url: '/v1/notifications?limit=100', expect: 'empty' },
    { route: 'GET /v1/notifications', url: `/v1/notifications?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/notifications', url: '/v1/notifications?kind=receipt', expect: 'empty' },
    { route: 'GET /v1/notification_templates', url: '/v1/notification_templates', expect: 'defaults' },
    { route: 'GET /v1/notification_templates/:kind', url: '/v1/notification_templates/receipt', expect: 'defaults' },
    { route: 'GET /v1/invoiceitems', url: '/v1/invoiceitems?limit=100', expect: 'empty' },
    { route: 'GET /v1/invoiceitems', url: `/v1/invoiceitems?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/invoiceitems', url: `/v1/invoiceitems?invoice=${draft.id}`, expect: 'empty' },
    { route: 'GET /v1/invoiceitems', url: '/v1/invoiceitems?pending=true', expect: 'empty' },
    { route: 'GET /v1/invoices', url: '/v1/invoices?status=draft', expect: 'empty' },
    { route: 'GET /v1/billing_failures', url: '/v1/billing_failures?limit=100', expect: 'empty' },
    { route: 'GET /v1/subscription_schedules/:id', url: `/v1/subscription_schedules/${schedule.id}`, expect: 'missing' },
    { route: 'GET /v1/subscription_schedules', url: '/v1/subscription_schedules?limit=100', expect: 'empty' },
    { route: 'GET /v1/subscription_schedules', url: `/v1/subscription_schedules?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/subscription_schedules', url: `/v1/subscription_schedules?subscription=${schedule.subscription}`, expect: 'empty' },
    { route: 'GET /v1/billing_failures', url: `/v1/billing_failures?subscription=${parkedSub.id}`, expect: 'empty' },
    { route: 'GET /v1/customers', url: '/v1/customers?limit=100', expect: 'empty' },
    { route: 'GET /v1/customers', url: '/v1/customers?email=a%40example.com', expect: 'empty' },
    { route: 'GET /v1/products', url: '/v1/products?limit=100', expect: 'empty' },
    { route: 'GET /v1/prices', url: '/v1/prices?limit=100', expect: 'empty' },
    { route: 'GET /v1/prices', url: `/v1/prices?product=${product.id}`, expect: 'empty' },
    { route: 'GET /v1/subscriptions', url: '/v1/subscriptions?limit=100', expect: 'empty' },
    { route: 'GET /v1/subscriptions', url: `/v1/subscriptions?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/invoices', url: '/v1/invoices?limit=100', expect: 'empty' },
    { route: 'GET /v1/invoices', url: `/v1/invoices?customer=${customer.id}&status=paid`, expect: 'empty' },
    { route: 'GET /v1/invoices', url: `/v1/invoices?subscription=${sub.id}`, expect: 'empty' },
    { route: 'GET /v1/test_clocks', url: '/v1/test_clocks?limit=100', expect: 'empty' },
    { route: 'GET /v1/events', url: '/v1/events?limit=100', expect: 'empty' },
    { route: 'GET /v1/events', url: `/v1/events?object_id=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/events', url: '/v1/events?type=customer.created', expect: 'empty' },
    { route: 'GET /v1/events', url: '/v1/events?after_sequence=0&limit=100', expect: 'empty' },
    { route: 'GET /v1/events/:id', url: `/v1/events/${event.id}`, expect: 'missing' },
    { route: 'GET /v1/audit_log', url: '/v1/audit_log?limit=100', expect: 'empty' },
    { route: 'GET /v1/audit_log', url: `/v1/audit_log?object_id=${sub.id}`, expect: 'empty' },
    { route: 'GET /v1/audit_log', url: `/v1/audit_log?request_id=${subRequestId}`, expect: 'empty' },
    { route: 'GET /v1/payment_methods', url: `/v1/payment_methods?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/payments', url: '/v1/payments?limit=100', expect: 'empty' },
    { route: 'GET /v1/credit_notes/:id', url: `/v1/credit_notes/${cn.id}`, expect: 'missing' },
    { route: 'GET /v1/credit_notes/:id/pdf', url: `/v1/credit_notes/${cn.id}/pdf`, expect: 'missing' },
    { route: 'GET /v1/credit_notes/preview', url: `/v1/credit_notes/preview?invoice=${invoice.id}&amount=100&out_of_band_amount=100`, expect: 'missing', param: 'invoice' },
    { route: 'GET /v1/credit_notes', url: '/v1/credit_notes?limit=100', expect: 'empty' },
    { route: 'GET /v1/credit_notes', url: `/v1/credit_notes?invoice=${invoice.id}`, expect: 'empty' },
    { route: 'GET /v1/credit_notes', url: `/v1/credit_notes?customer=${customer.id}`, expect: 'empty' },
    { route: 'GET /v1/refunds/:id', url: `/v1/refunds/${cn.refund}`, expect: 'missing' },
    { route: 'GET /v1/refunds', url: '/v1/refunds?limit=100', expect: 'empty' },
    { route: 'GET /v1/refunds', url: `/v1/refunds?invoice=${invoice.id}`, expect: 'empty' },
    { route: 'GET /v1/payments', url: `/v1/payments?invoice=${invoice.id}`, expect: 'empty' },
    { route: 'GET /v1/payments', url: `/v1/payments?customer=${customer.id}&status=succeeded`, expect: 'empty' },
  ];
  // Lists paged from one of A's ids must not reveal what sorts before it either.
  for (const r of reads.filter((x) => x.expect === 'empty' && !x.url.includes('?limit=100') && !x.url.includes('&'))) {
    reads.push({ ...r, url: `${r.url}&starting_after=${sub.id}zzzz` });
  }

  const writes: TenancyCase[] = [
    { route: 'POST /v1/users/:id', url: `/v1/users/${user.id}`, body: { disabled: true }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/users/:id', url: `/v1/users/${user.id}`, body: { password: 'Taken over by B!' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/users', url: '/v1/users', body: { email: 'b-admin@example.com', password: 'B long passphrase', role: 'admin' }, expect: 'own' },
    // Sign-in takes no key: B's key adds nothing to a guess at A's user's password.
    { route: 'POST /v1/sessions', url: '/v1/sessions', body: { email: 'a-admin@example.com', password: 'B guesses wrong' }, expect: 'bad_credentials' },
    { route: 'DELETE /v1/sessions/current', url: '/v1/sessions/current', method: 'DELETE', expect: 'no_session' },
    // Only the signed-in user's own password: no id to aim at A's user, and B's key is no session at all.
    { route: 'POST /v1/sessions/current/password', url: '/v1/sessions/current/password', body: { current_password: 'A long passphrase', password: 'Taken over by B!' }, expect: 'no_session' },
    { route: 'POST /v1/webhook_endpoints/:id', url: `/v1/webhook_endpoints/${endpoint.id}`, body: { disabled: true }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/webhook_endpoints/:id/rotate_secret', url: `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/webhook_endpoints/:id/replay', url: `/v1/webhook_endpoints/${endpoint.id}/replay`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/gateways/:id', url: `/v1/gateways/${gateway.id}`, body: { active: false }, expect: 'missing', param: 'id' },
    // No key counts here: A's gateway id names A's account, and only A's processor signature is believed (a sandbox takes none).
    { route: 'POST /v1/gateway_webhooks/:gateway_id', url: `/v1/gateway_webhooks/${gateway.id}`, body: { id: 'evt_1', type: 'charge.succeeded' }, expect: 'missing', param: 'gateway_id' },
    { route: 'POST /v1/gateways', url: '/v1/gateways', body: { type: 'sandbox', name: 'B sandbox' }, expect: 'own' },
    { route: 'POST /v1/dunning_policies/:id', url: `/v1/dunning_policies/${policy.id}`, body: { max_retries: 0 }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/dunning_policies', url: '/v1/dunning_policies', body: { name: 'B policy', is_default: true }, expect: 'own' },
    { route: 'POST /v1/customers', url: '/v1/customers', body: { email: 'b@example.com', dunning_policy: policy.id }, expect: 'missing', param: 'dunning_policy' },
    { route: 'POST /v1/routing_rules/:id', url: `/v1/routing_rules/${rule.id}`, body: { active: false }, expect: 'missing', param: 'id' },
    { route: 'DELETE /v1/routing_rules/:id', url: `/v1/routing_rules/${rule.id}`, method: 'DELETE', expect: 'missing', param: 'id' },
    { route: 'POST /v1/routing_rules', url: '/v1/routing_rules', body: { gateway: gateway.id }, expect: 'missing', param: 'gateway' },
    { route: 'POST /v1/routing_rules', url: '/v1/routing_rules', body: { gateway: 'sandbox', currency: 'eur' }, expect: 'own' },
    { route: 'POST /v1/payment_methods', url: '/v1/payment_methods', body: { customer: customer.id, token: 'tok_visa', gateway: gateway.id }, expect: 'missing', param: 'gateway' },
    { route: 'POST /v1/webhook_deliveries/:id/retry', url: `/v1/webhook_deliveries/${delivery}/retry`, body: {}, expect: 'missing', param: 'id' },
    { route: 'DELETE /v1/webhook_endpoints/:id', url: `/v1/webhook_endpoints/${endpoint.id}`, method: 'DELETE', expect: 'missing', param: 'id' },
    { route: 'POST /v1/webhook_endpoints', url: '/v1/webhook_endpoints', body: { url: 'https://hooks.example.com/b', enabled_events: ['*'] }, expect: 'own' },
    { route: 'POST /v1/customers/:id', url: `/v1/customers/${customer.id}`, body: { name: 'taken over' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/customers/:id', url: `/v1/customers/${customer.id}`, body: { invoice_settings: { default_payment_method: pm.id } }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/customers', url: '/v1/customers', body: { email: 'b@example.com', test_clock: clock.id }, expect: 'missing', param: 'test_clock' },
    { route: 'POST /v1/customers/:id/balance_transactions', url: `/v1/customers/${customer.id}/balance_transactions`, body: { amount: -100000, currency: 'usd' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscriptions/:id/cancel', url: `/v1/subscriptions/${sub.id}/cancel`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscriptions/:id', url: `/v1/subscriptions/${sub.id}`, body: { metadata: { taken: 'over' } }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscriptions/:id', url: `/v1/subscriptions/${sub.id}`, body: { items: [{ id: sub.items.data[0].id, quantity: 5 }], proration_behavior: 'always_invoice' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/create_preview', url: '/v1/invoices/create_preview', body: { subscription: sub.id }, expect: 'missing', param: 'subscription' },
    { route: 'POST /v1/tax_rates/:id', url: `/v1/tax_rates/${taxRate.id}`, body: { active: false }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscriptions', url: '/v1/subscriptions', body: { customer: 'cus_none', items: [{ price: 'price_none' }], default_tax_rates: [taxRate.id] }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/tax_rates', url: '/v1/tax_rates', body: { display_name: 'B VAT', percentage: '19', inclusive: true }, expect: 'own' },
    { route: 'POST /v1/coupons', url: '/v1/coupons', body: { percent_off: 10, duration: 'once' }, expect: 'own' },
    { route: 'POST /v1/coupons', url: '/v1/coupons', body: { percent_off: 10, duration: 'once', applies_to: { products: [product.id] } }, expect: 'missing', param: 'applies_to[products][0]' },
    { route: 'POST /v1/promotion_codes', url: '/v1/promotion_codes', body: { coupon: coupon.id, code: 'B-SPRING' }, expect: 'missing', param: 'coupon' },
    { route: 'POST /v1/customers', url: '/v1/customers', body: { discounts: [{ coupon: coupon.id }] }, expect: 'missing', param: 'discounts[0][coupon]' },
    { route: 'POST /v1/customers', url: '/v1/customers', body: { discounts: [{ promotion_code: promo.id }] }, expect: 'missing', param: 'discounts[0][promotion_code]' },
    { route: 'POST /v1/promotion_codes/:id', url: `/v1/promotion_codes/${promo.id}`, body: { active: false }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscriptions/:id', url: `/v1/subscriptions/${sub.id}`, body: { discounts: [{ promotion_code: promo.id }] }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscriptions/:id/resume', url: `/v1/subscriptions/${sub.id}/resume`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/create_preview', url: '/v1/invoices/create_preview', body: { customer: customer.id }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/subscriptions/:id/cancel', url: `/v1/subscriptions/${sub.id}/cancel`, body: { at_period_end: true }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/:id/pay', url: `/v1/invoices/${openInvoice.id}/pay`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/:id/pay', url: `/v1/invoices/${openInvoice.id}/pay`, body: { payment_method: pm.id }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/:id/void', url: `/v1/invoices/${openInvoice.id}/void`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/test_clocks/:id/advance', url: `/v1/test_clocks/${clock.id}/advance`, body: { frozen_time: '2027-03-01T00:00:00Z' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoiceitems', url: '/v1/invoiceitems', body: { customer: customer.id, amount: 100, currency: 'usd' }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/invoices', url: '/v1/invoices', body: { customer: customer.id }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/invoices', url: '/v1/invoices', body: { customer: unpaidCustomer.id, auto_advance: true }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/invoices/:id', url: `/v1/invoices/${draft.id}`, body: { description: 'taken over' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/:id/finalize', url: `/v1/invoices/${draft.id}/finalize`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/:id/void', url: `/v1/invoices/${draft.id}/void`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/invoices/:id/mark_uncollectible', url: `/v1/invoices/${openInvoice.id}/mark_uncollectible`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing_failures/:id/retry', url: `/v1/billing_failures/${failure.id}/retry`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/jobs/:id/retry', url: `/v1/jobs/${job}/retry`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscription_schedules', url: '/v1/subscription_schedules', body: { customer: customer.id, start_date: 'now', phases: [{ items: [{ price: price.id }] }] }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/subscription_schedules', url: '/v1/subscription_schedules', body: { from_subscription: sub.id }, expect: 'missing', param: 'from_subscription' },
    { route: 'POST /v1/subscription_schedules/:id', url: `/v1/subscription_schedules/${schedule.id}`, body: { end_behavior: 'cancel' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscription_schedules/:id', url: `/v1/subscription_schedules/${schedule.id}`, body: { phases: [{ items: [{ price: price.id, quantity: 3 }], iterations: 2 }] }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscription_schedules/:id/cancel', url: `/v1/subscription_schedules/${schedule.id}/cancel`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/subscription_schedules/:id/release', url: `/v1/subscription_schedules/${schedule.id}/release`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/prices', url: '/v1/prices', body: { product: product.id, currency: 'usd', unit_amount: 1 }, expect: 'missing', param: 'product' },
    { route: 'POST /v1/payment_methods', url: '/v1/payment_methods', body: { customer: customer.id, token: 'tok_visa' }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/subscriptions', url: '/v1/subscriptions', body: { customer: customer.id, items: [{ price: price.id }] }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/features/:id', url: `/v1/features/${feature.id}`, body: { active: false }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/features', url: '/v1/features', body: { lookup_key: 'api_access', name: 'B API' }, expect: 'own' },
    { route: 'POST /v1/billing/meters/:id', url: `/v1/billing/meters/${meter.id}`, body: { status: 'inactive' }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing/alerts', url: '/v1/billing/alerts', body: { alert_type: 'usage_threshold', title: 'B', usage_threshold: { gte: 1, meter: meter.id, filters: [{ type: 'customer', customer: customer.id }] } }, expect: 'missing', param: 'usage_threshold[meter]' },
    { route: 'POST /v1/billing/alerts/:id/activate', url: `/v1/billing/alerts/${alert.id}/activate`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing/alerts/:id/deactivate', url: `/v1/billing/alerts/${alert.id}/deactivate`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing/alerts/:id/archive', url: `/v1/billing/alerts/${clockAlert.id}/archive`, body: {}, expect: 'missing', param: 'id' },
    // B may use A's event name for its own meter; the events below then find B's meter, never A's customer.
    // The same pair and day as A's rate: B's own history, no conflict with A's.
    { route: 'POST /v1/exchange_rates', url: '/v1/exchange_rates', body: { base_currency: 'eur', quote_currency: 'usd', rate: '1.2', effective_date: '2027-01-01' }, expect: 'own' },
    { route: 'POST /v1/billing/meters', url: '/v1/billing/meters', body: { event_name: 'tenancy_calls', display_name: 'B calls', default_aggregation: { formula: 'sum' } }, expect: 'own' },
    { route: 'POST /v1/billing/meter_event_adjustments', url: '/v1/billing/meter_event_adjustments', body: { event_name: 'tenancy_calls', cancel: { identifier: 'a-usage-1' } }, expect: 'missing', param: 'cancel[identifier]' },
    { route: 'POST /v1/billing/meter_events', url: '/v1/billing/meter_events', body: { event_name: 'tenancy_calls', identifier: 'b-usage-1', payload: { customer: customer.id, value: '1' } }, expect: 'refused', code: 'meter_event_customer_unknown', param: 'payload[customer]' },
    // A's identifier is A's: for B it is a new event, refused here only for naming A's customer.
    { route: 'POST /v1/billing/meter_event_batches', url: '/v1/billing/meter_event_batches', body: { events: [{ event_name: 'tenancy_calls', identifier: 'a-usage-1', payload: { customer: customer.id, value: '1' } }] }, expect: 'events_rejected', code: 'meter_event_customer_unknown', param: 'payload[customer]' },
    { route: 'POST /v1/billing/credit_grants', url: '/v1/billing/credit_grants', body: { customer: customer.id, amount: { type: 'monetary', monetary: { value: 1, currency: 'usd' } }, applicability_config: { scope: { price_type: 'metered' } }, category: 'promotional' }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/billing/credit_grants/:id', url: `/v1/billing/credit_grants/${grant.id}`, body: { expires_at: null, metadata: { by: 'b' } }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing/credit_grants/:id/void', url: `/v1/billing/credit_grants/${grant.id}/void`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/products/:id/features', url: `/v1/products/${product.id}/features`, body: { feature: feature.id }, expect: 'missing', param: 'id' },
    { route: 'DELETE /v1/products/:id/features/:feature', url: `/v1/products/${product.id}/features/${feature.id}`, method: 'DELETE', expect: 'missing', param: 'id' },
    { route: 'POST /v1/customers/:id/entitlement_overrides', url: `/v1/customers/${customer.id}/entitlement_overrides`, body: { feature: feature.id, grant: true, expires_at: '2027-06-01T00:00:00Z' }, expect: 'missing', param: 'id' },
    // Objects B creates without naming A's land in B's account only.
    { route: 'POST /v1/products', url: '/v1/products', body: { name: 'B box' }, expect: 'own' },
    { route: 'POST /v1/test_clocks', url: '/v1/test_clocks', body: { frozen_time: '2027-01-10T00:00:00Z' }, expect: 'own' },
    { route: 'POST /v1/account', url: '/v1/account', body: { name: 'B renamed', tax_id: 'B-1' }, expect: 'self' },
    { route: 'POST /v1/credit_notes', url: '/v1/credit_notes', body: { invoice: invoice.id, amount: 100, refund_amount: 100 }, expect: 'missing', param: 'invoice' },
    { route: 'POST /v1/credit_notes/:id/void', url: `/v1/credit_notes/${cn.id}/void`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/notifications/:id/resend', url: `/v1/notifications/${notification.id}/resend`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/notifications/:id/drop', url: `/v1/notifications/${notification.id}/drop`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/notification_templates/:kind/preview', url: '/v1/notification_templates/receipt/preview', body: {}, expect: 'defaults' },
    { route: 'POST /v1/notification_templates/:kind', url: '/v1/notification_templates/receipt', body: { subject: 'B receipt' }, expect: 'defaults' },
    { route: 'POST /v1/payment_links/update_payment_method', url: '/v1/payment_links/update_payment_method', body: { customer: unpaidCustomer.id }, expect: 'missing', param: 'customer' },
    { route: 'POST /v1/billing_portal/sessions', url: '/v1/billing_portal/sessions', body: { customer: customer.id }, expect: 'missing', param: 'customer' },
    // A's session stays open: its row is compared below with the rest of A's data.
    { route: 'POST /v1/billing_portal/sessions/:id/revoke', url: `/v1/billing_portal/sessions/${portalSession.id}/revoke`, body: {}, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing_portal/configurations/:id', url: `/v1/billing_portal/configurations/${portalConfig.id}`, body: { is_default: true }, expect: 'missing', param: 'id' },
    { route: 'POST /v1/billing_portal/configurations', url: '/v1/billing_portal/configurations', body: { features: { subscription_update: { enabled: true, products: [{ product: product.id, prices: [price.id] }] } } }, expect: 'missing', param: 'features[subscription_update][products][0][product]' },
    { route: 'POST /v1/billing_portal/configurations', url: '/v1/billing_portal/configurations', body: { features: { subscription_cancel: { enabled: true, retention: { coupon: coupon.id } } } }, expect: 'missing', param: 'features[subscription_cancel][retention][coupon]' },
    { route: 'POST /v1/billing_portal/configurations', url: '/v1/billing_portal/configurations', body: { is_default: true, features: { invoice_history: { enabled: true } } }, expect: 'own' },
    { route: 'POST /v1/unsubscribe/:token', url: `/v1/unsubscribe/${Buffer.from(JSON.stringify([a.accountId, customer.id, 'email'])).toString('base64url')}.forged`, body: {}, expect: 'unsigned' },
  ];

  it('covers every route the server registers, and the OpenAPI document lists the same routes', async () => {
    const covered = [...new Set([...reads, ...writes].map((c) => c.route))].sort();
    const registered = registeredRoutes(h.app);
    expect(registered.length).toBeGreaterThan(15);
    expect(registered).toEqual([...covered, ...PUBLIC_ROUTES, ...PAGE_ROUTES, ...WEB_ROUTES, ...PORTAL_ROUTES].sort());
    const doc = await h.call('GET', '/v1/openapi.json', undefined, { key: null });
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`)).sort();
    expect(documented).toEqual(covered);
  });

  it('the dashboard\'s files are served to anyone and hold no account\'s data: the same bytes without a key and with either account\'s', async () => {
    const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    const page = await fetch(`${base}/dashboard/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    for (const path of ['/dashboard/', script!]) {
      const bodies = await Promise.all([null, h.key, b.key.secret].map(async (key) =>
        await (await fetch(base + path, key ? { headers: { authorization: `Bearer ${key}` } } : {})).text()));
      expect(new Set(bodies).size).toBe(1);
      for (const id of [a.accountId, b.account.id, customer.id]) expect(bodies[0]).not.toContain(id);
    }
  });

  it("A's card-update page opens only with A's signed token: the account or link named in it cannot be swapped, and B's key adds nothing", async () => {
    const [acct, id, sig] = link.url.split('/').at(-1).split('.');
    const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}/pay/update/`;
    const before = await accountData(h, a.accountId);
    expect((await fetch(base + [acct, id, sig].join('.'))).status).toBe(200);
    for (const token of [[b.account.id, id, sig], [acct, notification.id, sig], [acct, id, `${sig.slice(0, -2)}xx`]].map((t) => t.join('.'))) {
      for (const method of ['GET', 'POST']) {
        const r = await fetch(base + token, { method, headers: { authorization: `Bearer ${b.key.secret}`, 'content-type': 'application/x-www-form-urlencoded' }, ...(method === 'POST' ? { body: 'card_number=4242424242424242&expiry=12%2F30' } : {}) });
        expect([token, method, r.status]).toEqual([token, method, 404]);
        expect(await r.text()).not.toContain('A customer');
      }
    }
    expect(await accountData(h, a.accountId)).toEqual(before);
  });

  it("B's key opens no route of the customer portal's API, and A's portal session stays A's customer's", async () => {
    const before = await accountData(h, a.accountId);
    for (const route of PORTAL_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const url = path.replace(':id', path.includes('invoices') ? invoice.id : sub.id);
      const r = await asB(method, url, method === 'POST' ? {} : undefined);
      expect([route, r.status, r.body.error.code]).toEqual([route, 401, 'portal_session_invalid']);
    }
    // A's session shows A's customer, under A's default configuration.
    const token = portalSession.url.split('#')[1];
    const info = await h.call('GET', '/v1/portal/session', undefined, { key: token });
    expect(info.body).toMatchObject({ customer: { id: customer.id }, features: { subscription_update: { products: [{ product: product.id }] } } });
    expect(await accountData(h, a.accountId)).toEqual(before);
  });

  it('the public routes hold no tenant data', async () => {
    expect((await h.call('GET', '/health', undefined, { key: null })).body).toEqual({ ok: true });
    expect((await h.call('GET', '/health/ready', undefined, { key: null })).body).toEqual({ ready: true });
    const doc = await h.call('GET', '/v1/openapi.json', undefined, { key: null });
    for (const id of aIds) expect(JSON.stringify(doc.body)).not.toContain(id);
  });

  describe('reads', () => {
    it.each(reads.map((c) => [`${c.route} ${c.url}`, c] as const))('%s', async (_n, c) => {
      const r = await asB('GET', c.url);
      if (c.expect === 'missing') {
        expect(r.status).toBe(404);
        expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: c.param ?? 'id' });
        // Same answer as for an id that never existed: nothing says the object exists elsewhere.
        const fake = c.url.replace(/\/([a-z]+)_[0-9a-z]+(\/pdf)?$/, '/$1_01kzzzzzzzzzzzzzzzzzzzzzzz$2');
        const unknown = await asB('GET', fake);
        expect(unknown.status).toBe(404);
        expect(r.body.error.message.replace(/'[^']*'/, "'?'")).toBe(unknown.body.error.message.replace(/'[^']*'/, "'?'"));
      } else if (c.expect === 'self') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toMatchObject({ object: 'account', id: b.account.id });
      } else if (c.expect === 'no_figures') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.data, JSON.stringify(r.body)).toEqual([]);
      } else if (c.expect === 'no_session') {
        expect(r.body.error).toMatchObject({ code: 'session_required' });
        return;
      } else if (c.expect === 'zero_figures') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.data.length).toBeGreaterThan(0);
        for (const p of r.body.data) {
          expect([Object.values(p.subscriptions), p.new_subscriptions, p.canceled, p.paying_customers_start, p.trials_ended, p.revenue_churn], JSON.stringify(p))
            .toEqual([[0, 0, 0, 0, 0], 0, 0, 0, 0, []]);
        }
      } else if (c.expect === 'defaults') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(JSON.stringify(r.body)).not.toContain('A receipt');
      } else {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toEqual({ object: 'list', data: [], has_more: false });
      }
      // And A still sees it.
      expect((await h.call('GET', c.url)).status).toBe(200);
    });
  });

  describe('writes', () => {
    it.each(writes.map((c) => [`${c.route} ${JSON.stringify(c.body)}`, c] as const))('%s', async (_n, c) => {
      const before = await accountData(h, a.accountId);
      const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges');
      const r = await asB(c.method ?? 'POST', c.url, c.body);
      if (c.expect === 'missing') {
        expect(r.status, JSON.stringify(r.body)).toBe(404);
        expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: c.param });
      } else if (c.expect === 'self') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toMatchObject({ object: 'account', id: b.account.id, name: 'B renamed' });
      } else if (c.expect === 'defaults') {
        // B's own wording, in B's account; A's stays A's (checked below with the rest of A's data).
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(JSON.stringify(r.body)).not.toContain('A receipt');
      } else if (c.expect === 'refused') {
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body.error).toMatchObject({ code: c.code, param: c.param });
      } else if (c.expect === 'events_rejected') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.results).toEqual([expect.objectContaining({ index: 0, status: 'rejected', code: c.code, param: c.param })]);
      } else if (c.expect === 'no_session') {
        expect(r.body.error).toMatchObject({ code: 'session_required' });
      } else if (c.expect === 'bad_credentials') {
        expect(r.status, JSON.stringify(r.body)).toBe(401);
        expect(r.body.error).toMatchObject({ code: 'credentials_invalid' });
      } else if (c.expect === 'unsigned') {
        expect(r.status, JSON.stringify(r.body)).toBe(404);
        expect(r.body.error).toMatchObject({ code: 'unsubscribe_link_invalid', param: 'token' });
      } else {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const own = await h.database.pool.query('SELECT account_id FROM products WHERE id = $1 UNION ALL SELECT account_id FROM test_clocks WHERE id = $1 UNION ALL SELECT account_id FROM tax_rates WHERE id = $1 UNION ALL SELECT account_id FROM coupons WHERE id = $1 UNION ALL SELECT account_id FROM webhook_endpoints WHERE id = $1 UNION ALL SELECT account_id FROM gateways WHERE id = $1 UNION ALL SELECT account_id FROM routing_rules WHERE id = $1 UNION ALL SELECT account_id FROM dunning_policies WHERE id = $1 UNION ALL SELECT account_id FROM features WHERE id = $1 UNION ALL SELECT account_id FROM meters WHERE id = $1 UNION ALL SELECT account_id FROM exchange_rates WHERE id = $1 UNION ALL SELECT account_id FROM users WHERE id = $1 UNION ALL SELECT account_id FROM billing_portal_configurations WHERE id = $1', [r.body.id]);
        expect(own.rows).toEqual([{ account_id: b.account.id }]);
        expect((await h.call('GET', `${c.url}/${r.body.id}`)).status).toBe(404);
      }
      expect(await accountData(h, a.accountId)).toEqual(before);
      expect((await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges')).rows[0].n).toBe(charges.rows[0].n);
    });

    it("B's own customer cannot subscribe to A's price or use A's payment method", async () => {
      const mine = await asB('POST', '/v1/customers', { email: 'b@example.com' });
      expect(mine.status).toBe(200);
      const before = await accountData(h, a.accountId);
      const withPrice = await asB('POST', '/v1/subscriptions', { customer: mine.body.id, items: [{ price: price.id }] });
      expect(withPrice.status).toBe(404);
      expect(withPrice.body.error).toMatchObject({ code: 'resource_missing', param: 'items[0][price]' });
      const scheduled = await asB('POST', '/v1/subscription_schedules', { customer: mine.body.id, start_date: 'now', phases: [{ items: [{ price: price.id }] }] });
      expect(scheduled.status).toBe(404);
      expect(scheduled.body.error).toMatchObject({ code: 'resource_missing', param: 'phases[0][items][0][price]' });
      const withPm = await asB('POST', `/v1/customers/${mine.body.id}`, { invoice_settings: { default_payment_method: pm.id } });
      expect(withPm.status).toBe(404);
      expect(withPm.body.error).toMatchObject({ code: 'resource_missing', param: 'invoice_settings[default_payment_method]' });
      expect(await accountData(h, a.accountId)).toEqual(before);
    });

    it("B cannot attach A's feature to its own product, nor grant or revoke it for its own customer", async () => {
      const bProduct = (await asB('POST', '/v1/products', { name: 'B features' })).body;
      const mine = (await asB('POST', '/v1/customers', { email: 'b-features@example.com' })).body;
      const before = await accountData(h, a.accountId);
      const attached = await asB('POST', `/v1/products/${bProduct.id}/features`, { feature: feature.id });
      expect(attached.status).toBe(404);
      expect(attached.body.error).toMatchObject({ code: 'resource_missing', param: 'feature' });
      const granted = await asB('POST', `/v1/customers/${mine.id}/entitlement_overrides`, { feature: feature.id, grant: true, expires_at: '2030-01-01T00:00:00Z' });
      expect(granted.status).toBe(404);
      expect(granted.body.error).toMatchObject({ code: 'resource_missing', param: 'feature' });
      expect((await asB('GET', `/v1/customers/${mine.id}/entitlements`)).body).toEqual({ object: 'list', data: [], has_more: false });
      expect(await accountData(h, a.accountId)).toEqual(before);
    });

    it("B's own customer cannot redeem A's promotion code, and B may have a code of the same name", async () => {
      const mine = await asB('POST', '/v1/customers', { email: 'b-promo@example.com' });
      const bPrice = await asB('POST', '/v1/prices', { product: (await asB('POST', '/v1/products', { name: 'B plan' })).body.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
      const before = await accountData(h, a.accountId);
      const redeemed = await asB('POST', '/v1/subscriptions', { customer: mine.body.id, items: [{ price: bPrice.body.id }], discounts: [{ promotion_code: promo.id }] });
      expect(redeemed.status).toBe(404);
      expect(redeemed.body.error).toMatchObject({ code: 'resource_missing', param: 'discounts[0][promotion_code]' });
      const bCoupon = await asB('POST', '/v1/coupons', { percent_off: 5, duration: 'once' });
      const same = await asB('POST', '/v1/promotion_codes', { coupon: bCoupon.body.id, code: 'a-spring' });
      expect(same.status, JSON.stringify(same.body)).toBe(200);
      expect(await accountData(h, a.accountId)).toEqual(before);
    });

    it("B's own customer cannot take A's price or subscription into an invoice item, nor invoice A's items", async () => {
      const mine = await asB('POST', '/v1/customers', { email: 'b-items@example.com' });
      const before = await accountData(h, a.accountId);
      const withPrice = await asB('POST', '/v1/invoiceitems', { customer: mine.body.id, price: price.id });
      expect(withPrice.status).toBe(404);
      expect(withPrice.body.error).toMatchObject({ code: 'resource_missing', param: 'price' });
      const withSub = await asB('POST', '/v1/invoiceitems', { customer: mine.body.id, amount: 100, currency: 'usd', subscription: sub.id });
      expect(withSub.status).toBe(404);
      expect(withSub.body.error).toMatchObject({ code: 'resource_missing', param: 'subscription' });
      const invoiced = await asB('POST', '/v1/invoices', { customer: mine.body.id, subscription: sub.id });
      expect(invoiced.status).toBe(404);
      expect(invoiced.body.error).toMatchObject({ code: 'resource_missing', param: 'subscription' });
      // Nothing of A's is pending for B's customer either.
      const nothing = await asB('POST', '/v1/invoices', { customer: mine.body.id });
      expect(nothing.body.error).toMatchObject({ code: 'invoice_no_pending_items', param: 'customer' });
      expect(await accountData(h, a.accountId)).toEqual(before);
    });
  });

  it("B's dashboard user, signed in with a cookie, sees A's objects no more than B's key does", async () => {
    await asB('POST', '/v1/users', { email: 'b-reader@example.com', password: 'B reader passphrase', role: 'admin' });
    const signed = await h.call('POST', '/v1/sessions', { email: 'b-reader@example.com', password: 'B reader passphrase' }, { key: null });
    const cookie = String(signed.headers['set-cookie']).split(';')[0]!;
    const headers = { cookie, 'x-csrf-token': signed.body.csrf_token };
    const before = await accountData(h, a.accountId);
    for (const url of [`/v1/customers/${customer.id}`, `/v1/invoices/${invoice.id}`, `/v1/users/${user.id}`]) {
      const r = await h.call('GET', url, undefined, { key: null, headers });
      expect([url, r.status, r.body.error?.code]).toEqual([url, 404, 'resource_missing']);
    }
    const write = await h.call('POST', `/v1/customers/${customer.id}`, { name: 'B was here' }, { key: null, headers });
    expect([write.status, write.body.error?.code]).toEqual([404, 'resource_missing']);
    expect((await h.call('GET', '/v1/customers?limit=100', undefined, { key: null, headers })).body.data.map((c: { id: string }) => c.id)).not.toContain(customer.id);
    // A password change is B's user's own, whatever A's user's password it names; A's user row (in A's data) is untouched.
    const change = (current_password: string) =>
      h.call('POST', '/v1/sessions/current/password', { current_password, password: 'B renewed passphrase' }, { key: null, headers });
    expect((await change('A long passphrase')).body.error.code).toBe('current_password_incorrect');
    expect((await change('B reader passphrase')).body).toMatchObject({ object: 'user', email: 'b-reader@example.com' });
    expect(await accountData(h, a.accountId)).toEqual(before);
  });

  it("afterwards B's lists hold only B's own objects and A's objects are as they were", async () => {
    for (const c of reads.filter((x) => x.expect === 'empty')) {
      const r = await asB('GET', c.url);
      expect(r.status).toBe(200);
      for (const id of aIds) expect(JSON.stringify(r.body)).not.toContain(id);
    }
    // A's failed renewal counts in A's recovery figures (B's are empty: see the reads).
    expect((await ok(h, 'GET', '/v1/analytics/recovery?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z')).data).toMatchObject([{ currency: 'usd', cases: 1 }]);
    // A's subscriptions are in A's subscriber figures, cohorts and plans; B's see none (above, and here as of later).
    const range = 'from=2026-06-01T00:00:00Z&to=2027-06-01T00:00:00Z';
    const periods = (await ok(h, 'GET', `/v1/analytics/subscribers?${range}`)).data;
    expect(periods.reduce((n: number, p: { new_subscriptions: number }) => n + p.new_subscriptions, 0)).toBeGreaterThan(0);
    expect((await ok(h, 'GET', `/v1/analytics/cohorts?${range}&currency=usd`)).data.length).toBeGreaterThan(0);
    const now = h.clock.now();
    h.clock.set(new Date('2027-06-01T00:00:00Z'));
    try {
      expect((await ok(h, 'GET', '/v1/analytics/ltv?currency=usd')).data).toMatchObject([{ price: price.id }]);
      expect((await asB('GET', '/v1/analytics/ltv?currency=usd')).body.data).toEqual([]);
    } finally { h.clock.set(now); }
    expect((await ok(h, 'GET', `/v1/customers/${customer.id}`)).name).toBe('A customer');
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`))).toMatchObject({ status: 'active', cancel_at_period_end: false });
    expect((await ok(h, 'GET', `/v1/invoices/${openInvoice.id}`)).status).toBe('open');
    expect((await ok(h, 'GET', `/v1/test_clocks/${clock.id}`)).frozen_time).toBe('2027-01-10T00:00:00.000Z');
    expect(await ok(h, 'GET', `/v1/subscription_schedules/${schedule.id}`)).toEqual(schedule);
    expect((await ok(h, 'GET', `/v1/prices?product=${product.id}`)).data).toHaveLength(1);
    expect((await ok(h, 'GET', `/v1/payment_methods?customer=${customer.id}`)).data).toHaveLength(1);
    expect((await ok(h, 'GET', `/v1/invoices/${draft.id}`))).toMatchObject({ status: 'draft', description: null });
    expect((await ok(h, 'GET', `/v1/invoiceitems/${pendingItem.id}`)).invoice).toBeNull();
    expect((await ok(h, 'GET', `/v1/customers/${unpaidCustomer.id}`)).balance).toBe(-200);
    const stray = await h.database.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE account_id = $1 AND actor LIKE $2", [a.accountId, `api_key:${b.key.id}`]);
    expect(stray.rows[0].n).toBe(0);
  });
});
