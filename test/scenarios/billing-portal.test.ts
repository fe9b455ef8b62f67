import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { advance, clockAt, customerWithCard, ok } from '../builders.ts';
import { harness, tableCounts } from '../support.ts';

/**
 * The customer billing portal (issue 19, point 3) through its API: the merchant's sessions and
 * configurations, and what a session's bearer may see and do — only its own customer's things.
 */
describe('the billing portal', async () => {
  const h = await harness();
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  h.deps.notifications = { from: 'billing@coffee.example', publicUrl: base, signingKey: randomBytes(32) };

  const coffee = await ok(h, 'POST', '/v1/products', { name: 'Coffee club' });
  const small = await ok(h, 'POST', '/v1/prices', { product: coffee.id, currency: 'usd', unit_amount: 1500, nickname: 'Small box', recurring: { interval: 'month' } });
  const large = await ok(h, 'POST', '/v1/prices', { product: coffee.id, currency: 'usd', unit_amount: 4000, nickname: 'Large box', recurring: { interval: 'month' } });
  const tea = await ok(h, 'POST', '/v1/products', { name: 'Tea club' });
  const teaPrice = await ok(h, 'POST', '/v1/prices', { product: tea.id, currency: 'usd', unit_amount: 900, recurring: { interval: 'month' } });
  const keep = await ok(h, 'POST', '/v1/coupons', { percent_off: 20, duration: 'repeating', duration_in_months: 3, name: 'Stay with us' });
  const features = {
    invoice_history: { enabled: true }, payment_method_update: { enabled: true }, subscription_pause: { enabled: true },
    subscription_cancel: { enabled: true, mode: 'at_period_end', cancellation_reason: { enabled: true, options: ['too_expensive', 'unused', 'other'] }, retention: { coupon: keep.id } },
    subscription_update: { enabled: true, products: [{ product: coffee.id, prices: [small.id, large.id] }], proration_behavior: 'create_prorations' },
  };
  const clock = await clockAt(h, '2027-01-10T00:00:00Z');
  const alice = await customerWithCard(h, 'tok_visa', clock.id);
  const bob = await customerWithCard(h, 'tok_visa', clock.id);
  const aliceSub = await ok(h, 'POST', '/v1/subscriptions', { customer: alice.id, items: [{ price: small.id }] });
  const bobSub = await ok(h, 'POST', '/v1/subscriptions', { customer: bob.id, items: [{ price: small.id }] });

  // A session made before any configuration exists: the built-in one.
  const builtIn = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: alice.id });
  const config = await ok(h, 'POST', '/v1/billing_portal/configurations', { features, is_default: true });

  const tokenOf = (session: { url: string }) => session.url.split('#')[1]!;
  const open = async (customer: string, extra: Record<string, unknown> = {}) => tokenOf(await ok(h, 'POST', '/v1/billing_portal/sessions', { customer, ...extra }));
  const as = (token: string) => (method: string, url: string, body?: unknown) => h.call(method, url, body, { key: token });
  const aliceToken = await open(alice.id, { return_url: 'https://shop.example/account' });
  const asAlice = as(aliceToken);

  describe('sessions and configurations (merchant API)', () => {
    it('a session answers a URL with the token in its fragment, valid an hour in the customer\'s business time, under the default configuration', async () => {
      const s = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: alice.id, return_url: 'https://shop.example/account' });
      expect(s).toMatchObject({ object: 'billing_portal.session', customer: alice.id, configuration: config.id, return_url: 'https://shop.example/account', expires_at: '2027-01-10T01:00:00.000Z', revoked_at: null });
      expect(s.id).toMatch(/^bps_/);
      expect(s.url).toMatch(new RegExp(`^${base}/portal/#${h.accountId}\\.${s.id}\\.[A-Za-z0-9_-]+$`));
      expect(builtIn.configuration).toBeNull();
      // The credential is not kept where others read: neither in the event stream nor in the audit trail.
      const kept = await h.database.pool.query("SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1", [`%${tokenOf(s).split('.')[2]}%`]);
      const audited = await h.database.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE after::text LIKE $1", [`%${tokenOf(s).split('.')[2]}%`]);
      expect([kept.rows[0].n, audited.rows[0].n]).toEqual([0, 0]);
    });

    it('serves the portal page to be opened by the customer only: not framed, no Referer sent on', async () => {
      const page = await fetch(`${base}/portal/`);
      expect(page.status).toBe(200);
      expect([page.headers.get('x-frame-options'), page.headers.get('content-security-policy'), page.headers.get('referrer-policy')])
        .toEqual(['DENY', "frame-ancestors 'none'", 'no-referrer']);
      expect(await page.text()).toContain('<div id="root"></div>');
    });

    it('refuses an unknown customer or configuration and a return_url that is not http(s), writing nothing', async () => {
      const before = await tableCounts(h);
      for (const [body, status, code, param] of [
        [{ customer: 'cus_nobody' }, 404, 'resource_missing', 'customer'],
        [{ customer: alice.id, configuration: 'bpc_nothing' }, 404, 'resource_missing', 'configuration'],
        [{ customer: alice.id, return_url: 'javascript:alert(1)' }, 400, 'parameter_invalid', 'return_url'],
      ] as const) {
        const r = await h.call('POST', '/v1/billing_portal/sessions', body);
        expect([r.status, r.body.error.code, r.body.error.param]).toEqual([status, code, param]);
      }
      expect(await tableCounts(h)).toEqual(before);
    });

    it('checks that the products, prices and coupon a configuration names are the account\'s own', async () => {
      const other = await createAccount(h.database.db, 'Other merchant');
      const asOther = (url: string, body: unknown) => h.call('POST', url, body, { key: other.key.secret });
      const theirs = (await asOther('/v1/products', { name: 'Theirs' })).body;
      const theirPrice = (await asOther('/v1/prices', { product: theirs.id, currency: 'usd', unit_amount: 100, recurring: { interval: 'month' } })).body;
      const theirCoupon = (await asOther('/v1/coupons', { percent_off: 50, duration: 'once' })).body;
      const before = await tableCounts(h);
      for (const [f, status, code, param] of [
        [{ subscription_update: { enabled: true, products: [{ product: theirs.id, prices: [theirPrice.id] }] } }, 404, 'resource_missing', 'features[subscription_update][products][0][product]'],
        [{ subscription_update: { enabled: true, products: [{ product: coffee.id, prices: [small.id, theirPrice.id] }] } }, 404, 'resource_missing', 'features[subscription_update][products][0][prices][1]'],
        [{ subscription_update: { enabled: true, products: [{ product: coffee.id, prices: [teaPrice.id] }] } }, 400, 'parameter_invalid', 'features[subscription_update][products][0][prices][0]'],
        [{ subscription_update: { enabled: true } }, 400, 'parameter_missing', 'features[subscription_update][products]'],
        [{ subscription_cancel: { enabled: true, retention: { coupon: theirCoupon.id } } }, 404, 'resource_missing', 'features[subscription_cancel][retention][coupon]'],
        
      ] as const) {
        const r = await h.call('POST', '/v1/billing_portal/configurations', { features: f });
        expect([r.status, r.body.error.code, r.body.error.param], JSON.stringify(f)).toEqual([status, code, param]);
      }
      expect(await tableCounts(h)).toEqual(before);
      // Another account cannot read, change or use this account's configuration.
      expect((await h.call('GET', `/v1/billing_portal/configurations/${config.id}`, undefined, { key: other.key.secret })).status).toBe(404);
      const stolen = await asOther('/v1/billing_portal/sessions', { customer: alice.id, configuration: config.id });
      expect([stolen.status, stolen.body.error.param]).toEqual([404, 'customer']);
    });

    it('keeps one default per account, and an update merges features field by field', async () => {
      const second = await ok(h, 'POST', '/v1/billing_portal/configurations', { features: { invoice_history: { enabled: true } }, is_default: true });
      expect((await ok(h, 'GET', '/v1/billing_portal/configurations?is_default=true')).data.map((c: { id: string }) => c.id)).toEqual([second.id]);
      const back = await ok(h, 'POST', `/v1/billing_portal/configurations/${config.id}`, { is_default: true, features: { subscription_pause: { enabled: true } } });
      expect(back.features).toEqual({ ...features, subscription_pause: { enabled: true } });
      expect((await ok(h, 'GET', '/v1/billing_portal/configurations?is_default=true')).data.map((c: { id: string }) => c.id)).toEqual([config.id]);
      expect((await ok(h, 'GET', `/v1/billing_portal/configurations/${second.id}`)).is_default).toBe(false);
    });
  });

  describe('reading and revoking sessions (merchant API)', () => {
    // Every route of the portal API, each with a body it would accept from a live session.
    const portalCalls = (): [string, string, unknown?][] => [
      ['GET', '/v1/portal/session'], ['GET', '/v1/portal/subscriptions'], ['GET', '/v1/portal/invoices'],
      ['GET', `/v1/portal/invoices/${aliceSub.latest_invoice}/pdf`], ['POST', '/v1/portal/payment_method', { token: 'tok_mastercard' }],
      ...(['preview', 'update'] as const).map((a): [string, string, unknown] => ['POST', `/v1/portal/subscriptions/${aliceSub.id}/${a}`, { price: large.id }]),
      ...(['pause', 'resume', 'accept_retention'] as const).map((a): [string, string, unknown] => ['POST', `/v1/portal/subscriptions/${aliceSub.id}/${a}`, {}]),
      ['POST', `/v1/portal/subscriptions/${aliceSub.id}/cancel`, { feedback: 'other' }],
    ];
    const withoutUrl = ({ url, ...rest }: { url: string }) => rest;

    it('lists them newest first, by customer and by page, and shows one by id, never with its URL', async () => {
      const dora = await customerWithCard(h, 'tok_visa', clock.id);
      const first = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: dora.id, return_url: 'https://shop.example/a' });
      const alices = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: alice.id });
      const second = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: dora.id });
      const doras = await ok(h, 'GET', `/v1/billing_portal/sessions?customer=${dora.id}`);
      expect(doras).toEqual({ object: 'list', data: [withoutUrl(second), withoutUrl(first)], has_more: false });
      expect(doras.data[1]).toEqual({
        id: first.id, object: 'billing_portal.session', customer: dora.id, configuration: config.id, return_url: 'https://shop.example/a',
        expires_at: '2027-01-10T01:00:00.000Z', revoked_at: null, created: '2027-01-10T00:00:00.000Z',
      });
      const page1 = await ok(h, 'GET', `/v1/billing_portal/sessions?customer=${dora.id}&limit=1`);
      const page2 = await ok(h, 'GET', `/v1/billing_portal/sessions?customer=${dora.id}&limit=1&starting_after=${page1.data[0].id}`);
      expect([page1.data.map((x: { id: string }) => x.id), page1.has_more, page2.data.map((x: { id: string }) => x.id), page2.has_more])
        .toEqual([[second.id], true, [first.id], false]);
      const all = (await ok(h, 'GET', '/v1/billing_portal/sessions?limit=100')).data as { id: string }[];
      expect(all.slice(0, 3).map((x) => x.id)).toEqual([second.id, alices.id, first.id]);
      expect(all.map((x) => x.id)).toEqual(expect.arrayContaining([builtIn.id]));
      expect(await ok(h, 'GET', `/v1/billing_portal/sessions/${alices.id}`)).toEqual(withoutUrl(alices));
      // No read carries a credential: not the URL, not the token's signature.
      for (const body of [doras, all, await ok(h, 'GET', `/v1/billing_portal/sessions/${alices.id}`)]) {
        expect(JSON.stringify(body)).not.toContain('"url"');
        for (const s of [first, alices, second]) expect(JSON.stringify(body)).not.toContain(tokenOf(s).split('.')[2]);
      }
      expect(await ok(h, 'GET', '/v1/billing_portal/sessions?customer=cus_01kzzzzzzzzzzzzzzzzzzzzzzz')).toEqual({ object: 'list', data: [], has_more: false });
    });

    it("revoking ends a session at once, in the customer's business time: its token then opens no portal route, and nothing changes", async () => {
      const made = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: alice.id });
      const token = tokenOf(made);
      expect((await as(token)('GET', '/v1/portal/session')).status).toBe(200);
      const r = await h.call('POST', `/v1/billing_portal/sessions/${made.id}/revoke`, {});
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // The clock's time, not the server's: the session's expiry and its end compare on one clock.
      expect(r.body).toEqual({ ...withoutUrl(made), revoked_at: '2027-01-10T00:00:00.000Z' });
      expect(await ok(h, 'GET', `/v1/billing_portal/sessions/${made.id}`)).toEqual(r.body);

      const before = await tableCounts(h);
      const subBefore = await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`);
      for (const [method, url, body] of portalCalls()) {
        const refused = await as(token)(method, url, body);
        expect([url, refused.status, refused.body.error?.code]).toEqual([url, 401, 'portal_session_revoked']);
        expect(refused.body.error.message).toContain('ended by the merchant');
      }
      expect(await tableCounts(h)).toEqual(before);
      expect(await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`)).toEqual(subBefore);
      // Only that session: the customer's others still open the portal.
      expect((await asAlice('GET', '/v1/portal/session')).status).toBe(200);

      const audit = await ok(h, 'GET', `/v1/audit_log?object_id=${made.id}`);
      expect(audit.data.map((e: { action: string }) => e.action)).toEqual(['portal_session.revoked', 'portal_session.created']);
      expect(audit.data[0]).toMatchObject({
        actor: expect.stringMatching(/^api_key:/), before: { revoked_at: null }, after: { revoked_at: '2027-01-10T00:00:00.000Z' }, request_id: r.headers['request-id'],
      });
      const events = await ok(h, 'GET', `/v1/events?object_id=${made.id}`);
      expect(events.data.map((e: { type: string }) => e.type)).toEqual(['portal_session.revoked', 'portal_session.created']);
      expect(events.data[0].data.object).toEqual(r.body);
      expect(JSON.stringify([audit, events])).not.toContain(token.split('.')[2]);
    });

    it('revoking a session twice is a 409 billing_portal_session_revoked that changes nothing; of two at once, one wins', async () => {
      const made = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: bob.id });
      const first = await ok(h, 'POST', `/v1/billing_portal/sessions/${made.id}/revoke`, {});
      const before = await tableCounts(h);
      const again = await h.call('POST', `/v1/billing_portal/sessions/${made.id}/revoke`, {});
      expect([again.status, again.body.error])
        .toEqual([409, { type: 'conflict_error', code: 'billing_portal_session_revoked', param: 'id', message: expect.stringContaining(made.id) }]);
      expect(await tableCounts(h)).toEqual(before);
      expect(await ok(h, 'GET', `/v1/billing_portal/sessions/${made.id}`)).toEqual(first);

      const raced = await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: bob.id });
      const both = await Promise.all([0, 1].map(() => h.call('POST', `/v1/billing_portal/sessions/${raced.id}/revoke`, {})));
      expect(both.map((x) => x.status).sort()).toEqual([200, 409]);
      const revocations = await h.database.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE object_id = $1 AND action = 'portal_session.revoked'", [raced.id]);
      expect(revocations.rows[0].n).toBe(1);
    });

    it("an unknown id or another account's session is a 404 to read or revoke, like an unknown one, and theirs keeps working", async () => {
      const other = await createAccount(h.database.db, 'Third merchant');
      const asOther = async (method: string, url: string, body?: unknown) => await h.call(method, url, body, { key: other.key.secret });
      const theirCustomer = (await asOther('POST', '/v1/customers', { email: 'theirs@example.com' })).body;
      const theirs = (await asOther('POST', '/v1/billing_portal/sessions', { customer: theirCustomer.id })).body;
      const before = await tableCounts(h);
      for (const [method, path] of [['GET', ''], ['POST', '/revoke']] as const) {
        const r = await h.call(method, `/v1/billing_portal/sessions/${theirs.id}${path}`, method === 'POST' ? {} : undefined);
        const unknown = await h.call(method, `/v1/billing_portal/sessions/bps_01kzzzzzzzzzzzzzzzzzzzzzzz${path}`, method === 'POST' ? {} : undefined);
        for (const x of [r, unknown]) expect([method, x.status, x.body.error.code, x.body.error.param]).toEqual([method, 404, 'resource_missing', 'id']);
        expect(r.body.error.message.replace(/'[^']*'/, '?')).toBe(unknown.body.error.message.replace(/'[^']*'/, '?'));
      }
      expect(await ok(h, 'GET', `/v1/billing_portal/sessions?customer=${theirCustomer.id}`)).toEqual({ object: 'list', data: [], has_more: false });
      expect(await tableCounts(h)).toEqual(before);
      expect((await asOther('GET', `/v1/billing_portal/sessions/${theirs.id}`)).body.revoked_at).toBeNull();
      expect((await as(tokenOf(theirs))('GET', '/v1/portal/session')).status).toBe(200);
    });
  });

  describe('what a session shows', () => {
    it('its own customer, the merchant, the features and the plans on offer', async () => {
      const r = await asAlice('GET', '/v1/portal/session');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ merchant: 'Test merchant', customer: { id: alice.id }, return_url: 'https://shop.example/account', features, test_mode: true });
      expect(r.body.plans.map((p: { id: string }) => p.id)).toEqual([small.id, large.id]);
      expect(r.body.retention_coupon).toMatchObject({ id: keep.id, percent_off: '20', duration: 'repeating' });
      expect(r.body.payment_method).toMatchObject({ brand: 'visa', last4: '4242' });
    });

    it('lists only its customer\'s subscriptions and invoices, and gives the PDF of its own invoice', async () => {
      const subs = (await asAlice('GET', '/v1/portal/subscriptions')).body.data;
      expect(subs.map((s: { id: string }) => s.id)).toEqual([aliceSub.id]);
      expect(subs[0].items[0].price).toMatchObject({ id: small.id, product_name: 'Coffee club', unit_amount: 1500 });
      const invoices = (await asAlice('GET', '/v1/portal/invoices')).body.data;
      expect(invoices.map((i: { id: string }) => i.id)).toEqual([aliceSub.latest_invoice]);
      const pdf = await asAlice('GET', `/v1/portal/invoices/${aliceSub.latest_invoice}/pdf`);
      expect(pdf.status).toBe(200);
      expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    });

    it("another customer's subscription or invoice, by id, is a 404 like an unknown id, and nothing of it changes", async () => {
      const before = await tableCounts(h);
      const bobBefore = await ok(h, 'GET', `/v1/subscriptions/${bobSub.id}`);
      const attempts: [string, string, unknown?][] = [
        ['GET', `/v1/portal/invoices/${bobSub.latest_invoice}/pdf`],
        ['POST', `/v1/portal/subscriptions/${bobSub.id}/preview`, { price: large.id }],
        ['POST', `/v1/portal/subscriptions/${bobSub.id}/update`, { price: large.id }],
        ['POST', `/v1/portal/subscriptions/${bobSub.id}/pause`, {}],
        ['POST', `/v1/portal/subscriptions/${bobSub.id}/cancel`, { feedback: 'other' }],
        ['POST', `/v1/portal/subscriptions/${bobSub.id}/accept_retention`, {}],
      ];
      for (const [method, url, body] of attempts) {
        const r = await asAlice(method, url, body);
        const unknown = await asAlice(method, url.replace(/(sub|in)_[0-9a-z]+/, '$1_01kzzzzzzzzzzzzzzzzzzzzzzz'), body);
        expect([url, r.status, r.body.error]).toEqual([url, 404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: expect.any(String) }]);
        expect(r.body.error.message.replace(/'[^']*'/, '?')).toBe(unknown.body.error.message.replace(/'[^']*'/, '?'));
        expect(JSON.stringify(r.body)).not.toContain(bob.id);
      }
      expect(await tableCounts(h)).toEqual(before);
      expect(await ok(h, 'GET', `/v1/subscriptions/${bobSub.id}`)).toEqual(bobBefore);
    });

    it('takes only a portal session token: not an API key, not an edited or forged token, not a card-update link\'s; and a portal token opens no merchant route', async () => {
      const [acct, id, sig] = aliceToken.split('.');
      const bobId = (await ok(h, 'POST', '/v1/billing_portal/sessions', { customer: bob.id })).id;
      const link = await ok(h, 'POST', '/v1/payment_links/update_payment_method', { customer: alice.id });
      const refused = [h.key, `${acct}.${bobId}.${sig}`, `${acct}.${id}.${sig!.slice(0, -2)}xx`, link.url.split('/').at(-1), 'garbage'];
      for (const token of refused) {
        for (const [method, url, body] of [['GET', '/v1/portal/session'], ['GET', '/v1/portal/subscriptions'], ['POST', `/v1/portal/subscriptions/${aliceSub.id}/cancel`, {}]] as const) {
          const r = await as(token)(method, url, body);
          expect([token, url, r.status, r.body.error.code]).toEqual([token, url, 401, 'portal_session_invalid']);
        }
      }
      const none = await h.call('GET', '/v1/portal/subscriptions', undefined, { key: null });
      expect([none.status, none.body.error.code]).toEqual([401, 'portal_session_invalid']);
      for (const url of ['/v1/customers', `/v1/subscriptions/${aliceSub.id}`, `/v1/invoices/${aliceSub.latest_invoice}/pdf`]) {
        const r = await asAlice('GET', url);
        expect([url, r.status, r.body.error.code]).toEqual([url, 401, 'api_key_invalid']);
      }
    });
  });

  it('hostile input to the portal API is a 4xx error that writes nothing', async () => {
    const t = await open(alice.id);
    const json = { 'content-type': 'application/json' };
    const cancel = `/v1/portal/subscriptions/${aliceSub.id}/cancel`;
    const attacks: [string, string, unknown, Record<string, string>, number, string][] = [
      ['malformed JSON', cancel, '{"feedback": ', json, 400, 'body_invalid'],
      ['an array', cancel, '[]', json, 400, 'parameter_invalid'],
      ['an unknown field', cancel, { feedback: 'other', refund: true }, {}, 400, 'parameter_unknown'],
      ['a reason not offered', cancel, { feedback: 'bored' }, {}, 400, 'parameter_invalid'],
      ['a card number in the comment', cancel, { comment: 'my card 4242 4242 4242 4242' }, {}, 400, 'card_number_refused'],
      ['NUL in the comment', cancel, { comment: 'a\u0000b' }, {}, 400, 'parameter_invalid'],
      ['a comment of 501 characters', cancel, { comment: 'x'.repeat(501) }, {}, 400, 'parameter_invalid'],
      ['a body over 1 MiB', cancel, { comment: 'x'.repeat(1_100_000) }, {}, 413, 'body_too_large'],
      ['XML', cancel, '<cancel/>', { 'content-type': 'application/xml' }, 415, 'content_type_invalid'],
      ['a quantity of zero', `/v1/portal/subscriptions/${aliceSub.id}/preview`, { price: large.id, quantity: 0 }, {}, 400, 'parameter_invalid'],
      ['an id of 2,000 characters', `/v1/portal/subscriptions/${'x'.repeat(2000)}/cancel`, {}, {}, 414, 'url_too_long'],
      ['a token that is not a string', '/v1/portal/payment_method', { token: ['tok_visa'] }, {}, 400, 'parameter_invalid'],
    ];
    const before = await tableCounts(h);
    for (const [name, url, body, headers, status, code] of attacks) {
      const r = await h.call('POST', url, body, { key: t, headers });
      expect([name, r.status, r.body?.error?.code]).toEqual([name, status, code]);
    }
    expect(await tableCounts(h)).toEqual(before);
    expect((await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`)).cancel_at_period_end).toBe(false);
  });

  describe('what a session may do', () => {
    it('previews a plan change with the same figures as the merchant API\'s preview, then applies it as the customer', async () => {
      const preview = await asAlice('POST', `/v1/portal/subscriptions/${aliceSub.id}/preview`, { price: large.id });
      expect(preview.status, JSON.stringify(preview.body)).toBe(200);
      const api = await ok(h, 'POST', '/v1/invoices/create_preview', { subscription: aliceSub.id, subscription_details: { items: [{ id: aliceSub.items.data[0].id, price: large.id, quantity: 1 }], proration_behavior: 'create_prorations' } });
      expect(preview.body).toMatchObject({ total: api.total, amount_due: api.amount_due, subtotal: api.subtotal, currency: 'usd' });
      expect(preview.body.lines.map((l: { amount: number }) => l.amount)).toEqual(api.lines.data.map((l: { amount: number }) => l.amount));

      const updates = async () => (await ok(h, 'GET', `/v1/events?object_id=${aliceSub.id}&type=subscription.updated&limit=100`)).data;
      const before = (await updates()).length;
      const r = await asAlice('POST', `/v1/portal/subscriptions/${aliceSub.id}/update`, { price: large.id });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.items[0].price.id).toBe(large.id);
      expect((await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`)).items.data[0].price.id).toBe(large.id);
      const audit = await h.database.pool.query("SELECT actor FROM audit_log WHERE object_id = $1 AND action = 'subscription.updated'", [aliceSub.id]);
      expect(audit.rows.map((x) => x.actor)).toEqual([expect.stringMatching(new RegExp(`^customer:${alice.id}/billing_portal_session:bps_`))]);
      const events = await updates();
      expect(events.length).toBe(before + 1);
      expect(events[0].data.object.items.data[0].price.id).toBe(large.id);
    });

    it('refuses a price the configuration does not offer, writing nothing', async () => {
      const before = await tableCounts(h);
      for (const price of [teaPrice.id, 'price_unknown']) {
        for (const action of ['preview', 'update']) {
          const r = await asAlice('POST', `/v1/portal/subscriptions/${aliceSub.id}/${action}`, { price });
          expect([action, r.status, r.body.error.code, r.body.error.param]).toEqual([action, 400, 'portal_price_not_allowed', 'price']);
        }
      }
      expect(await tableCounts(h)).toEqual(before);
    });

    it('saves a new card from a gateway token as the default; a raw card number never gets in', async () => {
      const r = await asAlice('POST', '/v1/portal/payment_method', { token: 'tok_mastercard' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.payment_method).toMatchObject({ brand: 'mastercard', last4: '4444' });
      expect((await ok(h, 'GET', `/v1/customers/${alice.id}`)).invoice_settings.default_payment_method).toBe(r.body.payment_method.id);
      const raw = await asAlice('POST', '/v1/portal/payment_method', { token: '4242 4242 4242 4242' });
      expect([raw.status, raw.body.error.code]).toEqual([400, 'card_number_refused']);
    });

    it('cancel flow, accepted offer: the retention coupon goes on the subscription and it is not canceled', async () => {
      const r = await asAlice('POST', `/v1/portal/subscriptions/${aliceSub.id}/accept_retention`, {});
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ status: 'active', cancel_at_period_end: false, discounts: [{ id: keep.id }] });
      const sub = await ok(h, 'GET', `/v1/subscriptions/${aliceSub.id}`);
      expect(sub).toMatchObject({ status: 'active', cancel_at_period_end: false, cancellation_details: null });
      const discount = await h.database.pool.query('SELECT coupon_id FROM discounts WHERE id = $1', [sub.discounts[0]]);
      expect(discount.rows[0].coupon_id).toBe(keep.id);
      // Offered once.
      const again = await asAlice('POST', `/v1/portal/subscriptions/${aliceSub.id}/accept_retention`, {});
      expect([again.status, again.body.error.code]).toEqual([400, 'portal_retention_unavailable']);
    });

    it('two accepts of the offer at once apply the coupon once', async () => {
      const carol = await customerWithCard(h, 'tok_visa', clock.id);
      const carolSub = await ok(h, 'POST', '/v1/subscriptions', { customer: carol.id, items: [{ price: small.id }] });
      const t = await open(carol.id);
      const both = await Promise.all([0, 1].map(() => as(t)('POST', `/v1/portal/subscriptions/${carolSub.id}/accept_retention`, {})));
      expect(both.map((r) => r.status).sort()).toEqual([200, 400]);
      expect(both.find((r) => r.status === 400)!.body.error.code).toBe('portal_retention_unavailable');
      const rows = await h.database.pool.query('SELECT count(*)::int AS n FROM discounts WHERE subscription_id = $1', [carolSub.id]);
      expect(rows.rows[0].n).toBe(1);
    });

    it('cancel flow, declined offer: canceled at period end with the reason and comment recorded, audited as the customer', async () => {
      const wrong = await as(await open(bob.id))('POST', `/v1/portal/subscriptions/${bobSub.id}/cancel`, { feedback: 'low_quality' });
      expect([wrong.status, wrong.body.error.code, wrong.body.error.param]).toEqual([400, 'parameter_invalid', 'feedback']);
      const bobToken = await open(bob.id);
      const r = await as(bobToken)('POST', `/v1/portal/subscriptions/${bobSub.id}/cancel`, { feedback: 'too_expensive', comment: '  Too much coffee.  ' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const details = { reason: 'cancellation_requested', feedback: 'too_expensive', comment: 'Too much coffee.' };
      expect(r.body).toMatchObject({ cancel_at_period_end: true, cancellation_details: details });
      expect(await ok(h, 'GET', `/v1/subscriptions/${bobSub.id}`)).toMatchObject({ status: 'active', cancel_at_period_end: true, cancellation_details: details });
      const audit = await h.database.pool.query("SELECT actor, after FROM audit_log WHERE object_id = $1 AND action = 'subscription.cancel_scheduled'", [bobSub.id]);
      expect(audit.rows).toEqual([{ actor: expect.stringMatching(new RegExp(`^customer:${bob.id}/billing_portal_session:bps_`)), after: expect.objectContaining({ cancellation_details: details }) }]);
    });

    it('a feature the configuration does not offer is refused', async () => {
      const bare = await ok(h, 'POST', '/v1/billing_portal/configurations', { features: { invoice_history: { enabled: true } } });
      const t = await open(alice.id, { configuration: bare.id });
      for (const [url, body] of [[`/v1/portal/subscriptions/${aliceSub.id}/pause`, {}], [`/v1/portal/subscriptions/${aliceSub.id}/preview`, { price: small.id }], ['/v1/portal/payment_method', { token: 'tok_visa' }]] as const) {
        const r = await as(t)('POST', url, body);
        expect([url, r.status, r.body.error.code]).toEqual([url, 403, 'portal_feature_disabled']);
      }
      const pause = await as(await open(alice.id))('POST', `/v1/portal/subscriptions/${aliceSub.id}/pause`, {});
      expect([pause.status, pause.body.paused]).toEqual([200, true]);
    });

    it('expires an hour later in the customer\'s business time: every call is then refused', async () => {
      const t = await open(alice.id);
      expect((await as(t)('GET', '/v1/portal/session')).status).toBe(200);
      await advance(h, clock.id, '2027-01-10T01:00:00Z');
      for (const [method, url] of [['GET', '/v1/portal/session'], ['GET', '/v1/portal/invoices'], ['POST', `/v1/portal/subscriptions/${aliceSub.id}/resume`]] as const) {
        const r = await as(t)(method, url, method === 'POST' ? {} : undefined);
        expect([url, r.status, r.body.error.code]).toEqual([url, 401, 'portal_session_expired']);
      }
    });
  });
});
