import { describe, expect, it } from 'vitest';
import { customerWithCard, monthlyPrice, ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('audit log, events, OpenAPI document and pagination', async () => {
  const h = await harness();
  const keyRow = await h.database.pool.query('SELECT id FROM api_keys WHERE account_id = $1', [h.accountId]);
  const keyId = keyRow.rows[0].id as string;

  describe('the audit log', () => {
    it('records who created a customer, what it became, when, and under which request', async () => {
      const r = await h.call('POST', '/v1/customers', { email: 'audit@example.com', name: 'Audited' });
      expect(r.status).toBe(200);
      const requestId = r.headers['request-id'];
      expect(requestId).toMatch(/^req_/);
      const log = await ok(h, 'GET', `/v1/audit_log?object_id=${r.body.id}`);
      expect(log.data).toHaveLength(1);
      const entry = log.data[0];
      expect(entry).toMatchObject({
        object: 'audit_entry', actor: `api_key:${keyId}`, action: 'customer.created',
        object_type: 'customer', object_id: r.body.id, before: null, request_id: requestId,
      });
      expect(entry.after).toMatchObject({ id: r.body.id, email: 'audit@example.com', name: 'Audited' });
      expect(entry.at).toBe(r.body.created);
      expect(new Date(entry.recorded_at).getTime()).not.toBeNaN();
    });

    it('lists everything one request changed, by its Request-Id', async () => {
      // Its own account's database: the pagination tests below count this file's products.
      const own = await harness();
      const customer = await customerWithCard(own, 'tok_visa');
      const price = await monthlyPrice(own, 1500);
      const r = await own.call('POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
      expect(r.status).toBe(200);
      const log = await ok(own, 'GET', `/v1/audit_log?request_id=${r.headers['request-id']}&limit=100`);
      expect(log.data.map((e: any) => e.action).sort()).toEqual(
        ['invoice.finalized', 'invoice.paid', 'payment.created', 'payment.succeeded', 'subscription.created', 'subscription.status_changed']);
      expect(log.data.every((e: any) => e.request_id === r.headers['request-id'])).toBe(true);
      expect((await ok(own, 'GET', '/v1/audit_log?request_id=req_unknown')).data).toEqual([]);
    });

    it('records an update with before and after', async () => {
      const c = await ok(h, 'POST', '/v1/customers', { name: 'Before' });
      const r = await h.call('POST', `/v1/customers/${c.id}`, { name: 'After' });
      const log = await ok(h, 'GET', `/v1/audit_log?object_id=${c.id}`);
      expect(log.data.map((e: any) => e.action)).toEqual(['customer.updated', 'customer.created']);
      expect(log.data[0]).toMatchObject({ before: { name: 'Before' }, after: { name: 'After' }, request_id: r.headers['request-id'] });
    });

    it('cannot be changed or erased, even with direct database access', async () => {
      const before = await h.database.pool.query('SELECT count(*)::int AS n FROM audit_log');
      expect(before.rows[0].n).toBeGreaterThan(0);
      await expect(h.database.pool.query("UPDATE audit_log SET action = 'tampered'")).rejects.toThrow(/append-only/);
      await expect(h.database.pool.query("UPDATE audit_log SET actor = 'someone else' WHERE account_id = $1", [h.accountId])).rejects.toThrow(/append-only/);
      await expect(h.database.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      await expect(h.database.pool.query('DELETE FROM audit_log WHERE account_id = $1', [h.accountId])).rejects.toThrow(/append-only/);
      await expect(h.database.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      await expect(h.database.pool.query('TRUNCATE audit_log CASCADE')).rejects.toThrow(/append-only/);
      const after = await h.database.pool.query('SELECT count(*)::int AS n FROM audit_log');
      expect(after.rows[0].n).toBe(before.rows[0].n);
      const tampered = await h.database.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'tampered' OR actor = 'someone else'");
      expect(tampered.rows[0].n).toBe(0);
    });

    it('is refused with a permission error code by the database', async () => {
      const err = await h.database.pool.query('DELETE FROM audit_log').catch((e: { code?: string }) => e);
      expect((err as { code?: string }).code).toBe('42501');
    });
  });

  describe('events', () => {
    it('include customer.created with the customer as data.object', async () => {
      const r = await h.call('POST', '/v1/customers', { email: 'event@example.com' });
      const events = await ok(h, 'GET', '/v1/events?type=customer.created&limit=100');
      const mine = events.data.filter((e: any) => e.data.object.id === r.body.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ object: 'event', type: 'customer.created', request: r.headers['request-id'] });
      expect(mine[0].data.object).toEqual(r.body);
      const byObject = await ok(h, 'GET', `/v1/events?object_id=${r.body.id}`);
      expect(byObject.data.map((e: any) => e.id)).toEqual([mine[0].id]);
      const all = await ok(h, 'GET', '/v1/events?limit=100');
      expect(all.data.some((e: any) => e.type === 'customer.created' && e.data.object.id === r.body.id)).toBe(true);
    });
  });

  describe('the OpenAPI document', () => {
    const paths: Record<string, string[]> = {
      '/v1/customers': ['get', 'post'], '/v1/customers/{id}': ['get', 'post'],
      '/v1/customers/{id}/balance_transactions': ['get', 'post'], '/v1/customers/{id}/balance_transactions/{txn}': ['get'],
      '/v1/products': ['get', 'post'], '/v1/products/{id}': ['get'],
      '/v1/prices': ['get', 'post'], '/v1/prices/{id}': ['get'],
      '/v1/payment_methods': ['get', 'post'],
      '/v1/subscriptions': ['get', 'post'], '/v1/subscriptions/{id}': ['get', 'post'], '/v1/subscriptions/{id}/cancel': ['post'], '/v1/subscriptions/{id}/resume': ['post'],
      '/v1/invoices': ['get', 'post'], '/v1/invoices/{id}': ['get', 'post'], '/v1/invoices/create_preview': ['post'], '/v1/invoices/{id}/pay': ['post'], '/v1/invoices/{id}/void': ['post'],
      '/v1/invoices/{id}/finalize': ['post'], '/v1/invoices/{id}/mark_uncollectible': ['post'], '/v1/invoices/{id}/pdf': ['get'],
      '/v1/account': ['get', 'post'],
      '/v1/invoiceitems': ['get', 'post'], '/v1/invoiceitems/{id}': ['get'],
      '/v1/subscription_schedules': ['get', 'post'], '/v1/subscription_schedules/{id}': ['get', 'post'],
      '/v1/subscription_schedules/{id}/cancel': ['post'], '/v1/subscription_schedules/{id}/release': ['post'],
      '/v1/test_clocks': ['get', 'post'], '/v1/test_clocks/{id}': ['get'], '/v1/test_clocks/{id}/advance': ['post'],
      '/v1/tax_rates': ['get', 'post'], '/v1/tax_rates/{id}': ['get', 'post'], '/v1/exchange_rates': ['get', 'post'], '/v1/exchange_rates/{id}': ['get'], '/v1/coupons': ['get', 'post'], '/v1/coupons/{id}': ['get'],
      '/v1/promotion_codes': ['get', 'post'], '/v1/promotion_codes/{id}': ['get', 'post'],
      '/v1/events': ['get'], '/v1/events/{id}': ['get'], '/v1/audit_log': ['get'],
      '/v1/credit_notes': ['get', 'post'], '/v1/credit_notes/preview': ['get'], '/v1/credit_notes/{id}': ['get'], '/v1/credit_notes/{id}/void': ['post'],
      '/v1/credit_notes/{id}/pdf': ['get'], '/v1/refunds': ['get'], '/v1/refunds/{id}': ['get'],
      '/v1/disputes': ['get'], '/v1/disputes/{id}': ['get'], '/v1/gateway_webhooks/{gateway_id}': ['post'],
      '/v1/webhook_endpoints': ['get', 'post'], '/v1/webhook_endpoints/{id}': ['delete', 'get', 'post'], '/v1/webhook_endpoints/{id}/rotate_secret': ['post'],
      '/v1/webhook_endpoints/{id}/deliveries': ['get'], '/v1/webhook_endpoints/{id}/replay': ['post'], '/v1/webhook_deliveries/{id}': ['get'], '/v1/webhook_deliveries/{id}/retry': ['post'],
      '/v1/gateways': ['get', 'post'], '/v1/gateways/{id}': ['get', 'post'], '/v1/gateways/{id}/health': ['get'],
      '/v1/routing_rules': ['get', 'post'], '/v1/routing_rules/{id}': ['delete', 'get', 'post'],
      '/v1/dunning_policies': ['get', 'post'], '/v1/dunning_policies/{id}': ['get', 'post'], '/v1/dunning_cases': ['get'], '/v1/dunning_cases/{id}': ['get'],
      '/v1/analytics/recovery': ['get'],
      '/v1/analytics/mrr': ['get'],
      '/v1/analytics/subscribers': ['get'], '/v1/analytics/cohorts': ['get'], '/v1/analytics/ltv': ['get'],
      '/v1/jobs': ['get'], '/v1/jobs/{id}': ['get'], '/v1/jobs/{id}/retry': ['post'],
      '/v1/notification_templates': ['get'], '/v1/notification_templates/{kind}': ['get', 'post'], '/v1/notification_templates/{kind}/preview': ['post'],
      '/v1/notifications': ['get'], '/v1/notifications/{id}': ['get'], '/v1/notifications/{id}/resend': ['post'], '/v1/notifications/{id}/drop': ['post'],
      '/v1/unsubscribe/{token}': ['post'],
      '/v1/payment_links/update_payment_method': ['post'], '/v1/payment_links/{id}': ['get'],
      '/v1/billing_portal/configurations': ['get', 'post'], '/v1/billing_portal/configurations/{id}': ['get', 'post'], '/v1/billing_portal/sessions': ['get', 'post'],
      '/v1/billing_portal/sessions/{id}': ['get'], '/v1/billing_portal/sessions/{id}/revoke': ['post'],
      '/v1/features': ['get', 'post'], '/v1/features/{id}': ['get', 'post'],
      '/v1/billing/meters': ['get', 'post'], '/v1/billing/meters/{id}': ['get', 'post'], '/v1/billing/meters/{id}/event_summaries': ['get'], '/v1/billing/meter_events': ['post'], '/v1/billing/meter_event_batches': ['post'], '/v1/billing/meter_event_adjustments': ['post'],
      '/v1/billing/credit_grants': ['get', 'post'], '/v1/billing/credit_grants/{id}': ['get', 'post'], '/v1/billing/credit_grants/{id}/void': ['post'], '/v1/billing/credit_balance_summary': ['get'],
      '/v1/billing/alerts': ['get', 'post'], '/v1/billing/alerts/{id}': ['get'], '/v1/billing/alerts/{id}/activate': ['post'], '/v1/billing/alerts/{id}/deactivate': ['post'], '/v1/billing/alerts/{id}/archive': ['post'],
      '/v1/products/{id}/features': ['get', 'post'], '/v1/products/{id}/features/{feature}': ['delete'],
      '/v1/customers/{id}/entitlements': ['get'], '/v1/customers/{id}/entitlement_overrides': ['get', 'post'],
      '/v1/users': ['get', 'post'], '/v1/users/{id}': ['get', 'post'], '/v1/sessions': ['post'], '/v1/sessions/current': ['delete', 'get'], '/v1/sessions/current/password': ['post'],
    };

    it('is served without a key as an OpenAPI 3.1 document covering every endpoint', async () => {
      const r = await h.call('GET', '/v1/openapi.json', undefined, { key: null });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.body.openapi).toMatch(/^3\.1\./);
      expect(r.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      for (const [p, methods] of Object.entries(paths)) {
        expect(r.body.paths, p).toHaveProperty([p]);
        expect(Object.keys(r.body.paths[p]).sort(), p).toEqual(methods.slice().sort());
      }
      expect(r.body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    });

    it("leaves out the customer portal's API, which no API key can call", async () => {
      const doc = (await h.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1/portal'))).toEqual([]);
    });

    it('describes the request body of every POST, with required fields and no unknown fields allowed', async () => {
      const doc = (await h.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
      for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        // The processors' webhooks arrive as their own signed bytes, not a body of Rebill's schema.
        if (!ops.post || p === '/v1/gateway_webhooks/{gateway_id}') continue;
        const schema = ops.post.requestBody?.content?.['application/json']?.schema;
        expect(schema, `POST ${p}`).toBeDefined();
        expect(schema.type, `POST ${p}`).toBe('object');
        expect(schema.additionalProperties, `POST ${p}`).toBe(false);
      }
      const prices = doc.paths['/v1/prices'].post.requestBody.content['application/json'].schema;
      expect(prices.required).toEqual(expect.arrayContaining(['product', 'currency']));
      expect(prices.properties.unit_amount).toMatchObject({ type: 'integer', minimum: 0 });
      const subs = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'].schema;
      expect(subs.required).toEqual(expect.arrayContaining(['customer', 'items']));
      expect(subs.properties.items).toMatchObject({ type: 'array', minItems: 1 });
      const customerGet = doc.paths['/v1/customers/{id}'].get;
      expect(customerGet.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id', required: true })]));
    });

    it('documents the metadata limits it enforces', async () => {
      const doc = (await h.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
      const metadata = doc.paths['/v1/customers'].post.requestBody.content['application/json'].schema.properties.metadata;
      expect(metadata).toMatchObject({ type: 'object', maxProperties: 50, propertyNames: { minLength: 1, maxLength: 40 } });
    });
  });

  describe('pagination', () => {
    it('pages through all products newest first with starting_after, without duplicates', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await ok(h, 'POST', '/v1/products', { name: `Product ${i}` })).id);
      const newestFirst = created.slice().reverse();

      const seen: string[] = [];
      const hasMore: boolean[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await ok(h, 'GET', `/v1/products?limit=2${after ? `&starting_after=${after}` : ''}`);
        expect(r.object).toBe('list');
        expect(r.data.length).toBeLessThanOrEqual(2);
        seen.push(...r.data.map((p: any) => p.id));
        hasMore.push(r.has_more);
        if (!r.has_more) break;
        after = r.data[r.data.length - 1].id;
      }
      expect(seen).toEqual(newestFirst);
      expect(new Set(seen).size).toBe(5);
      expect(hasMore).toEqual([true, true, false]);
      const full = await ok(h, 'GET', '/v1/products?limit=5');
      expect(full.data.map((p: any) => p.id)).toEqual(newestFirst);
      expect(full.has_more).toBe(false);
      const created0 = full.data.map((p: any) => p.created);
      expect(created0.slice().sort().reverse()).toEqual(created0);
    });

    it('defaults to 10 and allows up to 100', async () => {
      for (let i = 0; i < 6; i++) await ok(h, 'POST', '/v1/products', { name: `More ${i}` });
      const def = await ok(h, 'GET', '/v1/products');
      expect(def.data).toHaveLength(10);
      expect(def.has_more).toBe(true);
      const max = await ok(h, 'GET', '/v1/products?limit=100');
      expect(max.data).toHaveLength(11);
      expect(max.has_more).toBe(false);
    });

    it.each(['0', '101', '-1', 'abc', '2.5', '01', '', '1e1'])('refuses limit=%s with param limit', async (limit) => {
      const r = await h.call('GET', `/v1/products?limit=${limit}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'limit' });
    });

    it('refuses an unknown list parameter', async () => {
      const r = await h.call('GET', '/v1/products?ending_before=prod_x');
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'parameter_unknown', param: 'ending_before' });
    });
  });
});
