import { describe, expect, it } from 'vitest';
import { createApiKey, type Role } from '../../src/app/accounts/accounts.ts';
import { failedJob, ok, parkSubscription, webhookDelivery } from '../builders.ts';
import { harness, tableCounts } from '../support.ts';

function expectError(r: { status: number; body: any }, status: number, type: string, code: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(Object.keys(r.body)).toEqual(['error']);
  expect(Object.keys(r.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(r.body.error).toMatchObject({ type, code });
  expect(r.body.error.message).toEqual(expect.any(String));
}

describe('authentication', async () => {
  const h = await harness();

  it('refuses a request without Authorization (401 api_key_missing)', async () => {
    const r = await h.call('GET', '/v1/customers', undefined, { key: null });
    expectError(r, 401, 'authentication_error', 'api_key_missing');
    expect(r.body.error.param).toBeNull();
    expect(r.headers['request-id']).toMatch(/^req_/);
  });

  it('refuses a wrong, malformed or revoked key (401 api_key_invalid)', async () => {
    const before = await tableCounts(h);
    for (const authorization of ['Bearer rk_live_not_a_real_key_at_all', `Bearer ${h.key}x`, `Basic ${h.key}`, `Bearer ${h.key} extra`, 'Bearer', h.key]) {
      const r = await h.call('POST', '/v1/customers', { name: 'x' }, { key: null, headers: { authorization } });
      expectError(r, 401, 'authentication_error', 'api_key_invalid');
    }
    const revoked = await createApiKey(h.database.db, h.accountId, 'admin');
    expect((await h.call('GET', '/v1/customers', undefined, { key: revoked.secret })).status).toBe(200);
    await h.database.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [revoked.id]);
    expectError(await h.call('GET', '/v1/customers', undefined, { key: revoked.secret }), 401, 'authentication_error', 'api_key_invalid');
    // The one key this test made itself is the only new row.
    expect(await tableCounts(h)).toEqual({ ...before, api_keys: before.api_keys! + 1 });
  });

  it('checks the key before anything else: unknown routes and bad bodies still need a key', async () => {
    expectError(await h.call('POST', '/v1/customers', { email: 5 }, { key: null }), 401, 'authentication_error', 'api_key_missing');
    expectError(await h.call('GET', '/v1/customers/cus_x', undefined, { key: 'rk_live_nope_nope_nope_nope' }), 401, 'authentication_error', 'api_key_invalid');
  });

  it('takes no key on the gateway webhook route: the processor\'s signature is checked instead, and a key grants nothing', async () => {
    const gw = await ok(h, 'POST', '/v1/gateways', { type: 'stripe', name: 'Stripe',
      credentials: { secret_key: 'sk_test_abcdefghijklmnopqrstuvwx', webhook_secret: 'whsec_abcdefghijklmnopqrstuvwxyz012345' } });
    const before = await tableCounts(h);
    const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', data: { object: {} } });
    for (const key of [null, h.key, 'rk_live_nope_nope_nope_nope']) {
      const r = await h.call('POST', `/v1/gateway_webhooks/${gw.id}`, body, { key, headers: { 'content-type': 'application/json' } });
      expectError(r, 400, 'invalid_request_error', 'webhook_signature_invalid');
    }
    expect(await tableCounts(h)).toEqual(before);
  });

  it('accepts the scheme name in any case', async () => {
    const r = await h.call('GET', '/v1/customers', undefined, { key: null, headers: { authorization: `bearer ${h.key}` } });
    expect(r.status).toBe(200);
  });

  it('stores keys hashed: no secret appears in the api_keys table', async () => {
    const extra = await createApiKey(h.database.db, h.accountId, 'support');
    const rows = await h.database.pool.query('SELECT x::text AS row, secret_hint FROM api_keys AS x');
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
    for (const secret of [h.key, extra.secret]) {
      for (const r of rows.rows) {
        expect(r.row).not.toContain(secret);
        // Not even the part after the visible hint.
        expect(r.row).not.toContain(secret.slice(8, -4));
      }
    }
    const everywhere = await h.database.pool.query(
      "SELECT count(*)::int AS n FROM (SELECT x::text AS t FROM api_keys x UNION ALL SELECT y::text FROM audit_log y UNION ALL SELECT z::text FROM events z) s WHERE t LIKE $1", [`%${h.key}%`]);
    expect(everywhere.rows[0].n).toBe(0);
  });
});

describe('roles', async () => {
  const h = await harness();
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'finance', 'support', 'read_only', 'agent'] as const) {
    keys[role] = (await createApiKey(h.database.db, h.accountId, role)).secret;
  }
  const product = await ok(h, 'POST', '/v1/products', { name: 'Box' });
  const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'roles@example.com' });
  const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
  const clock = await ok(h, 'POST', '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
  const parked = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
  await parkSubscription(h.deps, h.accountId, parked.id);
  const failure = (await ok(h, 'GET', '/v1/billing_failures')).data[0];
  const job = await failedJob(h.deps, h.accountId);
  const item = await ok(h, 'POST', '/v1/invoiceitems', { customer: customer.id, amount: 400, currency: 'usd' });
  const coupon = await ok(h, 'POST', '/v1/coupons', { percent_off: 5, duration: 'once' });
  const promo = await ok(h, 'POST', '/v1/promotion_codes', { coupon: coupon.id });
  const draft = await ok(h, 'POST', '/v1/invoices', { customer: customer.id });
  const phases = [{ items: [{ price: price.id }], iterations: 2 }];
  const schedule = await ok(h, 'POST', '/v1/subscription_schedules', { customer: customer.id, start_date: '2027-03-01T00:00:00Z', phases });
  const toRelease = await ok(h, 'POST', '/v1/subscription_schedules', { customer: customer.id, start_date: '2027-03-01T00:00:00Z', phases });
  const creditNote = await ok(h, 'POST', '/v1/credit_notes', { invoice: sub.latest_invoice, amount: 100 });
  const event = (await ok(h, 'GET', '/v1/events?limit=1')).data[0];
  const endpoint = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/roles', enabled_events: ['*'] });
  const delivery = await webhookDelivery(h, endpoint.id);
  const gateway = await ok(h, 'POST', '/v1/gateways', { type: 'sandbox', name: 'Roles' });
  const rule = await ok(h, 'POST', '/v1/routing_rules', { gateway: gateway.id });
  const policy = await ok(h, 'POST', '/v1/dunning_policies', { name: 'Roles' });
  h.deps.notifications = { from: 'billing@roles.example', publicUrl: 'http://127.0.0.1:9', signingKey: Buffer.alloc(32, 5) };
  const link = await ok(h, 'POST', '/v1/payment_links/update_payment_method', { customer: customer.id });
  const feature = await ok(h, 'POST', '/v1/features', { lookup_key: 'roles', name: 'Roles' });
  await ok(h, 'POST', `/v1/products/${product.id}/features`, { feature: feature.id });
  const meter = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'roles', display_name: 'Roles', default_aggregation: { formula: 'sum' } });
  const grantBody = { customer: customer.id, amount: { type: 'monetary', monetary: { value: 500, currency: 'usd' } }, applicability_config: { scope: { price_type: 'metered' } }, category: 'promotional' };
  const grant = await ok(h, 'POST', '/v1/billing/credit_grants', grantBody);
  const alertBody = { alert_type: 'usage_threshold', title: 'Roles', usage_threshold: { gte: 10, meter: meter.id, filters: [{ type: 'customer', customer: customer.id }] } };
  const alert = await ok(h, 'POST', '/v1/billing/alerts', alertBody);
  const fxRate = await ok(h, 'POST', '/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: '1.085', effective_date: '2027-01-01' });
  const portalConfig = await ok(h, 'POST', '/v1/billing_portal/configurations', { features: { invoice_history: { enabled: true } } });
  const portalSession = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: customer.id });
  const staff = await ok(h, 'POST', '/v1/users', { email: 'roles-staff@example.com', password: 'roles passphrase', role: 'support' });
  // A message about the subscription's invoice, made when the delivery above sequenced the events.
  const notification = (await ok(h, 'GET', '/v1/notifications')).data[0].id as string;

  const reads = ['/v1/tax_rates', '/v1/coupons', '/v1/promotion_codes', `/v1/promotion_codes/${promo.id}`, '/v1/customers', `/v1/customers/${customer.id}`, '/v1/products', '/v1/prices', `/v1/subscriptions/${sub.id}`,
    `/v1/invoices/${sub.latest_invoice}`, '/v1/invoices', '/v1/test_clocks', '/v1/events', '/v1/audit_log', `/v1/payment_methods?customer=${customer.id}`,
    `/v1/payments?invoice=${sub.latest_invoice}`, '/v1/billing_failures', `/v1/billing_failures/${failure.id}`, '/v1/invoiceitems',
    `/v1/invoiceitems/${item.id}`, `/v1/invoices/${draft.id}`, '/v1/subscription_schedules', `/v1/subscription_schedules/${schedule.id}`,
    `/v1/customers/${customer.id}/balance_transactions`,
    `/v1/invoices/${sub.latest_invoice}/pdf`, `/v1/invoices/${draft.id}/pdf`, '/v1/account',
    '/v1/credit_notes', `/v1/credit_notes/${creditNote.id}`, `/v1/credit_notes/${creditNote.id}/pdf`, `/v1/credit_notes/preview?invoice=${sub.latest_invoice}&amount=10`,
    '/v1/refunds', `/v1/events/${event.id}`, '/v1/events?after_sequence=0', '/v1/webhook_endpoints', `/v1/webhook_endpoints/${endpoint.id}`,
    `/v1/webhook_endpoints/${endpoint.id}/deliveries`, `/v1/webhook_endpoints/${endpoint.id}/deliveries?status=failed`, `/v1/webhook_deliveries/${delivery}`, '/v1/gateways', `/v1/gateways/${gateway.id}`, `/v1/gateways/${gateway.id}/health`, '/v1/gateways/sandbox/health', '/v1/routing_rules', `/v1/routing_rules/${rule.id}`,
    '/v1/jobs', '/v1/jobs?status=failed', `/v1/jobs/${job}`, '/v1/disputes', `/v1/disputes?customer=${customer.id}&status=needs_response`,
    '/v1/dunning_policies', `/v1/dunning_policies/${policy.id}`, '/v1/dunning_cases', `/v1/dunning_cases?customer=${customer.id}&status=active`,
    '/v1/analytics/recovery', '/v1/analytics/recovery?from=1798761600&to=1801440000&currency=usd', '/v1/analytics/mrr', '/v1/analytics/subscribers', '/v1/analytics/cohorts?currency=usd', '/v1/analytics/ltv?currency=usd&months=6',
    '/v1/notification_templates', '/v1/notification_templates/receipt', '/v1/notifications', `/v1/notifications/${notification}`, `/v1/payment_links/${link.id}`,
    '/v1/features', `/v1/features/${feature.id}`, `/v1/products/${product.id}/features`, `/v1/customers/${customer.id}/entitlements`, `/v1/customers/${customer.id}/entitlement_overrides`,
    '/v1/billing/meters', `/v1/billing/meters/${meter.id}`,
    `/v1/billing/meters/${meter.id}/event_summaries?customer=${customer.id}&start_time=2026-12-01T00:00:00Z&end_time=2027-01-01T00:00:00Z`,
    '/v1/billing/credit_grants', `/v1/billing/credit_grants/${grant.id}`, `/v1/billing/credit_balance_summary?customer=${customer.id}`,
    '/v1/billing/alerts', `/v1/billing/alerts?customer=${customer.id}&meter=${meter.id}`, `/v1/billing/alerts/${alert.id}`,
    '/v1/exchange_rates', '/v1/exchange_rates?base_currency=eur&quote_currency=usd', `/v1/exchange_rates/${fxRate.id}`,
    '/v1/billing_portal/configurations', '/v1/billing_portal/configurations?is_default=false', `/v1/billing_portal/configurations/${portalConfig.id}`,
    '/v1/billing_portal/sessions', `/v1/billing_portal/sessions?customer=${customer.id}`, `/v1/billing_portal/sessions/${portalSession.id}`];

  it.each(['admin', 'finance', 'support', 'read_only', 'agent'] as const)('%s can read everything', async (role) => {
    for (const url of reads) {
      const r = await h.call('GET', url, undefined, { key: keys[role] });
      expect(r.status, `${role} GET ${url}`).toBe(200);
    }
  });

  // The permission each write needs, and what each role is granted (the documented role model).
  const GRANTED: Record<Role, string[]> = {
    admin: ['write', 'catalog', 'billing', 'users'], finance: ['write', 'catalog', 'billing'], support: ['write'], read_only: [], agent: [],
  };
  const writes: { name: string; url: string; body: unknown; needs: 'write' | 'catalog' | 'billing' | 'users' }[] = [
    { name: 'add a dashboard user', url: '/v1/users', body: { email: 'roles-user@example.com', password: 'roles passphrase', role: 'support' }, needs: 'users' },
    { name: 'change a dashboard user', url: `/v1/users/${staff.id}`, body: { role: 'finance' }, needs: 'users' },
    { name: 'create a customer', url: '/v1/customers', body: { email: 'new@example.com' }, needs: 'write' },
    { name: 'update a customer', url: `/v1/customers/${customer.id}`, body: { name: 'Renamed' }, needs: 'write' },
    { name: 'adjust a customer\'s balance', url: `/v1/customers/${customer.id}/balance_transactions`, body: { amount: -100, currency: 'usd' }, needs: 'billing' },
    { name: 'create a product', url: '/v1/products', body: { name: 'Another' }, needs: 'catalog' },
    { name: 'update the account settings', url: '/v1/account', body: { tax_id: 'GB123456789' }, needs: 'catalog' },
    { name: 'create a price', url: '/v1/prices', body: { product: product.id, currency: 'usd', unit_amount: 5 }, needs: 'catalog' },
    { name: 'attach a payment method', url: '/v1/payment_methods', body: { customer: customer.id, token: 'tok_mastercard', set_default: false }, needs: 'write' },
    { name: 'create a subscription', url: '/v1/subscriptions', body: { customer: customer.id, items: [{ price: price.id }], trial_period_days: 30 }, needs: 'write' },
    { name: 'create a test clock', url: '/v1/test_clocks', body: { frozen_time: '2027-01-01T00:00:00Z' }, needs: 'write' },
    { name: 'advance a test clock', url: `/v1/test_clocks/${clock.id}/advance`, body: { frozen_time: '2027-01-02T00:00:00Z' }, needs: 'write' },
    { name: 'change a subscription', url: `/v1/subscriptions/${sub.id}`, body: { metadata: { tier: 'gold' } }, needs: 'write' },
    { name: 'resume a subscription', url: `/v1/subscriptions/${sub.id}/resume`, body: {}, needs: 'write' },
    { name: 'create a coupon', url: '/v1/coupons', body: { percent_off: 5, duration: 'once' }, needs: 'catalog' },
    { name: 'create a promotion code', url: '/v1/promotion_codes', body: { coupon: coupon.id }, needs: 'catalog' },
    { name: 'deactivate a promotion code', url: `/v1/promotion_codes/${promo.id}`, body: { active: false }, needs: 'catalog' },
    { name: 'register a tax rate', url: '/v1/tax_rates', body: { display_name: 'VAT', percentage: '20', inclusive: true }, needs: 'catalog' },
    { name: 'upload an exchange rate', url: '/v1/exchange_rates', body: { base_currency: 'eur', quote_currency: 'usd', rate: '1.09', effective_date: '2027-02-01' }, needs: 'catalog' },
    { name: 'cancel a subscription', url: `/v1/subscriptions/${sub.id}/cancel`, body: { at_period_end: true }, needs: 'write' },
    { name: 'pay an invoice', url: `/v1/invoices/${sub.latest_invoice}/pay`, body: {}, needs: 'billing' },
    { name: 'void an invoice', url: `/v1/invoices/${sub.latest_invoice}/void`, body: {}, needs: 'billing' },
    { name: 'issue a credit note', url: '/v1/credit_notes', body: { invoice: sub.latest_invoice, amount: 50 }, needs: 'billing' },
    { name: 'void a credit note', url: `/v1/credit_notes/${creditNote.id}/void`, body: {}, needs: 'billing' },
    { name: 'retry a billing failure', url: `/v1/billing_failures/${failure.id}/retry`, body: {}, needs: 'billing' },
    { name: 'retry a failed job', url: `/v1/jobs/${job}/retry`, body: {}, needs: 'billing' },
    { name: 'add an invoice item', url: '/v1/invoiceitems', body: { customer: customer.id, amount: 100, currency: 'usd' }, needs: 'write' },
    { name: 'make an invoice', url: '/v1/invoices', body: { customer: customer.id }, needs: 'billing' },
    { name: 'edit a draft invoice', url: `/v1/invoices/${draft.id}`, body: { description: 'Edited' }, needs: 'billing' },
    { name: 'finalize a draft invoice', url: `/v1/invoices/${draft.id}/finalize`, body: {}, needs: 'billing' },
    { name: 'mark an invoice uncollectible', url: `/v1/invoices/${draft.id}/mark_uncollectible`, body: {}, needs: 'billing' },
    { name: 'schedule a subscription', url: '/v1/subscription_schedules', body: { customer: customer.id, start_date: '2027-04-01T00:00:00Z', phases }, needs: 'write' },
    { name: 'change a schedule', url: `/v1/subscription_schedules/${schedule.id}`, body: { metadata: { deal: 'q1' } }, needs: 'write' },
    { name: 'release a schedule', url: `/v1/subscription_schedules/${toRelease.id}/release`, body: {}, needs: 'write' },
    { name: 'cancel a schedule', url: `/v1/subscription_schedules/${schedule.id}/cancel`, body: {}, needs: 'write' },
    { name: 'create a webhook endpoint', url: '/v1/webhook_endpoints', body: { url: 'https://hooks.example.com/new', enabled_events: ['*'] }, needs: 'billing' },
    { name: 'change a webhook endpoint', url: `/v1/webhook_endpoints/${endpoint.id}`, body: { description: 'x' }, needs: 'billing' },
    { name: "rotate a webhook endpoint's secret", url: `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, body: {}, needs: 'billing' },
    { name: 'replay events to a webhook endpoint', url: `/v1/webhook_endpoints/${endpoint.id}/replay`, body: {}, needs: 'billing' },
    { name: 'configure a gateway', url: '/v1/gateways', body: { type: 'sandbox', name: 'New' }, needs: 'billing' },
    { name: 'add a dunning policy', url: '/v1/dunning_policies', body: { name: 'Strict', max_retries: 1 }, needs: 'billing' },
    { name: 'change a dunning policy', url: `/v1/dunning_policies/${policy.id}`, body: { max_retries: 2 }, needs: 'billing' },
    { name: 'add a routing rule', url: '/v1/routing_rules', body: { gateway: 'sandbox' }, needs: 'billing' },
    { name: 'change a routing rule', url: `/v1/routing_rules/${rule.id}`, body: { active: false }, needs: 'billing' },
    { name: 'change a gateway', url: `/v1/gateways/${gateway.id}`, body: { active: false }, needs: 'billing' },
    { name: 'retry a webhook delivery', url: `/v1/webhook_deliveries/${delivery}/retry`, body: {}, needs: 'billing' },
    { name: 'reword a notification template', url: '/v1/notification_templates/receipt', body: { subject: 'Receipt {{invoice_number}}' }, needs: 'billing' },
    { name: 'resend a notification', url: `/v1/notifications/${notification}/resend`, body: {}, needs: 'billing' },
    { name: 'drop a notification', url: `/v1/notifications/${notification}/drop`, body: {}, needs: 'billing' },
    { name: 'make a card-update link', url: '/v1/payment_links/update_payment_method', body: { customer: customer.id }, needs: 'write' },
    { name: 'configure the billing portal', url: '/v1/billing_portal/configurations', body: { features: { payment_method_update: { enabled: true } } }, needs: 'catalog' },
    { name: 'change a billing portal configuration', url: `/v1/billing_portal/configurations/${portalConfig.id}`, body: { is_default: true }, needs: 'catalog' },
    { name: 'open the billing portal for a customer', url: '/v1/billing_portal/sessions', body: { customer: customer.id }, needs: 'write' },
    { name: 'revoke a billing portal session', url: `/v1/billing_portal/sessions/${portalSession.id}/revoke`, body: {}, needs: 'write' },
    { name: 'define a feature', url: '/v1/features', body: { lookup_key: 'exports', name: 'Exports' }, needs: 'catalog' },
    { name: 'archive a feature', url: `/v1/features/${feature.id}`, body: { name: 'Renamed' }, needs: 'catalog' },
    { name: 'attach a feature to a product', url: `/v1/products/${product.id}/features`, body: { feature: feature.id }, needs: 'catalog' },
    { name: 'define a meter', url: '/v1/billing/meters', body: { event_name: 'roles_2', display_name: 'Roles 2', default_aggregation: { formula: 'count' } }, needs: 'catalog' },
    { name: 'rename a meter', url: `/v1/billing/meters/${meter.id}`, body: { display_name: 'Renamed' }, needs: 'catalog' },
    { name: 'report usage', url: '/v1/billing/meter_events', body: { event_name: 'roles', identifier: 'roles-1', payload: { customer: customer.id, value: 1 } }, needs: 'write' },
    { name: 'cancel a usage event', url: '/v1/billing/meter_event_adjustments', body: { event_name: 'roles', cancel: { identifier: 'roles-1' } }, needs: 'write' },
    { name: 'report a batch of usage', url: '/v1/billing/meter_event_batches', body: { events: [{ event_name: 'roles', identifier: 'roles-2', payload: { customer: customer.id, value: 1 } }] }, needs: 'write' },
    { name: 'grant credit', url: '/v1/billing/credit_grants', body: grantBody, needs: 'billing' },
    { name: 'change a credit grant', url: `/v1/billing/credit_grants/${grant.id}`, body: { metadata: { note: 'x' } }, needs: 'billing' },
    { name: 'void a credit grant', url: `/v1/billing/credit_grants/${grant.id}/void`, body: {}, needs: 'billing' },
    { name: 'create a usage alert', url: '/v1/billing/alerts', body: alertBody, needs: 'write' },
    { name: 'deactivate a usage alert', url: `/v1/billing/alerts/${alert.id}/deactivate`, body: {}, needs: 'write' },
    { name: 'activate a usage alert', url: `/v1/billing/alerts/${alert.id}/activate`, body: {}, needs: 'write' },
    { name: 'archive a usage alert', url: `/v1/billing/alerts/${alert.id}/archive`, body: {}, needs: 'write' },
    { name: "override a customer's entitlement", url: `/v1/customers/${customer.id}/entitlement_overrides`, body: { feature: feature.id, grant: true, expires_at: '2030-01-01T00:00:00Z' }, needs: 'write' },
  ];

  it.each(['finance', 'support', 'read_only', 'agent'] as const)('a %s key cannot list or read the dashboard\'s users; an admin key can', async (role) => {
    for (const url of ['/v1/users', `/v1/users/${staff.id}`]) {
      expectError(await h.call('GET', url, undefined, { key: keys[role] }), 403, 'permission_error', 'insufficient_role');
      expect((await h.call('GET', url, undefined, { key: keys.admin })).status).toBe(200);
    }
  });

  it.each(['admin', 'finance', 'support', 'read_only', 'agent'] as const)('a %s user changes their own password; a key of that role has none to change', async (role) => {
    const email = `own-${role}@example.com`;
    await ok(h, 'POST', '/v1/users', { email, password: 'roles passphrase', role });
    const signed = await h.call('POST', '/v1/sessions', { email, password: 'roles passphrase' }, { key: null });
    const headers = { cookie: String(signed.headers['set-cookie']).split(';')[0]!, 'x-csrf-token': signed.body.csrf_token };
    const body = { current_password: 'roles passphrase', password: 'a passphrase of my own' };
    const before = await tableCounts(h);
    expectError(await h.call('POST', '/v1/sessions/current/password', body, { key: keys[role] }), 400, 'invalid_request_error', 'session_required');
    expect(await tableCounts(h)).toEqual(before);
    const changed = await h.call('POST', '/v1/sessions/current/password', body, { key: null, headers });
    expect([changed.status, changed.body.email, changed.body.role]).toEqual([200, email, role]);
  });

  it.each(['read_only', 'agent'] as const)('a %s key can preview a template: it changes nothing', async (role) => {
    const before = await tableCounts(h);
    const r = await h.call('POST', '/v1/notification_templates/receipt/preview', {}, { key: keys[role] });
    expect(r.status).toBe(200);
    expect(await tableCounts(h)).toEqual(before);
  });

  it.each(['read_only', 'agent', 'support'] as const)('a %s key cannot delete a webhook endpoint', async (role) => {
    const before = await tableCounts(h);
    expectError(await h.call('DELETE', `/v1/webhook_endpoints/${endpoint.id}`, undefined, { key: keys[role] }), 403, 'permission_error', 'insufficient_role');
    expect(await tableCounts(h)).toEqual(before);
    expect((await h.call('GET', `/v1/webhook_endpoints/${endpoint.id}`)).status).toBe(200);
  });

  it.each(['read_only', 'agent', 'support'] as const)('a %s key cannot detach a feature from a product', async (role) => {
    const before = await tableCounts(h);
    expectError(await h.call('DELETE', `/v1/products/${product.id}/features/${feature.id}`, undefined, { key: keys[role] }), 403, 'permission_error', 'insufficient_role');
    expect(await tableCounts(h)).toEqual(before);
  });

  it.each(['read_only', 'agent'] as const)('a %s key cannot revoke a billing portal session: it stays open', async (role) => {
    expectError(await h.call('POST', `/v1/billing_portal/sessions/${portalSession.id}/revoke`, {}, { key: keys[role] }), 403, 'permission_error', 'insufficient_role');
    expect((await ok(h, 'GET', `/v1/billing_portal/sessions/${portalSession.id}`)).revoked_at).toBeNull();
    expect((await h.call('GET', '/v1/portal/session', undefined, { key: portalSession.url.split('#')[1] })).status).toBe(200);
  });

  describe.each(['read_only', 'agent', 'support', 'finance'] as const)('a %s key', (role) => {
    it.each(writes.map((w) => [w.name, w] as const))('%s', async (_n, w) => {
      const before = await tableCounts(h);
      const r = await h.call('POST', w.url, w.body, { key: keys[role] });
      if (GRANTED[role].includes(w.needs)) {
        // Allowed: the request reaches the service (which may still refuse it on its merits).
        expect(r.status, JSON.stringify(r.body)).not.toBe(403);
        expect(r.status).toBeLessThan(500);
      } else {
        expectError(r, 403, 'permission_error', 'insufficient_role');
        expect(r.body.error.message).toContain(role);
        expect(await tableCounts(h)).toEqual(before);
      }
    });
  });

  it('support cannot create prices; finance can', async () => {
    const before = await tableCounts(h);
    const refused = await h.call('POST', '/v1/prices', { product: product.id, currency: 'eur', unit_amount: 900 }, { key: keys.support });
    expectError(refused, 403, 'permission_error', 'insufficient_role');
    expect(await tableCounts(h)).toEqual(before);
    const made = await h.call('POST', '/v1/prices', { product: product.id, currency: 'eur', unit_amount: 900 }, { key: keys.finance });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ currency: 'eur', unit_amount: 900 });
  });

  it.each(['admin', 'read_only'] as const)('a %s key opens nothing in the customer portal API: it takes only a portal session', async (role) => {
    const before = await tableCounts(h);
    for (const [method, url] of [['GET', '/v1/portal/session'], ['GET', '/v1/portal/subscriptions'], ['POST', `/v1/portal/subscriptions/${sub.id}/cancel`]] as const) {
      expectError(await h.call(method, url, method === 'POST' ? {} : undefined, { key: keys[role] }), 401, 'authentication_error', 'portal_session_invalid');
    }
    expect(await tableCounts(h)).toEqual(before);
  });

  it('read_only and agent keys cannot create a customer, and the refusal writes nothing', async () => {
    for (const role of ['read_only', 'agent'] as const) {
      const before = await tableCounts(h);
      const r = await h.call('POST', '/v1/customers', { email: 'nope@example.com' }, { key: keys[role], headers: { 'idempotency-key': `${role}-1` } });
      expectError(r, 403, 'permission_error', 'insufficient_role');
      expect(await tableCounts(h)).toEqual(before);
      const stored = await h.database.pool.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [`${role}-1`]);
      expect(stored.rows[0].n).toBe(0);
    }
  });

  it('records which key did a write', async () => {
    const r = await h.call('POST', '/v1/customers', { email: 'bysupport@example.com' }, { key: keys.support });
    expect(r.status).toBe(200);
    const audit = await ok(h, 'GET', `/v1/audit_log?object_id=${r.body.id}`);
    const supportKey = await h.database.pool.query("SELECT id FROM api_keys WHERE role = 'support'");
    expect(audit.data[0].actor).toBe(`api_key:${supportKey.rows[0].id}`);
  });

  it('every error body has exactly type, code, message and param', async () => {
    const responses = [
      await h.call('GET', '/v1/customers', undefined, { key: null }),
      await h.call('GET', '/v1/customers', undefined, { key: 'rk_live_wrong_wrong_wrong_wrong' }),
      await h.call('POST', '/v1/products', { name: 'x' }, { key: keys.read_only }),
      await h.call('GET', '/v1/customers/cus_nope'),
      await h.call('POST', '/v1/customers', { nope: 1 }),
      await h.call('GET', '/v1/customers?limit=1000'),
      await h.call('GET', '/v1/no_such_route'),
      await h.call('DELETE', `/v1/customers/${customer.id}`),
      await h.call('POST', '/v1/customers', '{"x":', { headers: { 'content-type': 'application/json' } }),
      await h.call('POST', '/v1/customers', 'name=x', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      await h.call('POST', '/v1/customers', { name: 'x'.repeat(1_100_000) }),
    ];
    for (const r of responses) {
      expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(Object.keys(r.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      for (const k of ['type', 'code', 'message'] as const) expect(typeof r.body.error[k]).toBe('string');
      expect(r.body.error.param === null || typeof r.body.error.param === 'string').toBe(true);
    }
    expect(responses.map((r) => r.status)).toEqual([401, 401, 403, 404, 400, 400, 404, 404, 400, 415, 413]);
    expect(responses[6]!.body.error.code).toBe('route_missing');
    expect(responses[9]!.body.error.code).toBe('content_type_invalid');
    expect(responses[10]!.body.error.code).toBe('body_too_large');
  });
});
