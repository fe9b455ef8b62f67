import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES, clientTypesSource } from '../../scripts/generate-client.ts';
import { rebillClient } from '../../src/client/index.ts';
import { must } from '../builders.ts';
import { harness } from '../support.ts';

describe('the typed client', async () => {
  const h = await harness();

  it('is generated from the current OpenAPI document (run `npm run client:generate` after changing a route)', async () => {
    expect(await readFile(CLIENT_TYPES, 'utf8')).toBe(await clientTypesSource());
  });

  it('creates and reads objects, answering the documented body', async () => {
    const product = await must(h.client.POST('/v1/products', { body: { name: 'Tea box', metadata: { origin: 'assam' } } }));
    const price = await must(h.client.POST('/v1/prices', { body: { product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month', interval_count: 3 } } }));
    expect(price).toMatchObject({ object: 'price', currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month', interval_count: 3 }, type: 'recurring' });
    const read = await must(h.client.GET('/v1/products/{id}', { params: { path: { id: product.id } } }));
    expect(read).toEqual(product);
    const list = await must(h.client.GET('/v1/prices', { params: { query: { product: product.id } } }));
    expect(list.data.map((p) => p.id)).toEqual([price.id]);
  });

  it('answers errors as the API error body, with no data', async () => {
    const { data, error, response } = await h.client.GET('/v1/customers/{id}', { params: { path: { id: 'cus_missing' } } });
    expect(response.status).toBe(404);
    expect(data).toBeUndefined();
    expect(error?.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });

    const wrongKey = rebillClient({ baseUrl: h.app.listeningOrigin, apiKey: 'rk_wrong' });
    const denied = await wrongKey.GET('/v1/customers');
    expect(denied.response.status).toBe(401);
    expect(denied.error?.error.type).toBe('authentication_error');
  });

  it('sends an Idempotency-Key, so a retried create returns the first result', async () => {
    const send = () => h.client.POST('/v1/customers', { body: { email: 'once@example.com' }, params: { header: { 'idempotency-key': 'client-retry-1' } } });
    const first = await must(send());
    const again = await must(send());
    expect(again.id).toBe(first.id);
    const all = await must(h.client.GET('/v1/customers', { params: { query: { email: 'once@example.com' } } }));
    expect(all.data).toHaveLength(1);
  });
});
