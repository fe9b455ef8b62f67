import type { LookupAddress } from 'node:dns';
import { afterAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { deliverDue } from '../../src/app/webhooks/deliver.ts';
import { ok } from '../builders.ts';
import { harness } from '../support.ts';
import { startReceiver } from '../webhook-receiver.ts';

/**
 * Deliveries judge the addresses a name resolves to when they connect, not only when the
 * endpoint is saved: a name that pointed at a public (here: the allowed loopback) address can
 * be changed to point inside the network. The resolver is the test's DNS.
 */
describe('webhook addresses are checked at delivery', async () => {
  const dns = new Map<string, string>();
  const h = await harness({ resolve: async (host): Promise<LookupAddress[]> => {
    const address = dns.get(host);
    if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  } });
  const receiver = await startReceiver();
  afterAll(() => receiver.close());
  const pump = async () => { await sequenceEvents(h.deps.db, h.clock.now()); while (await deliverDue(h.deps, 'test') > 0); };
  const lastAttempt = async (endpointId: string) => (await ok(h, 'GET', `/v1/webhook_endpoints/${endpointId}/deliveries?limit=1`)).data[0];

  it('a name moved to a link-local (metadata) or private address after creation is refused, nothing sent', async () => {
    dns.set('localhost', '127.0.0.1');
    const ep = await ok(h, 'POST', '/v1/webhook_endpoints', { url: `http://localhost:${receiver.port}/hooks`, enabled_events: ['customer.created'] });
    await ok(h, 'POST', '/v1/customers', { email: 'before@example.com' });
    await pump();
    expect(receiver.received).toHaveLength(1);
    expect((await lastAttempt(ep.id)).status).toBe('succeeded');

    for (const [i, inside] of ['169.254.169.254', '10.0.0.8', 'fd00::1'].entries()) {
      dns.set('localhost', inside);
      // A kept-alive connection goes on to the address it was opened to; a new one looks the name up again.
      receiver.closeIdle();
      await ok(h, 'POST', '/v1/customers', { email: `after-${i}@example.com` });
      await pump();
      const d = await lastAttempt(ep.id);
      expect(d.status).toBe('pending');
      expect(d.attempts.at(-1)).toMatchObject({ status_code: null, error: expect.stringContaining(`address not allowed: localhost resolves to ${inside}`) });
    }
    expect(receiver.received).toHaveLength(1);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });

  it('an https name that resolves inside the network is refused before any connection', async () => {
    dns.set('hooks.example.test', '192.168.10.20');
    const ep = await ok(h, 'POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.test/rebill', enabled_events: ['customer.created'] });
    await ok(h, 'POST', '/v1/customers', { email: 'private@example.com' });
    await pump();
    expect((await lastAttempt(ep.id)).attempts[0]).toMatchObject({ status_code: null, error: expect.stringContaining('address not allowed: hooks.example.test resolves to 192.168.10.20') });
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });
});
