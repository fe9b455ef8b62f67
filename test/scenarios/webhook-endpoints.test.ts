import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createEndpoint, signingSecrets } from '../../src/app/webhooks/endpoints.ts';
import { systemActor } from '../../src/app/ports.ts';
import { signedHeaders } from '../../src/domain/webhook-signature.ts';
import { ok } from '../builders.ts';
import { harness } from '../support.ts';

describe('webhook endpoints', async () => {
  const h = await harness();
  const rowOf = async (id: string) => await h.database.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('show the signing secret once, keep it sealed at rest, and out of the audit log', async () => {
    const created = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/rebill', enabled_events: ['invoice.paid', 'invoice.payment_failed'], description: 'Fulfilment' });
    expect(created).toMatchObject({ object: 'webhook_endpoint', url: 'https://hooks.example.com/rebill', status: 'enabled', enabled_events: ['invoice.paid', 'invoice.payment_failed'], secret_rotation: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = await ok(h, 'GET', `/v1/webhook_endpoints/${created.id}`);
    expect(shown.secret).toBeUndefined();
    expect((await ok(h, 'GET', '/v1/webhook_endpoints')).data.map((e: any) => [e.id, e.secret])).toEqual([[created.id, undefined]]);
    const row = await rowOf(created.id);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(created.secret.slice(6));
    expect(signingSecrets(h.deps, row, h.clock.now())).toEqual([created.secret]);
    const audit = await h.database.pool.query('SELECT after::text AS after FROM audit_log WHERE object_id = $1', [created.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].after).not.toContain(created.secret.slice(6));
  });

  it('rotate the secret: the new one signs at once, both sign until the old one expires', async () => {
    const created = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/rotate', enabled_events: ['*'] });
    const rotated = await ok(h, 'POST', `/v1/webhook_endpoints/${created.id}/rotate_secret`, { expires_in: 3600 });
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.secret_rotation).toEqual({ previous_secret_expires_at: new Date(h.clock.now().getTime() + 3_600_000).toISOString() });
    const body = '{"id":"evt_1"}';
    // Signed at the wall clock's time: the receiver's package refuses timestamps five minutes off its own.
    const during = signedHeaders(signingSecrets(h.deps, await rowOf(created.id), h.clock.now()), 'msg_1', new Date(), body);
    for (const s of [created.secret, rotated.secret]) expect(new Webhook(s).verify(body, during)).toEqual({ id: 'evt_1' });
    const later = new Date(h.clock.now().getTime() + 3_600_001);
    expect(signingSecrets(h.deps, await rowOf(created.id), later)).toEqual([rotated.secret]);
    const now = await ok(h, 'POST', `/v1/webhook_endpoints/${created.id}/rotate_secret`, { expires_in: 0 });
    expect(signingSecrets(h.deps, await rowOf(created.id), h.clock.now())).toEqual([now.secret]);
  });

  it('change, disable, enable and delete; a deleted endpoint is gone', async () => {
    const created = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/a', enabled_events: ['customer.created'] });
    const changed = await ok(h, 'POST', `/v1/webhook_endpoints/${created.id}`, { url: 'https://hooks.example.com/b', enabled_events: ['*', 'invoice.paid'], disabled: true, metadata: { team: 'ops' } });
    expect(changed).toMatchObject({ url: 'https://hooks.example.com/b', enabled_events: ['*'], status: 'disabled', metadata: { team: 'ops' } });
    expect((await ok(h, 'POST', `/v1/webhook_endpoints/${created.id}`, { disabled: false })).status).toBe('enabled');
    expect(await ok(h, 'DELETE', `/v1/webhook_endpoints/${created.id}`)).toEqual({ id: created.id, object: 'webhook_endpoint', deleted: true });
    expect((await h.call('GET', `/v1/webhook_endpoints/${created.id}`)).status).toBe(404);
    expect((await h.call('DELETE', `/v1/webhook_endpoints/${created.id}`)).status).toBe(404);
  });

  it('refuse unsafe URLs and unknown event types, writing nothing', async () => {
    const before = (await ok(h, 'GET', '/v1/webhook_endpoints?limit=100')).data.length;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ url: 'http://hooks.example.com/x', enabled_events: ['*'] }, 'webhook_url_insecure', 'url'],
      [{ url: 'https://10.0.0.7/x', enabled_events: ['*'] }, 'webhook_url_not_public', 'url'],
      [{ url: 'https://169.254.169.254/latest/meta-data/', enabled_events: ['*'] }, 'webhook_url_not_public', 'url'],
      [{ url: 'https://[::ffff:192.168.1.1]/x', enabled_events: ['*'] }, 'webhook_url_not_public', 'url'],
      [{ url: 'https://user:pw@hooks.example.com/x', enabled_events: ['*'] }, 'webhook_url_invalid', 'url'],
      [{ url: 'hooks.example.com', enabled_events: ['*'] }, 'webhook_url_invalid', 'url'],
      [{ url: 'https://hooks.example.com/x', enabled_events: ['invoice.pai'] }, 'parameter_invalid', 'enabled_events[0]'],
      [{ url: 'https://hooks.example.com/x', enabled_events: ['invoice.paid', 'invoice.paid'] }, 'parameter_invalid', 'enabled_events[1]'],
      [{ url: 'https://hooks.example.com/x', enabled_events: [] }, 'parameter_invalid', 'enabled_events'],
    ];
    for (const [body, code, param] of cases) {
      const r = await h.call('POST', '/v1/webhook_endpoints', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error, JSON.stringify(body)).toMatchObject({ code, param });
    }
    expect((await ok(h, 'GET', '/v1/webhook_endpoints?limit=100')).data).toHaveLength(before);
    // Without REBILL_WEBHOOKS_ALLOW_HTTP, not even a local receiver over http.
    const strict = { ...h.deps, webhooks: { ...h.deps.webhooks!, policy: { allowHttp: false, allowPrivate: false } } };
    await expect(createEndpoint(strict, systemActor(h.accountId), { url: 'http://127.0.0.1:9/x', enabled_events: ['*'] })).rejects.toMatchObject({ code: 'webhook_url_insecure' });
    const local = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'http://127.0.0.1:9/x', enabled_events: ['*'] });
    expect(local.url).toBe('http://127.0.0.1:9/x');
  });

  it('allow at most 16 endpoints per account', async () => {
    const live = (await ok(h, 'GET', '/v1/webhook_endpoints?limit=100')).data.length;
    for (let i = live; i < 16; i++) await ok(h, 'POST', '/v1/webhook_endpoints', { url: `https://hooks.example.com/${i}`, enabled_events: ['*'] });
    const over = await h.call('POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/17', enabled_events: ['*'] });
    expect(over.body.error).toMatchObject({ code: 'webhook_endpoint_limit' });
  });
});
